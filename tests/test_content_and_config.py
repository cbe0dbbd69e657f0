"""Content is opt-in, capped and scrubbed of secrets; bad settings are named clearly."""

from __future__ import annotations

import json
import logging

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import TextMessage
from autogen_otel.core.config import ENV_CAPTURE_CONTENT, ConfigError, ContentCapture, load_settings, parse_capture
from autogen_otel.demo.llm_server import Reply
from helpers import by_name, openai_client
from teams import TASK, WEATHER_SCRIPT, weather_team

CONTENT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
                "gen_ai.tool.definitions", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result")


def all_values(spans) -> str:
    parts = []
    for span in spans:
        parts.extend(str(v) for v in span.attributes.values())
        for event in span.events:
            parts.extend(str(v) for v in (event.attributes or {}).values())
    return "\n".join(parts)


async def test_no_content_leaves_the_process_by_default(instrument, spans, llm_server):
    server = llm_server(WEATHER_SCRIPT)
    await weather_team(server).run(task=TASK)
    finished = spans.get_finished_spans()
    text = all_values(finished)
    for secret in ("secret-task-text-7731", "Sunny and 21C", "You are the planner", "Paris"):
        assert secret not in text
    assert not any(key in s.attributes for s in finished for key in CONTENT_KEYS)


async def test_opted_in_content_follows_the_semconv_message_schema(instrument, spans, llm_server):
    instrument(capture_content="SPAN_ONLY")
    server = llm_server(WEATHER_SCRIPT)
    await weather_team(server).run(task=TASK)
    finished = spans.get_finished_spans()
    first_chat = sorted(by_name(finished, "chat"), key=lambda s: s.start_time)[0]
    system = json.loads(first_chat.attributes["gen_ai.system_instructions"])
    assert system[0]["type"] == "text" and "You are the planner" in system[0]["content"]
    inputs = json.loads(first_chat.attributes["gen_ai.input.messages"])
    assert inputs[0]["role"] == "user" and TASK in inputs[0]["parts"][0]["content"]
    outputs = json.loads(first_chat.attributes["gen_ai.output.messages"])
    assert outputs[0]["role"] == "assistant"
    call = outputs[0]["parts"][0]
    assert call["type"] == "tool_call" and call["name"] == "get_weather" and call["arguments"] == {"city": "Paris"}
    tools = json.loads(first_chat.attributes["gen_ai.tool.definitions"])
    assert tools[0]["name"] == "get_weather"

    tool = by_name(finished, "execute_tool")[0]
    assert json.loads(tool.attributes["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert "Sunny and 21C in Paris" in tool.attributes["gen_ai.tool.call.result"]

    second_chat = sorted(by_name(finished, "chat"), key=lambda s: s.start_time)[1]
    follow_up = json.loads(second_chat.attributes["gen_ai.input.messages"])
    roles = [m["role"] for m in follow_up]
    assert "tool" in roles
    response = next(m for m in follow_up if m["role"] == "tool")["parts"][0]
    assert response["type"] == "tool_call_response" and "Sunny" in str(response["response"])
    # The API key given to the client is never recorded.
    assert "sk-test-not-a-real-key" not in all_values(finished)


async def test_event_only_puts_content_on_events_not_attributes(instrument, spans, llm_server):
    instrument(capture_content="EVENT_ONLY")
    server = llm_server({"*": [Reply("hello")]})
    await AssistantAgent("a", model_client=openai_client(server)).run(task="greet me")
    chat = by_name(spans.get_finished_spans(), "chat")[0]
    assert "gen_ai.input.messages" not in chat.attributes
    event = next(e for e in chat.events if e.name == "gen_ai.client.inference.operation.details")
    assert "greet me" in event.attributes["gen_ai.input.messages"]
    assert event.attributes["gen_ai.operation.name"] == "chat"  # required on the event
    others = [s for s in spans.get_finished_spans() if not s.name.startswith("chat")]
    assert others and not [e for s in others for e in s.events if e.name == event.name], \
        "the inference event belongs on model-call spans only"


async def test_content_is_capped_and_secrets_scrubbed(instrument, spans, llm_server):
    instrument(capture_content=True, max_attribute_length=200)
    server = llm_server({"*": [Reply("ok")]})
    task = "my key is sk-abcdefghijklmnopqrstuvwxyz0123 and " + "x" * 5000
    await AssistantAgent("a", model_client=openai_client(server)).run(task=task)
    for span in spans.get_finished_spans():
        for key in CONTENT_KEYS:
            if key in span.attributes:
                value = span.attributes[key]
                assert len(value) <= 200
                assert "sk-abcdefghijklmnopqrstuvwxyz0123" not in value


async def test_message_whose_str_raises_does_not_break_the_run(instrument, spans, llm_server):
    instrument(capture_content=True)

    class Hostile(TextMessage):
        def __str__(self) -> str:
            raise RuntimeError("boom")

        def __repr__(self) -> str:
            raise RuntimeError("boom")

    server = llm_server({"*": [Reply("fine")]})
    agent = AssistantAgent("a", model_client=openai_client(server))
    result = await agent.run(task=Hostile(content="hello", source="user"))
    assert result.messages[-1].content == "fine"
    assert by_name(spans.get_finished_spans(), "invoke_agent a")


@pytest.mark.parametrize("raw,expected", [
    ("true", ContentCapture.SPAN_ONLY), ("False", ContentCapture.NO_CONTENT), ("span_and_event",
                                                                               ContentCapture.SPAN_AND_EVENT),
    ("EVENT_ONLY", ContentCapture.EVENT_ONLY), ("", ContentCapture.NO_CONTENT), (None, ContentCapture.NO_CONTENT),
])
def test_capture_values(raw, expected):
    assert parse_capture(raw) is expected


def test_invalid_env_value_warns_with_the_variable_and_accepted_values(caplog):
    with caplog.at_level(logging.WARNING):
        settings = load_settings({ENV_CAPTURE_CONTENT: "yes-please", "AUTOGEN_OTEL_RUNTIME_SPANS": "all",
                                  "AUTOGEN_OTEL_LOOP_THRESHOLD": "1"})
    assert settings.capture is ContentCapture.NO_CONTENT
    text = caplog.text
    assert "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT='yes-please'" in text
    assert "NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT" in text
    assert "AUTOGEN_OTEL_RUNTIME_SPANS='all'" in text and "suppress, nested" in text
    assert "AUTOGEN_OTEL_LOOP_THRESHOLD='1'" in text and "integer >= 2" in text


def test_invalid_keyword_raises():
    with pytest.raises(ConfigError, match="capture_content"):
        load_settings({}, capture_content="maybe")


def test_an_invalid_environment_value_is_warned_once_not_once_per_instrumentor():
    import subprocess
    import sys

    code = ("import autogen_otel\n"
            "for cls in (autogen_otel.AgentChatInstrumentor, autogen_otel.AG2Instrumentor,\n"
            "            autogen_otel.AgentFrameworkInstrumentor, autogen_otel.MCPInstrumentor):\n"
            "    cls().instrument()\n")
    env = {"PATH": "/usr/bin:/bin", "AUTOGEN_OTEL_LOOP_THRESHOLD": "many"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("AUTOGEN_OTEL_LOOP_THRESHOLD") == 1, done.stderr
