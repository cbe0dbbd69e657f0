"""Our open spans and the run each belongs to.

The AutoGen runtime runs every message handler in a task whose context descends from the
runtime loop, not from the sender, so Python context variables do not follow a
conversation. The OpenTelemetry span context does (we carry it through the runtime's
envelope metadata), so everything we need per span or per run is looked up from the
current span's id here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanContext

from .health import LoopDetector


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0

    @property
    def cost_known(self) -> bool:
        """False when calls so far had no price and nothing was priced: there is no cost to report."""
        return bool(self.cost_usd) or not self.unpriced_calls

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cached_input_tokens += other.cached_input_tokens
        self.cost_usd += other.cost_usd
        self.unpriced_calls += other.unpriced_calls


@dataclass(slots=True)
class RunState:
    """One team run (or one direct agent run): the unit a trace stands for."""

    name: str
    loops: LoopDetector
    turns: int = 0
    messages: int = 0
    model_calls: int = 0
    turn_limit: int = 0  # agent turns the run may take (0: unknown), for "approaching its limit"
    human_waits: int = 0  # open waits for human input: the run is not stalled, a person is typing
    last_activity: float = field(default_factory=time.monotonic)
    root: Scope | None = None

    @property
    def usage(self) -> Usage:
        return self.root.usage if self.root is not None else Usage()

    def touch(self) -> None:
        self.last_activity = time.monotonic()


@dataclass(slots=True)
class Scope:
    """One span we opened, with what its wrapper needs to finish it."""

    kind: str
    span: Span | None
    context: Context | None
    run: RunState | None
    owner: int = 0
    parent: Scope | None = None
    name: str = ""
    agent: str = ""
    started: float = field(default_factory=time.perf_counter)
    usage: Usage = field(default_factory=Usage)
    attrs: dict[str, Any] = field(default_factory=dict)
    first_item_at: float | None = None
    last_item: Any = None
    ended: bool = False
    owns_run: bool = False
    # The span is the framework's own (its telemetry is on): we enrich it, the framework ends it
    # and records the measurements it documents.
    borrowed: bool = False

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def enclosing(self, kind: str) -> Scope | None:
        scope: Scope | None = self.parent
        while scope is not None and scope.kind != kind:
            scope = scope.parent
        return scope


class ScopeRegistry:
    """Maps the span ids of our open spans to their scopes; active runs by trace id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_span: dict[int, Scope] = {}
        self._runs_by_trace: dict[int, list[RunState]] = {}

    def add(self, scope: Scope) -> None:
        if scope.span is None:
            return
        ctx = scope.span.get_span_context()
        with self._lock:
            self._by_span[ctx.span_id] = scope
            if scope.owns_run:
                self._runs_by_trace.setdefault(ctx.trace_id, []).append(scope.run)  # type: ignore[arg-type]

    def remove(self, scope: Scope) -> None:
        if scope.span is None:
            return
        ctx = scope.span.get_span_context()
        with self._lock:
            self._by_span.pop(ctx.span_id, None)
            runs = self._runs_by_trace.get(ctx.trace_id)
            if runs and scope.owns_run and scope.run in runs:
                runs.remove(scope.run)  # type: ignore[arg-type]
                if not runs:
                    del self._runs_by_trace[ctx.trace_id]

    def has(self, span: Span) -> bool:
        with self._lock:
            return span.get_span_context().span_id in self._by_span

    def current(self) -> tuple[Scope | None, RunState | None]:
        """Our innermost open scope for the current context, and the run it belongs to."""
        return self.around(trace.get_current_span().get_span_context())

    def around(self, ctx: SpanContext | None) -> tuple[Scope | None, RunState | None]:
        """Our scope for the span ``ctx`` names (else ``None``), and the run of its trace."""
        if ctx is None or not ctx.is_valid:
            return None, None
        with self._lock:
            scope = self._by_span.get(ctx.span_id)
            if scope is not None:
                return scope, scope.run
            runs = self._runs_by_trace.get(ctx.trace_id)
            return None, (runs[-1] if runs else None)

    def active_runs(self) -> list[RunState]:
        with self._lock:
            return [run for runs in self._runs_by_trace.values() for run in runs]

    def open_scopes(self) -> int:
        with self._lock:
            return len(self._by_span)
