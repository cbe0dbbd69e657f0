"""Shared fixtures: the real OTel SDK with in-memory exporters, the instrumentor, and the
scripted OpenAI-compatible server the real OpenAI client talks to over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from autogen_otel import AutoGenInstrumentor
from autogen_otel.demo.llm_server import Reply, ScriptedLLMServer
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

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
    _EXPORTER.clear()


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def instrument(spans: InMemorySpanExporter, metric_reader: InMemoryMetricReader) -> Iterator[Any]:
    """Instrument with the test providers; ``instrument(**settings)`` to re-instrument with options."""
    instrumentor = AutoGenInstrumentor()
    meter_provider = MeterProvider(metric_readers=[metric_reader])

    def apply(**settings: Any) -> AutoGenInstrumentor:
        instrumentor.uninstrument()
        instrumentor.instrument(tracer_provider=_PROVIDER, meter_provider=meter_provider, **settings)
        return instrumentor

    apply()
    yield apply
    instrumentor.uninstrument()
    meter_provider.shutdown()


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
