"""One trace across the Agent2Agent protocol (a2a-sdk 1.x): the caller's CLIENT span per request,
the server's SERVER span under it in another process (under opentelemetry-instrument), the served
agent's run beneath -- for a2a-sdk alone, Agent Framework's A2AAgent / A2AExecutor and AG2's
A2aRemoteAgent / A2aAgentServer -- and a2a-sdk's own per-method spans folded."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from otlp_receiver import OTLPReceiver, exporting_env, wait_for

pytest.importorskip("a2a.client.base_client", reason="a2a-sdk 1.x is not installed in this environment")

from autogen_otel.demo.llm_server import Reply

SERVER = Path(__file__).with_name("a2a_server.py")
BIN = Path(sys.executable).parent
CLIENT, SERVER_KIND, INTERNAL = 3, 2, 1  # OTLP span kinds
SDK_SCOPE = "a2a-python-sdk"


@pytest.fixture
def receiver() -> Iterator[OTLPReceiver]:
    r = OTLPReceiver()
    yield r
    r.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def a2a_server() -> Iterator[Any]:
    """``a2a_server(kind, receiver=None, model=None)`` starts tests/a2a_server.py (under
    opentelemetry-instrument exporting to ``receiver``, or plain) and returns its URL."""
    started: list[subprocess.Popen[bytes]] = []

    def start(kind: str, receiver: OTLPReceiver | None = None, model: Any = None,
              extra: dict[str, str] | None = None) -> str:
        port = _free_port()
        command = [sys.executable, str(SERVER), kind, str(port), model.base_url if model else ""]
        if receiver is not None:
            command = [str(BIN / "opentelemetry-instrument"), *command]
            env = exporting_env(receiver, f"a2a-{kind}", extra)
        else:
            env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        started.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        url = f"http://127.0.0.1:{port}/"

        def ready() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return True
            except OSError:
                return started[-1].poll() is not None  # exited: fail below, not after the wait

        wait_for(ready, 60)
        assert started[-1].poll() is None, f"the {kind} A2A server exited"
        return url

    yield start
    for process in started:
        process.terminate()
        process.wait(10)


def message(text: str, **fields: Any) -> Any:
    from a2a.types.a2a_pb2 import Message, Part, Role, SendMessageRequest

    return SendMessageRequest(message=Message(message_id=fields.pop("message_id", "m-1"), role=Role.ROLE_USER,
                                              parts=[Part(text=text)], **fields))


async def ask(url: str, text: str, streaming: bool = False, context: Any = None, binding: str = "JSONRPC",
              **fields: Any) -> list[Any]:
    from a2a.client import ClientConfig, create_client

    config = ClientConfig(streaming=streaming, supported_protocol_bindings=[binding])
    client = await create_client(url, client_config=config)
    try:
        return [event async for event in client.send_message(message(text, **fields), context=context)]
    finally:
        await client.close()


def ours(spans: Any, name: str | None = None) -> list[Any]:
    return [s for s in spans.get_finished_spans() if s.instrumentation_scope.name == "autogen_otel.a2a"
            and (name is None or s.name == name)]


def hex_id(value: int, width: int) -> str:
    return format(value, f"0{width}x")


@pytest.mark.parametrize(("streaming", "binding"), [(False, "JSONRPC"), (True, "JSONRPC"), (False, "HTTP+JSON"),
                                                   (True, "HTTP+JSON")])
async def test_a_delegation_is_one_trace_from_the_caller_through_the_remote_agent(
        instrument_a2a, spans, a2a_metrics, receiver, a2a_server, streaming, binding):
    url = a2a_server("sdk", receiver)
    method = "SendStreamingMessage" if streaming else "SendMessage"
    with trace.get_tracer("app").start_as_current_span("delegate") as parent:
        events = await ask(url, "Lisbon", streaming=streaming, binding=binding)
    assert events[-1].WhichOneof("payload") in ("task", "status_update")

    [client] = ours(spans)
    assert client.name == method and client.kind is SpanKind.CLIENT
    assert client.parent.span_id == parent.get_span_context().span_id
    attributes = dict(client.attributes)
    assert attributes["a2a.method.name"] == method and attributes["a2a.protocol.version"] == "1.0"
    assert attributes["a2a.message.id"] == "m-1" and attributes["a2a.task.state"] == "TASK_STATE_COMPLETED"
    assert attributes["gen_ai.agent.name"] == "city-facts" and attributes["gen_ai.agent.version"] == "1.2.0"
    assert attributes["server.address"] == "127.0.0.1" and attributes["server.port"] == int(url.rsplit(":", 1)[1][:-1])
    task_id, context_id = attributes["a2a.task.id"], attributes["gen_ai.conversation.id"]
    assert task_id and context_id and client.status.status_code is StatusCode.UNSET
    assert not [s for s in spans.get_finished_spans() if s.instrumentation_scope.name == SDK_SCOPE]  # folded

    wait_for(lambda: [s for s in receiver.spans if s["name"] == method])
    [work] = [s for s in receiver.spans if s["name"] == "read city table"]
    [server] = [s for s in receiver.spans if s["name"] == method]  # exactly one per request
    assert server["kind"] == SERVER_KIND and server["scope"] == "autogen_otel.a2a"
    assert server["trace_id"] == hex_id(client.context.trace_id, 32)
    assert server["parent_id"] == hex_id(client.context.span_id, 16)
    assert work["trace_id"] == server["trace_id"] and work["parent_id"] == server["span_id"]
    assert server["attributes"]["a2a.task.id"] == task_id
    assert server["attributes"]["gen_ai.conversation.id"] == context_id
    assert server["attributes"]["a2a.task.state"] == "TASK_STATE_COMPLETED"
    assert server["attributes"]["gen_ai.agent.name"] == "city-facts"
    assert not [s for s in receiver.spans if s["scope"] == SDK_SCOPE]  # ~50 per request without folding
    assert {s["trace_id"] for s in receiver.spans} == {server["trace_id"]}  # one trace, streaming too

    metrics = {m.name: m for m in a2a_metrics.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics}
    [point] = metrics["a2a.client.operation.duration"].data.data_points
    assert dict(point.attributes) == {"a2a.method.name": method, "a2a.protocol.version": "1.0",
                                      "a2a.task.state": "TASK_STATE_COMPLETED", "gen_ai.agent.name": "city-facts",
                                      "server.address": "127.0.0.1", "server.port": attributes["server.port"]}
    served = wait_for(lambda: receiver.metrics.get("a2a.server.operation.duration"))
    assert served[0].unit == "s"


async def test_concurrent_delegations_stay_in_their_own_callers_traces(instrument_a2a, spans, receiver,
                                                                     a2a_server):
    url = a2a_server("sdk", receiver)
    tracer = trace.get_tracer("app")

    async def delegate(city: str, streaming: bool) -> int:
        with tracer.start_as_current_span(f"delegate {city}") as parent:
            await ask(url, city, streaming=streaming, message_id=f"m-{city}")
        return parent.get_span_context().trace_id

    cities = ["Lisbon", "Porto", "Braga", "Faro"]
    trace_ids = await asyncio.gather(*(delegate(city, i % 2 == 1) for i, city in enumerate(cities)))
    assert len(set(trace_ids)) == 4
    clients = {c.attributes["a2a.message.id"]: c for c in ours(spans)}
    servers = wait_for(lambda: (lambda found: found if len(found) == 4 else None)(
        [s for s in receiver.spans if s["kind"] == SERVER_KIND]))
    for city, trace_id in zip(cities, trace_ids, strict=True):
        client = clients[f"m-{city}"]
        assert client.context.trace_id == trace_id
        [server] = [s for s in servers if s["attributes"]["a2a.message.id"] == f"m-{city}"]
        assert server["parent_id"] == hex_id(client.context.span_id, 16)
        [work] = [s for s in receiver.spans if s["name"] == "read city table" and s["parent_id"] == server["span_id"]]
        assert work["trace_id"] == hex_id(trace_id, 32)


async def test_a_failing_remote_agent_is_an_error_on_both_sides_without_its_text(instrument_a2a, spans, receiver,
                                                                                  a2a_server):
    from a2a.utils.errors import InternalError

    url = a2a_server("sdk", receiver)
    with pytest.raises(InternalError):  # the executor raised: a2a-sdk answers JSON-RPC -32603
        await ask(url, "Atlantis")
    [client] = ours(spans)
    assert client.attributes["error.type"] == "-32603" and client.status.status_code is StatusCode.ERROR
    assert client.status.description is None  # the error's text is content: not without capture
    server = wait_for(lambda: [s for s in receiver.spans if s["name"] == "SendMessage"])[0]
    assert server["attributes"]["error.type"] == "ValueError" and server["status"] == 2  # the executor's exception
    assert "Atlantis" not in repr(client.attributes) + repr(client.events) + repr(receiver.spans)


async def test_the_context_the_app_sends_is_kept(instrument_a2a, spans, receiver, a2a_server):
    from a2a.client import ClientCallContext

    url = a2a_server("sdk", receiver)
    theirs = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    app_context = ClientCallContext(service_parameters={"traceparent": theirs, "X-App": "kept"})
    with trace.get_tracer("app").start_as_current_span("delegate"):
        await ask(url, "Lisbon", context=app_context)
    assert app_context.service_parameters == {"traceparent": theirs, "X-App": "kept"}  # not modified
    server = wait_for(lambda: [s for s in receiver.spans if s["name"] == "SendMessage"])[0]
    assert server["trace_id"] == "1" * 32 and server["parent_id"] == "2" * 16  # the app's, not ours


async def test_a2a_sdk_spans_are_kept_nested_when_asked_for(instrument_a2a, spans, a2a_server):
    instrument_a2a(runtime_spans="nested")
    url = a2a_server("sdk")
    await ask(url, "Lisbon")
    [client] = ours(spans)
    [transport] = [s for s in spans.get_finished_spans()
                   if s.instrumentation_scope.name == SDK_SCOPE and s.name.endswith("JsonRpcTransport.send_message")]
    assert transport.parent.span_id == client.context.span_id  # theirs, whole, beneath ours


async def test_an_uninstrumented_server_still_answers_and_our_failure_never_reaches_the_app(
        instrument_a2a, spans, a2a_server, monkeypatch):
    url = a2a_server("sdk")
    events = await ask(url, "Lisbon")
    assert events and len(ours(spans)) == 1
    spans.clear()

    from autogen_otel.a2a import client as client_module

    def broken(*args: Any) -> Any:
        raise RuntimeError("instrumentation bug")

    monkeypatch.setattr(client_module, "request_attributes", broken)
    events = await ask(url, "Lisbon", message_id="m-2")
    assert events[-1].task.status.state == 3  # TASK_STATE_COMPLETED: the app's call is unharmed
    assert ours(spans) == []


async def test_uninstrument_removes_the_spans_the_injection_and_the_folding(instrument_a2a, spans, receiver,
                                                                            a2a_server):
    from a2a.utils import telemetry as sdk_telemetry

    url = a2a_server("sdk", receiver)
    from autogen_otel import A2AInstrumentor

    A2AInstrumentor().uninstrument()  # the fixture's: instrumentors are singletons
    assert sdk_telemetry.trace is trace  # a2a-sdk's tracer module back
    with trace.get_tracer("app").start_as_current_span("delegate") as parent:
        await ask(url, "Lisbon")
    assert ours(spans) == []
    server = wait_for(lambda: [s for s in receiver.spans if s["name"] == "SendMessage"])[0]
    assert server["trace_id"] != hex_id(parent.get_span_context().trace_id, 32)  # nothing carried the context


# --- the agent frameworks on both sides (their models: the scripted server) ---

CITY_SCRIPT = {
    "city facts agent": [Reply(tool_calls=[("city_population", {"city": "Lisbon"})]),
                         Reply("Lisbon has 545000 people.")],
    "coordinator": [Reply(tool_calls=[("city_facts", {"task": "How many people live in Lisbon?"})]),
                    Reply("Lisbon has 545000 people.")],
    "*": [Reply("OK.")],
}


def served_run(receiver: OTLPReceiver, method: str, client_span: Any) -> dict[str, Any]:
    """The server's side of one delegation: its SERVER span continues ``client_span``, the served
    agent's invoke_agent under it, that agent's model calls (priced) and tool beneath; one trace."""
    chats = wait_for(lambda: (lambda found: found if len(found) == 2 else None)(
        [s for s in receiver.spans if s["name"].startswith("chat ")]), 30)
    [server] = [s for s in receiver.spans if s["name"] == method]
    assert server["kind"] == SERVER_KIND and server["parent_id"] == hex_id(client_span.context.span_id, 16)
    [agent] = [s for s in receiver.spans if s["name"] == "invoke_agent city-facts"]
    assert agent["parent_id"] == server["span_id"] and agent["kind"] == INTERNAL
    [tool] = [s for s in receiver.spans if s["name"] == "execute_tool city_population"]
    assert {c["parent_id"] for c in chats} == {agent["span_id"]} == {tool["parent_id"]}
    assert all(c["attributes"]["gen_ai.usage.input_tokens"] > 0 and c["attributes"]["autogen.cost.usd"] > 0
               for c in chats)
    assert {s["trace_id"] for s in receiver.spans} == {hex_id(client_span.context.trace_id, 32)}
    assert not [s for s in receiver.spans if s["scope"] == SDK_SCOPE]
    return server


async def test_agent_framework_delegating_over_a2a_is_one_trace(instrument_maf, instrument_a2a, spans, receiver,
                                                                a2a_server, llm_server):
    from agent_framework import Agent
    from agent_framework.a2a import A2AAgent
    from agent_framework.openai import OpenAIChatCompletionClient

    model = llm_server(CITY_SCRIPT)
    url = a2a_server("maf", receiver, model)
    remote = A2AAgent(url=url, name="city-facts")
    coordinator = Agent(client=OpenAIChatCompletionClient(model="gpt-4o-mini", base_url=model.base_url,
                                                          api_key="sk-test-not-a-real-key-123456"),
                        name="coordinator", instructions="You are the coordinator.", tools=[remote.as_tool()])
    result = await coordinator.run("How many people live in Lisbon?")
    assert "545000" in result.text

    [root] = [s for s in spans.get_finished_spans() if s.name == "invoke_agent coordinator"]
    [tool] = [s for s in spans.get_finished_spans() if s.name == "execute_tool city_facts"]
    [remote_agent] = [s for s in spans.get_finished_spans() if s.name == "invoke_agent city-facts"]
    [client] = ours(spans)
    assert client.name == "SendMessage" and client.parent.span_id == remote_agent.context.span_id
    assert remote_agent.parent.span_id == tool.context.span_id and root.parent is None
    assert client.attributes["a2a.task.state"] == "TASK_STATE_COMPLETED"
    assert client.attributes["gen_ai.agent.name"] == "city-facts"  # A2AAgent(url=...): as the caller names it
    server = served_run(receiver, "SendMessage", client)
    assert server["attributes"]["gen_ai.conversation.id"] == client.attributes["gen_ai.conversation.id"]


async def test_ag2_delegating_over_a2a_is_one_trace(instrument_ag2, instrument_a2a, spans, receiver, a2a_server,
                                                    llm_server):
    from autogen import ConversableAgent
    from autogen.a2a import A2aRemoteAgent

    model = llm_server(CITY_SCRIPT)
    url = a2a_server("ag2", receiver, model)
    remote = A2aRemoteAgent(url=url, name="city-facts", silent=True)
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER", silent=True)
    result = await user.a_initiate_chat(remote, message="How many people live in Lisbon?", max_turns=1, silent=True)
    assert "545000" in result.summary

    [remote_turn] = [s for s in spans.get_finished_spans() if s.name == "invoke_agent city-facts"]
    [client] = ours(spans)
    assert client.name == "SendStreamingMessage" and client.parent.span_id == remote_turn.context.span_id
    served_run(receiver, "SendStreamingMessage", client)


def test_configure_instruments_a2a_too(receiver):
    code = ("import autogen_otel\n"
            f"c = autogen_otel.configure(service_name='x', endpoint={receiver.endpoint!r}, protocol='http/protobuf')\n"
            "print(c.a2a_instrumentor.is_instrumented_by_opentelemetry)\nc.shutdown()")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr



ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("example", "method", "says"), [
    ("a2a_maf.py", "SendMessage", "545,000 people"),
    ("a2a_ag2.py", "SendStreamingMessage", "545000 people"),
])
def test_the_examples_are_one_trace_from_the_caller_through_the_remote_agent(receiver, example, method, says):
    done = subprocess.run([str(BIN / "opentelemetry-instrument"), sys.executable, str(ROOT / "examples" / example)],
                          env=exporting_env(receiver, "app"), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert says in done.stdout
    calls = wait_for(lambda: (lambda found: found if len(found) == 2 else None)(
        [s for s in receiver.spans if s["name"] == method]), 30)
    [client] = [s for s in calls if s["kind"] == CLIENT]
    [server] = [s for s in calls if s["kind"] == SERVER_KIND]
    assert client["resource"]["service.name"] == "app" and server["resource"]["service.name"] == "city-facts"
    assert server["parent_id"] == client["span_id"]
    served = wait_for(lambda: [s for s in receiver.spans if s["name"] == "execute_tool city_population"])
    [agent] = [s for s in receiver.spans
               if s["name"] == "invoke_agent city-facts" and s["parent_id"] == server["span_id"]]
    assert served[0]["parent_id"] == agent["span_id"]
    trace_ids = {s["trace_id"] for s in receiver.spans if s["resource"]["service.name"] in ("app", "city-facts")}
    assert trace_ids == {client["trace_id"]}  # one trace: the caller's run, the request, the remote run


async def test_a_remote_agent_asking_for_input_is_the_delegating_runs_stop(instrument_maf, instrument_a2a, spans,
                                                                         a2a_server):
    from agent_framework.a2a import A2AAgent

    url = a2a_server("sdk")
    response = await A2AAgent(url=url, name="city-facts").run("Moon")
    assert "Which moon?" in response.text
    [client] = ours(spans)
    assert client.attributes["a2a.task.state"] == "TASK_STATE_INPUT_REQUIRED" and "error.type" not in client.attributes
    [run] = [s for s in spans.get_finished_spans() if s.name == "invoke_agent city-facts"]
    assert run.attributes["autogen.run.stop_category"] == "awaiting_input"
    assert "TASK_STATE_INPUT_REQUIRED" in run.attributes["autogen.run.stop_reason"]
