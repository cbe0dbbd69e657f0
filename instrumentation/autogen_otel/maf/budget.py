"""``AgentFrameworkBudget``: stop an Agent Framework agent or workflow once its run has spent a
dollar or token budget.

A chat middleware: before every model call it checks what the run has spent (the instrumentor's
accounting, every model call priced with the metrics' table) and, once over, answers in place of
the model with the budget's message. The agent's tool loop ends there, and every later agent of
the workflow is answered the same way, so nothing more is spent; the run ends with stop category
``budget``. Without the instrumentor it counts the usage of the calls it let through itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from agent_framework import (
    ChatContext,
    ChatMiddleware,
    ChatResponse,
    ChatResponseUpdate,
    Content,
    Message,
    ResponseStream,
)

from ..core.health import STOP_BUDGET
from ..core.pricing import default_prices
from ..core.spend import SpendLimit, run_spend
from . import messages as maf_messages

__all__ = ["AgentFrameworkBudget"]

logger = logging.getLogger("autogen_otel")


def _live_telemetry() -> Any:
    from ..instrumentor import AgentFrameworkInstrumentor

    return AgentFrameworkInstrumentor().telemetry


class AgentFrameworkBudget(ChatMiddleware):
    """Stop once the run passes ``max_cost_usd`` or ``max_tokens``.

    >>> budget = AgentFrameworkBudget(max_cost_usd=0.50)
    >>> agent = Agent(client=client, name="analyst", middleware=[budget])   # on every agent of a workflow
    """

    def __init__(self, max_cost_usd: float | None = None, max_tokens: int | None = None) -> None:
        self._limit = SpendLimit(max_cost_usd, max_tokens)
        self.max_cost_usd, self.max_tokens = max_cost_usd, max_tokens
        self.stopped_reason: str | None = None
        self._own = [0, 0, 0.0, 0]  # input, output, USD, unpriced calls: without the instrumentor

    def spent(self) -> tuple[float | None, int]:
        """(USD or None when unknown, tokens) spent so far by the current run."""
        telemetry = _live_telemetry()
        live = run_spend(telemetry.registry.current()[1]) if telemetry is not None else None
        if live is not None:
            return live
        input_tokens, output_tokens, cost, unpriced = self._own
        return (None if unpriced and not cost else cost), input_tokens + output_tokens

    async def process(self, context: ChatContext, call_next: Callable[[], Awaitable[None]]) -> None:
        reason = self._limit.breach(*self.spent())
        if reason is None:
            await call_next()
            self._count(context.result)
            return
        self.stopped_reason = reason
        logger.warning("autogen-otel: %s; the model call is not made", reason)
        telemetry = _live_telemetry()
        if telemetry is not None:
            telemetry.stop_run(telemetry.registry.current()[1], STOP_BUDGET, reason)
        context.result = _stopped_stream(reason) if context.stream else _stopped(reason)

    def _count(self, result: Any) -> None:
        if _live_telemetry() is not None or result is None:
            return
        if isinstance(result, ResponseStream):
            result.with_result_hook(self._observe)
        else:
            self._observe(result)

    def _observe(self, response: Any) -> None:
        input_tokens, output_tokens, _ = maf_messages.usage(response)
        cost = default_prices().cost(getattr(response, "model", None), input_tokens, output_tokens)
        self._own[0] += input_tokens
        self._own[1] += output_tokens
        if cost is None:
            self._own[3] += 1
        else:
            self._own[2] += cost


def _stopped(reason: str) -> ChatResponse:
    return ChatResponse(messages=[Message("assistant", [Content.from_text(reason)])], finish_reason="stop")


def _stopped_stream(reason: str) -> ResponseStream[Any, Any]:
    async def one() -> Any:
        yield ChatResponseUpdate(role="assistant", contents=[Content.from_text(reason)], finish_reason="stop")

    return ResponseStream(one(), finalizer=ChatResponse.from_updates)
