"""Agent Framework's own telemetry (``agent_framework.observability``), and how we share the
process with it.

Unless the app sets ``ENABLE_INSTRUMENTATION`` itself, it is switched off while we instrument (and
put back as it was by ``uninstrument()``): left on beside ours it would duplicate every agent, model
and tool span. Turned on -- that variable, ``configure_otel_providers()``, ``enable_instrumentation()``,
a reload of the module, as Agent Framework's docs and tests do -- it works exactly as Agent Framework
documents it, and ours steps aside per operation: we *borrow* its ``invoke_workflow``,
``invoke_agent`` and ``chat`` spans (adding cost, run and health attributes where it has none,
never ending them) and leave its tool spans and its token and duration metrics to it, so every
operation has one span and one measurement.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span

from ..core.borrowing import framework_span
from ..core.scopes import ScopeRegistry

logger = logging.getLogger("autogen_otel")

_MODULE = "agent_framework.observability"
_TRACER = "agent_framework"
_SILENT = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)


def active() -> bool:
    """Agent Framework's own telemetry is on right now and records (read at every call: apps and
    Agent Framework's tests replace the settings object and reload the module). It uses the global
    tracer provider: with none set, its spans record nothing and ours are made as usual."""
    settings = getattr(sys.modules.get(_MODULE), "OBSERVABILITY_SETTINGS", None)
    try:
        enabled = bool(settings is not None and settings.ENABLED)
    except Exception:
        return False
    return enabled and not isinstance(trace.get_tracer_provider(), _SILENT)


def has_layer(instance: Any, layer: str) -> bool:
    """``instance``'s class stacks Agent Framework's telemetry layer ``layer`` (it makes the span)."""
    return any(cls.__name__ == layer and cls.__module__ == _MODULE for cls in type(instance).__mro__)


def current_span(registry: ScopeRegistry, operation: str, **expected: Any) -> Span | None:
    """Agent Framework's own span for ``operation`` (``expected``: e.g. the agent's id), if it is the
    current span and not borrowed yet."""
    return framework_span(registry, _TRACER, **{"gen_ai.operation.name": operation, **expected})


class NativeTelemetryPatch:
    def __init__(self) -> None:
        self._settings: Any = None
        self._was: bool | None = None

    def apply(self) -> None:
        from agent_framework.observability import OBSERVABILITY_SETTINGS

        self._settings = OBSERVABILITY_SETTINGS
        self._was = bool(OBSERVABILITY_SETTINGS.enable_instrumentation)
        if os.environ.get("ENABLE_INSTRUMENTATION", "").strip():
            return  # the app said whether it wants Agent Framework's telemetry: as it said
        if self._was:
            OBSERVABILITY_SETTINGS.enable_instrumentation = False
            logger.debug("autogen-otel: Agent Framework's own telemetry is off while autogen-otel instruments it; "
                         "turned on again, autogen-otel enriches its spans instead of making its own")

    def remove(self) -> None:
        if self._settings is not None and self._was:
            self._settings.enable_instrumentation = True
        self._settings, self._was = None, None
