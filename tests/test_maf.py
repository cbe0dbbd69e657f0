"""Microsoft Agent Framework: real agents, chat clients, tools and workflows through the real
OpenAI clients over HTTP, traced and measured like the other families."""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest
from agent_framework.orchestrations import GroupChatBuilder
from autogen_otel import AgentFrameworkBudget
from autogen_otel.core.pricing import PriceTable
from autogen_otel.demo.llm_server import Reply
from helpers import by_name, metric_points, ours, parent_of, traces, tree
from maf_apps import (
    RESEARCH_SCRIPT,
    TASK,
    editorial_group,
    ping_pong,
    research_pipeline,
    researcher,
    reviewer,
    shout_workflow,
    weather_forecast,
)
from opentelemetry.trace import SpanKind, StatusCode

PRICES = PriceTable.default()
# Orchestration builders name their workflows from agent-framework-orchestrations 1.1 on; before,
# an unnamed workflow is "WorkflowBuilder-<uuid>" and its label drops the uuid.
NAMED = "name" in inspect.signature(GroupChatBuilder.__init__).parameters
SEQUENTIAL = "Sequential" if NAMED else "WorkflowBuilder"
GROUP = "GroupChat" if NAMED else "WorkflowBuilder"
CONTENT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
                "gen_ai.tool.call.arguments", "gen_ai.tool.call.result")


def _no_content(spans):
    for span in spans:
        assert not any(k in span.attributes for k in CONTENT_KEYS), span.name
        for event in span.events:
            assert not any(k in (event.attributes or {}) for k in CONTENT_KEYS), span.name


def _check_chats(chats, exchanges):
    """Each chat span carries exactly what the server answered, priced with our table."""
    total_in = total_out = 0
    cost = 0.0
    for chat, exchange in zip(sorted(chats, key=lambda s: s.start_time), exchanges, strict=True):
        a = chat.attributes
        assert chat.kind == SpanKind.CLIENT
        assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.provider.name"] == "openai"
        assert a["gen_ai.request.model"] == "gpt-4o-mini" and a["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
        assert a["gen_ai.response.id"] == exchange.response_id
        assert a["gen_ai.usage.input_tokens"] == exchange.prompt_tokens
        assert a["gen_ai.usage.output_tokens"] == exchange.completion_tokens
        assert a["server.address"] == "127.0.0.1" and isinstance(a["server.port"], int)
        expected = PRICES.cost("gpt-4o-mini", exchange.prompt_tokens, exchange.completion_tokens)
        assert a["autogen.cost.usd"] == pytest.approx(expected)
        total_in += exchange.prompt_tokens
        total_out += exchange.completion_tokens
        cost += expected
    return total_in, total_out, cost


@pytest.mark.parametrize("responses", [False, True], ids=["chat-completions", "responses-api"])
async def test_lone_agent_run_is_one_trace_with_cost_and_no_native_spans(instrument_maf, spans, llm_server,
                                                                         responses):
    server = llm_server(RESEARCH_SCRIPT)
    result = await researcher(server, responses=responses).run(TASK)
    assert result.text == "Paris has 2100000 people."

    everything = spans.get_finished_spans()
    assert ours(everything) == list(everything), "Agent Framework's own spans are off while we instrument"
    assert len(traces(everything)) == 1
    assert tree(everything) == [
        "invoke_agent researcher",
        "  chat gpt-4o-mini",
        "  execute_tool city_population",
        "  chat gpt-4o-mini",
    ]
    agent = by_name(everything, "invoke_agent")[0]
    a = agent.attributes
    assert agent.parent is None and agent.kind == SpanKind.INTERNAL
    assert a["gen_ai.agent.name"] == "researcher" and a["gen_ai.agent.description"] == "Finds facts"
    assert a["gen_ai.conversation.id"]
    assert a["autogen.run.stop_category"] == "completed" and a["autogen.run.turns"] == 1
    assert a["autogen.run.model_calls"] == len(server.exchanges) == 2
    total_in, total_out, cost = _check_chats(by_name(everything, "chat "), server.exchanges)
    # Counted once: the agent sums its model calls, it does not repeat them.
    assert a["gen_ai.usage.input_tokens"] == total_in and a["gen_ai.usage.output_tokens"] == total_out
    assert a["autogen.cost.usd"] == pytest.approx(cost)
    tool = by_name(everything, "execute_tool")[0]
    assert tool.attributes["gen_ai.tool.name"] == "city_population"
    assert tool.attributes["gen_ai.tool.type"] == "function"
    assert tool.attributes["gen_ai.tool.description"] == "Population of a city, from the census."
    assert tool.attributes["gen_ai.tool.call.id"].startswith("call_")
    assert parent_of(tool, everything) is agent
    _no_content(everything)


@pytest.mark.parametrize("responses", [False, True], ids=["chat-completions", "responses-api"])
async def test_streaming_agent_counts_streamed_tokens(instrument_maf, spans, llm_server, responses):
    server = llm_server(RESEARCH_SCRIPT)
    agent = researcher(server, responses=responses)
    updates = [u async for u in agent.run(TASK, stream=True)]
    assert "".join(u.text or "" for u in updates) == "Paris has 2100000 people."
    assert all(e.streamed for e in server.exchanges)

    finished = spans.get_finished_spans()
    assert tree(finished) == ["invoke_agent researcher", "  chat gpt-4o-mini", "  execute_tool city_population",
                              "  chat gpt-4o-mini"]
    chats = by_name(finished, "chat ")
    total_in, total_out, _ = _check_chats(chats, server.exchanges)
    assert total_in > 0 and total_out > 0
    assert all(c.attributes["autogen.stream"] is True for c in chats)
    assert all(c.attributes["gen_ai.response.time_to_first_chunk"] > 0 for c in chats)
    root = by_name(finished, "invoke_agent")[0]
    assert root.attributes["autogen.stream"] is True
    assert root.attributes["gen_ai.usage.input_tokens"] == total_in


async def test_sequential_workflow_is_one_trace_rooted_at_invoke_workflow(instrument_maf, spans, metric_reader,
                                                                         llm_server):
    server = llm_server(RESEARCH_SCRIPT)
    workflow = research_pipeline(server)
    result = await workflow.run(TASK)
    assert result.get_outputs()

    finished = spans.get_finished_spans()
    assert len(traces(finished)) == 1, "no workflow.build trace, no split"
    assert tree(finished) == [
        f"invoke_workflow {SEQUENTIAL}",
        "  invoke_agent researcher",
        "    chat gpt-4o-mini",
        "    execute_tool city_population",
        "    chat gpt-4o-mini",
        "  invoke_agent reviewer",
        "    chat gpt-4o-mini",
    ]
    root = by_name(finished, "invoke_workflow")[0]
    a = root.attributes
    assert a["gen_ai.workflow.name"] == SEQUENTIAL and a["gen_ai.operation.name"] == "invoke_workflow"
    assert list(a["autogen.team.participants"]) == ["researcher", "reviewer"]
    assert a["autogen.run.turns"] == 2 and a["autogen.run.model_calls"] == 3
    assert a["autogen.run.stop_category"] == "completed"
    total_in, _total_out, cost = _check_chats(by_name(finished, "chat "), server.exchanges)
    assert a["gen_ai.usage.input_tokens"] == total_in and a["autogen.cost.usd"] == pytest.approx(cost)

    # The same metrics and labels as the other families: the dashboards and alerts need no change.
    runs = metric_points(metric_reader, "autogen.runs")
    assert [(dict(p.attributes), p.value) for p in runs] == [
        ({"gen_ai.workflow.name": SEQUENTIAL, "autogen.run.stop_category": "completed"}, 1)]
    tokens = metric_points(metric_reader, "gen_ai.client.token.usage")
    by_agent = {(p.attributes["gen_ai.agent.name"], p.attributes["gen_ai.token.type"]): p.sum for p in tokens}
    assert by_agent[("researcher", "input")] == sum(e.prompt_tokens for e in server.exchanges[:2])
    assert by_agent[("reviewer", "output")] == server.exchanges[2].completion_tokens
    assert all(p.attributes["gen_ai.workflow.name"] == SEQUENTIAL for p in tokens)
    cost_points = metric_points(metric_reader, "autogen.cost")
    assert sum(p.value for p in cost_points) == pytest.approx(cost)
    assert {p.attributes["gen_ai.workflow.name"] for p in metric_points(metric_reader, "autogen.run.turns")} == {
        SEQUENTIAL}
    active = metric_points(metric_reader, "autogen.run.active")
    assert all(p.value == 0 for p in active)


async def test_streaming_workflow_and_a_function_executor(instrument_maf, spans, llm_server):
    server = llm_server(RESEARCH_SCRIPT)
    events = [e async for e in research_pipeline(server).run(TASK, stream=True)]
    assert any(e.type == "output" for e in events)
    shouted = await shout_workflow().run("hello")
    assert shouted.get_outputs() == ["HELLO!"]

    finished = spans.get_finished_spans()
    assert len(traces(finished)) == 2
    streamed = next(s for s in finished if s.name == f"invoke_workflow {SEQUENTIAL}")
    assert streamed.attributes["autogen.stream"] is True and streamed.attributes["autogen.run.model_calls"] == 3
    shout = by_name(finished, "executor shout")[0]
    assert shout.attributes["autogen.executor.id"] == "shout"
    assert parent_of(shout, finished).name == "invoke_workflow shouter"


async def test_limits_map_onto_the_shared_stop_categories(instrument_maf, spans, metric_reader, llm_server):
    server = llm_server({"*": [Reply("Another draft.")]})
    await editorial_group(server, max_rounds=3).run("Write a poem")
    with pytest.raises(Exception) as raised:
        await ping_pong(max_iterations=4).run("hi")
    assert type(raised.value).__name__ == "WorkflowConvergenceException"

    finished = spans.get_finished_spans()
    group = by_name(finished, f"invoke_workflow {GROUP}")[0]
    assert group.attributes["autogen.run.stop_category"] == "max_turns"
    assert group.attributes["autogen.run.stop_reason"] == "Maximum rounds (3) reached"
    assert group.attributes["autogen.run.turns"] == 3
    pingpong = by_name(finished, "invoke_workflow pingpong")[0]
    assert pingpong.attributes["autogen.run.stop_category"] == "max_turns"
    assert pingpong.status.status_code == StatusCode.ERROR
    assert pingpong.attributes["error.type"] == "WorkflowConvergenceException"
    steps = [s.name for s in sorted(by_name(finished, "executor "), key=lambda s: s.start_time)]
    assert len(steps) >= 4 and steps[:4] == ["executor upper", "executor lower"] * 2
    categories = {(p.attributes["gen_ai.workflow.name"], p.attributes["autogen.run.stop_category"])
                  for p in metric_points(metric_reader, "autogen.runs")}
    assert categories == {(GROUP, "max_turns"), ("pingpong", "max_turns")}


async def test_failing_tool_and_failing_model(instrument_maf, spans, llm_server):
    server = llm_server({"researcher": [Reply(tool_calls=[("weather_forecast", {"city": "Paris"})]),
                                        Reply("The forecast is unavailable.")],
                         "reviewer": [Reply(status=500)]})
    result = await researcher(server, tools=[weather_forecast]).run("Weather in Paris?")
    assert result.text == "The forecast is unavailable."
    with pytest.raises(Exception) as raised:
        await reviewer(server).run("Review this.")

    finished = spans.get_finished_spans()
    tool = by_name(finished, "execute_tool weather_forecast")[0]
    assert tool.status.status_code == StatusCode.ERROR and tool.attributes["error.type"] == "ConnectionError"
    agent_ok = next(s for s in finished if s.name == "invoke_agent researcher")
    assert agent_ok.attributes["autogen.run.stop_category"] == "completed"
    failed = next(s for s in finished if s.name == "invoke_agent reviewer")
    chat = next(s for s in finished if s.name.startswith("chat") and parent_of(s, finished) is failed)
    assert chat.status.status_code == StatusCode.ERROR and failed.status.status_code == StatusCode.ERROR
    assert chat.attributes["error.type"] == failed.attributes["error.type"] == type(raised.value).__name__
    assert failed.attributes["autogen.run.stop_category"] == "error"


async def test_app_results_are_identical_with_and_without_the_instrumentor(instrument_maf, llm_server):
    async def run_all() -> list[str]:
        server = llm_server(RESEARCH_SCRIPT)
        lone = await researcher(server).run(TASK)
        flow = await research_pipeline(server).run(TASK)
        streamed = [u.text async for u in reviewer(server).run("Review", stream=True)]
        return [lone.text, json.dumps(lone.usage_details, sort_keys=True),
                *[m.text for o in flow.get_outputs() for m in o.messages], "".join(t or "" for t in streamed)]

    traced = await run_all()
    instrument_maf().uninstrument()
    plain = await run_all()
    assert traced == plain


async def test_content_capture_is_opt_in_and_scrubbed(instrument_maf, spans, llm_server):
    instrument_maf(capture_content=True)
    server = llm_server(RESEARCH_SCRIPT)
    await researcher(server).run(TASK + " My key is sk-proj-abcdefghijklmnopqrstuvwxyz123456.")
    finished = spans.get_finished_spans()
    chat = sorted(by_name(finished, "chat "), key=lambda s: s.start_time)[0]
    inputs = json.loads(chat.attributes["gen_ai.input.messages"])
    assert inputs[-1]["role"] == "user" and "Paris" in inputs[-1]["parts"][0]["content"]
    assert "sk-proj-abcdefghijklmnopqrstuvwxyz123456" not in chat.attributes["gen_ai.input.messages"]
    assert json.loads(chat.attributes["gen_ai.system_instructions"])[0]["content"] == "You are the researcher."
    outputs = json.loads(chat.attributes["gen_ai.output.messages"])
    assert outputs[0]["parts"][0]["type"] == "tool_call" and outputs[0]["parts"][0]["name"] == "city_population"
    tool = by_name(finished, "execute_tool")[0]
    assert json.loads(tool.attributes["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert "2100000" in tool.attributes["gen_ai.tool.call.result"]


async def test_budget_stops_a_workflow_before_the_next_model_call(instrument_maf, spans, metric_reader, llm_server):
    server = llm_server({"*": [Reply("A long answer with many words that costs many output tokens each time.")]})
    budget = AgentFrameworkBudget(max_tokens=30)
    agents = [reviewer(server, middleware=[budget]) for _ in range(3)]
    for i, agent in enumerate(agents):
        agent.name = f"step{i}"
    from agent_framework.orchestrations import SequentialBuilder

    result = await SequentialBuilder(participants=agents).build().run("Go")
    assert len(server.exchanges) == 2, "the third agent's call is never made"
    assert budget.stopped_reason is not None and "Token budget of 30" in budget.stopped_reason
    assert budget.stopped_reason in result.get_outputs()[-1].messages[-1].text

    root = by_name(spans.get_finished_spans(), "invoke_workflow")[0]
    assert root.attributes["autogen.run.stop_category"] == "budget"
    assert root.attributes["autogen.run.model_calls"] == 2
    runs = metric_points(metric_reader, "autogen.runs")
    assert [p.attributes["autogen.run.stop_category"] for p in runs] == ["budget"]


async def test_budget_without_the_instrumentor_counts_its_own_calls(llm_server):
    server = llm_server({"*": [Reply("A long answer with many words that costs many output tokens each time.")]})
    budget = AgentFrameworkBudget(max_tokens=30)
    agent = reviewer(server, middleware=[budget])
    await agent.run("First")  # 18 tokens
    await agent.run("Second")  # 36: over, but only known after the call
    third = await agent.run("Third")
    assert len(server.exchanges) == 2 and "Token budget of 30 reached: 36 tokens used" in third.text
    streamed = [u.text async for u in agent.run("Fourth", stream=True)]
    assert len(server.exchanges) == 2 and "Token budget" in "".join(t or "" for t in streamed)


def _stateless_research(request):
    """Each conversation on its own: a tool call first, the answer once the tool result is in."""
    messages = request.get("messages") or []
    system = str(messages[0].get("content")) if messages else ""
    if "reviewer" in system:
        return Reply("Approved.")
    if messages and messages[-1].get("role") == "tool":
        return Reply("Paris has 2100000 people.")
    return Reply(tool_calls=[("city_population", {"city": "Paris"})])


async def test_concurrent_runs_each_get_their_own_trace(instrument_maf, spans, llm_server):
    server = llm_server(_stateless_research)
    await asyncio.gather(*(researcher(server).run(TASK) for _ in range(6)),
                         *(research_pipeline(server).run(TASK) for _ in range(3)))
    grouped = traces(spans.get_finished_spans())
    assert len(grouped) == 9
    for members in grouped.values():
        roots = [s for s in members if s.parent is None]
        assert len(roots) == 1
        expected = 4 if roots[0].name.startswith("invoke_agent") else 7
        assert len(members) == expected


async def test_uninstrument_restores_everything_and_native_telemetry(instrument_maf, spans, llm_server):
    from agent_framework import BaseChatClient, FunctionTool, Workflow
    from agent_framework.observability import OBSERVABILITY_SETTINGS
    from autogen_otel import AgentFrameworkInstrumentor

    assert OBSERVABILITY_SETTINGS.enable_instrumentation is False
    assert hasattr(BaseChatClient.__dict__["get_response"], "__wrapped__")
    AgentFrameworkInstrumentor().uninstrument()
    assert OBSERVABILITY_SETTINGS.enable_instrumentation is True
    for owner, name in ((BaseChatClient, "get_response"), (FunctionTool, "invoke"),
                        (Workflow, "_run_workflow_with_tracing")):
        assert not hasattr(owner.__dict__[name], "__wrapped__"), name
    server = llm_server(RESEARCH_SCRIPT)
    await researcher(server).run(TASK)
    assert not ours(spans.get_finished_spans())
    assert {s.instrumentation_scope.name for s in spans.get_finished_spans()} == {"agent_framework"}


async def test_an_internal_error_never_reaches_the_app(instrument_maf, spans, llm_server, monkeypatch, caplog):
    from autogen_otel.core.hooks import ChatSpanHooks

    def broken(*args, **kwargs):
        raise RuntimeError("bug in autogen-otel")

    monkeypatch.setattr(ChatSpanHooks, "record_response", broken)
    server = llm_server(RESEARCH_SCRIPT)
    result = await researcher(server).run(TASK)
    assert result.text == "Paris has 2100000 people."
    assert "internal error in agent framework model call" in caplog.text
    assert spans.get_finished_spans(), "the rest of the trace is still there"


async def test_cancelled_stream_ends_every_span(instrument_maf, spans, llm_server):
    server = llm_server({"*": [Reply("word " * 40, chunk_delay=0.02)]})
    agent = reviewer(server)

    async def consume() -> None:
        async for _ in agent.run("Go", stream=True):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    finished = spans.get_finished_spans()
    root = by_name(finished, "invoke_agent reviewer")[0]
    assert root.attributes["autogen.run.stop_category"] == "cancelled"
    assert len(by_name(finished, "chat ")) == 1
    from autogen_otel import AgentFrameworkInstrumentor

    assert AgentFrameworkInstrumentor().telemetry.registry.open_scopes() == 0


async def test_request_info_ends_the_run_awaiting_input_and_the_answer_continues_it(instrument_maf, spans,
                                                                                    metric_reader):
    from maf_approval import approval_workflow

    workflow = approval_workflow()
    first = await workflow.run("release notes")
    requests = first.get_request_info_events()
    assert len(requests) == 1 and not first.get_outputs()
    second = await workflow.run(responses={requests[0].request_id: "yes"})
    assert second.get_outputs() == ["published"]

    roots = sorted((s for s in spans.get_finished_spans() if s.parent is None), key=lambda s: s.start_time)
    assert [r.name for r in roots] == ["invoke_workflow approval"] * 2
    waiting, answered = roots
    assert waiting.attributes["autogen.run.stop_category"] == "awaiting_input"
    assert [e.name for e in waiting.events] == ["autogen.request_info"]
    assert waiting.events[0].attributes["autogen.request.id"] == requests[0].request_id
    assert answered.attributes["autogen.run.stop_category"] == "completed"
    assert answered.attributes["autogen.run.continued"] is True
    assert answered.attributes["gen_ai.conversation.id"] == waiting.attributes["gen_ai.conversation.id"]
    categories = sorted(p.attributes["autogen.run.stop_category"] for p in metric_points(metric_reader, "autogen.runs"))
    assert categories == ["awaiting_input", "completed"]


async def test_three_families_in_one_process_each_get_their_own_trace(instrument, spans, llm_server):
    from ag2_apps import TASK as AG2_TASK
    from ag2_apps import WEATHER_SCRIPT, weather_pair
    from autogen_otel import AG2Instrumentor, AgentFrameworkInstrumentor
    from conftest import _PROVIDER
    from teams import WEATHER_SCRIPT as TEAM_SCRIPT
    from teams import weather_team

    others = [AG2Instrumentor(), AgentFrameworkInstrumentor()]
    for each in others:  # AgentChat's comes from the fixture (one metric reader per provider)
        each.instrument(tracer_provider=_PROVIDER)
    try:
        await researcher(llm_server(RESEARCH_SCRIPT)).run(TASK)
        user, assistant = weather_pair(llm_server(WEATHER_SCRIPT))
        await asyncio.to_thread(user.initiate_chat, assistant, message=AG2_TASK)
        await weather_team(llm_server(TEAM_SCRIPT)).run(task="Plan a trip")
    finally:
        for each in others:
            each.uninstrument()

    grouped = traces(ours(spans.get_finished_spans()))
    assert len(grouped) == 3
    roots = sorted(s.instrumentation_scope.name for members in grouped.values() for s in members if s.parent is None)
    assert roots == ["autogen_otel.ag2", "autogen_otel.agent_framework", "autogen_otel.instrumentor"]
    for members in grouped.values():
        assert len({s.instrumentation_scope.name for s in members}) == 1


async def test_handoff_workflow_and_a_workflow_used_as_an_agent(instrument_maf, spans, llm_server):
    from maf_apps import HANDOFF_SCRIPT, support_handoff

    server = llm_server(HANDOFF_SCRIPT)
    result = await support_handoff(server).run("I want a refund")
    assert result.get_request_info_events(), "the handoff workflow hands back to the user"
    nested = research_pipeline(llm_server(RESEARCH_SCRIPT)).as_agent(name="research_flow")
    answer = await nested.run(TASK)
    assert answer.text

    grouped = traces(spans.get_finished_spans())
    assert len(grouped) == 2
    handoff, as_agent = sorted(grouped.values(), key=lambda members: min(s.start_time for s in members))
    assert tree(handoff) == [f"invoke_workflow {'Handoff' if NAMED else 'WorkflowBuilder'}", "  invoke_agent triage",
                             "    chat gpt-4o-mini", "  invoke_agent billing", "    chat gpt-4o-mini"]
    root = next(s for s in handoff if s.parent is None)
    assert root.attributes["autogen.run.stop_category"] == "awaiting_input"
    events = [e for e in root.events if e.name == "autogen.handoff"]
    assert [(e.attributes["autogen.handoff.source"], e.attributes["autogen.handoff.target"]) for e in events] == [
        ("triage", "billing")]
    assert tree(as_agent)[:3] == ["invoke_agent research_flow", f"  invoke_workflow {SEQUENTIAL}",
                                  "    invoke_agent researcher"]
    nested_root = next(s for s in as_agent if s.parent is None)
    assert nested_root.attributes["autogen.run.model_calls"] == 3


async def test_an_agent_repeating_itself_is_a_loop(instrument_maf, spans, metric_reader, llm_server):
    server = llm_server({"*": [Reply("I will check again.")]})
    agent = reviewer(server)
    session = agent.create_session() if hasattr(agent, "create_session") else agent.get_new_thread()
    for _ in range(3):
        await agent.run("Any news?", session=session)
    conversation = {s.attributes["gen_ai.conversation.id"] for s in spans.get_finished_spans() if s.parent is None}
    assert len(conversation) == 1, "runs of one session are one conversation"
    # Each run is its own trace and run: a loop needs repeats within one run, so none here.
    assert not metric_points(metric_reader, "autogen.loop.detections")

    looping = llm_server({"researcher": [Reply(tool_calls=[("city_population", {"city": "Paris"})])]})
    # The model asks for the same tool call every round until MAF's function-call limit ends the run.
    await asyncio.wait_for(researcher(looping).run(TASK), timeout=60)
    loops = metric_points(metric_reader, "autogen.loop.detections")
    assert [(p.attributes["autogen.loop.kind"], p.attributes["gen_ai.tool.name"]) for p in loops] == [
        ("tool", "city_population")]
