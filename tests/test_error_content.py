"""Error paths carry content too: a tool's exception message names what it was asked about, a
model call's error quotes the request. With content capture off none of it leaves the process --
the spans say the error's type and where it was raised; with capture on, the message (scrubbed)."""

from __future__ import annotations

import json

import pytest
from autogen_otel.demo.llm_server import Reply

SECRET = "SECRETCITY-4411"
KEY = "sk-abcdefghijklmnopqrstuvwx123456"


def leaked(spans, text):
    """Every place a span can carry text: attributes, status, events."""
    dumped = json.dumps([[dict(s.attributes), s.status.description, [(e.name, dict(e.attributes)) for e in s.events]]
                         for s in spans], default=str)
    return text in dumped


def failing_tool(city: str) -> str:
    """A weather tool whose service is down."""
    raise ValueError(f"weather service down for {city} (key {KEY})")


def _tool_script(tool_name: str, system: str, done: str = "Done.") -> dict:
    return {system: [Reply(tool_calls=[(tool_name, {"city": SECRET})]), Reply(done)], "*": [Reply("TERMINATE")]}


def _exception_event(span):
    [event] = [e for e in span.events if e.name == "exception"]
    return event.attributes


async def _agentchat(instrument, server_factory, capture):
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.conditions import MaxMessageTermination
    from autogen_agentchat.teams import RoundRobinGroupChat
    from helpers import openai_client

    instrument(capture_content=capture)
    server = server_factory(_tool_script("failing_tool", "You are the planner"))
    agent = AssistantAgent("planner", model_client=openai_client(server), tools=[failing_tool],
                           system_message="You are the planner.")
    await RoundRobinGroupChat([agent], termination_condition=MaxMessageTermination(3)).run(task="Weather?")


def _ag2(instrument, server_factory, capture):
    from ag2_apps import weather_pair

    instrument(capture_content=capture)
    server = server_factory({"You are the forecaster": [Reply(tool_calls=[("get_weather", {"city": SECRET})]),
                                                         Reply("Sorry. TERMINATE")]})
    user, assistant = weather_pair(server, tool=failing_tool)
    user.initiate_chat(assistant, message="Weather?", silent=True)


async def _maf(instrument, server_factory, capture):
    from agent_framework import Agent, tool
    from maf_apps import chat_client

    instrument(capture_content=capture)
    server = server_factory(_tool_script("failing_tool", "You are the planner"))
    agent = Agent(client=chat_client(server), name="planner", instructions="You are the planner.",
                  tools=[tool(failing_tool)])
    await agent.run("Weather?")


@pytest.fixture(params=["agentchat", "ag2", "maf"])
def family(request):
    fixture = {"agentchat": "instrument", "ag2": "instrument_ag2", "maf": "instrument_maf"}[request.param]
    return request.param, request.getfixturevalue(fixture)


async def _run(family, llm_server, capture):
    name, instrument = family
    if name == "agentchat":
        await _agentchat(instrument, llm_server, capture)
    elif name == "ag2":
        _ag2(instrument, llm_server, capture)
    else:
        await _maf(instrument, llm_server, capture)


async def test_a_failing_tool_leaks_nothing_with_capture_off(family, spans, llm_server):
    await _run(family, llm_server, capture=False)
    finished = list(spans.get_finished_spans())
    [tool] = [s for s in finished if s.name.startswith("execute_tool")]
    assert tool.status.description in ("tool_error", "ValueError"), tool.status.description
    assert tool.attributes["error.type"] in ("tool_error", "ValueError")
    assert not leaked(finished, SECRET) and not leaked(finished, "weather service down")
    assert not leaked(finished, KEY)
    for span in finished:
        for event in span.events:
            if event.name == "exception":
                a = event.attributes
                assert "exception.message" not in a and "exception.escaped" not in a
                assert a["exception.type"] and "failing_tool" in a["exception.stacktrace"]


async def test_a_failing_tool_says_why_with_capture_on_scrubbed(family, spans, llm_server):
    await _run(family, llm_server, capture=True)
    finished = list(spans.get_finished_spans())
    [tool] = [s for s in finished if s.name.startswith("execute_tool")]
    assert f"weather service down for {SECRET}" in tool.status.description
    assert not leaked(finished, KEY), "secrets never leave, opted in or not"


async def test_a_failing_model_call_leaks_nothing_with_capture_off(instrument_maf, spans, llm_server):
    from agent_framework import Agent
    from maf_apps import chat_client

    server = llm_server({"*": [Reply(f"prompt about {SECRET} rejected", status=400)]})
    agent = Agent(client=chat_client(server), name="planner", instructions="You are the planner.")
    with pytest.raises(Exception):  # noqa: B017 - the OpenAI SDK's error, whatever its class
        await agent.run("Weather?")
    finished = list(spans.get_finished_spans())
    [chat] = [s for s in finished if s.name.startswith("chat")]
    assert chat.attributes["error.type"] and chat.status.description == chat.attributes["error.type"]
    assert _exception_event(chat)["exception.type"]
    assert not leaked(finished, SECRET)
