"""Sharing the process with a framework's own telemetry: finding the span it opened for the
operation we are about to trace, so our scope borrows it instead of opening a second one."""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span

from .scopes import Scope, ScopeRegistry


def framework_span(registry: ScopeRegistry, tracer_name: str, **expected: Any) -> Span | None:
    """The current span if the framework's tracer ``tracer_name`` made it, it is recording, its
    attributes match ``expected`` (the operation, the agent) and no scope of ours holds it yet."""
    span = trace.get_current_span()
    if getattr(getattr(span, "instrumentation_scope", None), "name", None) != tracer_name or not span.is_recording():
        return None
    attributes = getattr(span, "attributes", None) or {}
    if any(attributes.get(key) != value for key, value in expected.items()):
        return None
    return None if registry.has(span) else span


_HELD_END = "borrowing.held_end"


def hold_end(span: Span, scope: Scope) -> None:
    """The framework ends its span inside the call our wrapper surrounds, before we see how the call
    ended: hold its end (at the time it asked) until ``scope`` closes, so the run's outcome lands on it."""
    original = span.end

    def end(end_time: int | None = None) -> None:
        if scope.ended:
            original(end_time)
        else:
            scope.attrs[_HELD_END] = (original, end_time or time.time_ns())

    try:
        span.end = end  # type: ignore[method-assign]
    except AttributeError:  # a span type that takes no instance attributes: ended as the framework says
        pass


def release_end(span: Span, scope: Scope) -> None:
    """End the framework's span if it asked while ``scope`` was open."""
    held = scope.attrs.pop(_HELD_END, None)
    own = getattr(span, "__dict__", None)
    if own is not None:
        own.pop("end", None)  # the span's own end again (no exception to catch for every borrowed span)
    if held is not None:
        original, end_time = held
        original(end_time)
