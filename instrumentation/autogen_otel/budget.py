"""``BudgetTermination``: stop a team when its run has spent a dollar or token budget.

Cost comes from the instrumentor's own accounting of the current run (every model call,
including speaker selection, priced with the same table as the metrics). Without the
instrumentor it falls back to the ``models_usage`` on the team's messages, priced for
``model``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autogen_agentchat.base import TerminatedException, TerminationCondition
from autogen_agentchat.messages import StopMessage

from .pricing import PriceTable

__all__ = ["BudgetTermination"]


def _live_run() -> Any:
    from .instrumentor import AutoGenInstrumentor

    telemetry = AutoGenInstrumentor().telemetry
    if telemetry is None:
        return None, None
    _, run = telemetry.registry.current()
    return run, telemetry.prices


class BudgetTermination(TerminationCondition):
    """Terminate when the run's cost passes ``max_cost_usd`` or its tokens pass ``max_tokens``.

    >>> team = RoundRobinGroupChat(agents, termination_condition=BudgetTermination(max_cost_usd=0.50)
    ...                            | TextMentionTermination("TERMINATE"))
    """

    def __init__(self, max_cost_usd: float | None = None, max_tokens: int | None = None,
                 model: str | None = None, prices: PriceTable | None = None) -> None:
        if max_cost_usd is None and max_tokens is None:
            raise ValueError("BudgetTermination needs max_cost_usd and/or max_tokens")
        if max_cost_usd is not None and max_cost_usd < 0:
            raise ValueError(f"max_cost_usd must be >= 0, got {max_cost_usd}")
        if max_tokens is not None and max_tokens < 0:
            raise ValueError(f"max_tokens must be >= 0, got {max_tokens}")
        self.max_cost_usd = max_cost_usd
        self.max_tokens = max_tokens
        self.model = model
        self._prices = prices
        self._terminated = False
        self._fallback_input = 0
        self._fallback_output = 0

    @property
    def terminated(self) -> bool:
        return self._terminated

    def spent(self) -> tuple[float | None, int]:
        """(USD or None when unknown, tokens) spent so far in the current run."""
        run, prices = _live_run()
        if run is not None and run.root is not None:
            usage = run.usage
            cost = usage.cost_usd if usage.cost_known else None
            return cost, usage.input_tokens + usage.output_tokens
        table = self._prices or prices or PriceTable.default()
        tokens = self._fallback_input + self._fallback_output
        cost = table.cost(self.model, self._fallback_input, self._fallback_output) if self.model else None
        return cost, tokens

    async def __call__(self, messages: Sequence[Any]) -> StopMessage | None:
        if self._terminated:
            raise TerminatedException("Termination condition has already been reached")
        for message in messages:
            usage = getattr(message, "models_usage", None)
            if usage is not None:
                self._fallback_input += usage.prompt_tokens
                self._fallback_output += usage.completion_tokens
        cost, tokens = self.spent()
        reason = None
        if self.max_cost_usd is not None and cost is not None and cost >= self.max_cost_usd:
            reason = f"Cost budget of ${self.max_cost_usd:.4f} reached: ${cost:.4f} spent"
        elif self.max_tokens is not None and tokens >= self.max_tokens:
            reason = f"Token budget of {self.max_tokens} reached: {tokens} tokens used"
        if reason is None:
            return None
        self._terminated = True
        return StopMessage(content=reason, source="BudgetTermination")

    async def reset(self) -> None:
        self._terminated = False
        self._fallback_input = 0
        self._fallback_output = 0
