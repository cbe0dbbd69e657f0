"""Spending limits shared by the budget stops of every family."""

from __future__ import annotations

from typing import Any


def run_spend(run: Any) -> tuple[float | None, int] | None:
    """(USD or None when unknown, tokens) a live run has spent, or None when there is no run."""
    if run is None or run.root is None:
        return None
    usage = run.usage
    return (usage.cost_usd if usage.cost_known else None), usage.input_tokens + usage.output_tokens


class SpendLimit:
    """A dollar and/or token limit for one run."""

    def __init__(self, max_cost_usd: float | None = None, max_tokens: int | None = None) -> None:
        if max_cost_usd is None and max_tokens is None:
            raise ValueError("a budget needs max_cost_usd and/or max_tokens")
        for name, value, kinds in (("max_cost_usd", max_cost_usd, (int, float)), ("max_tokens", max_tokens, (int,))):
            if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
                expected = "a number of US dollars" if name == "max_cost_usd" else "a whole number of tokens"
                raise TypeError(f"{name} must be {expected} or None, got {value!r}")
        if max_cost_usd is not None and max_cost_usd < 0:
            raise ValueError(f"max_cost_usd must be >= 0, got {max_cost_usd}")
        if max_tokens is not None and max_tokens < 0:
            raise ValueError(f"max_tokens must be >= 0, got {max_tokens}")
        self.max_cost_usd = max_cost_usd
        self.max_tokens = max_tokens

    def breach(self, cost: float | None, tokens: int) -> str | None:
        """Why the run must stop (its text names "budget", the stop category), or None."""
        if self.max_cost_usd is not None and cost is not None and cost >= self.max_cost_usd:
            return f"Cost budget of ${self.max_cost_usd:.4f} reached: ${cost:.4f} spent"
        if self.max_tokens is not None and tokens >= self.max_tokens:
            return f"Token budget of {self.max_tokens} reached: {tokens} tokens used"
        return None
