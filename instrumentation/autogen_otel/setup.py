"""``configure()``: one call that sets up tracing and metrics for an AutoGen app.

OTLP export follows the standard ``OTEL_EXPORTER_OTLP_*`` variables; with no endpoint the
conversation waterfall is printed to the terminal instead.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import urlsplit

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

from .core.config import ConfigError
from .exporters import (
    METRICS_EXPORTERS,
    PROTOCOLS,
    TRACES_EXPORTERS,
    env,
    exporter_names,
    otlp_exporter,
    quiet_retries,
    signal_setting,
)
from .instrumentor import (
    A2AInstrumentor,
    AG2Instrumentor,
    AgentChatInstrumentor,
    AgentFrameworkInstrumentor,
    MCPInstrumentor,
)
from .waterfall import WaterfallExporter

ENV_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
ENV_PROTOCOL = "OTEL_EXPORTER_OTLP_PROTOCOL"


@dataclass
class Configured:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    instrumentor: AgentChatInstrumentor
    ag2_instrumentor: AG2Instrumentor
    endpoint: str | None
    protocol: str | None
    console: bool
    maf_instrumentor: AgentFrameworkInstrumentor | None = None
    mcp_instrumentor: MCPInstrumentor | None = None
    a2a_instrumentor: A2AInstrumentor | None = None
    arguments: dict[str, Any] = field(default_factory=dict)  # what the call that made it was given

    def shutdown(self) -> None:
        """Flush and stop exporting (call before the process exits); bounded by the export timeout
        (``OTEL_EXPORTER_OTLP_TIMEOUT``, default a few seconds) even when the collector is down."""
        for provider in (self.tracer_provider, self.meter_provider):
            stop = getattr(provider, "shutdown", None)  # not on the API's proxies (a setup we kept)
            if stop is not None:
                stop()


_CONFIGURE_KEYWORDS = ("service_name", "endpoint", "protocol", "console", "console_out", "set_global",
                       "metric_interval_ms")
_lock = threading.Lock()
logger = logging.getLogger(__name__)
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


# Spans held in memory while the collector is unreachable: the SDK's 2048 is ~20 runs of a chatty
# team; 8192 (~16 MiB at most) rides out a collector restart. OTEL_BSP_MAX_QUEUE_SIZE wins.
AGENT_SPAN_QUEUE = 8192


def span_queue() -> dict[str, int]:
    return {} if env("OTEL_BSP_MAX_QUEUE_SIZE") else {"max_queue_size": AGENT_SPAN_QUEUE}


def _already_instrumented(given: dict[str, Any]) -> Configured | None:
    """The setup opentelemetry-instrument (or the app's own instrument() calls) already made, if any:
    configure() on top would only fail to replace the global providers and re-instrument."""
    instrumentors = (AgentChatInstrumentor(), AG2Instrumentor(), AgentFrameworkInstrumentor(), MCPInstrumentor(),
                     A2AInstrumentor())
    if not any(i.is_instrumented_by_opentelemetry for i in instrumentors):
        return None
    logger.warning("autogen-otel: configure() in a process already instrumented (opentelemetry-instrument, or "
                   "instrument() calls): keeping that setup and its exporters; use one or the other")
    tracer_provider, meter_provider = trace.get_tracer_provider(), metrics.get_meter_provider()
    return Configured(tracer_provider, meter_provider, instrumentors[0], instrumentors[1],  # type: ignore[arg-type]
                      None, None, False, instrumentors[2], instrumentors[3], instrumentors[4],  # type: ignore[arg-type]
                      given)


def configure(*, service_name: str | None = None, endpoint: str | None = None, protocol: str | None = None,
              console: bool | None = None, console_out: TextIO | None = None, set_global: bool = True,
              metric_interval_ms: int = 10000, **instrument_options: Any) -> Configured:
    """Set up tracer and meter providers, exporters and the instrumentor; safe to call twice.

    ``endpoint``/``protocol`` default to the standard variables (``OTEL_EXPORTER_OTLP_ENDPOINT``,
    per signal ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` / ``..._METRICS_ENDPOINT``,
    ``OTEL_EXPORTER_OTLP_[SIGNAL_]PROTOCOL``: ``grpc`` or ``http/protobuf``, default
    ``http/protobuf``); ``endpoint=""`` never exports. ``OTEL_TRACES_EXPORTER`` (``otlp``,
    ``console``, ``autogen_waterfall``, ``none``) and ``OTEL_METRICS_EXPORTER`` (``otlp``,
    ``console``, ``none``) choose the exporters; families named in
    ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` are left alone. ``console`` (the terminal view:
    ``autogen_waterfall``) defaults to on when traces are not exported; ``OTEL_TRACES_EXPORTER=console``
    is the SDK's console exporter (JSON spans), as under ``opentelemetry-instrument``. Other keywords go to
    ``instrument()`` of every instrumentor (``capture_content``, ``runtime_spans``, ...); each
    family that is installed (AgentChat, AG2 Classic, Agent Framework) is traced.
    """
    global _configured
    from .instrumentor import _SETTINGS, check_keywords

    check_keywords("configure()", instrument_options, (*_SETTINGS, *_CONFIGURE_KEYWORDS))
    given = {"service_name": service_name, "endpoint": endpoint, "protocol": protocol, "console": console,
             "console_out": console_out, "set_global": set_global, "metric_interval_ms": metric_interval_ms,
             **instrument_options}
    with _lock:
        if _configured is not None:
            ignored = {k: v for k, v in given.items() if _configured.arguments.get(k) != v}
            if ignored:
                logger.warning("autogen-otel: configure() was already called; this call's %s ignored (the first "
                               "call's setup stays)", ", ".join(f"{k}={v!r}" for k, v in ignored.items()))
            return _configured
        kept = _already_instrumented(given)
        if kept is not None:
            _configured = kept
            return kept
        from_code = endpoint is not None
        raw_endpoint = endpoint if from_code else env(ENV_ENDPOINT)
        endpoint = validate_endpoint(raw_endpoint, "endpoint" if from_code else ENV_ENDPOINT) if raw_endpoint else None
        traces = exporter_names("OTEL_TRACES_EXPORTER", TRACES_EXPORTERS)
        metric_names = exporter_names("OTEL_METRICS_EXPORTER", METRICS_EXPORTERS)
        targets: dict[str, tuple[str | None, str]] = {}  # signal -> (endpoint, protocol), when exported
        no_export = from_code and endpoint is None  # endpoint="": never export, whatever the environment says
        for signal, names in (() if no_export else (("traces", traces), ("metrics", metric_names))):
            variable, own = signal_setting(signal, "ENDPOINT") if not from_code else ("endpoint", endpoint)
            if own and not from_code:
                validate_endpoint(own, variable)
            target = (endpoint if from_code else own) or None
            if names is None and target is None:
                continue  # no endpoint for this signal, no exporter asked for: nothing to export
            if names is not None and "otlp" not in names:
                continue
            p_variable, p_value = ("protocol", protocol) if protocol is not None else signal_setting(signal, "PROTOCOL")
            targets[signal] = (target, validate_protocol(p_value or "http/protobuf", p_variable))
        shown = targets.get("traces") or targets.get("metrics")
        endpoint = (shown[0] or "the OTLP exporters' default endpoint") if shown else None
        protocol = shown[1] if shown else None
        if console is None:
            console = "traces" not in targets if traces is None else "autogen_waterfall" in traces
        # `console` means the SDK's console exporter (JSON spans), as under opentelemetry-instrument.
        json_spans = traces is not None and "console" in traces

        # OTEL_SERVICE_NAME, when set, wins over the name given in code (as for every OTel SDK setting).
        named = service_name and not os.environ.get("OTEL_SERVICE_NAME")
        resource = Resource.create({"service.name": service_name} if named else {})
        tracer_provider = TracerProvider(resource=resource)
        readers: list[Any] = []
        if targets:
            quiet_retries()
        if "traces" in targets:
            target, proto = targets["traces"]
            tracer_provider.add_span_processor(BatchSpanProcessor(otlp_exporter("traces", target, proto, from_code),
                                                                  **span_queue()))
        if "metrics" in targets:
            target, proto = targets["metrics"]
            readers.append(PeriodicExportingMetricReader(otlp_exporter("metrics", target, proto, from_code),
                                                         export_interval_millis=metric_interval_ms))
        if metric_names and "console" in metric_names:
            from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

            readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter(),
                                                         export_interval_millis=metric_interval_ms))
        if console:
            tracer_provider.add_span_processor(SimpleSpanProcessor(WaterfallExporter(console_out)))
        if json_spans:
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        if set_global:
            trace.set_tracer_provider(tracer_provider)
            metrics.set_meter_provider(meter_provider)
        instrumentor, ag2, maf = AgentChatInstrumentor(), AG2Instrumentor(), AgentFrameworkInstrumentor()
        mcp, a2a = MCPInstrumentor(), A2AInstrumentor()
        disabled = {n.strip() for n in (env("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS") or "").split(",")}
        for name, each in (("autogen_agentchat", instrumentor), ("autogen", ag2), ("agent_framework", maf),
                           ("mcp", mcp), ("a2a", a2a)):
            if name not in disabled and "*" not in disabled:
                each.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider, **instrument_options)
        _configured = Configured(tracer_provider, meter_provider, instrumentor, ag2, endpoint, protocol, console, maf,
                                 mcp, a2a, given)
        return _configured
