"""What AutoGen's own tracing does without us, and how we fold it into one trace."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core import MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler
from autogen_otel.demo.llm_server import Reply
from helpers import openai_client, ours, traces, tree
from teams import TASK, WEATHER_SCRIPT, weather_team


@dataclass
class Ping:
    text: str


class Echo(RoutedAgent):
    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Ping:
        return Ping(message.text)


async def test_without_us_autogen_scatters_a_run_and_leaks_content(spans, llm_server):
    server = llm_server(WEATHER_SCRIPT)
    await weather_team(server).run(task=TASK)
    finished = spans.get_finished_spans()
    assert len(traces(finished)) > 1, "baseline: AutoGen's runtime spans start new traces"
    if hasattr(SingleThreadedAgentRuntime, "_create_otel_attributes"):  # AutoGen >= 0.5
        leaked = [s for s in finished if any("secret-task-text-7731" in str(v) for v in s.attributes.values())]
        assert leaked, "baseline: AutoGen's runtime spans carry message bodies"


async def test_nested_option_keeps_runtime_spans_inside_our_trace_without_content(instrument, spans, llm_server):
    instrument(runtime_spans="nested")
    server = llm_server(WEATHER_SCRIPT)
    await weather_team(server).run(task=TASK)
    finished = spans.get_finished_spans()
    assert len(traces(finished)) == 1, tree(finished)
    runtime = [s for s in finished if s not in ours(finished)]
    assert runtime, "the runtime's messaging spans are kept"
    assert not any("secret-task-text-7731" in str(v) for s in finished for v in s.attributes.values())
    assert {s.name.split(" ")[1] for s in runtime if s.name.startswith("autogen ")} >= {"send", "process"} or \
        {s.name.split(" ")[0] for s in runtime} >= {"autogen"}
    # Our spans still form the workflow -> agent -> chat structure.
    assert [s.name for s in ours(finished) if s.parent is None] == ["invoke_workflow RoundRobinGroupChat"]
    assert len([s for s in ours(finished) if s.name.startswith("chat")]) == len(server.exchanges)


@pytest.mark.parametrize("mode", ["suppress", "nested"])
async def test_same_agent_ids_in_two_runs_stay_apart(instrument, spans, llm_server, mode):
    instrument(runtime_spans=mode)
    server = llm_server({"*": [Reply("ok")]})
    for _ in range(2):
        team = RoundRobinGroupChat([AssistantAgent("a", model_client=openai_client(server))],
                                   termination_condition=MaxMessageTermination(2))
        await team.run(task="x")
    assert len(traces(spans.get_finished_spans())) == 2


async def test_a_runtime_given_its_own_provider_keeps_every_span_it_asked_for(instrument, spans):
    """autogen-core's own test_register_receives_publish: an app that passes a provider to the runtime."""
    from autogen_core import AgentId
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    async def run() -> list[tuple[str, str]]:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        runtime = SingleThreadedAgentRuntime(tracer_provider=provider)
        await Echo.register(runtime, "echo", lambda: Echo("echo"))
        runtime.start()
        assert await runtime.send_message(Ping("secret-ping"), AgentId("echo", "default")) == Ping("secret-ping")
        await runtime.stop_when_idle()
        return sorted((s.name, str(sorted(s.attributes))) for s in exporter.get_finished_spans())

    instrumented = await run()
    instrument().uninstrument()
    plain = await run()
    assert plain and instrumented == plain
