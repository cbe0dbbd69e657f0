"""The shared state every patch uses: tracer, instruments, settings, prices, open scopes."""

from __future__ import annotations

import asyncio
import traceback
import weakref
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.metrics import Meter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from . import content
from . import semconv as sc
from .borrowing import hold_end, release_end
from .config import Settings
from .evaluations import Recorder, RunRecord, RunView, evaluators
from .health import STOP_CANCELLED, STOP_ERROR, LoopDetection, LoopDetector, stop_category
from .metrics import Instruments
from .pricing import PriceTable
from .scopes import RunState, Scope, ScopeRegistry, Usage

_RESULT = "run.result"
_FINAL_TEXT = "run.final_text"
# Set on a root scope's attrs when a run that ends with an exception stopped for a reason of its
# own (a framework limit raises): its category, instead of "error".
STOP_DECIDED = "stop.decided"
# Every family's live telemetry, for what protocol patches learn of a run (stop_run_around).
_LIVE: weakref.WeakSet[Telemetry] = weakref.WeakSet()


def error_type(exc: BaseException) -> str:
    name = type(exc).__name__
    return name or sc.ERROR_TYPE_OTHER


def is_cancellation(exc: BaseException) -> bool:
    return isinstance(exc, asyncio.CancelledError) or type(exc).__name__ == "CancelledError"


_UNOPENED = "scope.unopened"  # a spanless scope's (span name, kind, attributes), until it takes a span
_FRAMES = 8  # innermost frames of a traceback recorded without content capture


def _qualified(cls: type) -> str:
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"


def stop_run_around(span_context: Any, category: str, reason: str, only_if_raised: bool = False) -> bool:
    """Note why the run of any family that ``span_context`` (one of its spans) belongs to stopped --
    for a protocol's patches, which learn it (a remote agent's task state) outside the family.
    ``only_if_raised``: the category holds only if the run ends with an exception."""
    for telemetry in list(_LIVE):
        _scope, run = telemetry.registry.around(span_context)
        if run is None or run.root is None:
            continue
        if only_if_raised:
            run.root.attrs[STOP_DECIDED] = category
        else:
            telemetry.stop_run(run, category, reason)
        return True
    return False


def _enrich(span: Span, attributes: Mapping[str, Any]) -> None:
    """Our attributes on a framework's span, where it has none of its own."""
    existing = getattr(span, "attributes", None) or {}
    span.set_attributes({key: value for key, value in attributes.items() if key not in existing})


class Telemetry:
    def __init__(self, tracer: Tracer, meter: Meter, settings: Settings, prices: PriceTable) -> None:
        self.tracer = tracer
        self.settings = settings
        self.prices = prices
        self.registry = ScopeRegistry()
        self.instruments = Instruments(meter, self.registry.active_runs)
        self.evaluations = Recorder(tracer, self.instruments, self.cap, lambda: self.capturing)
        _LIVE.add(self)

    # --- scopes ---
    def open(self, kind: str, span_name: str, span_kind: SpanKind, attributes: Mapping[str, Any], *,
             owner: object = None, name: str = "", new_run: str | None = None,
             parent: Scope | None = None, borrow: Span | None = None, spanless: bool = False) -> Scope:
        """Open a span under the current one, or under ``parent`` when the current context has lost it
        (AG2 runs model calls of async chats in executor threads, which do not inherit the context).

        With the framework's own telemetry on, the scope ``borrow``s the framework's span for the same
        operation (our attributes added where it has none, never ended by us), or is ``spanless`` when
        the framework opens its span further in: one span per operation, whoever makes it."""
        if parent is not None and parent.context is not None:
            parent_scope, run, parent_ctx = parent, parent.run, parent.context
        else:
            # A borrowed span's parent may be one of ours, with the framework's span current.
            parent_scope, run = (self.registry.around(getattr(borrow, "parent", None)) if borrow is not None
                                 else self.registry.current())
            parent_ctx = otel_context.get_current()
        if new_run is not None:
            run = RunState(new_run, LoopDetector(self.settings.loop_threshold))
        elif parent_scope is None and run is not None:
            parent_scope = run.root  # e.g. under a kept AutoGen runtime span: still part of the run
        agent = name if kind == "agent" else (parent_scope.agent if parent_scope else "")
        if agent and kind in ("chat", "tool"):  # who called the model or the tool, on its own span
            if isinstance(attributes, dict):  # built for this call by the hooks
                attributes[sc.GEN_AI_AGENT_NAME] = agent
            else:
                attributes = {**attributes, sc.GEN_AI_AGENT_NAME: agent}
        span: Span | None
        if borrow is not None:
            span = borrow
            _enrich(span, attributes)
        elif spanless:  # the framework's span may come later (take_span): what ours would have been
            span = None
        else:
            span = self.tracer.start_span(span_name, context=parent_ctx, kind=span_kind, attributes=attributes)
        context = trace.set_span_in_context(span, parent_ctx) if span is not None else parent_ctx
        scope = Scope(kind, span, context, run, id(owner) if owner is not None else 0, parent_scope, name, agent,
                      borrowed=borrow is not None)
        if spanless:
            scope.attrs[_UNOPENED] = (span_name, span_kind, attributes)
        if new_run is not None and run is not None:
            run.root = scope
            scope.owns_run = True
            self.instruments.runs_in_flight(1, self.run_labels(scope))
        self.registry.add(scope)
        return scope

    def close(self, scope: Scope, exc: BaseException | None = None) -> None:
        if scope.ended:
            return
        scope.ended = True
        record = None
        try:
            if exc is not None:
                self.mark_error(scope, exc)
            if scope.kind in ("agent", "workflow"):
                self.set_usage_attributes(scope)
            if scope.owns_run:
                record = self._finish_run(scope, exc)
        finally:
            if scope.span is not None:
                if scope.borrowed:
                    release_end(scope.span, scope)  # if the framework asked to end it while we were finishing
                else:
                    scope.span.end()
                self.registry.remove(scope)
        if record is not None:
            self.evaluations.run_evaluators(record)  # after the run's span ended: never part of its duration

    def take_span(self, scope: Scope, span: Span) -> None:
        """A spanless scope gets its span once the framework opens its own further in: borrowed when
        it records, else one of ours in its place (the framework's tracer is a no-op)."""
        unopened = scope.attrs.pop(_UNOPENED, None)
        if scope.span is not None or scope.ended or unopened is None:
            return
        span_name, span_kind, attributes = unopened
        if span.is_recording():
            _enrich(span, attributes)
            scope.borrowed = True
            hold_end(span, scope)
        else:
            span = self.tracer.start_span(span_name, context=scope.context, kind=span_kind, attributes=attributes)
        scope.span, scope.context = span, trace.set_span_in_context(span, scope.context)
        self.registry.add(scope)

    def outcome(self, scope: Scope, result: Any, final_text: str | None) -> None:
        """What a run returned to the app (for ``record_evaluation(result, ...)``) and its final message."""
        if scope.owns_run:
            scope.attrs[_RESULT] = result
            scope.attrs[_FINAL_TEXT] = final_text

    def set_usage_attributes(self, scope: Scope) -> None:
        usage = scope.usage
        if scope.span is None or not (usage.input_tokens or usage.output_tokens):
            return
        attrs: dict[str, Any] = {} if scope.borrowed else {sc.GEN_AI_USAGE_INPUT_TOKENS: usage.input_tokens,
                                                           sc.GEN_AI_USAGE_OUTPUT_TOKENS: usage.output_tokens}
        if usage.cost_known:
            attrs[sc.AUTOGEN_COST_USD] = round(usage.cost_usd, 8)
        if usage.unpriced_calls:
            attrs[sc.AUTOGEN_UNPRICED_CALLS] = usage.unpriced_calls
            if usage.cost_known:  # some calls priced, some not: the figure is a lower bound
                attrs[sc.AUTOGEN_COST_PARTIAL] = True
        scope.span.set_attributes(attrs)

    def roll_up(self, scope: Scope, usage: Usage) -> None:
        """Add a model call's usage to every enclosing agent and workflow span."""
        ancestor = scope.parent
        while ancestor is not None:
            ancestor.usage.add(usage)
            ancestor = ancestor.parent

    # --- runs ---
    def run_labels(self, root: Scope) -> dict[str, str]:
        if root.kind == "workflow":
            return {sc.GEN_AI_WORKFLOW_NAME: root.name}
        return {sc.GEN_AI_AGENT_NAME: root.name}

    def _finish_run(self, root: Scope, exc: BaseException | None) -> RunRecord | None:
        run = root.run
        if run is None:
            return None
        labels = self.run_labels(root)
        self.instruments.runs_in_flight(-1, labels)
        if exc is not None:
            category = root.attrs.get(STOP_DECIDED) or (STOP_CANCELLED if is_cancellation(exc) else STOP_ERROR)
        else:
            category = root.attrs.get(sc.AUTOGEN_RUN_STOP_CATEGORY) or stop_category(None)
        self.instruments.runs.add(1, {**labels, sc.AUTOGEN_RUN_STOP_CATEGORY: category}, context=root.context)
        self.instruments.run_turns.record(run.turns, labels, context=root.context)
        self.instruments.run_messages.record(run.messages, labels, context=root.context)
        if root.usage.cost_known:
            self.instruments.run_cost.record(root.usage.cost_usd, labels, context=root.context)
        if root.span is None:
            return None
        root.span.set_attributes({sc.AUTOGEN_RUN_TURNS: run.turns, sc.AUTOGEN_RUN_MESSAGES: run.messages,
                                  sc.AUTOGEN_RUN_MODEL_CALLS: run.model_calls,
                                  sc.AUTOGEN_RUN_STOP_CATEGORY: category})
        record = RunRecord(root.span.get_span_context(), labels)
        result = root.attrs.pop(_RESULT, None)
        # initiate_chats' list (or dict) of chat results: each one is this run's.
        members = (list(result.values()) if type(result) is dict
                   else list(result) if type(result) in (list, tuple) else [])
        for each in [*members, result]:
            self.evaluations.finished.remember(each, record)
        if evaluators():
            record.view = self._view(root, category, exc)
        return record

    def _view(self, root: Scope, category: str, exc: BaseException | None) -> RunView:
        run, usage = root.run, root.usage
        assert run is not None
        final = root.attrs.get(_FINAL_TEXT)
        attributes = getattr(root.span, "attributes", None) or {}
        reason = attributes.get(sc.AUTOGEN_RUN_STOP_REASON)
        return RunView(team=root.name, kind=root.kind, stop_category=category,
                       stop_reason=str(reason) if reason is not None else None, turns=run.turns,
                       messages=run.messages, model_calls=run.model_calls, input_tokens=usage.input_tokens,
                       output_tokens=usage.output_tokens, cost_usd=usage.cost_usd if usage.cost_known else None,
                       duration_s=root.elapsed(), error_type=error_type(exc) if exc is not None else None,
                       final_message_empty=None if final is None else not final.strip(),
                       final_message=final if self.capturing else None)

    def current_record(self) -> RunRecord | None:
        """The running run of the current context, for an evaluation recorded inside it."""
        _scope, run = self.registry.current()
        root = run.root if run is not None else None
        if root is None or root.span is None:
            return None
        return RunRecord(root.span.get_span_context(), self.run_labels(root), live=root.span)

    def stop_run(self, run: RunState | None, category: str, reason: str) -> None:
        """Note on the run's root why the run stopped (a budget stop, a framework limit)."""
        root = run.root if run is not None else None
        if root is None:
            return
        root.attrs[sc.AUTOGEN_RUN_STOP_CATEGORY] = category
        root.attrs[STOP_DECIDED] = category
        if root.span is not None:
            root.span.set_attribute(sc.AUTOGEN_RUN_STOP_REASON, self.cap(reason))

    def report_loop(self, scope: Scope, detection: LoopDetection) -> None:
        attrs = {sc.AUTOGEN_LOOP_KIND: detection.kind, sc.AUTOGEN_LOOP_REPEATS: detection.repeats,
                 (sc.GEN_AI_TOOL_NAME if detection.kind == "tool" else sc.GEN_AI_AGENT_NAME): detection.subject}
        for target in (scope, scope.run.root if scope.run else None):
            if target is not None and target.span is not None:
                target.span.add_event(sc.EVENT_LOOP_DETECTED, attrs)
        labels = {**self.base_labels(scope), sc.AUTOGEN_LOOP_KIND: detection.kind}
        if detection.kind == "tool":
            labels[sc.GEN_AI_TOOL_NAME] = detection.subject
        self.instruments.loops.add(1, labels, context=scope.context)

    def mark_error(self, scope: Scope, exc: BaseException, etype: str | None = None) -> None:
        """A call that raised: ERROR status, ``error.type`` and the semconv ``exception`` event. The
        message is content (a tool's error names what it was asked about): without content capture
        the status says the error type and the event the exception's type and where it was raised."""
        self._error(scope, etype or error_type(exc), content.safe_text(exc), exc)

    def mark_failed(self, scope: Scope, etype: str, text: str, *, text_is_content: bool = True) -> None:
        """A call that reported failure without raising (a tool's error result, a non-zero exit code)."""
        self._error(scope, etype, text, None, text_is_content)

    def _error(self, scope: Scope, etype: str, message: str, exc: BaseException | None,
               message_is_content: bool = True) -> None:
        scope.attrs[sc.ERROR_TYPE] = etype
        span = scope.span
        if span is None or scope.borrowed:
            return  # the framework records the error on its own span
        shown = bool(message) and (self.capturing or not message_is_content)
        description = self.cap(content.scrub(message)) if shown else etype
        span.set_attribute(sc.ERROR_TYPE, etype)
        span.set_status(Status(StatusCode.ERROR, description))
        if exc is None:
            return
        attributes = {sc.EXCEPTION_TYPE: _qualified(type(exc))}
        if self.capturing:
            attributes[sc.EXCEPTION_MESSAGE] = description
            trace_text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        else:  # where it was raised: frames without their source lines or the message
            frames = traceback.extract_tb(exc.__traceback__)[-_FRAMES:]
            located = "".join(f'  File "{f.filename}", line {f.lineno}, in {f.name}\n' for f in frames)
            trace_text = f"Traceback (most recent call last):\n{located}{attributes[sc.EXCEPTION_TYPE]}"
        attributes[sc.EXCEPTION_STACKTRACE] = content.truncate(content.scrub(trace_text),
                                                               self.settings.max_attribute_length)
        span.add_event(sc.EXCEPTION_EVENT, attributes)

    def owned_by(self, scope: Scope | None, kind: str, owner: object) -> bool:
        """True when ``scope`` is our ``kind`` span for this very object (a nested call to skip)."""
        return scope is not None and scope.kind == kind and scope.owner == id(owner)

    # --- attributes ---
    def cap(self, text: str) -> str:
        return content.truncate(text, self.settings.max_attribute_length)

    @property
    def capturing(self) -> bool:
        return self.settings.capture.enabled

    def record_content(self, scope: Scope, values: Mapping[str, Any]) -> None:
        """Opt-in content: semconv JSON strings, scrubbed of secrets and capped in size. Never on a
        borrowed span: the framework that made it records content under its own switch."""
        if not self.settings.capture.enabled or scope.span is None or scope.borrowed:
            return
        limit = self.settings.max_attribute_length
        rendered = {key: content.truncate(content.scrub(value), limit) if isinstance(value, str)
                    else content.dumps(value, limit) for key, value in values.items() if value is not None}
        if self.settings.capture.on_span:
            scope.span.set_attributes(rendered)
        if self.settings.capture.on_event and scope.kind == "chat":  # the event describes a model call
            scope.span.add_event(sc.EVENT_INFERENCE_DETAILS, {sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT, **rendered})

    # --- labels ---
    @staticmethod
    def team_of(scope: Scope) -> str:
        workflow = scope if scope.kind == "workflow" else scope.enclosing("workflow")
        return workflow.name if workflow is not None else ""

    def base_labels(self, scope: Scope) -> dict[str, str]:
        labels = {}
        team = self.team_of(scope)
        if team:
            labels[sc.GEN_AI_WORKFLOW_NAME] = team
        if scope.agent:
            labels[sc.GEN_AI_AGENT_NAME] = scope.agent
        return labels
