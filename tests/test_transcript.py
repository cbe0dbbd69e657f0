"""The live transcript in the terminal view: every family's messages and tool calls printed as
their spans end (before the run's waterfall), content only where captured, concurrent runs kept
apart, long messages capped, thinking set apart."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from autogen_otel import AG2Instrumentor, AgentChatInstrumentor, AgentFrameworkInstrumentor, WaterfallExporter
from autogen_otel.demo.llm_server import Reply, ScriptedLLMServer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

SECRET = "the-vault-code-is-4471"
STAMP = re.compile(r"^\d\d:\d\d:\d\d \[[0-9a-f]{8}\] ")


class Terminal(io.StringIO):
    """What the exporter wrote, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.fixture
def terminal() -> Iterator[Any]:
    """``terminal(instrumentor, **settings)``: that family instrumented with a provider printing to
    the returned Terminal."""
    used: list[Any] = []

    def start(instrumentor: Any, transcript: str = "line", **settings: Any) -> Terminal:
        out = Terminal()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(WaterfallExporter(out, transcript=transcript)))
        instrumentor.uninstrument()
        instrumentor.instrument(tracer_provider=provider, **settings)
        used.append(instrumentor)
        return out

    yield start
    for instrumentor in used:
        instrumentor.uninstrument()


async def lookup(city: str) -> str:
    """Facts about a city."""
    seen.append(current.getvalue())  # what the terminal showed while the run was still going
    return f"{city}: population 2.1M"


seen: list[str] = []
current: Terminal = Terminal()


def agentchat_script(text: str = f"Lisbon is large. {SECRET}", guides: int = 1) -> dict[str, Any]:
    script: dict[str, Any] = {f"You are guide {i}.": [Reply(tool_calls=[("lookup", {"city": "Lisbon"})]), Reply(text)]
                              for i in range(guides)}
    script["*"] = [Reply(text)]  # AgentChat 0.4's reflection call carries no system message
    return script


async def run_agentchat(server: ScriptedLLMServer, task: str = "Tell me about Lisbon", guide: int = 0) -> Any:
    from autogen_agentchat.agents import AssistantAgent
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    client = OpenAIChatCompletionClient(model="gpt-4o-mini", base_url=server.base_url, api_key="sk-test")
    agent = AssistantAgent("guide", model_client=client, tools=[lookup], reflect_on_tool_use=True,
                           system_message=f"You are guide {guide}.")
    try:
        return await agent.run(task=task)
    finally:
        await client.close()


def transcript_lines(out: Terminal) -> list[str]:
    """The transcript's lines: the waterfalls' blocks (a header, then the tree up to a blank line) left out."""
    lines, tree = [], False
    for line in out.getvalue().splitlines():
        tree = line.startswith("trace ") or (tree and line != "")
        if not tree and line:
            lines.append(line)
    return lines


async def test_agentchat_conversation_is_printed_as_it_happens_then_the_waterfall(terminal):
    global current
    seen.clear()
    current = terminal(AgentChatInstrumentor(), capture_content=True)
    with ScriptedLLMServer(agentchat_script()) as server:
        await run_agentchat(server)
    text = current.getvalue()
    # Live: while the tool ran, the model's request for it was already on the terminal, no waterfall yet.
    assert "guide: Lisbon is large" not in seen[0]
    assert '→ calls lookup({"city":"Lisbon"})' in seen[0] and "trace " not in seen[0]
    lines = text.splitlines()
    said = next(i for i, line in enumerate(lines) if f"guide: Lisbon is large. {SECRET}" in line)
    tool = next(i for i, line in enumerate(lines) if '⚙ lookup({"city":"Lisbon"}) → Lisbon: population 2.1M' in line)
    waterfall = next(i for i, line in enumerate(lines) if line.startswith("trace "))
    assert tool < said < waterfall
    assert re.search(r"· gpt-4o-mini\S* \d+→\d+ tok \$0\.\d{6}", lines[said])
    assert all(STAMP.match(line) or line.startswith(" " * 18) for line in lines[:waterfall] if line)
    assert "not captured" not in text


async def test_with_capture_off_speakers_tools_and_costs_only_and_how_to_turn_content_on(terminal):
    global current
    seen.clear()
    current = terminal(AgentChatInstrumentor())
    with ScriptedLLMServer(agentchat_script()) as server:
        await run_agentchat(server)
    text = current.getvalue()
    assert SECRET not in text and "Lisbon" not in text  # neither what was said nor the tool's arguments
    assert text.count("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true") == 1
    assert "⚙ lookup" in text and re.search(r"guide · gpt-4o-mini\S* \d+→\d+ tok \$", text)


async def test_concurrent_runs_each_line_names_its_run_and_stays_whole(terminal):
    global current
    seen.clear()
    current = terminal(AgentChatInstrumentor(), capture_content=True)
    with ScriptedLLMServer(agentchat_script(guides=3)) as server:
        await asyncio.gather(*(run_agentchat(server, f"Tell me about Lisbon, run {i}", i) for i in range(3)))
    lines = transcript_lines(current)
    runs = {line[10:18] for line in lines if STAMP.match(line)}
    assert len(runs) == 3
    for run in runs:
        mine = [line for line in lines if line[10:18] == run]
        assert any("⚙ lookup" in line for line in mine) and any("guide: Lisbon is large" in line for line in mine)
    assert all(STAMP.match(line) or line.startswith(" " * 18) for line in lines if line)
    assert all(write.endswith("\n") for write in current.writes)  # whole lines per write: no interleaving


async def test_long_messages_are_one_capped_line_unless_full(terminal):
    global current
    long_text = "word " * 200 + "\nsecond line"
    for mode, capped in (("line", True), ("full", False)):
        current = terminal(AgentChatInstrumentor(), transcript=mode, capture_content=True)
        with ScriptedLLMServer(agentchat_script(long_text)) as server:
            await run_agentchat(server)
        said = [line for line in current.getvalue().splitlines() if "guide: word" in line]
        assert said
        if capped:
            assert len(said[0]) < 260 and "…" in said[0] and "second line" not in current.getvalue()
        else:
            assert "second line" in current.getvalue() and current.getvalue().count("word") >= 200


def test_thinking_and_errors_are_set_apart():
    from opentelemetry.trace import Status, StatusCode

    out = Terminal()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(WaterfallExporter(out, transcript="line", color=True)))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("invoke_agent a", attributes={"gen_ai.operation.name": "invoke_agent"}):
        with tracer.start_as_current_span("chat m", attributes={
                "gen_ai.operation.name": "chat", "gen_ai.agent.name": "planner", "gen_ai.request.model": "o3",
                "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"reasoning","content":"Two '
                                          'options; the second is cheaper."},{"type":"text","content":"Take B."}]}]'}):
            pass
        with tracer.start_as_current_span("execute_tool pay", attributes={
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "pay", "gen_ai.agent.name": "planner",
                "gen_ai.tool.call.arguments": '{"amount":3}', "error.type": "TimeoutError"}) as span:
            span.set_status(Status(StatusCode.ERROR))
    text = out.getvalue()
    assert "\x1b[2m  thinking: Two options; the second is cheaper.\x1b[0m" in text  # dimmed, on its own line
    assert "planner\x1b[0m: Take B." in text
    assert '⚙ pay({"amount":3})' in text and "\x1b[31m✗ TimeoutError\x1b[0m" in text


def test_a_bad_transcript_setting_is_named_and_the_default_used(monkeypatch, caplog):
    monkeypatch.setenv("AUTOGEN_OTEL_TRANSCRIPT", "verbose")
    exporter = WaterfallExporter(io.StringIO())
    assert exporter.transcript.mode == "line"
    assert "AUTOGEN_OTEL_TRANSCRIPT='verbose' is not one of line, full, off" in caplog.text
    with pytest.raises(ValueError, match="accepted line, full, off"):
        WaterfallExporter(io.StringIO(), transcript="loud")


def test_ag2_conversation_is_printed_as_it_happens(terminal):
    from ag2_apps import TASK, WEATHER_SCRIPT, weather_pair

    out = terminal(AG2Instrumentor(), capture_content=True)
    with ScriptedLLMServer(WEATHER_SCRIPT) as server:
        user, assistant = weather_pair(server)
        user.initiate_chat(assistant, message=TASK)
    text = out.getvalue()
    before = text.split("\ntrace ")[0]
    assert '→ calls get_weather({"city":"Paris"})' in before
    assert 'user_proxy ⚙ get_weather({"city": "Paris"}) → Sunny and 21C in Paris' in before  # its executor
    assert re.search(r"forecaster\S*: Sunny and 21C in Paris\. TERMINATE", before)


async def test_agent_framework_conversation_is_printed_as_it_happens(terminal):
    from maf_apps import RESEARCH_SCRIPT, TASK, researcher

    out = terminal(AgentFrameworkInstrumentor(), capture_content=True)
    with ScriptedLLMServer(RESEARCH_SCRIPT) as server:
        await researcher(server).run(TASK)
    before = out.getvalue().split("\ntrace ")[0]
    assert 'researcher · ' in before or "researcher\x1b" in before or "researcher " in before
    assert '⚙ city_population({"city":"Paris"}) → 2100000' in before
    assert "researcher: Paris has 2100000 people." in before
