"""Evaluations of what a run achieved (``gen_ai.evaluation.result``), on the evaluated run's trace
and in metrics: recorded by the app for a run's result, or by evaluators called when a run ends.

A run's root span has ended by the time its result reaches the app, so an evaluation is its own
short span, ``evaluation {name}``, whose parent is the run's root (the same trace) and which
carries the semconv attributes and the semconv event. Results of finished runs are remembered
(weakly where the result object allows it, else by id and fingerprint in a small bounded table:
never the result itself) so a later
``record_evaluation(result, ...)`` finds its trace.
"""

from __future__ import annotations

import atexit
import logging
import math
import queue
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind

from . import content
from . import semconv as sc

logger = logging.getLogger("autogen_otel")

EVALUATOR_TIMEOUT_S = 2.0  # each evaluator of a run; one that hangs is left behind
_REMEMBERED = 512  # finished runs whose result objects cannot be weakly referenced (a few ints each)
_MAX_NAME = 64


@dataclass(frozen=True)
class Evaluation:
    """One result, as an evaluator returns it (at least one of ``score`` and ``label``)."""

    name: str
    score: float | None = None
    label: str | None = None
    explanation: str | None = None


@dataclass(frozen=True)
class RunView:
    """What an evaluator sees of a finished run (read-only). ``final_message`` only with content
    capture on; ``final_message_empty`` always (None when the family did not say)."""

    team: str
    kind: str  # "workflow" or "agent"
    stop_category: str
    stop_reason: str | None
    turns: int
    messages: int
    model_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    duration_s: float
    error_type: str | None
    final_message_empty: bool | None
    final_message: str | None = None


@dataclass
class RunRecord:
    """Where a finished run's evaluations go."""

    context: SpanContext
    labels: dict[str, str]
    view: RunView | None = None
    live: trace.Span | None = None  # the run's root span while the run is still running


Evaluator = Callable[[RunView], "Evaluation | Sequence[Evaluation] | None"]
_evaluators: list[Evaluator] = []
_lock = threading.Lock()


def add_evaluator(evaluator: Evaluator) -> Evaluator:
    """Call ``evaluator(run_view)`` when every run ends; it returns zero or more ``Evaluation``.
    Usable as a decorator; ``remove_evaluator`` takes it back."""
    if not callable(evaluator):
        raise TypeError(f"add_evaluator() needs a callable taking a RunView, got {type(evaluator).__name__}")
    with _lock:
        if evaluator not in _evaluators:
            _evaluators.append(evaluator)
    return evaluator


def remove_evaluator(evaluator: Evaluator) -> None:
    with _lock:
        if evaluator in _evaluators:
            _evaluators.remove(evaluator)


def evaluators() -> list[Evaluator]:
    with _lock:
        return list(_evaluators)


# --- evaluators that need no model ---

def final_answer(view: RunView) -> Evaluation:
    """"ended without a final answer": an empty last message, or a run stopped by a limit or an error."""
    limits = {"max_messages", "max_turns", "token_limit", "timeout", "budget", "error", "cancelled", "abandoned"}
    if view.stop_category in limits:
        return Evaluation("final_answer", 0.0, "fail", f"the run stopped by {view.stop_category}, not by finishing")
    if view.final_message_empty:
        return Evaluation("final_answer", 0.0, "fail", "the run ended with an empty final message")
    return Evaluation("final_answer", 1.0, "pass")


def expect_file(path: str | Path, name: str | None = None) -> Evaluator:
    """An evaluator passing when ``path`` exists and is not empty once the run ends."""
    target = Path(path)
    label = name or f"file_written:{target.name}"

    def check(view: RunView) -> Evaluation:
        ok = target.is_file() and target.stat().st_size > 0
        return Evaluation(label, 1.0 if ok else 0.0, "pass" if ok else "fail",
                          None if ok else f"{target} {'is empty' if target.is_file() else 'is missing'}")

    check.__name__ = f"expect_file({target.name})"
    return check


# --- where finished runs are remembered ---

def _fingerprint(result: Any) -> tuple[Any, ...]:
    """What tells a result apart without keeping it alive: its type and the ids of what it holds
    (its messages list, ...), which no other object has while it lives."""
    if isinstance(result, (list, tuple)):
        parts = list(result)
    elif isinstance(result, dict):
        parts = list(result.values())
    else:
        parts = list(getattr(result, "__dict__", {}).values())
    return (type(result), len(parts), *(id(part) for part in parts[:8]))


@dataclass
class FinishedRuns:
    """Finished runs by the result the app got: weakly where the result allows it, else by its id
    and fingerprint (AgentChat's ``TaskResult``, the list ``initiate_chats`` returns) -- never the
    result itself, so nothing of the app's conversations is kept after the run."""

    _weak: weakref.WeakKeyDictionary[Any, RunRecord] = field(default_factory=weakref.WeakKeyDictionary)
    _by_id: OrderedDict[int, tuple[tuple[Any, ...], RunRecord]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, result: Any, record: RunRecord) -> None:
        if result is None:
            return
        with self._lock:
            try:
                self._weak[result] = record
                return
            except TypeError:  # not weakly referenceable (slots, builtins)
                pass
            self._by_id[id(result)] = (_fingerprint(result), record)
            self._by_id.move_to_end(id(result))
            while len(self._by_id) > _REMEMBERED:
                self._by_id.popitem(last=False)

    def find(self, result: Any) -> RunRecord | None:
        with self._lock:
            try:
                record = self._weak.get(result)
            except TypeError:
                record = None
            if record is not None:
                return record
            entry = self._by_id.get(id(result))
            return entry[1] if entry is not None and entry[0] == _fingerprint(result) else None


# --- validation and recording ---

_warned: set[str] = set()


def warn_once(problem: str) -> None:
    with _lock:
        if problem in _warned:
            return
        _warned.add(problem)
    logger.warning("autogen-otel: evaluation not recorded: %s", problem)


def checked(evaluation: Evaluation) -> Evaluation | None:
    """The evaluation with bounded name and label, or None (warned once) when it is not valid."""
    name, score, label, explanation = evaluation.name, evaluation.score, evaluation.label, evaluation.explanation
    if not isinstance(name, str) or not name.strip():
        warn_once(f"the evaluation name must be a non-empty string, got {name!r}")
        return None
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))
                              or not math.isfinite(score)):
        warn_once(f"score of {name!r} must be a finite number, got {score!r}")
        return None
    if label is not None and (not isinstance(label, str) or not label.strip()):
        warn_once(f"label of {name!r} must be a non-empty string, got {label!r}")
        return None
    if score is None and label is None:
        warn_once(f"{name!r} needs a score and/or a label")
        return None
    if explanation is not None and not isinstance(explanation, str):
        warn_once(f"explanation of {name!r} must be a string, got {type(explanation).__name__}")
        return None
    # Metric labels: bounded length, no free text beyond that.
    return Evaluation(name.strip()[:_MAX_NAME], None if score is None else float(score),
                      None if label is None else label.strip()[:_MAX_NAME], explanation)


class Recorder:
    """Emits evaluations for one instrumentor (its tracer, instruments and settings)."""

    def __init__(self, tracer: trace.Tracer, instruments: Any, cap: Callable[[str], str],
                 capturing: Callable[[], bool]) -> None:
        self.tracer, self.instruments, self.cap, self.capturing = tracer, instruments, cap, capturing
        self.finished = FinishedRuns()

    def record(self, record: RunRecord, evaluation: Evaluation, response_id: str | None = None) -> bool:
        valid = checked(evaluation)
        if valid is None:
            return False
        attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: sc.OP_EVALUATION, sc.GEN_AI_EVALUATION_NAME: valid.name}
        if valid.score is not None:
            attrs[sc.GEN_AI_EVALUATION_SCORE_VALUE] = valid.score
        if valid.label is not None:
            attrs[sc.GEN_AI_EVALUATION_SCORE_LABEL] = valid.label
        if valid.explanation and self.capturing():
            # It may quote what the agents said (a judge's reasoning): content, opt-in like the rest.
            attrs[sc.GEN_AI_EVALUATION_EXPLANATION] = self.cap(content.scrub(valid.explanation))
        if response_id:
            attrs[sc.GEN_AI_RESPONSE_ID] = content.safe_text(response_id)
        parent = trace.set_span_in_context(NonRecordingSpan(record.context))
        span = self.tracer.start_span(f"{sc.OP_EVALUATION} {valid.name}", context=parent, kind=SpanKind.INTERNAL,
                                      attributes={**attrs, **record.labels})
        # The event belongs on the evaluated span: the run's root while it runs, else ours under it.
        live = record.live if record.live is not None and record.live.is_recording() else None
        (live or span).add_event(sc.EVENT_EVALUATION_RESULT, attrs)
        ctx = trace.set_span_in_context(span)
        labels = {**record.labels, sc.GEN_AI_EVALUATION_NAME: valid.name,
                  sc.GEN_AI_EVALUATION_SCORE_LABEL: valid.label or "none"}
        self.instruments.evaluations.add(1, labels, context=ctx)
        if valid.score is not None:
            self.instruments.evaluation_score.record(valid.score, labels, context=ctx)
        span.end()
        return True

    def run_evaluators(self, record: RunRecord) -> None:
        """Every registered evaluator on the finished run, later, on the evaluators' own thread."""
        registered = evaluators()
        if registered and record.view is not None:
            _QUEUE.submit(self, record, registered)

    def evaluate(self, record: RunRecord, registered: list[Evaluator]) -> None:
        """On the evaluators' thread: each evaluator with a deadline of its own, then its results."""
        view, record.view = record.view, None  # the record stays findable; the view (final message) goes
        for evaluator in registered:
            returned = _call_with_deadline(evaluator, view)
            if returned is _LATE:
                continue
            for evaluation in returned if isinstance(returned, (list, tuple)) else ([returned] if returned else []):
                if isinstance(evaluation, Evaluation):
                    self.record(record, evaluation)
                else:
                    warn_once(f"evaluator {_name(evaluator)!r} returned {type(evaluation).__name__}, not Evaluation")


def _name(evaluator: Any) -> str:
    return str(getattr(evaluator, "__name__", evaluator))


_LATE = object()


def _call_with_deadline(evaluator: Evaluator, view: Any) -> Any:
    """``evaluator(view)``, or ``_LATE`` when it raised or is still running after ``EVALUATOR_TIMEOUT_S``
    (it is left behind on a daemon thread; its result is dropped)."""
    outcome: list[Any] = []

    def call() -> None:
        try:
            outcome.append(evaluator(view))
        except Exception as exc:
            warn_once(f"evaluator {_name(evaluator)!r} raised {exc!r}")

    thread = threading.Thread(target=call, name=f"autogen-otel-evaluator-{_name(evaluator)}", daemon=True)
    thread.start()
    thread.join(EVALUATOR_TIMEOUT_S)
    if thread.is_alive():
        warn_once(f"evaluator {_name(evaluator)!r} still running after {EVALUATOR_TIMEOUT_S:g}s was left behind; "
                  "its result is dropped")
        return _LATE
    return outcome[0] if outcome else _LATE


class EvaluationQueue:
    """Finished runs waiting for their evaluators: bounded, served by one daemon thread started on
    first use, so a run's end never waits for an evaluator (nor does anything else on its loop).
    At exit, runs still queued get ``EXIT_WAIT_S`` to finish."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Recorder, RunRecord, list[Evaluator]]] = queue.Queue(_QUEUED)
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, recorder: Recorder, record: RunRecord, registered: list[Evaluator]) -> None:
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="autogen-otel-evaluations", daemon=True)
                self._worker.start()
                atexit.register(self.flush, EXIT_WAIT_S)
        try:
            self._queue.put_nowait((recorder, record, registered))
        except queue.Full:
            warn_once(f"more than {_QUEUED} finished runs wait for their evaluators: later runs are not evaluated "
                      "until the evaluators catch up")

    def _work(self) -> None:
        while True:
            recorder, record, registered = self._queue.get()
            try:
                recorder.evaluate(record, registered)
            except Exception as exc:  # never stop serving the queue
                warn_once(f"internal error running evaluators: {exc!r}")
            finally:
                self._queue.task_done()

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every queued run to be evaluated; True when none is left."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True


EXIT_WAIT_S = 2.0
_QUEUED = 1024
_QUEUE = EvaluationQueue()


def flush_evaluations(timeout: float = 5.0) -> bool:
    """Wait (up to ``timeout`` seconds) until the evaluators of every finished run have run and their
    results are recorded -- e.g. before a short-lived process flushes its exporters. True when done."""
    return _QUEUE.flush(timeout)
