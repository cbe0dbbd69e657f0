"""One trace across the MCP tool boundary (mcp 1.x): the app's CLIENT span per request, the
server's SERVER span under it in another process (stdio and streamable HTTP), the examples of
both AutoGen families under opentelemetry-instrument, and stepping aside for mcp 2.x."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import baggage, context, trace
from opentelemetry.trace import SpanKind, StatusCode
from otlp_receiver import OTLPReceiver, exporting_env, wait_for

mcp = pytest.importorskip("mcp")
MCP_MAJOR = int(importlib.metadata.version("mcp").split(".")[0])
needs_v1 = pytest.mark.skipif(MCP_MAJOR >= 2, reason="mcp 2.x traces itself; these test our 1.x spans")

ROOT = Path(__file__).resolve().parent.parent
SERVER = Path(__file__).with_name("mcp_server.py")
BIN = Path(sys.executable).parent
CLIENT, SERVER_KIND = 3, 2  # OTLP span kinds


@pytest.fixture
def receiver() -> Any:
    r = OTLPReceiver()
    yield r
    r.stop()


def stdio_params(receiver: OTLPReceiver | None) -> Any:
    """The test server as a stdio subprocess: under opentelemetry-instrument exporting to
    ``receiver``, or plain (an uninstrumented server) when it is None."""
    from mcp import StdioServerParameters

    if receiver is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        return StdioServerParameters(command=sys.executable, args=[str(SERVER)], env=env)
    return StdioServerParameters(command=str(BIN / "opentelemetry-instrument"),
                                 args=[sys.executable, str(SERVER)], env=exporting_env(receiver, "test-tools"))


@asynccontextmanager
async def session(params: Any) -> AsyncIterator[Any]:
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        yield s


def ours(spans: Any, name: str) -> list[Any]:
    return [s for s in spans.get_finished_spans()
            if s.name == name and s.instrumentation_scope.name == "autogen_otel.mcp"]


def hex_id(value: int, width: int) -> str:
    return format(value, f"0{width}x")


@needs_v1
async def test_a_tool_call_is_one_trace_from_the_caller_through_the_server(instrument_mcp, spans, receiver,
                                                                           metric_reader):
    tracer = trace.get_tracer("app")
    async with session(stdio_params(receiver)) as s:
        with tracer.start_as_current_span("execute_tool lookup") as parent:
            result = await s.call_tool("lookup", {"city": "Lisbon"})
    assert result.content[0].text == "Lisbon: population 2.1M"
    [client] = ours(spans, "tools/call lookup")
    assert client.kind is SpanKind.CLIENT and client.parent.span_id == parent.get_span_context().span_id
    attributes = dict(client.attributes)
    assert attributes["mcp.method.name"] == "tools/call" and attributes["gen_ai.tool.name"] == "lookup"
    assert attributes["gen_ai.operation.name"] == "execute_tool" and attributes["jsonrpc.request.id"].isdigit()
    assert attributes["mcp.protocol.version"]  # negotiated at initialize
    assert attributes["network.transport"] == "pipe"
    assert "gen_ai.tool.call.arguments" not in attributes and "gen_ai.tool.call.result" not in attributes
    [initialize] = ours(spans, "initialize")
    assert initialize.kind is SpanKind.CLIENT

    received = wait_for(lambda: [s for s in receiver.spans if s["name"] == "read city table"])
    [server] = [s for s in receiver.spans if s["name"] == "tools/call lookup"]  # exactly one: no duplicate
    assert server["kind"] == SERVER_KIND and server["resource"]["service.name"] == "test-tools"
    assert server["trace_id"] == hex_id(client.context.trace_id, 32)
    assert server["parent_id"] == hex_id(client.context.span_id, 16)
    assert server["attributes"]["network.transport"] == "pipe"
    assert server["attributes"]["jsonrpc.request.id"] == attributes["jsonrpc.request.id"]
    assert received[0]["parent_id"] == server["span_id"]  # the tool's own work beneath the server span

    durations = {m.name: m for m in metric_reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics}
    points = durations["mcp.client.operation.duration"].data.data_points
    assert {(dict(p.attributes)["mcp.method.name"], dict(p.attributes).get("gen_ai.tool.name")) for p in points} \
        >= {("initialize", None), ("tools/call", "lookup")}
    server_metrics = wait_for(lambda: receiver.metrics.get("mcp.server.operation.duration"))
    assert server_metrics[0].unit == "s"


@needs_v1
async def test_the_meta_the_app_sets_is_kept_and_the_context_is_added(instrument_mcp, spans):
    async with session(stdio_params(None)) as s:
        token = context.attach(baggage.set_baggage("tenant", "acme"))
        try:
            with trace.get_tracer("app").start_as_current_span("caller"):
                result = await s.call_tool("meta", {}, meta={"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01",
                                                             "app.key": "kept"})
                plain = await s.call_tool("meta", {})
        finally:
            context.detach(token)
    sent = json.loads(result.content[0].text)
    assert sent["traceparent"] == "00-" + "1" * 32 + "-" + "2" * 16 + "-01"  # the app's, not overwritten
    assert sent["app.key"] == "kept" and sent["baggage"] == "tenant=acme"
    added = json.loads(plain.content[0].text)
    [_, second] = ours(spans, "tools/call meta")
    assert added["traceparent"].startswith(f"00-{hex_id(second.context.trace_id, 32)}-"
                                           f"{hex_id(second.context.span_id, 16)}-")


@needs_v1
async def test_a_failing_tool_is_an_error_on_both_sides_without_its_message(instrument_mcp, spans, receiver):
    async with session(stdio_params(receiver)) as s:
        result = await s.call_tool("forecast", {"city": "Oslo", "days": 30})
    assert result.isError
    [client] = ours(spans, "tools/call forecast")
    assert client.status.status_code is StatusCode.ERROR and client.attributes["error.type"] == "tool_error"
    assert not client.status.description  # the message names what the tool was asked: content
    server = wait_for(lambda: [s for s in receiver.spans if s["name"] == "tools/call forecast"])[0]
    assert server["status"] == 2 and server["attributes"]["error.type"] == "tool_error"
    assert "Oslo" not in json.dumps(server["attributes"])


@needs_v1
async def test_with_capture_on_arguments_and_results_are_recorded_capped_and_scrubbed(instrument_mcp, spans):
    instrument_mcp(capture_content=True, max_attribute_length=64)
    async with session(stdio_params(None)) as s:
        await s.call_tool("lookup", {"city": "api_key=sk-abcdefghijklmnopqrstuvwxyz123456"})
        await s.call_tool("forecast", {"city": "Oslo", "days": 30})
    [lookup] = ours(spans, "tools/call lookup")
    arguments = lookup.attributes["gen_ai.tool.call.arguments"]
    assert "sk-abcdefghijklmnopqrstuvwxyz123456" not in arguments and len(arguments) <= 64
    assert "population" in lookup.attributes["gen_ai.tool.call.result"]
    [failed] = ours(spans, "tools/call forecast")
    assert failed.attributes["error.type"] == "tool_error"


@needs_v1
async def test_concurrent_calls_stay_in_their_own_callers_traces(instrument_mcp, spans, receiver):
    tracer = trace.get_tracer("app")

    async def run(name: str) -> int:
        with tracer.start_as_current_span(name) as root:
            await s.call_tool("wait", {"seconds": 0.3})
            return root.get_span_context().trace_id

    async with session(stdio_params(receiver)) as s:
        traces = await asyncio.gather(*(run(f"run {i}") for i in range(4)))
    assert len(set(traces)) == 4
    clients = ours(spans, "tools/call wait")
    assert sorted(c.context.trace_id for c in clients) == sorted(traces)
    servers = wait_for(lambda: (lambda found: found if len(found) == 4 else None)(
        [s for s in receiver.spans if s["name"] == "tools/call wait"]))
    by_parent = {s["parent_id"]: s["trace_id"] for s in servers}
    assert by_parent == {hex_id(c.context.span_id, 16): hex_id(c.context.trace_id, 32) for c in clients}


@needs_v1
async def test_a_server_that_is_not_instrumented_still_answers(instrument_mcp, spans):
    async with session(stdio_params(None)) as s:
        result = await s.call_tool("lookup", {"city": "Rome"})
    assert result.content[0].text == "Rome: population 2.1M"
    assert len(ours(spans, "tools/call lookup")) == 1


@needs_v1
async def test_our_failure_never_reaches_the_app(instrument_mcp, spans, monkeypatch):
    from autogen_otel.mcp import client as client_module

    def broken(*args: Any) -> Any:
        raise RuntimeError("bug in autogen-otel")

    monkeypatch.setattr(client_module, "request_attributes", broken)
    async with session(stdio_params(None)) as s:
        result = await s.call_tool("lookup", {"city": "Rome"})
    assert result.content[0].text == "Rome: population 2.1M" and not ours(spans, "tools/call lookup")


@needs_v1
async def test_uninstrument_removes_the_spans_and_the_injection(instrument_mcp, spans):
    from autogen_otel import MCPInstrumentor

    MCPInstrumentor().uninstrument()
    async with session(stdio_params(None)) as s:
        with trace.get_tracer("app").start_as_current_span("caller"):
            result = await s.call_tool("meta", {})
    assert "traceparent" not in json.loads(result.content[0].text) and not ours(spans, "tools/call meta")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@needs_v1
async def test_streamable_http_server_continues_the_trace(instrument_mcp, spans, receiver):
    from mcp import ClientSession
    from mcp.client import streamable_http

    # The newer name where the SDK has it (1.2x deprecates the old one).
    connect = getattr(streamable_http, "streamable_http_client", None) or streamable_http.streamablehttp_client

    port = _free_port()
    server = subprocess.Popen([str(BIN / "opentelemetry-instrument"), sys.executable, str(SERVER), "http", str(port)],
                              env=exporting_env(receiver, "test-tools-http"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        def listening() -> bool:
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        wait_for(listening, 30)
        async with connect(f"http://127.0.0.1:{port}/mcp") as (read, write, session_id), \
                ClientSession(read, write) as s:
            await s.initialize()
            with trace.get_tracer("app").start_as_current_span("caller"):
                await s.call_tool("lookup", {"city": "Lima"})
            raw_session = session_id()
    finally:
        server.terminate()
        server.wait(10)
    [client] = ours(spans, "tools/call lookup")
    found = wait_for(lambda: [s for s in receiver.spans if s["name"] == "tools/call lookup"])
    [served] = found
    assert served["parent_id"] == hex_id(client.context.span_id, 16)
    assert served["attributes"]["network.transport"] == "tcp"
    assert served["attributes"]["network.protocol.name"] == "http"
    session_attr = served["attributes"]["mcp.session.id"]
    assert raw_session and session_attr != raw_session and len(session_attr) == 16  # a digest, not the id
    assert client.attributes["mcp.session.id"] == session_attr  # the same session on both sides
    assert client.attributes["network.transport"] == "tcp" and client.attributes["network.protocol.name"] == "http"
    assert client.attributes["server.address"] == "127.0.0.1" and client.attributes["server.port"] == port


def run_example(receiver: OTLPReceiver, name: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(BIN / "opentelemetry-instrument"), sys.executable, str(ROOT / "examples" / name)],
                          env=exporting_env(receiver, "app"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def one_trace_through(receiver: OTLPReceiver, tool_span: str) -> None:
    """The app's execute_tool -> its CLIENT tools/call -> the server's SERVER tools/call -> the
    tool's work, in one trace, each exactly once."""
    work = wait_for(lambda: [s for s in receiver.spans if s["name"] == "read city table"])
    [tool] = [s for s in receiver.spans if s["name"] == tool_span]
    calls = [s for s in receiver.spans if s["name"] == "tools/call lookup"]
    [client] = [s for s in calls if s["kind"] == CLIENT]
    [server] = [s for s in calls if s["kind"] == SERVER_KIND]
    assert client["resource"]["service.name"] == "app" and server["resource"]["service.name"] == "city-facts"
    assert client["parent_id"] == tool["span_id"] and server["parent_id"] == client["span_id"]
    assert work[0]["parent_id"] == server["span_id"]
    assert len({tool["trace_id"], client["trace_id"], server["trace_id"], work[0]["trace_id"]}) == 1
    root = [s for s in receiver.spans if s["trace_id"] == tool["trace_id"] and not s["parent_id"]]
    assert [s["name"].split(" ")[0] for s in root] in (["invoke_agent"], ["invoke_workflow"])


@needs_v1
def test_agentchat_workbench_example_is_one_trace_across_the_server(receiver):
    pytest.importorskip("autogen_ext.tools.mcp")
    done = run_example(receiver, "mcp_agentchat.py")
    assert "Lisbon is sunny" in done.stdout
    one_trace_through(receiver, "execute_tool lookup")


@needs_v1
def test_ag2_toolkit_example_is_one_trace_across_the_server(receiver):
    pytest.importorskip("autogen.mcp")
    done = run_example(receiver, "mcp_ag2.py")
    assert "Porto is sunny" in done.stdout
    one_trace_through(receiver, "execute_tool lookup")


@pytest.mark.skipif(MCP_MAJOR < 2, reason="mcp 1.x is what we instrument")
async def test_mcp_2_traces_itself_and_we_step_aside(instrument_mcp, spans):
    from mcp.client import Client
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("in-memory")

    @server.tool()
    def lookup(city: str) -> str:
        return f"{city}: population 2.1M"

    async with Client(server) as client:
        with trace.get_tracer("app").start_as_current_span("caller") as caller:
            result = await client.call_tool("lookup", {"city": "Rome"})
    assert result.content[0].text == "Rome: population 2.1M"
    finished = spans.get_finished_spans()
    assert not [s for s in finished if s.instrumentation_scope.name.startswith("autogen_otel")]
    calls = [s for s in finished if s.name == "tools/call lookup"]
    assert len(calls) == 1 and calls[0].instrumentation_scope.name == "mcp-python-sdk"  # the SDK's own, once
    assert calls[0].context.trace_id == caller.get_span_context().trace_id


@pytest.mark.skipif(MCP_MAJOR < 2, reason="Agent Framework's MCP tools need mcp 2.x")
async def test_agent_framework_with_mcp_2_is_one_trace_with_one_span_per_side(instrument_maf, spans, receiver,
                                                                             llm_server):
    from agent_framework import Agent, MCPStdioTool
    from autogen_otel.demo.llm_server import Reply
    from maf_apps import chat_client

    model = llm_server({"You are the guide": [Reply(tool_calls=[("lookup", {"city": "Lisbon"})]),
                                              Reply("Lisbon: pack light.")]})
    tools = MCPStdioTool("city", command=str(BIN / "opentelemetry-instrument"), args=[sys.executable, str(SERVER)],
                         env=exporting_env(receiver, "test-tools"))
    from autogen_otel import MCPInstrumentor

    ours_too = MCPInstrumentor()
    ours_too.instrument(tracer_provider=trace.get_tracer_provider())  # as opentelemetry-instrument would
    try:
        async with tools:
            agent = Agent(client=chat_client(model), name="guide", instructions="You are the guide.", tools=[tools])
            result = await agent.run("What should I pack for Lisbon?")
    finally:
        ours_too.uninstrument()
    assert "pack light" in result.text
    finished = spans.get_finished_spans()
    assert not [s for s in finished if s.instrumentation_scope.name == "autogen_otel.mcp"]
    [tool] = [s for s in finished if s.name == "execute_tool lookup"]
    server = wait_for(lambda: [s for s in receiver.spans if s["name"] == "tools/call lookup"])
    assert len(server) == 1 and server[0]["kind"] == SERVER_KIND  # one SERVER span: the SDK's own
    assert server[0]["trace_id"] == hex_id(tool.context.trace_id, 32)
    assert wait_for(lambda: [s for s in receiver.spans if s["name"] == "read city table"])[0]["parent_id"] \
        == server[0]["span_id"]


@needs_v1
def test_configure_instruments_mcp_too(receiver):
    code = f"""
import asyncio, autogen_otel
setup = autogen_otel.configure(endpoint={receiver.endpoint!r}, protocol="http/protobuf", console=False)
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

async def main():
    params = StdioServerParameters(command={sys.executable!r}, args=[{str(SERVER)!r}])
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        await session.call_tool("lookup", {{"city": "Oslo"}})

asyncio.run(main())
setup.shutdown()
"""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    calls = [s for s in receiver.spans if s["name"] == "tools/call lookup"]
    assert len(calls) == 1 and calls[0]["kind"] == CLIENT and calls[0]["scope"] == "autogen_otel.mcp"
