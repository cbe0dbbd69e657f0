"""An OTLP/gRPC trace receiver on loopback, standing where Tempo stands in deploy/: the
collector's traces pipeline exports to it, so the e2e suite sees exactly what Tempo would get."""

from __future__ import annotations

import threading
from concurrent import futures
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


def _attributes(pairs: Any) -> dict[str, Any]:
    attrs = {}
    for a in pairs:
        kind = a.value.WhichOneof("value")
        attrs[a.key] = getattr(a.value, kind) if kind and kind != "array_value" else None
    return attrs


class _Service(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, sink: OTLPGrpcSink) -> None:
        self.sink = sink

    def Export(self, request: Any, context: Any) -> Any:
        with self.sink.lock:
            for resource_spans in request.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.sink.spans.append({"name": span.name, "trace_id": span.trace_id.hex(),
                                                "span_id": span.span_id.hex(),
                                                "parent_id": span.parent_span_id.hex(), "kind": span.kind,
                                                "attributes": _attributes(span.attributes),
                                                "events": [{"name": e.name, "attributes": _attributes(e.attributes)}
                                                           for e in span.events],
                                                "resource": resource, "status": span.status.code,
                                                "scope": scope_spans.scope.name})
        return trace_service_pb2.ExportTraceServiceResponse()


class OTLPGrpcSink:
    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.port = self._serve(0)

    def _serve(self, port: int) -> int:
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Service(self), self.server)
        bound = self.server.add_insecure_port(f"127.0.0.1:{port}")
        self.server.start()
        return bound

    def stop(self) -> None:
        self.server.stop(grace=1).wait(5)

    def restart(self) -> None:
        """The backend coming back on the same address (the spans it had stay)."""
        self._serve(self.port)
