"""The exporters ``configure()`` sets up, from the standard OpenTelemetry variables.

Read here: ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` (which exporters),
``OTEL_EXPORTER_OTLP_ENDPOINT`` and the per-signal ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` /
``..._METRICS_ENDPOINT``, ``OTEL_EXPORTER_OTLP_PROTOCOL`` (and per signal). The OTLP exporters
themselves read the rest (headers, timeout, compression, certificates, ``OTEL_BSP_*``).

Bounded by default: an unreachable collector costs a few seconds at exit, not the SDK's 10 s
per signal plus retries, and its retries are reported once, not once per attempt.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from .core.config import ConfigError

PROTOCOLS = ("grpc", "http/protobuf")
TRACES_EXPORTERS = ("otlp", "console", "autogen_waterfall", "none")
METRICS_EXPORTERS = ("otlp", "console", "none")
# Seconds one export may take, retries included, unless OTEL_EXPORTER_OTLP_[SIGNAL_]TIMEOUT says.
DEFAULT_EXPORT_TIMEOUT_S = 3.0
_EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http._log_exporter",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.common._exporter",
)


def env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def exporter_names(variable: str, accepted: tuple[str, ...]) -> list[str] | None:
    """The exporters an ``OTEL_*_EXPORTER`` variable names (None: unset)."""
    raw = env(variable)
    if raw is None:
        return None
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    bad = [n for n in names if n not in accepted]
    if bad:
        raise ConfigError(f"{variable}={raw!r} is not valid; accepted values: {', '.join(accepted)} "
                          "(comma-separated)")
    return [n for n in names if n != "none"]


def signal_setting(signal: str, key: str) -> tuple[str, str | None]:
    """(variable, value) of a per-signal OTLP setting, falling back to the general one."""
    specific = f"OTEL_EXPORTER_OTLP_{signal.upper()}_{key}"
    if env(specific) is not None:
        return specific, env(specific)
    general = f"OTEL_EXPORTER_OTLP_{key}"
    return general, env(general)


def otlp_exporter(signal: str, endpoint: str | None, protocol: str, from_code: bool) -> Any:
    """An OTLP span or metric exporter. With the endpoint from the environment, the exporter reads
    it itself (per-signal variables, the ``/v1/{signal}`` path rule, headers, certificates)."""
    kwargs: dict[str, Any] = {}
    if signal_setting(signal, "TIMEOUT")[1] is None:
        kwargs["timeout"] = DEFAULT_EXPORT_TIMEOUT_S
    if protocol == "grpc":
        if signal == "traces":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as Exporter
        else:
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as Exporter
        if from_code and endpoint:
            kwargs["endpoint"] = endpoint
            kwargs["insecure"] = endpoint.startswith("http://")
        return Exporter(**kwargs)
    if signal == "traces":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as Exporter
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as Exporter
    if from_code and endpoint:
        kwargs["endpoint"] = f"{endpoint}/v1/{signal}"
    return Exporter(**kwargs)


class _Once(logging.Filter):
    """Lets the first export failure of each exporter through, then says it stops repeating them."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        # gRPC's trace and metric exporters share one logger: tell them apart by what they say.
        try:
            text = record.getMessage().lower()
        except Exception:
            text = ""
        signal = next((s for s in ("trace", "span", "metric", "log") if s in text), "")
        key = f"{record.name}:{'trace' if signal == 'span' else signal}"
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
        record.msg = f"{record.msg} (autogen-otel: further export errors from this exporter are not logged)"
        return True


_once = _Once()


def quiet_retries() -> None:
    for name in _EXPORTER_LOGGERS:
        logger = logging.getLogger(name)
        if _once not in logger.filters:
            logger.addFilter(_once)
