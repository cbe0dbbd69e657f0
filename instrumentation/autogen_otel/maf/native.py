"""Agent Framework's own telemetry (``agent_framework.observability``), and how we share the
process with it.

By default it is switched off while we instrument (and put back as it was by ``uninstrument()``):
left on beside ours it would duplicate every agent, model and tool span. An app that turns it on
again -- ``configure_otel_providers()``, ``enable_instrumentation()``, a reload of the module, as
Agent Framework's docs and tests do -- gets Agent Framework's telemetry exactly as it documents it,
and ours steps aside per operation: we *borrow* its ``invoke_agent`` and ``chat`` spans (adding
cost, run and health attributes where it has none, never ending them) and leave its tool spans and
its token and duration metrics to it, so every operation has one span and one measurement.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span

logger = logging.getLogger("autogen_otel")

_MODULE = "agent_framework.observability"
_SCOPE = "agent_framework"  # the instrumentation scope of Agent Framework's tracer


def active() -> bool:
    """Agent Framework's own telemetry is on right now (read at every call: apps and Agent
    Framework's tests replace the settings object and reload the module)."""
    settings = getattr(sys.modules.get(_MODULE), "OBSERVABILITY_SETTINGS", None)
    try:
        return bool(settings is not None and settings.ENABLED)
    except Exception:
        return False


def has_layer(instance: Any, layer: str) -> bool:
    """``instance``'s class stacks Agent Framework's telemetry layer ``layer`` (it makes the span)."""
    return any(cls.__name__ == layer and cls.__module__ == _MODULE for cls in type(instance).__mro__)


def current_span(operation: str, **expected: Any) -> Span | None:
    """Agent Framework's own span for ``operation`` if it is the current span (and its attributes
    match ``expected``, e.g. the agent's id): the span our scope borrows."""
    span = trace.get_current_span()
    scope = getattr(span, "instrumentation_scope", None)
    if getattr(scope, "name", None) != _SCOPE or not span.is_recording():
        return None
    attributes = getattr(span, "attributes", None) or {}
    if attributes.get("gen_ai.operation.name") != operation:
        return None
    if any(attributes.get(key) != value for key, value in expected.items()):
        return None
    return span


class NativeTelemetryPatch:
    def __init__(self) -> None:
        self._settings: Any = None
        self._was: bool | None = None

    def apply(self) -> None:
        from agent_framework.observability import OBSERVABILITY_SETTINGS

        self._settings = OBSERVABILITY_SETTINGS
        self._was = bool(OBSERVABILITY_SETTINGS.enable_instrumentation)
        if self._was:
            OBSERVABILITY_SETTINGS.enable_instrumentation = False
            logger.debug("autogen-otel: Agent Framework's own telemetry is off while autogen-otel instruments it; "
                         "turned on again, autogen-otel enriches its spans instead of making its own")

    def remove(self) -> None:
        if self._settings is not None and self._was:
            self._settings.enable_instrumentation = True
        self._settings, self._was = None, None
