"""``AG2Budget``: end an AG2 Classic conversation when its run has spent a dollar or token budget.

Attached to the agents of a chat, it runs first in every reply (a ``register_reply`` function at
position 0); once the run is over budget the agent answers with no reply, which ends a two-agent
chat and a group chat alike. Cost and tokens come from the instrumentor's accounting of the
current run (every model call, speaker selection included, priced with the metrics' table);
without the instrumentor, from AG2's own usage summary of the attached agents.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..core.spend import SpendLimit

__all__ = ["AG2Budget"]

logger = logging.getLogger("autogen_otel")


def _live_telemetry() -> Any:
    """The AG2 instrumentor's live state, or None when it is not instrumenting."""
    from ..instrumentor import AG2Instrumentor

    return AG2Instrumentor().telemetry


def _ag2_usage(agents: list[Any]) -> tuple[float, int]:
    cost, tokens = 0.0, 0
    for agent in agents:
        summary = getattr(getattr(agent, "client", None), "actual_usage_summary", None)
        if not isinstance(summary, Mapping):
            continue
        cost += float(summary.get("total_cost", 0.0) or 0.0)
        for usage in summary.values():
            if isinstance(usage, Mapping):
                tokens += int(usage.get("prompt_tokens", 0) or 0) + int(usage.get("completion_tokens", 0) or 0)
    return cost, tokens


class AG2Budget:
    """Stop the conversation once its run passes ``max_cost_usd`` or ``max_tokens``.

    >>> budget = AG2Budget(max_cost_usd=0.50)
    >>> budget.attach(assistant, user_proxy)      # or every agent of a group chat
    >>> user_proxy.initiate_chat(assistant, message="...")
    """

    def __init__(self, max_cost_usd: float | None = None, max_tokens: int | None = None) -> None:
        self._limit = SpendLimit(max_cost_usd, max_tokens)
        self._agents: list[Any] = []
        self.stopped_reason: str | None = None

    def attach(self, *agents: Any) -> AG2Budget:
        try:
            from autogen import Agent
        except ModuleNotFoundError as exc:
            raise ImportError(f"autogen_otel.AG2Budget needs AG2 Classic, which is not installed ({exc.name} is "
                              "missing): install autogen-otel's [ag2] extra (pip install \".[ag2]\" in a checkout) "
                              "or the framework itself") from exc

        for agent in agents:
            agent.register_reply([Agent, None], self._reply, position=0)
            self._agents.append(agent)
        return self

    def spent(self) -> tuple[float | None, int]:
        """(USD or None when unknown, tokens) spent so far by the current run."""
        telemetry = _live_telemetry()
        run = telemetry.registry.current()[1] if telemetry is not None else None
        if run is not None and run.root is not None:
            usage = run.usage
            return (usage.cost_usd if usage.cost_known else None), usage.input_tokens + usage.output_tokens
        return _ag2_usage(self._agents)

    def _reply(self, recipient: Any, messages: Any = None, sender: Any = None, config: Any = None) -> tuple[bool, Any]:
        reason = self._limit.breach(*self.spent())
        if reason is None:
            return False, None
        self.stopped_reason = reason
        logger.warning("autogen-otel: %s; %s stops the conversation", reason, getattr(recipient, "name", "agent"))
        telemetry = _live_telemetry()
        if telemetry is not None:
            from .chats import record_stop

            record_stop(telemetry, reason)
        return True, None
