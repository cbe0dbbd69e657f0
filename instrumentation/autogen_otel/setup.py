"""``configure()``: one call that sets up tracing and metrics for an AutoGen app.

OTLP export follows the standard ``OTEL_EXPORTER_OTLP_*`` variables; with no endpoint the
conversation waterfall is printed to the terminal instead.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlsplit

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

from .config import ConfigError
from .instrumentor import AG2Instrumentor, AgentFrameworkInstrumentor, AutoGenInstrumentor
from .waterfall import WaterfallExporter

ENV_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
ENV_PROTOCOL = "OTEL_EXPORTER_OTLP_PROTOCOL"
PROTOCOLS = ("grpc", "http/protobuf")


@dataclass
class Configured:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    instrumentor: AutoGenInstrumentor
    ag2_instrumentor: AG2Instrumentor
    endpoint: str | None
    protocol: str | None
    console: bool
    maf_instrumentor: AgentFrameworkInstrumentor | None = None

    def shutdown(self) -> None:
        """Flush and stop exporting (call before the process exits)."""
        self.tracer_provider.force_flush()
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


_CONFIGURE_KEYWORDS = ("service_name", "endpoint", "protocol", "console", "console_out", "set_global",
                       "metric_interval_ms")
_lock = threading.Lock()
_configured: Configured | None = None


def validate_endpoint(endpoint: str, setting: str = ENV_ENDPOINT) -> str:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{setting}={endpoint!r} is not valid; expected an http:// or https:// URL with a host, "
                          "e.g. http://localhost:4318 (http/protobuf) or http://localhost:4317 (grpc)")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ConfigError(f"{setting}={endpoint!r} has an invalid port") from None
    return endpoint.rstrip("/")


def validate_protocol(protocol: str, setting: str = ENV_PROTOCOL) -> str:
    value = protocol.strip().lower()
    if value not in PROTOCOLS:
        raise ConfigError(f"{setting}={protocol!r} is not valid; accepted values: {', '.join(PROTOCOLS)}")
    return value


def _otlp_exporters(endpoint: str, protocol: str) -> tuple[Any, Any]:
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        insecure = endpoint.startswith("http://")
        return OTLPSpanExporter(endpoint=endpoint, insecure=insecure), OTLPMetricExporter(endpoint=endpoint,
                                                                                          insecure=insecure)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"), OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics")


def configure(*, service_name: str | None = None, endpoint: str | None = None, protocol: str | None = None,
              console: bool | None = None, console_out: TextIO | None = None, set_global: bool = True,
              metric_interval_ms: int = 10000, **instrument_options: Any) -> Configured:
    """Set up tracer and meter providers, exporters and the instrumentor; safe to call twice.

    ``endpoint``/``protocol`` default to ``OTEL_EXPORTER_OTLP_ENDPOINT``/``OTEL_EXPORTER_OTLP_PROTOCOL``
    (``grpc`` or ``http/protobuf``; default ``http/protobuf``). ``console`` (the terminal
    waterfall) defaults to on when there is no endpoint. Other keywords go to
    ``instrument()`` of both instrumentors (``capture_content``, ``runtime_spans``, ...); each
    family that is installed (AgentChat, AG2 Classic, Agent Framework) is traced.
    """
    global _configured
    from .instrumentor import _SETTINGS, check_keywords

    check_keywords("configure()", instrument_options, (*_SETTINGS, *_CONFIGURE_KEYWORDS))
    with _lock:
        if _configured is not None:
            return _configured
        raw_endpoint = endpoint if endpoint is not None else os.environ.get(ENV_ENDPOINT) or None
        raw_protocol = protocol if protocol is not None else os.environ.get(ENV_PROTOCOL) or "http/protobuf"
        setting_e = "endpoint" if endpoint is not None else ENV_ENDPOINT
        setting_p = "protocol" if protocol is not None else ENV_PROTOCOL
        endpoint = validate_endpoint(raw_endpoint, setting_e) if raw_endpoint else None
        protocol = validate_protocol(raw_protocol, setting_p) if endpoint else None
        console = (endpoint is None) if console is None else console

        # OTEL_SERVICE_NAME, when set, wins over the name given in code (as for every OTel SDK setting).
        named = service_name and not os.environ.get("OTEL_SERVICE_NAME")
        resource = Resource.create({"service.name": service_name} if named else {})
        tracer_provider = TracerProvider(resource=resource)
        readers = []
        if endpoint and protocol:
            span_exporter, metric_exporter = _otlp_exporters(endpoint, protocol)
            tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
            readers.append(PeriodicExportingMetricReader(metric_exporter, export_interval_millis=metric_interval_ms))
        if console:
            tracer_provider.add_span_processor(SimpleSpanProcessor(WaterfallExporter(console_out)))
        meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        if set_global:
            trace.set_tracer_provider(tracer_provider)
            metrics.set_meter_provider(meter_provider)
        instrumentor, ag2, maf = AutoGenInstrumentor(), AG2Instrumentor(), AgentFrameworkInstrumentor()
        for each in (instrumentor, ag2, maf):
            each.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider, **instrument_options)
        _configured = Configured(tracer_provider, meter_provider, instrumentor, ag2, endpoint, protocol, console, maf)
        return _configured
