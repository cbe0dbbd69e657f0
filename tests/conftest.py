"""Shared fixtures: the real OTel SDK with in-memory exporters, the instrumentor, and the
scripted OpenAI-compatible server the real OpenAI client talks to over HTTP."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from autogen_otel import (
    A2AInstrumentor,
    AG2Instrumentor,
    AgentChatInstrumentor,
    AgentFrameworkInstrumentor,
    MCPInstrumentor,
)
from autogen_otel.core.conventions import metric_violations, span_violations
from autogen_otel.demo.llm_server import Reply, ScriptedLLMServer
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

# The suite keeps genai-prices' digest in a directory of its own, not in the user's cache.
if "AUTOGEN_OTEL_CACHE_DIR" not in os.environ:
    os.environ["AUTOGEN_OTEL_CACHE_DIR"] = tempfile.mkdtemp(prefix="autogen-otel-test-cache-")
    atexit.register(shutil.rmtree, os.environ["AUTOGEN_OTEL_CACHE_DIR"], True)

# One global provider for the session (the global can be set only once). AutoGen's own
# tracing uses the global provider, so tests see what it would emit too.
_EXPORTER = InMemorySpanExporter()
_PROVIDER = TracerProvider()
_PROVIDER.add_span_processor(SimpleSpanProcessor(_EXPORTER))
trace.set_tracer_provider(_PROVIDER)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    yield _EXPORTER
    # Everything of ours a test produced meets the conventions' definitions (core/conventions.py).
    finished = [s for s in _EXPORTER.get_finished_spans()
                if s.instrumentation_scope and s.instrumentation_scope.name.startswith("autogen_otel")]
    _EXPORTER.clear()
    problems = span_violations(finished)
    assert not problems, "\n".join(problems[:20])


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


def _instrumented(instrumentor: Any, reader: InMemoryMetricReader) -> Iterator[Any]:
    """``apply(**settings)`` (re-)instruments with the test providers; uninstrumented afterwards."""
    meter_provider = MeterProvider(metric_readers=[reader])

    def apply(**settings: Any) -> Any:
        instrumentor.uninstrument()
        instrumentor.instrument(tracer_provider=_PROVIDER, meter_provider=meter_provider, **settings)
        return instrumentor

    apply()
    yield apply
    problems = metric_violations(reader.get_metrics_data())
    instrumentor.uninstrument()
    meter_provider.shutdown()
    assert not problems, "\n".join(problems[:20])


@pytest.fixture
def instrument(spans: InMemorySpanExporter, metric_reader: InMemoryMetricReader) -> Iterator[Any]:
    """AgentChat's instrumentor; ``instrument(**settings)`` to re-instrument with options."""
    yield from _instrumented(AgentChatInstrumentor(), metric_reader)


@pytest.fixture
def instrument_ag2(spans: InMemorySpanExporter, metric_reader: InMemoryMetricReader) -> Iterator[Any]:
    """AG2 Classic's instrumentor; ``instrument_ag2(**settings)`` to re-instrument with options."""
    yield from _instrumented(AG2Instrumentor(), metric_reader)


@pytest.fixture
def instrument_maf(spans: InMemorySpanExporter, metric_reader: InMemoryMetricReader) -> Iterator[Any]:
    """Agent Framework's instrumentor; ``instrument_maf(**settings)`` to re-instrument with options."""
    yield from _instrumented(AgentFrameworkInstrumentor(), metric_reader)


@pytest.fixture
def instrument_mcp(spans: InMemorySpanExporter, metric_reader: InMemoryMetricReader) -> Iterator[Any]:
    """The MCP SDK's instrumentor; ``instrument_mcp(**settings)`` to re-instrument with options."""
    yield from _instrumented(MCPInstrumentor(), metric_reader)


@pytest.fixture
def a2a_metrics() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def instrument_a2a(spans: InMemorySpanExporter, a2a_metrics: InMemoryMetricReader) -> Iterator[Any]:
    """a2a-sdk's instrumentor (its metrics in ``a2a_metrics``, so a family's instrumentor can run
    beside it); ``instrument_a2a(**settings)`` to re-instrument with options."""
    yield from _instrumented(A2AInstrumentor(), a2a_metrics)


@pytest.fixture
def llm_server() -> Iterator[Any]:
    """``llm_server(script)`` starts a scripted server; all are stopped after the test."""
    servers: list[ScriptedLLMServer] = []

    def start(script: Any) -> ScriptedLLMServer:
        server = ScriptedLLMServer(script).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


__all__ = ["Reply"]
