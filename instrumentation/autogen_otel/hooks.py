"""What every kind of span does the same way once its wrapped call ends."""

from __future__ import annotations

from typing import Any

from . import semconv as sc
from .scopes import Scope
from .telemetry import Telemetry, error_type


class SpanHooks:
    """Base for the per-kind hooks the wrappers call; subclasses write ``start``, ``finish``, ``_end``."""

    site = "span"

    def __init__(self, telemetry: Telemetry) -> None:
        self.t = telemetry

    def item(self, scope: Scope, item: Any) -> None:
        scope.last_item = item

    def fail(self, scope: Scope, exc: BaseException) -> None:
        self._end(scope, exc)

    def abandon(self, scope: Scope) -> None:
        """The consumer stopped iterating (``break``/``aclose``): not an error."""
        if scope.span is not None:
            scope.span.set_attribute(sc.AUTOGEN_STREAM_ABANDONED, True)
            self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        raise NotImplementedError

    def _record_and_close(self, scope: Scope, exc: BaseException | None, histogram: Any,
                          labels: dict[str, Any]) -> None:
        """Record the span's duration (with ``error.type`` on failure), then end the span."""
        try:
            etype = error_type(exc) if exc is not None else scope.attrs.get(sc.ERROR_TYPE)
            if etype:
                labels[sc.ERROR_TYPE] = etype
            histogram.record(scope.elapsed(), labels)
        finally:
            self.t.close(scope, exc)
