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

from ..core.pricing import PriceTable, default_prices
from ..core.spend import SpendLimit

__all__ = ["BudgetTermination"]


def _live_run() -> Any:
    from ..instrumentor import AgentChatInstrumentor

    telemetry = AgentChatInstrumentor().telemetry
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
        self._limit = SpendLimit(max_cost_usd, max_tokens)
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
        table = self._prices or prices or default_prices()
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
        reason = self._limit.breach(*self.spent())
        if reason is None:
            return None
        self._terminated = True
        return StopMessage(content=reason, source="BudgetTermination")

    async def reset(self) -> None:
        self._terminated = False
        self._fallback_input = 0
        self._fallback_output = 0
