"""a2a-sdk's own spans, folded: its decorators name ~50 spans per request after its Python methods
(``...JsonRpcTransport.send_message``, ``EventQueue.enqueue_event`` per event), nearly all SERVER.
The request is our CLIENT or SERVER span; theirs are kept -- nested under ours -- only with
``AUTOGEN_OTEL_RUNTIME_SPANS=nested``, the switch that keeps AutoGen's runtime spans."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, Span


class _NoSpans(trace.Tracer):
    """Starts nothing and changes no context: what a2a-sdk sets on "its" span goes nowhere."""

    def start_span(self, name: str, context: Any = None, *args: Any, **kwargs: Any) -> Span:
        return NonRecordingSpan(trace.get_current_span(context).get_span_context())

    @contextlib.contextmanager  # type: ignore[override]
    def start_as_current_span(self, name: str, context: Any = None, *args: Any, **kwargs: Any) -> Iterator[Span]:
        yield self.start_span(name, context)


_NO_SPANS = _NoSpans()


class FoldedTrace:
    """The ``opentelemetry.trace`` module as ``a2a.utils.telemetry`` sees it, but its tracers make
    no spans (it asks for one per call, so replacing the module reference covers every decorator)."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _NO_SPANS

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


class ModuleAttribute:
    """Replaces one module attribute while applied (not a wrapper: a2a-sdk reads it, never calls it)."""

    def __init__(self, module: Any, name: str, make: Any) -> None:
        self.module, self.name, self.make = module, name, make
        self._original: Any = None

    def apply(self) -> None:
        original = getattr(self.module, self.name, None)
        if original is None or isinstance(original, FoldedTrace) or not hasattr(original, "get_tracer"):
            return  # a2a-sdk's tracing is off (OTEL_INSTRUMENTATION_A2A_SDK_ENABLED=false): nothing to fold
        self._original = original
        setattr(self.module, self.name, self.make(original))

    def remove(self) -> None:
        if self._original is not None:
            setattr(self.module, self.name, self._original)
            self._original = None
