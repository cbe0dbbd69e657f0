"""Errors, cancellation and abandoned streams end every span with the right status."""

from __future__ import annotations

import asyncio
import gc

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core import CancellationToken
from autogen_otel.demo.llm_server import Reply
from helpers import by_name, openai_client, traces
from opentelemetry.trace import StatusCode
from teams import TASK, broken_tool, weather_team


def open_scopes(instrumentor) -> int:
    return instrumentor.telemetry.registry.open_scopes()


async def test_model_error_marks_chat_agent_and_workflow(instrument, spans, llm_server):
    server = llm_server({"*": [Reply(status=500)]})
    team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server, max_retries=0))],
                               termination_condition=MaxMessageTermination(3))
    with pytest.raises(Exception) as raised:
        await team.run(task="hi")
    finished = spans.get_finished_spans()
    chat = by_name(finished, "chat")[0]
    assert chat.status.status_code is StatusCode.ERROR
    assert chat.attributes["error.type"] == "InternalServerError"
    assert any(e.name == "exception" for e in chat.events)
    agent = by_name(finished, "invoke_agent")[0]
    assert agent.status.status_code is StatusCode.ERROR
    workflow = by_name(finished, "invoke_workflow")[0]
    assert workflow.status.status_code is StatusCode.ERROR
    assert workflow.attributes["error.type"] == type(raised.value).__name__
    assert workflow.attributes["autogen.run.stop_category"] == "error"
    assert len(traces(finished)) == 1


async def test_failing_tool_is_an_error_span_and_the_run_goes_on(instrument, spans, llm_server):
    server = llm_server({
        "You are the planner": [Reply(tool_calls=[("broken_tool", {"city": "Oslo"})]), Reply("Could not get it.")],
        "You are the critic": [Reply("TERMINATE")],
    })
    result = await weather_team(server, tools=[broken_tool]).run(task=TASK)
    assert result.stop_reason
    tool = by_name(spans.get_finished_spans(), "execute_tool broken_tool")[0]
    assert tool.status.status_code is StatusCode.ERROR
    assert tool.attributes["error.type"] == "ValueError"
    assert any(e.name == "exception" for e in tool.events)
    workflow = by_name(spans.get_finished_spans(), "invoke_workflow")[0]
    assert workflow.status.status_code is StatusCode.UNSET


async def test_cancellation_token_ends_all_spans(instrument, spans, llm_server):
    server = llm_server({"*": [Reply("slow answer", delay=2.0)]})
    team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server))],
                               termination_condition=MaxMessageTermination(3))
    token = CancellationToken()
    run = asyncio.create_task(team.run(task="hi", cancellation_token=token))
    await asyncio.sleep(0.5)
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    await asyncio.sleep(0.1)
    finished = spans.get_finished_spans()
    workflow = by_name(finished, "invoke_workflow")[0]
    assert workflow.status.status_code is StatusCode.ERROR
    assert workflow.attributes["error.type"] == "CancelledError"
    assert workflow.attributes["autogen.run.stop_category"] == "cancelled"
    chat = by_name(finished, "chat")[0]
    assert chat.attributes["error.type"] == "CancelledError"


async def test_asyncio_cancel_leaves_no_open_span(instrument, spans, llm_server):
    instrumentor = instrument()
    server = llm_server({"*": [Reply("slow answer", delay=2.0)]})
    team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server))],
                               termination_condition=MaxMessageTermination(3))
    run = asyncio.create_task(team.run(task="hi"))
    await asyncio.sleep(0.5)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    for _ in range(20):
        if open_scopes(instrumentor) == 0:
            break
        await asyncio.sleep(0.05)
    assert open_scopes(instrumentor) == 0
    workflow = by_name(spans.get_finished_spans(), "invoke_workflow")[0]
    assert workflow.attributes["autogen.run.stop_category"] == "cancelled"


async def test_break_out_of_run_stream_ends_the_workflow_span(instrument, spans, llm_server):
    instrumentor = instrument()
    server = llm_server({"*": [Reply("one"), Reply("two"), Reply("three")]})
    team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server))],
                               termination_condition=MaxMessageTermination(10))
    stream = team.run_stream(task="count")
    async for message in stream:
        if getattr(message, "source", "") == "a":
            break
    del stream
    gc.collect()
    for _ in range(40):
        if by_name(spans.get_finished_spans(), "invoke_workflow"):
            break
        await asyncio.sleep(0.05)
    workflow = by_name(spans.get_finished_spans(), "invoke_workflow")[0]
    assert workflow.attributes["autogen.stream.abandoned"] is True
    assert workflow.attributes["autogen.run.stop_category"] == "abandoned"
    assert workflow.status.status_code is StatusCode.UNSET
    for _ in range(40):
        if open_scopes(instrumentor) == 0:
            break
        await asyncio.sleep(0.05)
    assert open_scopes(instrumentor) == 0


async def test_explicit_aclose_of_model_stream_ends_chat_span(instrument, spans, llm_server):
    server = llm_server({"*": [Reply("many words in this streamed answer")]})
    client = openai_client(server)
    from autogen_core.models import UserMessage

    stream = client.create_stream([UserMessage(content="hi", source="user")])
    first = await stream.__anext__()
    assert isinstance(first, str)
    await stream.aclose()
    chat = by_name(spans.get_finished_spans(), "chat")[0]
    assert chat.attributes["autogen.stream.abandoned"] is True
    assert chat.attributes["gen_ai.response.time_to_first_chunk"] > 0


def test_wrapped_coroutines_and_streams_carry_the_wrapped_names(instrument):
    """As unwrapped: "coroutine 'AssistantAgent.on_messages' was never awaited", debuggers, task names."""
    from autogen_agentchat.agents import AssistantAgent
    from autogen_core import CancellationToken
    from autogen_ext.models.replay import ReplayChatCompletionClient

    client = ReplayChatCompletionClient(["ok"])
    agent = AssistantAgent("a", model_client=client)
    for method, call in ((AssistantAgent.on_messages, agent.on_messages([], CancellationToken())),
                         (AssistantAgent.on_messages_stream, agent.on_messages_stream([], CancellationToken())),
                         (type(client).create, client.create([]))):
        try:
            assert (call.__name__, call.__qualname__) == (method.__name__, method.__qualname__)
            assert "wrapper" not in call.__qualname__
        finally:
            if hasattr(call, "cr_frame"):
                call.close()  # a coroutine never awaited; an async generator never started needs nothing


async def test_autogen_warnings_keep_the_callers_location(instrument, llm_server):
    """AutoGen warns with ``stacklevel=2`` inside calls we wrap ("Resolved model mismatch" when the
    server names another model than the one AutoGen resolved): the warning still names the app's
    line, so the default once-per-location filter shows one per calling line, as without us."""
    import warnings
    from pathlib import Path

    from autogen_core.models import UserMessage

    server = llm_server({"*": [Reply("hello", model="gpt-4o-mini")]})  # the alias: AutoGen resolved a dated name
    client = openai_client(server)
    messages = [UserMessage(content="hi", source="user")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        await client.create(messages)
        await client.create(messages)
        async for _ in client.create_stream(messages):
            pass
    mismatches = [w for w in caught if "mismatch" in str(w.message)]
    assert [Path(w.filename).name for w in mismatches] == [Path(__file__).name] * len(mismatches)
    assert len({w.lineno for w in mismatches}) == len(mismatches) >= 2
