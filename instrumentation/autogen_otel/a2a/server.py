"""The receiving side of an A2A request: a SERVER span per request an a2a-sdk request handler
serves (Agent Framework's ``A2AExecutor``, AG2's ``A2aAgentServer``, an app's own
``AgentExecutor``), continuing the caller's trace from the request's headers (or gRPC metadata),
and current while the handler runs -- a2a-sdk runs the agent executor in the context of the
request that sent the message, so the served agent's spans nest beneath it, streaming or not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from ..core import semconv as sc
from ..core.protocol import Call, Started, traced_call, traced_stream
from ..core.wrappers import call_arg, named
from .telemetry import A2aTelemetry, card_attributes, current_version, request_attributes

_SITE = "a2a server span"
# Request handler method -> the A2A method it serves; the first two stream their response.
HANDLERS = {
    "on_message_send_stream": "SendStreamingMessage",
    "on_subscribe_to_task": "SubscribeToTask",
    "on_message_send": "SendMessage",
    "on_get_task": "GetTask",
    "on_list_tasks": "ListTasks",
    "on_cancel_task": "CancelTask",
    "on_create_task_push_notification_config": "CreateTaskPushNotificationConfig",
    "on_get_task_push_notification_config": "GetTaskPushNotificationConfig",
    "on_list_task_push_notification_configs": "ListTaskPushNotificationConfigs",
    "on_delete_task_push_notification_config": "DeleteTaskPushNotificationConfig",
    "on_get_extended_agent_card": "GetExtendedAgentCard",
}
STREAMING = frozenset({"on_message_send_stream", "on_subscribe_to_task"})
# Set in the context our SERVER span is current in: a handler subclass calling its base's method
# serves one request, one span.
_SERVING = otel_context.create_key("autogen_otel.a2a.serving")


def _headers(call_context: Any) -> Mapping[str, Any]:
    """The request's headers (lower-case names), or its gRPC metadata."""
    state = getattr(call_context, "state", None) or {}
    headers = state.get("headers")
    if isinstance(headers, Mapping):
        return headers
    grpc_context = state.get("grpc_context")
    metadata = grpc_context.invocation_metadata() if grpc_context is not None else None
    return {k.lower(): v for k, v in metadata or () if isinstance(v, str)}


def _start(telemetry: A2aTelemetry, handler: Any, method: str, args: tuple[Any, ...],
           kwargs: dict[str, Any]) -> Started | None:
    if otel_context.get_value(_SERVING):
        return None
    request, call_context = call_arg(args, kwargs, 0, "params"), call_arg(args, kwargs, 1, "context")
    headers = _headers(call_context)
    attributes = request_attributes(method, request)
    attributes[sc.A2A_PROTOCOL_VERSION] = headers.get("a2a-version") or current_version()
    tenant = getattr(call_context, "tenant", None)
    if tenant and sc.A2A_TENANT not in attributes:
        attributes[sc.A2A_TENANT] = tenant
    attributes.update(card_attributes(getattr(handler, "_agent_card", None)))
    forwarded = headers.get("x-forwarded-for")
    if isinstance(forwarded, str) and forwarded:
        attributes[sc.CLIENT_ADDRESS] = forwarded.split(",")[0].strip()
    # The caller's context -- unless a span is current already (an HTTP server instrumentation
    # continued it): then ours nests under that one.
    parent = None if trace.get_current_span().get_span_context().is_valid else propagate.extract(headers)
    span = telemetry.tracer.start_span(method, context=parent, kind=SpanKind.SERVER, attributes=attributes)
    current = otel_context.set_value(_SERVING, True, trace.set_span_in_context(span))
    return Call(telemetry, span, attributes, telemetry.server_duration), current, args, kwargs


def handler_wrapper(telemetry: A2aTelemetry, handler_name: str) -> Callable[..., Any]:
    method = HANDLERS[handler_name]
    if handler_name in STREAMING:
        def stream(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> AsyncIterator[Any]:
            # a2a-sdk captures the context of the step that enqueues the request, and runs the agent
            # executor in it: ours, current around each step.
            return named(traced_stream(_SITE, telemetry, lambda: _start(telemetry, instance, method, args, kwargs),
                                       wrapped, args, kwargs), wrapped)

        return stream

    def call(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return named(traced_call(_SITE, telemetry, lambda: _start(telemetry, instance, method, args, kwargs),
                                 wrapped, args, kwargs), wrapped)

    return call
