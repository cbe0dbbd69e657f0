"""Metrics: exact token sums, semconv buckets, bounded labels, cost, run health, budgets."""

from __future__ import annotations

import asyncio

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_otel import BudgetTermination
from autogen_otel.core import semconv as sc
from autogen_otel.core.pricing import PriceTable
from autogen_otel.demo.llm_server import Reply
from helpers import by_name, metric_points, openai_client, ours
from teams import TASK, WEATHER_SCRIPT, weather_team


def labels(point) -> dict:
    return dict(point.attributes)


async def test_token_usage_sums_match_the_server_and_use_semconv_buckets(instrument, spans, metric_reader,
                                                                         llm_server):
    server = llm_server(WEATHER_SCRIPT)
    await weather_team(server).run(task=TASK)
    points = metric_points(metric_reader, "gen_ai.client.token.usage")
    by_type = {t: sum(p.sum for p in points if labels(p)["gen_ai.token.type"] == t) for t in ("input", "output")}
    assert by_type["input"] == sum(e.prompt_tokens for e in server.exchanges)
    assert by_type["output"] == sum(e.completion_tokens for e in server.exchanges)
    assert sum(p.count for p in points) == 2 * len(server.exchanges)
    for point in points:
        assert tuple(point.explicit_bounds) == sc.TOKEN_BUCKETS
        assert labels(point)["gen_ai.operation.name"] == "chat"
        assert labels(point)["gen_ai.provider.name"] == "openai"
        assert labels(point)["gen_ai.request.model"] == "gpt-4o-mini"
        assert labels(point)["gen_ai.workflow.name"] == "RoundRobinGroupChat"
        assert labels(point)["gen_ai.agent.name"] in {"planner", "critic"}
    durations = metric_points(metric_reader, "gen_ai.client.operation.duration")
    assert sum(p.count for p in durations) == len(server.exchanges)
    assert tuple(durations[0].explicit_bounds) == sc.DURATION_BUCKETS
    for name in ("gen_ai.invoke_workflow.duration", "gen_ai.invoke_agent.duration", "gen_ai.execute_tool.duration"):
        assert metric_points(metric_reader, name), name
    tool_point = metric_points(metric_reader, "gen_ai.execute_tool.duration")[0]
    assert labels(tool_point)["gen_ai.tool.name"] == "get_weather"


async def test_cost_counter_equals_the_sum_of_span_costs(instrument, spans, metric_reader, llm_server):
    server = llm_server(WEATHER_SCRIPT)
    await weather_team(server).run(task=TASK)
    chats = by_name(spans.get_finished_spans(), "chat")
    span_cost = sum(s.attributes["autogen.cost.usd"] for s in chats)
    prices = PriceTable.default()  # what the instrumentor prices with, not today's list copied here
    expected = sum(prices.cost("gpt-4o-mini", e.prompt_tokens, e.completion_tokens) for e in server.exchanges)
    assert span_cost == pytest.approx(expected, rel=1e-6)
    metric_cost = sum(p.value for p in metric_points(metric_reader, "autogen.cost"))
    assert metric_cost == pytest.approx(expected, rel=1e-6)
    workflow = by_name(spans.get_finished_spans(), "invoke_workflow")[0]
    assert workflow.attributes["autogen.cost.usd"] == pytest.approx(expected, rel=1e-6)


async def test_error_type_label_on_failed_calls(instrument, metric_reader, llm_server):
    server = llm_server({"*": [Reply(status=429)]})
    agent = AssistantAgent("a", model_client=openai_client(server, max_retries=0))
    from openai import RateLimitError

    with pytest.raises(RateLimitError):
        await agent.run(task="hi")
    durations = metric_points(metric_reader, "gen_ai.client.operation.duration")
    assert [labels(p).get("error.type") for p in durations] == ["RateLimitError"]
    runs = metric_points(metric_reader, "autogen.runs")
    assert [labels(p)["autogen.run.stop_category"] for p in runs] == ["error"]


async def test_label_sets_do_not_grow_with_runs(instrument, metric_reader, llm_server):
    server = llm_server({"*": [Reply("ok")]})

    async def one(task: str) -> None:
        team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server))],
                                   termination_condition=MaxMessageTermination(2))
        await team.run(task=task)

    def label_sets() -> set:
        data = metric_reader.get_metrics_data()
        return {(m.name, tuple(sorted(p.attributes.items())))
                for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
                for p in m.data.data_points}

    await one("first task")
    after_one = label_sets()
    for i in range(5):
        await one(f"another task {i} with different words")
    assert label_sets() == after_one
    for _, attrs in after_one:
        for _key, value in attrs:
            assert "task" not in str(value)


async def test_run_health_metrics(instrument, metric_reader, llm_server):
    server = llm_server({"*": [Reply("ok")]})
    team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server)),
                                AssistantAgent("b", model_client=openai_client(server))],
                               termination_condition=MaxMessageTermination(5))
    await team.run(task="go")
    turns = metric_points(metric_reader, "autogen.run.turns")
    assert [(p.count, p.sum) for p in turns] == [(1, 4)]
    messages = metric_points(metric_reader, "autogen.run.messages")
    assert [p.sum for p in messages] == [5]
    runs = metric_points(metric_reader, "autogen.runs")
    assert [(labels(p)["autogen.run.stop_category"], p.value) for p in runs] == [("max_messages", 1)]
    active = metric_points(metric_reader, "autogen.run.active")
    assert [p.value for p in active] == [0]
    # The plural name is deprecated (an UpDownCounter's name is singular) and still emitted, alike.
    assert [p.value for p in metric_points(metric_reader, "autogen.runs.active")] == [0]


async def test_a_stalled_run_is_visible_while_it_runs(instrument, metric_reader, llm_server):
    import threading

    waiting, release = threading.Event(), threading.Event()
    calls = []

    def model(request):  # the second model call hangs until the test has looked at the gauges
        calls.append(request)
        if len(calls) == 2:
            waiting.set()
            release.wait(60)
            return Reply("finally", model="gpt-4o")
        return Reply("ok", model="gpt-4o")

    server = llm_server(model)
    team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server, model="gpt-4o"))],
                               termination_condition=MaxMessageTermination(3), max_turns=4)
    run = asyncio.create_task(team.run(task="go"))
    try:
        assert await asyncio.to_thread(waiting.wait, 60), "the run reached its second model call"
        await asyncio.sleep(0.5)  # a lower bound on the idle time, whatever the machine's speed
        idle = metric_points(metric_reader, "autogen.run.last_model_call_age")
        active = metric_points(metric_reader, "autogen.run.active")
        cost = metric_points(metric_reader, "autogen.run.active_cost")
        limit = metric_points(metric_reader, "autogen.run.turn_limit_usage")
    finally:
        release.set()
    await run
    assert [p.value for p in active] == [1]
    assert len(idle) == 1 and idle[0].value >= 0.5
    assert labels(idle[0]) == {"gen_ai.workflow.name": "RoundRobinGroupChat"}
    first_call = server.exchanges[0]
    assert [p.value for p in cost] == [pytest.approx(PriceTable.default().cost(
        "gpt-4o", first_call.prompt_tokens, first_call.completion_tokens))]
    assert [p.value for p in limit] == [2 / 4]  # two turns of max_turns=4 taken (the second is waiting)
    # Once the run has ended the gauges say 0, so alerts on them resolve at once.
    for name in ("autogen.run.last_model_call_age", "autogen.run.active_cost", "autogen.run.turn_limit_usage"):
        assert [p.value for p in metric_points(metric_reader, name)] == [0], name


async def test_loop_detection_repeated_message(instrument, spans, metric_reader, llm_server):
    instrument(loop_threshold=3)
    server = llm_server({"*": [Reply("I will check again.")]})
    team = RoundRobinGroupChat([AssistantAgent("looper", model_client=openai_client(server))],
                               termination_condition=MaxMessageTermination(6))
    await team.run(task="go")
    loops = metric_points(metric_reader, "autogen.loop.detections")
    assert [(labels(p)["autogen.loop.kind"], labels(p)["gen_ai.agent.name"], p.value) for p in loops] == [
        ("message", "looper", 1)]
    workflow = by_name(spans.get_finished_spans(), "invoke_workflow")[0]
    event = next(e for e in workflow.events if e.name == "autogen.loop_detected")
    assert event.attributes["autogen.loop.repeats"] == 3


async def test_no_loop_when_messages_differ(instrument, metric_reader, llm_server):
    server = llm_server({"*": [Reply("one"), Reply("two"), Reply("three"), Reply("four"), Reply("five")]})
    team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server))],
                               termination_condition=MaxMessageTermination(6))
    await team.run(task="go")
    assert metric_points(metric_reader, "autogen.loop.detections") == []


async def test_loop_detection_repeated_tool_call(instrument, metric_reader, llm_server):
    server = llm_server({"You are the planner": [Reply(tool_calls=[("get_weather", {"city": "Rome"})]),
                                                 Reply("checked")] * 5,
                         "You are the critic": [Reply("again")]})
    await weather_team(server, max_messages=12).run(task="loop")
    loops = metric_points(metric_reader, "autogen.loop.detections")
    tool_loops = [p for p in loops if labels(p)["autogen.loop.kind"] == "tool"]
    assert [(labels(p)["gen_ai.tool.name"], p.value) for p in tool_loops] == [("get_weather", 1)]


async def test_budget_termination_stops_a_runaway_team(instrument, spans, metric_reader, llm_server):
    server = llm_server({"*": [Reply("let us keep talking about this at length " * 3)]})
    team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server)),
                                AssistantAgent("b", model_client=openai_client(server))],
                               termination_condition=BudgetTermination(max_cost_usd=0.0002)
                               | MaxMessageTermination(100))
    result = await team.run(task="talk")
    assert "Cost budget" in result.stop_reason
    assert len(result.messages) < 100
    workflow = by_name(spans.get_finished_spans(), "invoke_workflow")[0]
    cost = workflow.attributes["autogen.cost.usd"]
    assert cost >= 0.0002
    last_call = PriceTable.default().cost("gpt-4o-mini", server.exchanges[-1].prompt_tokens,
                                          server.exchanges[-1].completion_tokens)
    assert cost - last_call < 0.0002, "stopped right after crossing the budget"
    runs = metric_points(metric_reader, "autogen.runs")
    assert [labels(p)["autogen.run.stop_category"] for p in runs] == ["budget"]


async def test_token_budget_without_the_instrumentor(llm_server):
    server = llm_server({"*": [Reply("word " * 20)]})
    team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server))],
                               termination_condition=BudgetTermination(max_tokens=100) | MaxMessageTermination(50))
    result = await team.run(task="talk")
    assert "Token budget of 100" in result.stop_reason
    used = sum(e.prompt_tokens + e.completion_tokens for e in server.exchanges)
    assert used >= 100


async def test_measurements_carry_their_span_as_exemplar(instrument, spans, metric_reader, llm_server):
    server = llm_server(WEATHER_SCRIPT)
    await weather_team(server).run(task=TASK)
    # One collection: the SDK hands each exemplar out once.
    collected = {m.name: m.data.data_points for rm in metric_reader.get_metrics_data().resource_metrics
                 for sm in rm.scope_metrics for m in sm.metrics}
    chats = by_name(ours(spans.get_finished_spans()), "chat ")
    exemplars = [e for p in collected["gen_ai.client.operation.duration"] for e in p.exemplars]
    assert exemplars, "no exemplar recorded"
    assert {(e.trace_id, e.span_id) for e in exemplars} <= {(s.context.trace_id, s.context.span_id) for s in chats}
    workflow = by_name(ours(spans.get_finished_spans()), "invoke_workflow")[0]
    runs = [e for p in collected["gen_ai.invoke_workflow.duration"] for e in p.exemplars]
    assert [(e.trace_id, e.span_id) for e in runs] == [(workflow.context.trace_id, workflow.context.span_id)]
