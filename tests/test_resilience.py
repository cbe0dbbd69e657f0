"""The instrumentation can never hurt the app: a dead or slow backend, hundreds of runs at
once, hostile content, cancellation at every stage, unknown client classes."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import ChatCompletionClient, CreateResult, RequestUsage
from autogen_ext.models.replay import ReplayChatCompletionClient
from autogen_otel import AgentChatInstrumentor
from autogen_otel.demo.llm_server import Reply
from helpers import by_name, openai_client, traces
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

MODEL_INFO = {"vision": False, "function_calling": True, "json_output": False, "family": "unknown",
              "structured_output": False}


def replay_team(name: str = "a", turns: int = 2) -> RoundRobinGroupChat:
    client = ReplayChatCompletionClient([f"{name} says {i}" for i in range(turns)], model_info=MODEL_INFO)
    return RoundRobinGroupChat([AssistantAgent(name, model_client=client)],
                               termination_condition=MaxMessageTermination(turns + 1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BlockingReceiver:
    """Accepts OTLP requests and holds each one until released (a hung backend)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                owner.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.release.wait(30)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/traces"

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class ResettingReceiver(BlockingReceiver):
    def __init__(self) -> None:
        super().__init__()
        original = self.httpd.RequestHandlerClass

        class Reset(original):  # type: ignore[misc, valid-type]
            def do_POST(self):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.connection.close()

        self.httpd.RequestHandlerClass = Reset


@pytest.fixture
def exporting_instrumentor():
    """Instrument with a BatchSpanProcessor exporting OTLP/HTTP to ``endpoint``."""
    made: list[tuple[AgentChatInstrumentor, TracerProvider]] = []

    def make(endpoint: str, timeout: float = 2.0, **batch):
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=timeout), **batch))
        instrumentor = AgentChatInstrumentor()
        instrumentor.uninstrument()
        instrumentor.instrument(tracer_provider=provider)
        made.append((instrumentor, provider))
        return provider

    yield make
    for instrumentor, _provider in made:
        instrumentor.uninstrument()


@pytest.mark.parametrize("backend", ["nothing listening", "connection reset", "hung"])
async def test_backend_down_does_not_change_results_or_block(exporting_instrumentor, backend):
    receiver = None
    if backend == "nothing listening":
        endpoint = f"http://127.0.0.1:{free_port()}/v1/traces"
    else:
        receiver = ResettingReceiver() if backend == "connection reset" else BlockingReceiver()
        endpoint = receiver.endpoint
    try:
        provider = exporting_instrumentor(endpoint, timeout=1.0, schedule_delay_millis=10, max_export_batch_size=8)
        results = [await replay_team(f"agent{i}").run(task="go") for i in range(20)]
        # Runs finished while the exporter is failing or stuck: export is off the agent loop.
        assert [r.messages[-1].content for r in results] == [f"agent{i} says 1" for i in range(20)]
        start = time.monotonic()
        await asyncio.to_thread(provider.shutdown)
        # Not a performance assertion: a hang check, bounded by the exporter timeout plus slack.
        assert time.monotonic() - start < 20
    finally:
        if receiver is not None:
            receiver.stop()


async def test_memory_stays_bounded_with_backend_down(exporting_instrumentor):
    provider = exporting_instrumentor(f"http://127.0.0.1:{free_port()}/v1/traces", timeout=0.5,
                                      max_queue_size=256, max_export_batch_size=64, schedule_delay_millis=50)
    for i in range(10):
        await replay_team(f"w{i}").run(task="go")
    gc.collect()
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    for i in range(150):
        await replay_team(f"m{i}").run(task="go")
    gc.collect()
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    growth = current - baseline
    assert growth < 8 * 1024 * 1024, f"grew {growth / 1024:.0f} KiB over 150 runs"
    await asyncio.to_thread(provider.shutdown)


async def test_hundreds_of_concurrent_runs_each_get_their_own_trace(instrument, spans):
    runs = 300
    await asyncio.gather(*(replay_team(f"agent{i}").run(task="go") for i in range(runs)))
    grouped = traces(spans.get_finished_spans())
    assert len(grouped) == runs
    for trace_spans in grouped.values():
        assert len({s.attributes.get("gen_ai.agent.name") for s in by_name(trace_spans, "invoke_agent")}) == 1
        assert len([s for s in trace_spans if s.parent is None]) == 1
        assert len(trace_spans) == 1 + 2 * 2  # workflow + (agent + chat) per turn


async def _cancel_run_at(stage: str, server, instrument):
    instrumentor = instrument()
    script = {
        "model stream": {"*": [Reply("a b c d e f g h i j k l", chunk_delay=0.3)]},
        "between turns": {"*": [Reply("turn")]},
    }[stage]
    srv = server(script)
    agent = AssistantAgent("a", model_client=openai_client(srv), model_client_stream=stage == "model stream")
    other = AssistantAgent("b", model_client=openai_client(srv))
    team = RoundRobinGroupChat([agent, other], termination_condition=MaxMessageTermination(500))
    # AutoGen's documented way to stop a run. (Cancelling the asyncio task that awaits
    # team.run() mid-stream makes AutoGen itself wait for the HTTP stream, with or without us.)
    token = CancellationToken()
    task = asyncio.create_task(team.run(task="go", cancellation_token=token))
    if stage == "between turns":
        for _ in range(500):
            await asyncio.sleep(0.005)
            if len(srv.exchanges) >= 3:
                break
    else:
        await asyncio.sleep(0.8)
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _until_no_open_scopes(instrumentor)
    return instrumentor


async def _until_no_open_scopes(instrumentor) -> None:
    for _ in range(50):
        if instrumentor.telemetry.registry.open_scopes() == 0:
            return
        await asyncio.sleep(0.05)


async def _assert_next_run_is_clean(spans) -> None:
    spans.clear()
    await replay_team("next").run(task="go")
    after = spans.get_finished_spans()
    assert len(traces(after)) == 1
    assert {s.attributes.get("gen_ai.agent.name") for s in by_name(after, "invoke_agent")} == {"next"}


@pytest.mark.parametrize("stage", ["model stream", "between turns"])
async def test_cancelling_a_run_ends_all_spans(instrument, spans, llm_server, stage):
    instrumentor = await _cancel_run_at(stage, llm_server, instrument)
    assert instrumentor.telemetry.registry.open_scopes() == 0
    finished = spans.get_finished_spans()
    workflow = by_name(finished, "invoke_workflow")[0]
    assert workflow.status.status_code is StatusCode.ERROR
    assert workflow.attributes["autogen.run.stop_category"] == "cancelled"
    if stage == "model stream":
        chat = by_name(finished, "chat")[0]
        assert chat.attributes["error.type"] == "CancelledError"
    await _assert_next_run_is_clean(spans)


async def test_cancelling_during_a_tool_ends_its_span(instrument, spans):
    # AutoGen 0.7.5 itself never returns from a run cancelled mid-tool (with or without us), so
    # the tool is cancelled where AutoGen awaits it: the workbench call.
    from autogen_core.tools import FunctionTool

    instrumentor = instrument()
    started = asyncio.Event()

    async def slow(x: int) -> str:
        """Sleeps."""
        started.set()
        await asyncio.sleep(30)
        return "late"

    tool = FunctionTool(slow, description="Sleeps.")
    try:
        from autogen_core.tools import StaticWorkbench

        call = StaticWorkbench([tool]).call_tool("slow", {"x": 1}, call_id="call-1")
    except ImportError:  # AutoGen 0.4: no workbenches
        call = tool.run_json({"x": 1}, CancellationToken())
    task = asyncio.create_task(call)
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _until_no_open_scopes(instrumentor)
    assert instrumentor.telemetry.registry.open_scopes() == 0
    span = by_name(spans.get_finished_spans(), "execute_tool slow")[0]
    assert span.attributes["error.type"] == "CancelledError"
    await _assert_next_run_is_clean(spans)


class HomegrownClient(ChatCompletionClient):
    """A client class no patch table knows, defined after instrumenting."""

    def __init__(self) -> None:
        self._calls = 0

    async def create(self, messages, *, tools=(), json_output=None, extra_create_args=None,
                     cancellation_token=None, **kwargs):
        self._calls += 1
        if self._calls == 1 and tools:
            return CreateResult(finish_reason="function_calls", cached=False, usage=RequestUsage(11, 3),
                                content=[FunctionCall(id="c1", name="echo", arguments='{"text": "x"}')])
        return CreateResult(finish_reason="stop", content="homegrown answer", usage=RequestUsage(11, 3), cached=False)

    def create_stream(self, *args, **kwargs):
        raise NotImplementedError

    async def close(self):
        pass

    def actual_usage(self):
        return RequestUsage(0, 0)

    def total_usage(self):
        return RequestUsage(0, 0)

    def count_tokens(self, messages, *, tools=()):
        return 0

    def remaining_tokens(self, messages, *, tools=()):
        return 1000

    @property
    def capabilities(self):
        return MODEL_INFO

    @property
    def model_info(self):
        return MODEL_INFO


async def test_unknown_client_class_is_traced_generically(instrument, spans):
    async def echo(text: str) -> str:
        """Echo."""
        return text

    result = await AssistantAgent("a", model_client=HomegrownClient(), tools=[echo],
                                  reflect_on_tool_use=True).run(task="hi")
    assert result.messages[-1].content == "homegrown answer"
    chats = by_name(spans.get_finished_spans(), "chat")
    assert len(chats) == 2
    assert chats[0].attributes["gen_ai.provider.name"] == "homegrownclient"
    assert chats[0].attributes["gen_ai.usage.input_tokens"] == 11


class _Discard(SpanExporter):
    def export(self, spans):  # type: ignore[no-untyped-def]
        return SpanExportResult.SUCCESS


async def test_ten_thousand_runs_leave_nothing_behind():
    """Nothing of a run stays with us once it ends: 10,000 runs (an agent with a tool) leave the
    number of live objects where the first runs left them, and 1,000 runs grow traced memory no
    more than the same runs uninstrumented (AutoGen and pydantic keep a few bytes per run)."""
    from autogen_core.tools import FunctionTool
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_Discard()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    instrumentor = AgentChatInstrumentor()

    async def lookup(city: str) -> str:
        """Look a city up."""
        return city

    tool = FunctionTool(lookup, description="Look a city up.")
    call = CreateResult(finish_reason="function_calls",
                        content=[FunctionCall(id="c1", name="lookup", arguments='{"city": "Paris"}')],
                        usage=RequestUsage(prompt_tokens=100, completion_tokens=10), cached=False)

    async def runs(count: int) -> None:
        for _ in range(count):
            client = ReplayChatCompletionClient([call], model_info=MODEL_INFO)
            await AssistantAgent("agent", model_client=client, tools=[tool]).run(task="go")

    async def traced_growth(count: int) -> int:
        gc.collect()
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            await runs(count)
            gc.collect()
            after, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return after - before

    await runs(300)  # warm AutoGen's caches
    plain = await traced_growth(1_000)
    instrumentor.instrument(tracer_provider=provider, meter_provider=meter_provider)
    try:
        await runs(300)  # and ours (prices, parsed contexts)
        gc.collect()
        objects = len(gc.get_objects())
        ours = await traced_growth(1_000)
        await runs(9_000)
        gc.collect()
        grown = len(gc.get_objects()) - objects
        assert instrumentor.telemetry.registry.open_scopes() == 0
        assert instrumentor.telemetry.registry.active_runs() == []
        # A run allocates thousands of objects and tens of KiB: keeping one object per run would show.
        assert grown < 500, f"{grown} more live objects after 10,000 runs"
        assert ours - plain < 64 * 1024, f"1,000 runs: {ours / 1024:.0f} KiB instrumented, {plain / 1024:.0f} plain"
    finally:
        instrumentor.uninstrument()
        meter_provider.shutdown()
