"""A minimal OTLP/HTTP (protobuf) receiver on loopback, decoding what SDK exporters send."""

from __future__ import annotations

import gzip
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


class OTLPReceiver:
    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.metrics: dict[str, list[Any]] = {}
        self.metric_scopes: list[tuple[str, Any]] = []  # (instrumentation scope, metric) per export
        self.requests = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                owner._ingest(self.path, body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _ingest(self, path: str, body: bytes) -> None:
        with self._lock:
            self.requests += 1
            if path.endswith("/v1/traces"):
                request = ExportTraceServiceRequest.FromString(body)
                for resource_spans in request.resource_spans:
                    resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            self.spans.append({
                                "name": span.name, "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                                "parent_id": span.parent_span_id.hex(), "kind": span.kind,
                                "status": span.status.code, "scope": scope_spans.scope.name, "resource": resource,
                                "attributes": {a.key: _value(a.value) for a in span.attributes},
                            })
            elif path.endswith("/v1/metrics"):
                request = ExportMetricsServiceRequest.FromString(body)
                for resource_metrics in request.resource_metrics:
                    for scope_metrics in resource_metrics.scope_metrics:
                        for metric in scope_metrics.metrics:
                            self.metrics.setdefault(metric.name, []).append(metric)
                            self.metric_scopes.append((scope_metrics.scope.name, metric))


def exporting_env(receiver: OTLPReceiver, service: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a subprocess under ``opentelemetry-instrument`` exporting to ``receiver``
    (nothing of this process's OTEL_/OPENAI_/AUTOGEN_ settings leaks into it)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_", "AUTOGEN_"))}
    environment.update({
        "OTEL_SERVICE_NAME": service, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "none", "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_METRIC_EXPORT_INTERVAL": "500", "PYTHONWARNINGS": "ignore", **(extra or {}),
    })
    return environment


def wait_for(probe: Callable[[], Any], limit: float = 20) -> Any:
    """``probe()``'s first truthy answer, asked every 0.1 s for up to ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("nothing arrived")
