"""``record_evaluation``: say what a run achieved, on that run's trace and in metrics.

>>> result = await team.run(task="Analyse Q1 and write summary.json")
>>> ok = Path("summary.json").exists()
>>> autogen_otel.record_evaluation(result, "summary_written", label="pass" if ok else "fail",
...                                score=1.0 if ok else 0.0, explanation=None if ok else "summary.json missing")

``result`` is what the run returned: AgentChat's ``TaskResult`` (``run``, or the last item of
``run_stream``), AG2 Classic's ``ChatResult`` (``initiate_chat``, each of ``initiate_chats``),
Agent Framework's ``AgentResponse`` / ``WorkflowRunResult``. ``None`` inside a running run (a
tool, a termination condition, a reply function) evaluates that run. A bad value or a result we
did not trace gets one warning, never an exception; with no instrumentor on it does nothing.
"""

from __future__ import annotations

from typing import Any

from .core.evaluations import (
    Evaluation,
    RunView,
    add_evaluator,
    expect_file,
    final_answer,
    flush_evaluations,
    remove_evaluator,
    warn_once,
)

__all__ = ["Evaluation", "RunView", "add_evaluator", "expect_file", "final_answer", "flush_evaluations",
           "record_evaluation", "remove_evaluator"]


def _live() -> list[Any]:
    from .instrumentor import AG2Instrumentor, AgentChatInstrumentor, AgentFrameworkInstrumentor

    return [t for t in (AgentChatInstrumentor().telemetry, AG2Instrumentor().telemetry,
                        AgentFrameworkInstrumentor().telemetry) if t is not None]


def record_evaluation(result: Any, name: str, *, score: float | None = None, label: str | None = None,
                      explanation: str | None = None, response_id: str | None = None) -> bool:
    """Record one evaluation of the run that returned ``result`` (or of the current run when
    ``result`` is None). True when it was recorded."""
    try:
        live = _live()
        if not live:
            return False  # instrumentation off: nothing to attach it to
        evaluation = Evaluation(name, score, label, explanation)
        for telemetry in live:
            record = (telemetry.current_record() if result is None
                      else telemetry.evaluations.finished.find(result))
            if record is not None:
                return bool(telemetry.evaluations.record(record, evaluation, response_id))
        warn_once("no run is in progress here" if result is None else
                  f"this {type(result).__name__} did not come from a run traced by this process "
                  "(pass what run()/initiate_chat() returned, in the process that ran it)")
        return False
    except Exception as exc:  # never the app's problem
        warn_once(f"internal error recording {name!r}: {exc!r}")
        return False
