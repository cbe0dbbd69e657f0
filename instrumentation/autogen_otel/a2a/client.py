"""The calling side of an A2A request (a2a-sdk's ``BaseClient``, which Agent Framework's
``A2AAgent``, AG2's ``A2aRemoteAgent`` and an app's own client all use): a CLIENT span from the
call until the response -- or the end of its stream -- under whatever is current (the agent that
delegates), and the W3C context of that span in the request's service parameters, which every
transport sends (HTTP headers, gRPC metadata)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from ..core import semconv as sc
from ..core.endpoint import host_port
from ..core.failopen import safely
from ..core.protocol import Call, Started, traced_call, traced_stream
from ..core.wrappers import call_arg, named
from .telemetry import METHODS, A2aTelemetry, card_attributes, current_version, request_attributes

_SITE = "a2a client span"


def _with_context(call_context: Any, carrier: dict[str, str]) -> Any:
    """The app's call context with trace context added to its service parameters: what the app
    (or an interceptor) set there wins; the app's object itself is untouched."""
    from a2a.client.client import ClientCallContext

    if call_context is None:
        return ClientCallContext(service_parameters=dict(carrier))
    parameters = {**carrier, **(call_context.service_parameters or {})}
    return call_context.model_copy(update={"service_parameters": parameters})


def _endpoint(client: Any) -> tuple[dict[str, Any], str | None]:
    """``server.address``/``server.port`` of the interface the client's transport talks to, and
    the protocol version that interface declares."""
    url = getattr(getattr(client, "_transport", None), "url", None)
    attributes: dict[str, Any] = {}
    host, port = host_port(url)
    if host:
        attributes[sc.SERVER_ADDRESS] = host
        if port is not None:
            attributes[sc.SERVER_PORT] = port
    version = None
    for interface in getattr(getattr(client, "_card", None), "supported_interfaces", ()):
        if interface.url == url and interface.protocol_version:
            version = interface.protocol_version
    return attributes, version


def _delegating_agent(span: Any) -> str | None:
    attributes = getattr(span, "attributes", None) or {}
    if attributes.get(sc.GEN_AI_OPERATION_NAME) == sc.OP_AGENT:
        name = attributes.get(sc.GEN_AI_AGENT_NAME)
        return name if isinstance(name, str) else None
    return None


def _start(telemetry: A2aTelemetry, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Started:
    # _execute_with_interceptors(input_data, method, context, transport_call), and the stream's alike
    request, sdk_method = call_arg(args, kwargs, 0, "input_data"), call_arg(args, kwargs, 1, "method")
    method = METHODS.get(sdk_method, sdk_method)
    attributes = request_attributes(method, request)
    endpoint, version = _endpoint(client)
    attributes.update(endpoint)
    attributes[sc.A2A_PROTOCOL_VERSION] = version or current_version()
    attributes.update(card_attributes(getattr(client, "_card", None)))
    if sc.GEN_AI_AGENT_NAME not in attributes:
        # A client built from a bare URL has a card without a name (Agent Framework's A2AAgent(url=...)):
        # the remote agent as the delegating agent span names it.
        name = _delegating_agent(trace.get_current_span())
        if name:
            attributes[sc.GEN_AI_AGENT_NAME] = name
    span = telemetry.tracer.start_span(method, kind=SpanKind.CLIENT, attributes=attributes)
    span_context = trace.set_span_in_context(span)
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=span_context)
    transport_call = call_arg(args, kwargs, 3, "transport_call")

    def sending(request: Any, call_context: Any) -> Any:
        sent = safely("a2a trace context", _with_context, call_context, carrier)
        return transport_call(request, sent if sent is not None else call_context)

    if len(args) > 3:
        args = (*args[:3], sending, *args[4:])
    else:
        kwargs = {**kwargs, "transport_call": sending}
    return Call(telemetry, span, attributes, telemetry.client_duration), span_context, args, kwargs


def execute_wrapper(telemetry: A2aTelemetry) -> Callable[..., Any]:
    """``BaseClient._execute_with_interceptors``: one request, one response."""

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return named(traced_call(_SITE, telemetry, lambda: _start(telemetry, instance, args, kwargs),
                                 wrapped, args, kwargs), wrapped)

    return wrapper


def stream_wrapper(telemetry: A2aTelemetry) -> Callable[..., Any]:
    """``BaseClient._execute_stream_with_interceptors``: the span lasts until the stream ends."""

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        return named(traced_stream(_SITE, telemetry, lambda: _start(telemetry, instance, args, kwargs),
                                   wrapped, args, kwargs), wrapped)

    return wrapper
