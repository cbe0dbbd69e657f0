"""What the protocol patches (MCP, A2A) share: a tracer, the settings, a duration histogram per
side, and a request's span and clock ended once with its outcome -- the error's text only with
content capture on, the metric labelled by bounded attributes only."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, Status, StatusCode

from . import semconv as sc
from .config import Settings
from .content import dumps, scrub, truncate
from .failopen import report, safely
from .metrics import _histogram


class ProtocolTelemetry:
    """Tracer, settings and the client/server operation-duration histograms of one protocol."""

    # Span attributes that also label the duration metrics: all bounded.
    metric_keys: tuple[str, ...] = ()

    def __init__(self, tracer: Any, meter: Any, settings: Settings, protocol: str, client_metric: str,
                 server_metric: str, buckets: tuple[float, ...]) -> None:
        self.tracer, self.settings = tracer, settings
        self.client_duration = _histogram(meter, client_metric, "s",
                                          f"Duration of an {protocol} request as the sender sees it", buckets)
        self.server_duration = _histogram(meter, server_metric, "s",
                                          f"Duration of an {protocol} request as the receiver handles it", buckets)

    def ended(self, call: Call) -> None:
        """After a request's span ended: nothing by default."""

    def content(self, span: Span, key: str, value: Any) -> None:
        if self.settings.capture.on_span:
            span.set_attribute(key, dumps(value, self.settings.max_attribute_length))


class Call:
    """One request's span and clock, ended once with its outcome."""

    __slots__ = ("attributes", "error", "histogram", "message", "span", "started", "telemetry")

    def __init__(self, telemetry: ProtocolTelemetry, span: Span, attributes: dict[str, Any], histogram: Any) -> None:
        self.telemetry, self.span, self.attributes, self.histogram = telemetry, span, attributes, histogram
        self.started = time.perf_counter()
        self.error: str | None = None
        self.message: str | None = None

    def set(self, key: str, value: Any) -> None:
        """An attribute learnt from the response: on the span, and on the metric if it labels it."""
        if value is None or value == "":
            return
        self.attributes[key] = value
        self.span.set_attribute(key, value)

    def end(self) -> None:
        if self.error is not None:
            self.span.set_attribute(sc.ERROR_TYPE, self.error)
            # The message is content (a tool's error names what it was asked about): only with capture.
            description = None
            if self.message and self.telemetry.settings.capture.enabled:
                description = truncate(scrub(self.message), self.telemetry.settings.max_attribute_length)
            self.span.set_status(Status(StatusCode.ERROR, description))
        self.span.end()
        labels = {k: v for k, v in self.attributes.items() if k in self.telemetry.metric_keys}
        if self.error is not None:
            labels[sc.ERROR_TYPE] = self.error
        self.histogram.record(time.perf_counter() - self.started, labels)


# How a protocol's wrapper opens its call: the call, the context to make current while the wrapped
# code runs (its span's), and the arguments to call it with (trace context added).
Started = tuple[Call, Any, tuple[Any, ...], dict[str, Any]]


class Outcome(Protocol):
    def observe(self, call: Call, item: Any) -> None: ...  # a response, or one event of a stream

    def failed(self, call: Call, exc: BaseException) -> None: ...

    def ended(self, call: Call) -> None: ...  # after the span ended, whatever the outcome


def _close(outcome: Outcome, call: Call, exc: BaseException | None) -> None:
    if exc is not None:
        outcome.failed(call, exc)
    call.end()
    outcome.ended(call)


async def traced_call(site: str, outcome: Outcome, start: Callable[[], Started | None],
                      wrapped: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """One request, one response: the span current while it is awaited (fail-open)."""
    started = safely(site, start)
    if started is None:
        return await wrapped(*args, **kwargs)
    call, span_context, args, kwargs = started
    token = otel_context.attach(span_context)
    try:
        result = await wrapped(*args, **kwargs)
    except BaseException as exc:
        otel_context.detach(token)
        safely(site, _close, outcome, call, exc)
        raise
    otel_context.detach(token)
    safely(site, outcome.observe, call, result)
    safely(site, _close, outcome, call, None)
    return result


async def traced_stream(site: str, outcome: Outcome, start: Callable[[], Started | None],
                        wrapped: Callable[..., Any], args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> AsyncIterator[Any]:
    """A streamed response: the span opens on the first step (a stream never iterated leaves nothing
    open), is current around each step -- never across a ``yield`` -- and ends with the stream, when
    its reader stops early too."""
    started = safely(site, start)
    if started is None:
        async for item in wrapped(*args, **kwargs):
            yield item
        return
    call, span_context, args, kwargs = started
    inner = wrapped(*args, **kwargs)
    ended = False
    try:
        while True:
            token = otel_context.attach(span_context)
            try:
                item = await inner.__anext__()
            except StopAsyncIteration:
                break
            finally:
                otel_context.detach(token)
            try:  # safely(), inlined: every event of every stream passes here
                outcome.observe(call, item)
            except Exception as exc:
                report(site, exc)
            yield item
    except GeneratorExit:  # the reader stopped: not an error of the request
        ended = True
        safely(site, _close, outcome, call, None)
        await inner.aclose()
        raise
    except BaseException as exc:
        ended = True
        safely(site, _close, outcome, call, exc)
        raise
    finally:
        if not ended:
            safely(site, _close, outcome, call, None)
