"""One team run = one trace, with semconv spans, names, kinds and attributes."""

from __future__ import annotations

import asyncio

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat, SelectorGroupChat
from autogen_otel.demo.llm_server import Reply
from helpers import by_name, openai_client, ours, parent_of, traces, tree
from opentelemetry.trace import SpanKind, StatusCode
from teams import TASK, WEATHER_SCRIPT, weather_team


async def test_round_robin_team_is_one_trace_with_semconv_spans(instrument, spans, llm_server):
    server = llm_server(WEATHER_SCRIPT)
    result = await weather_team(server).run(task=TASK)
    assert "TERMINATE" in str(result.messages[-1].content)

    finished = spans.get_finished_spans()
    assert len(traces(finished)) == 1, tree(finished)
    assert tree(finished) == [
        "invoke_workflow RoundRobinGroupChat",
        "  invoke_agent planner",
        "    chat gpt-4o-mini",
        "    execute_tool get_weather",
        "    chat gpt-4o-mini",
        "  invoke_agent critic",
        "    chat gpt-4o-mini",
    ]
    assert ours(finished) == list(finished), "AutoGen's own spans must not be duplicated"

    workflow = by_name(finished, "invoke_workflow")[0]
    assert workflow.kind is SpanKind.INTERNAL and workflow.parent is None
    wa = workflow.attributes
    assert wa["gen_ai.operation.name"] == "invoke_workflow"
    assert wa["gen_ai.workflow.name"] == "RoundRobinGroupChat"
    assert len(wa["gen_ai.conversation.id"]) == 32
    assert list(wa["autogen.team.participants"]) == ["planner", "critic"]
    assert wa["autogen.run.stop_category"] == "text_mention"
    assert wa["autogen.run.stop_reason"] == result.stop_reason
    assert wa["autogen.run.messages"] == len(result.messages)
    assert wa["autogen.run.turns"] == 2
    assert wa["autogen.run.model_calls"] == len(server.exchanges) == 3

    planner = by_name(finished, "invoke_agent planner")[0]
    assert planner.kind is SpanKind.INTERNAL
    assert planner.attributes["gen_ai.agent.name"] == "planner"
    assert planner.attributes["gen_ai.agent.description"] == "Plans and calls tools"
    assert planner.attributes["gen_ai.agent.id"] == "AssistantAgent:planner"

    chats = by_name(finished, "chat ")
    assert len(chats) == len(server.exchanges) == 3
    for chat, exchange in zip(sorted(chats, key=lambda s: s.start_time), server.exchanges, strict=True):
        a = chat.attributes
        assert chat.kind is SpanKind.CLIENT
        assert a["gen_ai.provider.name"] == "openai"
        assert a["gen_ai.request.model"] == "gpt-4o-mini"
        assert a["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"  # the dated name, as OpenAI answers
        assert a["gen_ai.response.id"] == exchange.response_id
        assert a["gen_ai.usage.input_tokens"] == exchange.prompt_tokens
        assert a["gen_ai.usage.output_tokens"] == exchange.completion_tokens
        assert a["server.address"] == "127.0.0.1"
        assert a["server.port"] == int(server.base_url.split(":")[2].split("/")[0])
    first = sorted(chats, key=lambda s: s.start_time)[0]
    assert list(first.attributes["gen_ai.response.finish_reasons"]) == ["tool_calls"]

    tool = by_name(finished, "execute_tool")[0]
    assert tool.attributes["gen_ai.tool.name"] == "get_weather"
    assert tool.attributes["gen_ai.tool.type"] == "function"
    assert tool.attributes["gen_ai.tool.description"] == "Current weather for a city."
    assert parent_of(tool, finished) is planner

    total_in = sum(e.prompt_tokens for e in server.exchanges)
    total_out = sum(e.completion_tokens for e in server.exchanges)
    assert wa["gen_ai.usage.input_tokens"] == total_in
    assert wa["gen_ai.usage.output_tokens"] == total_out
    planner_in = sum(e.prompt_tokens for e in server.exchanges[:2])
    assert planner.attributes["gen_ai.usage.input_tokens"] == planner_in


async def test_tool_call_id_matches_model_request(instrument, spans, llm_server):
    import autogen_agentchat

    if autogen_agentchat.__version__.startswith("0.4."):
        pytest.skip("AutoGen 0.4 does not pass the call id to tools")
    server = llm_server(WEATHER_SCRIPT)
    await weather_team(server).run(task=TASK)
    tool = by_name(spans.get_finished_spans(), "execute_tool")[0]
    follow_up = server.exchanges[1].request["messages"]
    call_ids = [m["tool_call_id"] for m in follow_up if m.get("role") == "tool"]
    assert tool.attributes["gen_ai.tool.call.id"] == call_ids[0]


async def test_streaming_call_counts_tokens_and_time_to_first_chunk(instrument, spans, llm_server):
    server = llm_server(WEATHER_SCRIPT)
    await weather_team(server, stream_critic=True).run(task=TASK)
    critic_chat = [s for s in by_name(spans.get_finished_spans(), "chat") if s.attributes["autogen.stream"]]
    assert len(critic_chat) == 1
    exchange = server.exchanges[-1]
    assert exchange.streamed
    a = critic_chat[0].attributes
    assert a["gen_ai.usage.input_tokens"] == exchange.prompt_tokens > 0
    assert a["gen_ai.usage.output_tokens"] == exchange.completion_tokens > 0
    assert 0 < a["gen_ai.response.time_to_first_chunk"] < (critic_chat[0].end_time - critic_chat[0].start_time) / 1e9
    assert a["gen_ai.response.id"] == exchange.response_id


async def test_selector_speaker_selection_is_a_chat_span_under_the_workflow(instrument, spans, llm_server):
    server = llm_server({
        "role play game": [Reply("writer"), Reply("reviewer")],
        "You write": [Reply("Draft: hello world")],
        "You review": [Reply("Approved")],
    })
    writer = AssistantAgent("writer", model_client=openai_client(server), system_message="You write.")
    reviewer = AssistantAgent("reviewer", model_client=openai_client(server), system_message="You review.")
    team = SelectorGroupChat([writer, reviewer], model_client=openai_client(server),
                             termination_condition=MaxMessageTermination(3))
    await team.run(task="Write a greeting")
    finished = spans.get_finished_spans()
    assert len(traces(finished)) == 1
    workflow = by_name(finished, "invoke_workflow SelectorGroupChat")[0]
    selection = [s for s in by_name(finished, "chat") if parent_of(s, finished) is workflow]
    selector_calls = [e for e in server.exchanges if "role play game" in str(e.request["messages"][0]["content"])]
    assert len(selection) == len(selector_calls) >= 1
    assert {s.attributes["gen_ai.response.id"] for s in selection} == {e.response_id for e in selector_calls}
    assert [s.name for s in by_name(finished, "invoke_agent")] == ["invoke_agent writer", "invoke_agent reviewer"]


async def test_concurrent_runs_never_share_a_trace(instrument, spans, llm_server):
    runs = 8

    def reply(request):
        # Echo the run marker so each response can be traced back to its run.
        text = " ".join(str(m.get("content")) for m in request["messages"])
        marker = next(w for w in text.split() if w.startswith("run-"))
        return Reply(f"done {marker} TERMINATE", delay=0.01)

    server = llm_server(reply)

    async def one(i: int):
        team = RoundRobinGroupChat([AssistantAgent(f"agent{i}", model_client=openai_client(server))],
                                   termination_condition=MaxMessageTermination(2))
        return await team.run(task=f"task run-{i}")

    await asyncio.gather(*(one(i) for i in range(runs)))
    finished = spans.get_finished_spans()
    grouped = traces(finished)
    assert len(grouped) == runs
    for trace_spans in grouped.values():
        roots = [s for s in trace_spans if s.parent is None]
        assert [r.name for r in roots] == ["invoke_workflow RoundRobinGroupChat"]
        agents = {s.attributes["gen_ai.agent.name"] for s in by_name(trace_spans, "invoke_agent")}
        assert len(agents) == 1
        (agent,) = agents
        chat = by_name(trace_spans, "chat")[0]
        exchange = next(e for e in server.exchanges if e.response_id == chat.attributes["gen_ai.response.id"])
        assert f"run-{agent.removeprefix('agent')}" in exchange.reply.text


async def test_direct_agent_run_is_rooted_at_invoke_agent(instrument, spans, llm_server):
    server = llm_server({"*": [Reply("Hello there")]})
    agent = AssistantAgent("solo", model_client=openai_client(server))
    await agent.run(task="hi")
    finished = spans.get_finished_spans()
    assert tree(finished) == ["invoke_agent solo", "  chat gpt-4o-mini"]
    root = by_name(finished, "invoke_agent")[0]
    assert root.attributes["gen_ai.usage.input_tokens"] == server.exchanges[0].prompt_tokens
    assert root.status.status_code is StatusCode.UNSET
