"""Every cost path, through each family's real client: cached input tokens are reported and billed
at the cached price, a framework's cache hit costs nothing, a run mixing priced and unpriced models
says its cost is partial. Expected figures come from the price table the instrumentor uses (a price
file of this test's own where the figure matters), never from numbers copied from a price list."""

from __future__ import annotations

import json

import pytest
from autogen_otel.core.pricing import PriceTable
from autogen_otel.demo.llm_server import Reply
from helpers import by_name, metric_points

# gpt-4o-mini (and the dated model the server answers with) at prices of this test's own: cached
# input a tenth of input.
_PRICE = {"input": 1.0, "output": 4.0, "cached_input": 0.1}
PRICES = {"models": {"gpt-4o-mini": _PRICE, "gpt-4o-mini-2024-07-18": _PRICE}}


@pytest.fixture
def prices_file(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(PRICES))
    return str(path)


def _expected(input_tokens, output_tokens, cached):
    return ((input_tokens - cached) * 1.0 + cached * 0.1 + output_tokens * 4.0) / 1e6


def _check_cached(chat, exchange, cached):
    assert 0 < cached < exchange.prompt_tokens, "the scripted reply must cache part of the prompt"
    a = chat.attributes
    assert a["gen_ai.usage.input_tokens"] == exchange.prompt_tokens
    assert a["gen_ai.usage.cache_read.input_tokens"] == cached
    assert a["autogen.cost.usd"] == pytest.approx(_expected(exchange.prompt_tokens, exchange.completion_tokens, cached))
    full = _expected(exchange.prompt_tokens, exchange.completion_tokens, 0)
    assert a["autogen.cost.usd"] < full, "cached input is billed below the input price"


async def test_agentchat_cached_input_tokens(instrument, spans, llm_server, prices_file):
    from autogen_agentchat.agents import AssistantAgent
    from helpers import openai_client

    instrument(prices_file=prices_file)
    server = llm_server({"*": [Reply("Hello there, a long prompt was cached.", cached_tokens=12)]})
    await AssistantAgent("a", model_client=openai_client(server)).run(task="A prompt long enough to cache, please.")
    [chat] = by_name(spans.get_finished_spans(), "chat ")
    _check_cached(chat, server.exchanges[0], 12)


def test_ag2_cached_input_tokens_and_its_own_cache_hits(instrument_ag2, spans, metric_reader, llm_server,
                                                         prices_file):
    from ag2_apps import TASK, weather_pair
    from autogen.cache.in_memory_cache import InMemoryCache

    instrument_ag2(prices_file=prices_file)
    server = llm_server({"You are the forecaster": [Reply("Sunny in Paris. TERMINATE", cached_tokens=10)]})
    cache = InMemoryCache(seed=42)
    user, assistant = weather_pair(server)
    user.initiate_chat(assistant, message=TASK, cache=cache)
    [first] = by_name(spans.get_finished_spans(), "chat ")
    _check_cached(first, server.exchanges[0], 10)
    assert "autogen.response.cached" not in first.attributes
    spans.clear()

    user, assistant = weather_pair(server)
    user.initiate_chat(assistant, message=TASK, cache=cache)  # the same question: AG2 answers from its cache
    assert len(server.exchanges) == 1, "the second chat never reached the model"
    finished = spans.get_finished_spans()
    [again] = by_name(finished, "chat ")
    assert again.attributes["autogen.response.cached"] is True and again.attributes["autogen.cost.usd"] == 0
    [run] = by_name(finished, "invoke_workflow")
    assert run.attributes.get("autogen.cost.usd", 0) == 0
    total = sum(p.value for p in metric_points(metric_reader, "autogen.cost"))
    assert total == pytest.approx(first.attributes["autogen.cost.usd"]), "a cache hit adds nothing to the spend"


async def test_agent_framework_cached_input_tokens(instrument_maf, spans, llm_server, prices_file):
    from agent_framework import Agent
    from maf_apps import chat_client

    instrument_maf(prices_file=prices_file)
    server = llm_server({"*": [Reply("Hello there, a long prompt was cached.", cached_tokens=4)]})
    await Agent(client=chat_client(server), name="a").run("A prompt long enough to cache, please.")
    [chat] = by_name(spans.get_finished_spans(), "chat ")
    _check_cached(chat, server.exchanges[0], 4)


def test_the_default_prices_bill_cached_input_below_input():
    """The default source (genai-prices) has a cached-input price for gpt-4o-mini: it is used."""
    table = PriceTable.default()
    full = table.cost("gpt-4o-mini", 1000, 100)
    cached = table.cost("gpt-4o-mini", 1000, 100, 800)
    assert full is not None and cached is not None and cached < full


async def test_a_run_mixing_priced_and_unpriced_models_says_its_cost_is_partial(instrument, spans, metric_reader,
                                                                                 llm_server):
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.conditions import MaxMessageTermination
    from autogen_agentchat.teams import RoundRobinGroupChat
    from helpers import openai_client

    server = llm_server({"*": [Reply("ok")]})
    unpriced = openai_client(server, model="house-model-7b",
                             model_info={"vision": False, "function_calling": True, "json_output": False,
                                         "family": "unknown", "structured_output": False})
    team = RoundRobinGroupChat([AssistantAgent("priced", model_client=openai_client(server)),
                                AssistantAgent("unpriced", model_client=unpriced)],
                               termination_condition=MaxMessageTermination(3))
    await team.run(task="go")
    finished = spans.get_finished_spans()
    [run] = by_name(finished, "invoke_workflow")
    priced = sum(c.attributes.get("autogen.cost.usd", 0) for c in by_name(finished, "chat "))
    assert priced > 0 and run.attributes["autogen.cost.usd"] == pytest.approx(priced)
    assert run.attributes["autogen.cost.partial"] is True and run.attributes["autogen.cost.unpriced_calls"] == 1
    [unpriced_chat] = [c for c in by_name(finished, "chat ") if "autogen.cost.usd" not in c.attributes]
    assert unpriced_chat.attributes["gen_ai.request.model"] == "house-model-7b"
    [point] = metric_points(metric_reader, "autogen.cost.unpriced_calls")
    assert point.value == 1 and point.attributes["gen_ai.request.model"] == "house-model-7b"
    [agent] = by_name(finished, "invoke_agent priced")
    assert "autogen.cost.partial" not in agent.attributes
