"""Metric instruments. Labels are limited to bounded values: model, provider, operation,
agent, tool, team, token type, error type and stop category -- never run ids or text."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from . import semconv as sc
from .scopes import RunState


def _histogram(meter: Meter, name: str, unit: str, description: str, buckets: tuple[float, ...]):  # type: ignore[no-untyped-def]
    try:
        return meter.create_histogram(name, unit=unit, description=description,
                                      explicit_bucket_boundaries_advisory=list(buckets))
    except TypeError:  # API older than 1.23 has no advisory parameter
        return meter.create_histogram(name, unit=unit, description=description)


class Instruments:
    def __init__(self, meter: Meter, active_runs: Callable[[], list[RunState]]) -> None:
        self.token_usage = _histogram(meter, sc.METRIC_TOKEN_USAGE, "{token}",
                                      "Number of input and output tokens used", sc.TOKEN_BUCKETS)
        self.operation_duration = _histogram(meter, sc.METRIC_OPERATION_DURATION, "s",
                                             "GenAI operation duration", sc.DURATION_BUCKETS)
        self.time_to_first_chunk = _histogram(meter, sc.METRIC_TIME_TO_FIRST_CHUNK, "s",
                                              "Time to the first chunk of a streamed response",
                                              sc.DURATION_BUCKETS)
        self.workflow_duration = _histogram(meter, sc.METRIC_WORKFLOW_DURATION, "s",
                                            "Duration of a team run", sc.WORKFLOW_DURATION_BUCKETS)
        self.agent_duration = _histogram(meter, sc.METRIC_AGENT_DURATION, "s",
                                         "Duration of an agent turn", sc.AGENT_DURATION_BUCKETS)
        self.tool_duration = _histogram(meter, sc.METRIC_TOOL_DURATION, "s",
                                        "Duration of a tool call", sc.DURATION_BUCKETS)
        self.cost = meter.create_counter(sc.METRIC_COST, unit="{USD}", description="Model cost in US dollars")
        self.unpriced_calls = meter.create_counter(sc.METRIC_UNPRICED_CALLS, unit="{call}",
                                                   description="Model calls whose cost is unknown (no price)")
        self.run_turns = _histogram(meter, sc.METRIC_RUN_TURNS, "{turn}", "Agent turns per run", sc.COUNT_BUCKETS)
        self.run_messages = _histogram(meter, sc.METRIC_RUN_MESSAGES, "{message}", "Messages per run",
                                       sc.COUNT_BUCKETS)
        self.run_cost = _histogram(meter, sc.METRIC_RUN_COST, "{USD}", "Model cost per run in US dollars",
                                   sc.COST_BUCKETS)
        self.run_active = meter.create_up_down_counter(sc.METRIC_RUN_ACTIVE, unit="{run}",
                                                       description="Runs in flight")
        self._runs_active = meter.create_up_down_counter(  # the deprecated plural name, for a while
            sc.METRIC_RUNS_ACTIVE, unit="{run}", description=f"Deprecated: use {sc.METRIC_RUN_ACTIVE}")
        self.runs = meter.create_counter(sc.METRIC_RUNS, unit="{run}",
                                         description="Finished runs by stop category")
        self.loops = meter.create_counter(sc.METRIC_LOOPS, unit="{detection}",
                                          description="Repeated identical messages or tool calls within a run")
        self.evaluations = meter.create_counter(sc.METRIC_EVALUATIONS, unit="{evaluation}",
                                                description="Evaluations of finished runs, by name and label")
        self.evaluation_score = _histogram(meter, sc.METRIC_EVALUATION_SCORE, "{score}", "Evaluation scores of runs",
                                           sc.SCORE_BUCKETS)
        self._active_runs = active_runs
        # Teams seen by the run gauges: reported as 0 once their runs end, so an alert on a gauge
        # resolves on the next export instead of holding Prometheus's last value for 5 minutes.
        self._teams: dict[str, set[str]] = {}
        meter.create_observable_gauge(sc.METRIC_LAST_MODEL_CALL, callbacks=[self._observe_idle], unit="s",
                                      description="Per team, the longest time an active run has gone "
                                                  "without model or tool activity")
        meter.create_observable_gauge(sc.METRIC_ACTIVE_RUN_COST, callbacks=[self._observe_cost], unit="{USD}",
                                      description="Per team, the most an active run has spent so far")
        meter.create_observable_gauge(sc.METRIC_TURN_LIMIT_USAGE, callbacks=[self._observe_turn_limit], unit="1",
                                      description="Per team, the largest share of its turn limit an active run "
                                                  "has used (runs with a known limit)")

    def runs_in_flight(self, delta: int, labels: dict[str, str]) -> None:
        self.run_active.add(delta, labels)
        self._runs_active.add(delta, labels)

    def _per_team(self, gauge: str, values: Iterable[tuple[str, float]]) -> list[Observation]:
        """The largest value per team; 0 for teams this gauge reported before and now has no run for."""
        worst: dict[str, float] = {}
        for team, value in values:
            worst[team] = max(worst.get(team, 0.0), value)
        seen = self._teams.setdefault(gauge, set())
        seen.update(worst)
        return [Observation(worst.get(team, 0.0), {sc.GEN_AI_WORKFLOW_NAME: team}) for team in sorted(seen)]

    def _observe_idle(self, options: CallbackOptions) -> Iterable[Observation]:
        now = time.monotonic()
        return self._per_team(sc.METRIC_LAST_MODEL_CALL, (
            (run.name, 0.0 if run.human_waits else now - run.last_activity) for run in self._active_runs()))

    def _observe_cost(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._per_team(sc.METRIC_ACTIVE_RUN_COST, (
            (run.name, run.usage.cost_usd) for run in self._active_runs() if run.usage.cost_known))

    def _observe_turn_limit(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._per_team(sc.METRIC_TURN_LIMIT_USAGE, (
            (run.name, run.turns / run.turn_limit) for run in self._active_runs() if run.turn_limit))
