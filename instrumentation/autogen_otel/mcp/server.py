"""The receiving side of an MCP 1.x request (FastMCP or the low-level ``Server``, any transport): a
SERVER span continuing the caller's context from ``params._meta``, current while the handler runs
so the tool's own work (its model calls, HTTP calls, agents) is beneath it."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind

from ..core import semconv as sc
from ..core.failopen import safely
from .telemetry import Call, McpTelemetry, request_attributes, session_id

# The request being handled, for its response to be recorded on its span.
_HANDLING: contextvars.ContextVar[Call | None] = contextvars.ContextVar("autogen_otel_mcp_request", default=None)


def _parent(meta: Any) -> context.Context | None:
    """The caller's context from ``_meta``; None (the ambient context) when it carries none valid."""
    if meta is None:
        return None
    carrier = meta.model_dump() if hasattr(meta, "model_dump") else meta
    if not isinstance(carrier, dict) or "traceparent" not in carrier:
        return None
    carrier = {k: v for k, v in carrier.items() if isinstance(v, str)}
    extracted = propagate.extract(carrier)
    return extracted if trace.get_current_span(extracted).get_span_context().is_valid else None


def _start(telemetry: McpTelemetry, message: Any, request: Any, session: Any) -> tuple[Call, object]:
    params = getattr(request, "params", None)
    name, attributes = request_attributes(request.method, params)
    request_id = getattr(message, "request_id", None)
    if request_id is not None:
        attributes[sc.JSONRPC_REQUEST_ID] = str(request_id)
    client_params = getattr(session, "client_params", None)
    version = getattr(client_params, "protocolVersion", None)
    if isinstance(version, str):
        attributes[sc.MCP_PROTOCOL_VERSION] = version
    http_request = getattr(getattr(message, "message_metadata", None), "request_context", None)
    if http_request is None:
        attributes[sc.NETWORK_TRANSPORT] = "pipe"
    else:
        attributes[sc.NETWORK_TRANSPORT] = "tcp"
        attributes[sc.NETWORK_PROTOCOL_NAME] = "http"
        headers = getattr(http_request, "headers", None)
        raw = headers.get("mcp-session-id") if headers is not None else None
        if raw:
            attributes[sc.MCP_SESSION_ID] = session_id(raw)
        client = getattr(http_request, "client", None)
        if getattr(client, "host", None):
            attributes[sc.CLIENT_ADDRESS] = client.host
    parent = _parent(getattr(message, "request_meta", None))
    span = telemetry.tracer.start_span(name, context=parent, kind=SpanKind.SERVER, attributes=attributes)
    call = Call(telemetry, span, attributes, telemetry.server_duration)
    if request.method == "tools/call":
        telemetry.content(span, sc.GEN_AI_TOOL_CALL_ARGUMENTS, getattr(params, "arguments", None))
    # The caller's baggage comes along with its trace.
    token = context.attach(trace.set_span_in_context(span, parent or context.get_current()))
    return call, token


def handle_request_wrapper(telemetry: McpTelemetry) -> Callable[..., Any]:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        message, request, session = (list(args[:3]) + [None] * 3)[:3]
        message = kwargs.get("message", message)
        request = kwargs.get("req", request)
        session = kwargs.get("session", session)
        started = safely("mcp server span", _start, telemetry, message, request, session)
        if started is None:
            return await wrapped(*args, **kwargs)
        call, token = started
        handling = _HANDLING.set(call)
        try:
            return await wrapped(*args, **kwargs)
        except BaseException as exc:
            safely("mcp server span", call.raised, exc)
            raise
        finally:
            _HANDLING.reset(handling)
            safely("mcp server span", context.detach, token)
            safely("mcp server span", call.end)

    return wrapper


def respond_wrapper(telemetry: McpTelemetry) -> Callable[..., Any]:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        call = _HANDLING.get()
        if call is not None:
            response = args[0] if args else kwargs.get("response")
            safely("mcp server span", call.result, response)
        return await wrapped(*args, **kwargs)

    return wrapper
