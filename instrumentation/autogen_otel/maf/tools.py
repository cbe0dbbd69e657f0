"""``execute_tool`` spans around every Agent Framework function tool (``FunctionTool.invoke``:
``@tool`` functions and the tools an MCP server lists), ERROR when the tool raised."""

from __future__ import annotations

from typing import Any

from ..core import content
from ..core import semconv as sc
from ..core.hooks import SpanHooks
from ..core.scopes import Scope
from . import native


def _arguments(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump() if callable(dump) else value


class ToolHooks(SpanHooks):
    site = "agent framework tool call"

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        current, _ = self.t.registry.current()
        if self.t.owned_by(current, "tool", instance):
            return None
        name = content.safe_text(getattr(instance, "name", None) or type(instance).__name__)
        arguments = _arguments(kwargs.get("arguments"))
        if arguments is None:
            arguments = {k: v for k, v in kwargs.items() if k not in ("context", "tool_call_id", "skip_parsing")}
        # With Agent Framework's own telemetry on, ``invoke`` opens its own tool span: ours keeps
        # the books (loops, duration) without a second span.
        return self.open_tool(instance, name, "function", getattr(instance, "description", None),
                              kwargs.get("tool_call_id"), arguments, spanless=native.active())

    def finish(self, scope: Scope, result: Any) -> None:
        try:
            if self.t.capturing:
                parts = result if isinstance(result, list) else [result]
                texts = [getattr(p, "text", None) or getattr(p, "result", None) for p in parts]
                value = texts[0] if len(texts) == 1 and texts[0] is not None else (
                    [t for t in texts if t is not None] or result)
                self.t.record_content(scope, {sc.GEN_AI_TOOL_CALL_RESULT: value})
        finally:
            self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        labels = {**self.t.base_labels(scope), sc.GEN_AI_TOOL_NAME: scope.name}
        self._record_and_close(scope, exc, self.t.instruments.tool_duration, labels)
