"""The sending side of an MCP 1.x request: a CLIENT span from send until the response, under
whatever is current (an agent's ``execute_tool``), and the W3C context of that span in the
request's ``params._meta`` for the receiving side to continue."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from ..core import semconv as sc
from ..core.failopen import safely
from .telemetry import Call, McpTelemetry, request_attributes
from .transports import attributes_of as transport_attributes

# The protocol version each session negotiated at initialize, for its later requests' spans.
_VERSIONS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


class _WithContext:
    """The app's request, serialised with trace context added to ``params._meta``: what the app
    set there stays, only keys it did not set are added (the request object itself is untouched)."""

    __slots__ = ("_carrier", "_request")

    def __init__(self, request: Any, carrier: dict[str, str]) -> None:
        self._request, self._carrier = request, carrier

    def model_dump(self, *args: Any, **kwargs: Any) -> Any:
        data = self._request.model_dump(*args, **kwargs)
        safely("mcp trace context", _add_meta, data, self._carrier)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # what isinstance and the SDK's messages see: the app's request type
        return type(self._request)


def _add_meta(data: dict[str, Any], carrier: dict[str, str]) -> None:
    params = data.get("params")
    if params is None:
        params = data["params"] = {}
    meta = params.get("_meta")
    if meta is None:
        meta = params["_meta"] = {}
    for key, value in carrier.items():
        meta.setdefault(key, value)


def _start(telemetry: McpTelemetry, session: Any, request: Any) -> tuple[Call, _WithContext]:
    root = getattr(request, "root", request)
    params = getattr(root, "params", None)
    name, attributes = request_attributes(root.method, params)
    request_id = getattr(session, "_request_id", None)  # the id send_request is about to use
    if request_id is not None:
        attributes[sc.JSONRPC_REQUEST_ID] = str(request_id)
    version = _VERSIONS.get(session)
    if version:
        attributes[sc.MCP_PROTOCOL_VERSION] = version
    attributes.update(transport_attributes(session))
    span = telemetry.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
    call = Call(telemetry, span, attributes, telemetry.client_duration)
    if root.method == "tools/call":
        telemetry.content(span, sc.GEN_AI_TOOL_CALL_ARGUMENTS, getattr(params, "arguments", None))
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return call, _WithContext(request, carrier)


def _finish(call: Call, session: Any, result: Any) -> None:
    version = getattr(result, "protocolVersion", None)
    if call.attributes.get(sc.MCP_METHOD_NAME) == "initialize" and isinstance(version, str):
        _VERSIONS[session] = version
        call.span.set_attribute(sc.MCP_PROTOCOL_VERSION, version)
    call.result(result)


def send_request_wrapper(telemetry: McpTelemetry) -> Callable[..., Any]:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        request = args[0] if args else kwargs.get("request")
        started = safely("mcp client span", _start, telemetry, instance, request)
        if started is None:
            return await wrapped(*args, **kwargs)
        call, sent = started
        if args:
            args = (sent, *args[1:])
        else:
            kwargs = {**kwargs, "request": sent}
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            safely("mcp client span", call.raised, exc)
            safely("mcp client span", call.end)
            raise
        safely("mcp client span", _finish, call, instance, result)
        safely("mcp client span", call.end)
        return result

    return wrapper
