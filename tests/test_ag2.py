"""AG2 Classic (``import autogen``): the seeds' ConversableAgent apps through the real OpenAI client
over HTTP, traced and measured like AgentChat teams."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from urllib.parse import urlsplit

import autogen
import pytest
from ag2_apps import TASK, WEATHER_SCRIPT, broken_weather, editorial_group, llm_config, weather_pair
from autogen_otel import AG2Budget
from autogen_otel.core.pricing import PriceTable
from autogen_otel.demo.llm_server import Reply
from helpers import by_name, metric_points, ours, parent_of, traces, tree
from opentelemetry.trace import SpanKind, StatusCode

PRICES = PriceTable.default()
# The span tree of WEATHER_SCRIPT's two-agent chat below its root.
WEATHER_TURNS = [
    "  invoke_agent forecaster",
    "    chat gpt-4o-mini",
    "  invoke_agent user_proxy",
    "    execute_tool get_weather",
    "  invoke_agent forecaster",
    "    chat gpt-4o-mini",
    "  invoke_agent user_proxy",
]


def test_two_agent_chat_is_one_trace_with_semconv_spans(instrument_ag2, spans, llm_server):
    server = llm_server(WEATHER_SCRIPT)
    user, assistant = weather_pair(server)
    result = user.initiate_chat(assistant, message=TASK)

    finished = ours(spans.get_finished_spans())
    assert len(traces(finished)) == 1
    assert tree(finished) == ["invoke_workflow user_proxy", *WEATHER_TURNS]
    workflow = by_name(finished, "invoke_workflow")[0]
    wa = workflow.attributes
    assert workflow.kind == SpanKind.INTERNAL and workflow.parent is None
    assert wa["gen_ai.operation.name"] == "invoke_workflow" and wa["gen_ai.workflow.name"] == "user_proxy"
    assert list(wa["autogen.team.participants"]) == ["user_proxy", "forecaster"]
    assert wa["autogen.team.type"] == "two_agent_chat"
    assert wa["autogen.run.stop_category"] == "text_mention"
    assert "Termination message condition" in wa["autogen.run.stop_reason"]
    assert wa["autogen.run.turns"] == 4 and wa["autogen.run.model_calls"] == len(server.exchanges) == 2
    assert wa["autogen.run.messages"] == len(result.chat_history) == 4

    chats = sorted(by_name(finished, "chat "), key=lambda s: s.start_time)
    total_in = total_out = 0
    expected_cost = 0.0
    for chat, exchange in zip(chats, server.exchanges, strict=True):
        a = chat.attributes
        assert chat.kind == SpanKind.CLIENT
        assert a["gen_ai.provider.name"] == "openai" and a["gen_ai.request.model"] == "gpt-4o-mini"
        assert a["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
        assert a["gen_ai.response.id"] == exchange.response_id
        assert a["gen_ai.usage.input_tokens"] == exchange.prompt_tokens
        assert a["gen_ai.usage.output_tokens"] == exchange.completion_tokens
        assert a["server.address"] == "127.0.0.1" and a["server.port"] == urlsplit(server.base_url).port
        cost = PRICES.cost("gpt-4o-mini", exchange.prompt_tokens, exchange.completion_tokens)
        assert a["autogen.cost.usd"] == pytest.approx(cost)
        assert parent_of(chat, finished).attributes["gen_ai.agent.name"] == "forecaster"
        total_in += exchange.prompt_tokens
        total_out += exchange.completion_tokens
        expected_cost += cost
    assert list(chats[0].attributes["gen_ai.response.finish_reasons"]) == ["tool_calls"]
    assert list(chats[1].attributes["gen_ai.response.finish_reasons"]) == ["stop"]
    assert (wa["gen_ai.usage.input_tokens"], wa["gen_ai.usage.output_tokens"]) == (total_in, total_out)
    assert wa["autogen.cost.usd"] == pytest.approx(expected_cost)

    tool = by_name(finished, "execute_tool")[0]
    assert tool.attributes["gen_ai.tool.name"] == "get_weather"
    assert tool.attributes["gen_ai.tool.call.id"] == result.chat_history[1]["tool_calls"][0]["id"]
    assert tool.status.status_code == StatusCode.UNSET

    # Privacy by default: no message text anywhere, and the system message (AG2's default agent
    # description) is not recorded either.
    dumped = json.dumps([dict(s.attributes) for s in finished] + [[dict(e.attributes) for e in s.events]
                                                                   for s in finished])
    for secret in ("secret-task-text-7731", "Sunny and 21C", "You are the forecaster", "sk-test"):
        assert secret not in dumped


def _app_results(server_script, llm_server, make, run):
    server = llm_server(server_script)
    agents = make(server)
    result = run(*agents)
    return result.chat_history, result.summary, copy.deepcopy(result.cost)


def _strip_ids(history):
    return json.dumps(history, sort_keys=True, default=str).count("call_")


def test_app_results_are_identical_with_and_without_the_instrumentor(instrument_ag2, llm_server):
    def run(user, assistant):
        return user.initiate_chat(assistant, message=TASK)

    instrument_ag2().uninstrument()
    plain = _app_results(WEATHER_SCRIPT, llm_server, weather_pair, run)
    instrument_ag2()
    traced = _app_results(WEATHER_SCRIPT, llm_server, weather_pair, run)
    plain_history, traced_history = plain[0], traced[0]
    for history in (plain_history, traced_history):  # tool-call ids are random per server reply
        for message in history:
            for call in message.get("tool_calls") or ():
                call["id"] = "call"
            for response in message.get("tool_responses") or ():
                response["tool_call_id"] = "call"
            if message.get("tool_call_id"):
                message["tool_call_id"] = "call"
    assert plain_history == traced_history
    assert plain[1:] == traced[1:]
    assert traced[2]["usage_including_cached_inference"]["total_cost"] > 0  # AG2's own figure intact


def test_group_chat_speaker_selection_is_chat_spans_under_the_workflow(instrument_ag2, spans, metric_reader,
                                                                        llm_server):
    from ag2_apps import GROUP_SCRIPT
    from autogen_otel.demo.llm_server import ScriptedLLMServer  # noqa: F401 - documents the server used

    server = llm_server(GROUP_SCRIPT)
    user, manager = editorial_group(server)
    result = user.initiate_chat(manager, message=TASK)
    assert result.chat_history[-1]["content"].endswith("TERMINATE")

    finished = ours(spans.get_finished_spans())
    assert len(traces(finished)) == 1
    assert tree(finished) == [
        "invoke_workflow editorial",
        "  chat gpt-4o-mini",
        "  invoke_agent researcher",
        "    chat gpt-4o-mini",
        "  chat gpt-4o-mini",
        "  invoke_agent writer",
        "    chat gpt-4o-mini",
        "  chat gpt-4o-mini",
        "  invoke_agent critic",
        "    chat gpt-4o-mini",
    ]
    workflow = by_name(finished, "invoke_workflow")[0].attributes
    assert workflow["gen_ai.workflow.name"] == "editorial" and workflow["autogen.team.type"] == "group_chat"
    assert list(workflow["autogen.team.participants"]) == ["user_proxy", "researcher", "writer", "critic"]
    assert workflow["autogen.run.stop_category"] == "text_mention"
    assert workflow["autogen.run.model_calls"] == len(server.exchanges) == 6
    # No spans for the manager's internal speaker-selection agents.
    assert not [s for s in finished if "checking_agent" in s.name or "speaker_selection" in s.name]

    runs = metric_points(metric_reader, "autogen.runs")
    assert [(dict(p.attributes), p.value) for p in runs] == [
        ({"gen_ai.workflow.name": "editorial", "autogen.run.stop_category": "text_mention"}, 1)]
    token_points = metric_points(metric_reader, "gen_ai.client.token.usage")
    assert {p.attributes["gen_ai.workflow.name"] for p in token_points} == {"editorial"}
    assert sum(p.sum for p in token_points if p.attributes["gen_ai.token.type"] == "input") == sum(
        e.prompt_tokens for e in server.exchanges)


def test_group_chat_hitting_max_round_is_a_turn_limit_stop(instrument_ag2, spans, llm_server):
    from ag2_apps import GROUP_SCRIPT

    server = llm_server({**GROUP_SCRIPT, "You are the critic": [Reply("Not yet.")]})
    user, manager = editorial_group(server, max_round=3)
    user.initiate_chat(manager, message=TASK)
    workflow = by_name(ours(spans.get_finished_spans()), "invoke_workflow")[0].attributes
    assert workflow["autogen.run.stop_category"] == "max_turns"
    assert workflow["autogen.run.stop_reason"] == "Maximum rounds (3) reached"


async def test_async_chat_keeps_model_calls_in_the_trace(instrument_ag2, spans, llm_server):
    # AG2 runs an async reply's model call in an executor thread, which loses the context.
    server = llm_server(WEATHER_SCRIPT)
    user, assistant = weather_pair(server)
    await user.a_initiate_chat(assistant, message=TASK)
    finished = ours(spans.get_finished_spans())
    assert len(traces(finished)) == 1
    chats = by_name(finished, "chat ")
    assert len(chats) == 2
    assert {parent_of(c, finished).name for c in chats} == {"invoke_agent forecaster"}
    assert len(by_name(finished, "execute_tool")) == 1


def test_sequential_chats_are_one_workflow_with_a_child_per_chat(instrument_ag2, spans, metric_reader, llm_server):
    server = llm_server({"You are the forecaster": [Reply("Sunny. TERMINATE")],
                         "You are the poet": [Reply("Sun on the Seine. TERMINATE")]})
    user, forecaster = weather_pair(server)
    poet = autogen.AssistantAgent("poet", system_message="You are the poet.", llm_config=llm_config(server))
    results = user.initiate_chats([
        {"recipient": forecaster, "message": "Weather?", "summary_method": "last_msg"},
        {"recipient": poet, "message": "A poem about it.", "summary_method": "last_msg"},
    ])
    assert len(results) == 2
    finished = ours(spans.get_finished_spans())
    assert len(traces(finished)) == 1
    assert tree(finished)[0] == "invoke_workflow user_proxy"
    children = [line.strip() for line in tree(finished) if line.startswith("  invoke_workflow")]
    assert children == ["invoke_workflow user_proxy", "invoke_workflow user_proxy"]
    root = next(s for s in finished if s.parent is None).attributes
    assert root["autogen.team.type"] == "sequential_chats"
    assert list(root["autogen.team.participants"]) == ["user_proxy", "forecaster", "poet"]
    assert root["autogen.run.messages"] == sum(len(r.chat_history) for r in results)
    assert [p.value for p in metric_points(metric_reader, "autogen.runs")] == [1]


def test_failing_tool_is_an_error_span_and_the_chat_goes_on(instrument_ag2, spans, llm_server):
    server = llm_server(WEATHER_SCRIPT)
    user, assistant = weather_pair(server, tool=broken_weather)
    result = user.initiate_chat(assistant, message=TASK)
    assert "weather service down" in json.dumps(result.chat_history)
    tool = by_name(ours(spans.get_finished_spans()), "execute_tool")[0]
    assert tool.status.status_code == StatusCode.ERROR
    assert tool.attributes["error.type"] == "tool_error"


def test_model_error_marks_chat_and_workflow(instrument_ag2, spans, llm_server):
    server = llm_server({"*": [Reply(status=400)]})
    user, assistant = weather_pair(server)
    with pytest.raises(Exception) as caught:
        user.initiate_chat(assistant, message=TASK)
    finished = ours(spans.get_finished_spans())
    assert len(traces(finished)) == 1
    for name in ("chat ", "invoke_agent forecaster", "invoke_workflow"):
        span = by_name(finished, name)[0]
        assert span.status.status_code == StatusCode.ERROR, name
        assert span.attributes["error.type"] == type(caught.value).__name__
    assert by_name(finished, "invoke_workflow")[0].attributes["autogen.run.stop_category"] == "error"


def test_content_capture_is_opt_in_and_follows_the_semconv_schema(instrument_ag2, spans, llm_server):
    instrument_ag2(capture_content=True)
    server = llm_server(WEATHER_SCRIPT)
    user, assistant = weather_pair(server)
    user.initiate_chat(assistant, message=TASK)
    finished = ours(spans.get_finished_spans())
    first_chat = sorted(by_name(finished, "chat "), key=lambda s: s.start_time)[0].attributes
    assert json.loads(first_chat["gen_ai.system_instructions"])[0]["content"].startswith("You are the forecaster")
    assert json.loads(first_chat["gen_ai.input.messages"])[-1]["parts"][0]["content"] == TASK
    output = json.loads(first_chat["gen_ai.output.messages"])[0]
    assert output["parts"][0]["type"] == "tool_call" and output["parts"][0]["name"] == "get_weather"
    tool = by_name(finished, "execute_tool")[0].attributes
    assert json.loads(tool["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert tool["gen_ai.tool.call.result"] == "Sunny and 21C in Paris"
    assert "sk-test-not-a-real-key" not in json.dumps([dict(s.attributes) for s in finished])


def test_loop_detection_and_budget_stop_end_a_runaway_conversation(instrument_ag2, spans, metric_reader,
                                                                    llm_server):
    server = llm_server({"You are the forecaster": [Reply("Let me check again.", model="gpt-4o")]})
    user, assistant = weather_pair(server, max_auto_reply=50)
    budget = AG2Budget(max_cost_usd=0.0005).attach(user, assistant)
    result = user.initiate_chat(assistant, message=TASK)

    assert budget.stopped_reason is not None and "Cost budget" in budget.stopped_reason
    finished = ours(spans.get_finished_spans())
    workflow = by_name(finished, "invoke_workflow")[0]
    assert workflow.attributes["autogen.run.stop_category"] == "budget"
    assert workflow.attributes["autogen.cost.usd"] >= 0.0005
    assert len(result.chat_history) < 50
    # Both sides repeat themselves: the forecaster's text and the proxy's empty auto-reply.
    loops = metric_points(metric_reader, "autogen.loop.detections")
    assert sorted((p.attributes["gen_ai.agent.name"], p.value) for p in loops) == [("forecaster", 1),
                                                                                   ("user_proxy", 1)]
    assert [e.name for e in workflow.events].count("autogen.loop_detected") == 2
    runs = metric_points(metric_reader, "autogen.runs")
    assert [p.attributes["autogen.run.stop_category"] for p in runs] == ["budget"]


def test_human_input_wait_is_its_own_span(instrument_ag2, spans, llm_server, monkeypatch):
    answers = iter(["", "exit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    server = llm_server({"You are the forecaster": [Reply("Sunny.")]})
    user, assistant = weather_pair(server, human_input_mode="ALWAYS")
    user.initiate_chat(assistant, message=TASK)
    finished = ours(spans.get_finished_spans())
    waits = by_name(finished, "human_input")
    assert [w.name for w in waits] == ["human_input user_proxy"] * 2
    assert {parent_of(w, finished).name for w in waits} == {"invoke_agent user_proxy"}
    assert waits[0].attributes["autogen.human_input.mode"] == "ALWAYS"
    workflow = by_name(finished, "invoke_workflow")[0].attributes
    assert workflow["autogen.run.stop_category"] == "external"


def test_code_execution_span_has_language_and_exit_code(instrument_ag2, spans, llm_server, tmp_path):
    script = {"You are the coder": [Reply("```python\nprint(6 * 7)\n```"), Reply("```python\nraise SystemExit(3)\n```"),
                                    Reply("Done. TERMINATE")]}
    server = llm_server(script)
    coder = autogen.AssistantAgent("coder", system_message="You are the coder.", llm_config=llm_config(server))
    runner = autogen.UserProxyAgent("runner", human_input_mode="NEVER", max_consecutive_auto_reply=5,
                                    is_termination_msg=lambda m: "TERMINATE" in (m.get("content") or ""),
                                    code_execution_config={"work_dir": str(tmp_path), "use_docker": False})
    result = runner.initiate_chat(coder, message="Compute 6*7")
    assert "42" in json.dumps(result.chat_history)
    runs = by_name(ours(spans.get_finished_spans()), "execute_tool code_execution")
    assert [r.attributes["autogen.code.exit_code"] for r in runs] == [0, 3]
    assert list(runs[0].attributes["autogen.code.languages"]) == ["python"]
    assert runs[0].status.status_code == StatusCode.UNSET and runs[1].status.status_code == StatusCode.ERROR
    assert "print(6 * 7)" not in json.dumps([dict(r.attributes) for r in runs])


@pytest.fixture
def ag2_llm_tracing_restored():
    """AG2's ``instrument_llm_wrapper`` replaces ``OpenAIWrapper.create`` for the process: put it back."""
    from autogen.oai.client import OpenAIWrapper

    original = OpenAIWrapper.__dict__["create"]
    yield
    OpenAIWrapper.create = original


def test_ag2_own_tracing_works_as_documented_with_one_span_per_operation(instrument_ag2, spans, metric_reader,
                                                                         llm_server, ag2_llm_tracing_restored):
    native = pytest.importorskip("autogen.opentelemetry", reason="AG2 < 0.11 has no tracing of its own")
    from opentelemetry import trace

    server = llm_server(WEATHER_SCRIPT)
    user, assistant = weather_pair(server)
    provider = trace.get_tracer_provider()
    # As AG2's docs show: every agent, and the model-call wrapper, with the app's provider.
    assert native.instrument_agent(user, tracer_provider=provider) is user
    native.instrument_agent(assistant, tracer_provider=provider)
    native.instrument_llm_wrapper(tracer_provider=provider)
    result = user.initiate_chat(assistant, message=TASK)
    # AG2's conversation span read total_cost with pop(): the app's ChatResult keeps it.
    assert result.cost["usage_including_cached_inference"]["total_cost"] > 0

    finished = list(spans.get_finished_spans())
    assert len(traces(finished)) == 1
    # One span per operation, all of them AG2's own, with our cost and run attributes on them.
    assert not ours(finished), [s.name for s in ours(finished)]
    assert {s.instrumentation_scope.name for s in finished} == {"opentelemetry.instrumentation.ag2"}
    assert tree(finished) == ["conversation user_proxy", *WEATHER_TURNS]
    root = finished[[s.name for s in finished].index("conversation user_proxy")]
    assert root.attributes["autogen.run.stop_category"] == "text_mention"
    assert root.attributes["autogen.run.model_calls"] == len(server.exchanges) == 2
    chats = by_name(finished, "chat ")
    for chat, exchange in zip(sorted(chats, key=lambda s: s.start_time), server.exchanges, strict=True):
        assert chat.attributes["autogen.cost.usd"] == pytest.approx(
            PRICES.cost("gpt-4o-mini", exchange.prompt_tokens, exchange.completion_tokens))
    assert root.attributes["autogen.cost.usd"] == pytest.approx(sum(c.attributes["autogen.cost.usd"] for c in chats))
    # AG2's tracing has no metrics: ours are recorded, once per operation.
    assert sum(p.count for p in metric_points(metric_reader, "gen_ai.client.operation.duration")) == 2
    assert sum(p.count for p in metric_points(metric_reader, "gen_ai.invoke_agent.duration")) == 4
    assert sum(p.count for p in metric_points(metric_reader, "gen_ai.execute_tool.duration")) == 1
    assert sum(p.value for p in metric_points(metric_reader, "autogen.runs")) == 1


def test_ag2_own_tracing_of_some_agents_only_shares_one_trace_with_ours(instrument_ag2, spans, llm_server):
    native = pytest.importorskip("autogen.opentelemetry", reason="AG2 < 0.11 has no tracing of its own")
    from opentelemetry import trace

    server = llm_server(WEATHER_SCRIPT)
    user, assistant = weather_pair(server)
    native.instrument_agent(assistant, tracer_provider=trace.get_tracer_provider())
    user.initiate_chat(assistant, message=TASK)
    finished = list(spans.get_finished_spans())
    assert len(traces(finished)) == 1
    assert tree(finished) == ["invoke_workflow user_proxy", *WEATHER_TURNS]
    forecaster = [s for s in by_name(finished, "invoke_agent forecaster")]
    assert {s.instrumentation_scope.name for s in forecaster} == {"opentelemetry.instrumentation.ag2"}


def test_concurrent_conversations_in_threads_and_tasks_never_share_a_trace(instrument_ag2, spans, llm_server):
    server = llm_server({"You are the forecaster": [Reply("Sunny. TERMINATE")]})

    def one() -> None:
        user, assistant = weather_pair(server)
        user.initiate_chat(assistant, message=TASK, silent=True)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    async def many() -> None:
        pairs = [weather_pair(server) for _ in range(4)]
        await asyncio.gather(*(u.a_initiate_chat(a, message=TASK, silent=True) for u, a in pairs))

    asyncio.run(many())
    grouped = traces(ours(spans.get_finished_spans()))
    assert len(grouped) == 8
    for members in grouped.values():
        assert len([s for s in members if s.parent is None]) == 1
        assert len(by_name(members, "chat ")) == 1 and len(by_name(members, "invoke_workflow")) == 1


def test_uninstrument_restores_every_method(instrument_ag2, spans, llm_server):
    from autogen.agentchat.conversable_agent import ConversableAgent
    from autogen.oai.client import OpenAIWrapper

    instrument_ag2().uninstrument()
    for owner, name in ((ConversableAgent, "initiate_chat"), (ConversableAgent, "generate_reply"),
                        (ConversableAgent, "execute_function"), (OpenAIWrapper, "create")):
        assert not hasattr(vars(owner)[name], "__wrapped__"), name
    server = llm_server(WEATHER_SCRIPT)
    user, assistant = weather_pair(server)
    user.initiate_chat(assistant, message=TASK)
    assert not ours(spans.get_finished_spans())


def test_pattern_api_group_chat_is_one_trace(instrument_ag2, spans, llm_server):
    patterns = pytest.importorskip("autogen.agentchat.group.patterns")
    from autogen.agentchat import initiate_group_chat

    server = llm_server({"You are the researcher": [Reply("Facts found.")],
                         "You are the writer": [Reply("Draft done. TERMINATE")]})
    researcher = autogen.ConversableAgent("researcher", system_message="You are the researcher.",
                                          llm_config=llm_config(server))
    writer = autogen.ConversableAgent("writer", system_message="You are the writer.", llm_config=llm_config(server))
    pattern = patterns.RoundRobinPattern(initial_agent=researcher, agents=[researcher, writer],
                                         group_manager_args={"name": "desk"})
    result, _, _ = initiate_group_chat(pattern=pattern, messages=TASK, max_rounds=3)
    assert result.chat_history
    finished = ours(spans.get_finished_spans())
    assert len(traces(finished)) == 1
    roots = [s for s in finished if s.parent is None]
    assert [r.name for r in roots] == ["invoke_workflow desk"]
    assert roots[0].attributes["autogen.team.type"] == "group_chat"
    agents = [s.attributes["gen_ai.agent.name"] for s in sorted(by_name(finished, "invoke_agent"),
                                                                 key=lambda s: s.start_time)]
    assert agents[:2] == ["researcher", "writer"]
    assert len(by_name(finished, "chat ")) == len(server.exchanges) >= 2


def test_both_families_in_one_process_each_get_their_own_trace(instrument, spans, llm_server):
    from autogen_otel import AG2Instrumentor
    from conftest import _PROVIDER
    from teams import WEATHER_SCRIPT as AGENTCHAT_SCRIPT
    from teams import weather_team

    ag2 = AG2Instrumentor()
    ag2.instrument(tracer_provider=_PROVIDER)
    try:
        user, assistant = weather_pair(llm_server(WEATHER_SCRIPT))
        user.initiate_chat(assistant, message=TASK)
        asyncio.run(weather_team(llm_server(AGENTCHAT_SCRIPT)).run(task=TASK))
    finally:
        ag2.uninstrument()
    grouped = traces(ours(spans.get_finished_spans()))
    scopes = sorted({s.instrumentation_scope.name for s in members} for members in grouped.values())
    assert scopes == [{"autogen_otel.ag2"}, {"autogen_otel.instrumentor"}]


def test_an_internal_error_never_reaches_the_app(instrument_ag2, spans, llm_server, monkeypatch, caplog):
    from autogen_otel.core.telemetry import Telemetry

    def broken(*args, **kwargs):
        raise RuntimeError("bug in autogen-otel")

    monkeypatch.setattr(Telemetry, "open", broken)
    server = llm_server(WEATHER_SCRIPT)
    user, assistant = weather_pair(server)
    result = user.initiate_chat(assistant, message=TASK)
    assert result.chat_history[-1]["content"].endswith("TERMINATE") and len(server.exchanges) == 2
    assert not ours(spans.get_finished_spans())
    assert "internal error" in caplog.text


@pytest.mark.parametrize("entry,provider,streamed", [
    ({"stream": True}, "openai", True),
    ({"api_type": "azure", "api_version": "2024-06-01"}, "azure.ai.openai", False),
])
def test_streaming_and_azure_config_entries(instrument_ag2, spans, llm_server, entry, provider, streamed):
    from importlib.metadata import version

    from packaging.version import Version

    if streamed and Version(version("autogen")) < Version("0.14"):
        pytest.skip("AG2 < 0.14 counts streamed tokens with tiktoken, whose encodings are a download (no network)")
    server = llm_server(WEATHER_SCRIPT)
    user, assistant = weather_pair(server)
    assistant.client = autogen.OpenAIWrapper(**llm_config(server, **entry))
    user.initiate_chat(assistant, message=TASK)
    chats = sorted(by_name(ours(spans.get_finished_spans()), "chat "), key=lambda s: s.start_time)
    assert len(chats) == len(server.exchanges) == 2
    for chat, exchange in zip(chats, server.exchanges, strict=True):
        assert exchange.streamed is streamed
        assert chat.attributes["gen_ai.provider.name"] == provider
        assert chat.attributes["autogen.stream"] is streamed
        assert (chat.attributes["gen_ai.usage.input_tokens"], chat.attributes["gen_ai.usage.output_tokens"]) == (
            exchange.prompt_tokens, exchange.completion_tokens)
        assert chat.attributes["gen_ai.response.id"] == exchange.response_id


def test_ag2_own_pattern_tracing_and_ours_one_span_per_operation(instrument_ag2, spans, llm_server,
                                                                 ag2_llm_tracing_restored):
    native = pytest.importorskip("autogen.opentelemetry", reason="AG2 < 0.11 has no tracing of its own")
    from autogen.agentchat.group.multi_agent_chat import initiate_group_chat
    from autogen.agentchat.group.patterns.round_robin import RoundRobinPattern
    from opentelemetry import trace

    server = llm_server({"You are the researcher": [Reply("Loops cost the most.")],
                         "You are the writer": [Reply("Draft: loops cost the most. TERMINATE")]})
    researcher = autogen.AssistantAgent("researcher", system_message="You are the researcher.",
                                        llm_config=llm_config(server))
    writer = autogen.AssistantAgent("writer", system_message="You are the writer.", llm_config=llm_config(server))
    pattern = RoundRobinPattern(initial_agent=researcher, agents=[researcher, writer],
                                group_manager_args={"llm_config": llm_config(server)})
    assert native.instrument_pattern(pattern, tracer_provider=trace.get_tracer_provider()) is pattern
    result, _context, _last = initiate_group_chat(pattern=pattern, messages=TASK, max_rounds=3)
    assert result.chat_history

    finished = list(spans.get_finished_spans())
    assert len(traces(finished)) == 1
    by_id = {s.context.span_id: s for s in finished}
    for span in finished:  # no operation inside a copy of itself: one span per operation
        parent = by_id.get(span.parent.span_id) if span.parent else None
        assert parent is None or parent.name != span.name, f"{span.name} nested in a copy of itself"
    assert len(by_name(finished, "chat ")) == len(server.exchanges)
    agents = [s.attributes.get("gen_ai.agent.name") for s in finished
              if s.attributes.get("gen_ai.operation.name") == "invoke_agent"]
    assert {"researcher", "writer"} <= set(agents)
