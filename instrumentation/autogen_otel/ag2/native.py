"""AG2 Classic's own opt-in tracing (``autogen.opentelemetry``: ``instrument_agent``,
``instrument_llm_wrapper``, ``instrument_pattern``) works as AG2 documents it while we instrument.

For every operation it traces (a conversation, a reply, a model call, a tool or code execution, a
wait for a person) our scope borrows its span instead of opening a second one: AG2's span keeps
its name, attributes and content (AG2 records content whenever the app calls it), and gets our
cost, run and health attributes where it has none; our metrics are recorded as usual (AG2's
tracing has none). Call ``instrument_llm_wrapper`` after autogen-otel instruments (as under
``opentelemetry-instrument``), so its model-call span is the outer one.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import Span

from ..core.borrowing import framework_span
from ..core.scopes import ScopeRegistry

_TRACER = "opentelemetry.instrumentation.ag2"  # autogen.opentelemetry.consts.INSTRUMENTING_MODULE_NAME

# ag2.span.type of AG2's spans, per our kind of scope.
CONVERSATION, CONVERSATIONS, AGENT, LLM, TOOL, HUMAN_INPUT, CODE = (
    "conversation", "multi_conversation", "agent", "llm", "tool", "human_input", "code_execution")


def current_span(registry: ScopeRegistry, span_type: str, **expected: Any) -> Span | None:
    """AG2's own span of ``span_type`` for this operation, if it is current and not borrowed yet."""
    return framework_span(registry, _TRACER, **{"ag2.span.type": span_type, **expected})


class _TotalKept(dict):  # type: ignore[type-arg]
    """``ChatResult.cost["usage_including_cached_inference"]`` once AG2's tracing has it: AG2's
    ``initiate_chat`` wrapper pops ``total_cost`` to sum the per-model entries left; the app
    reading it afterwards still finds it."""

    def pop(self, key: Any, *default: Any) -> Any:
        if key == _TOTAL and key in self:
            self.kept = self[key]
        return super().pop(key, *default)

    def __missing__(self, key: Any) -> Any:
        if key == _TOTAL and "kept" in vars(self):
            return self.kept
        raise KeyError(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self or (key == _TOTAL and "kept" in vars(self)) else default


_TOTAL = "total_cost"


def keep_total_cost(result: Any) -> None:
    """Keep the app's ``total_cost`` readable through AG2's own conversation span."""
    cost = getattr(result, "cost", None)
    usage = cost.get("usage_including_cached_inference") if isinstance(cost, dict) else None
    if type(usage) is dict:
        cost["usage_including_cached_inference"] = _TotalKept(usage)
