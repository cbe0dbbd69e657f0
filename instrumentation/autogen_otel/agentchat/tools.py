"""``execute_tool`` spans for tools run directly (``BaseTool.run_json``) or through a
workbench (``call_tool`` / ``call_tool_stream``, including MCP workbenches)."""

from __future__ import annotations

from typing import Any

from ..core import content
from ..core import semconv as sc
from ..core.families import FamilyPatch, PatchGroup
from ..core.hooks import SpanHooks
from ..core.scopes import Scope
from ..core.telemetry import Telemetry
from ..core.wrappers import call_arg, coroutine_wrapper, stream_wrapper


class ToolHooks(SpanHooks):
    site = "tool call"

    def __init__(self, telemetry: Telemetry, via_workbench: bool) -> None:
        super().__init__(telemetry)
        self.via_workbench = via_workbench

    def _describe(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, str, Any, Any]:
        if self.via_workbench:
            name = content.safe_text(call_arg(args, kwargs, 0, "name"))
            tool = next((t for t in getattr(instance, "_tools", None) or () if getattr(t, "name", None) == name),
                        None)
            description = getattr(tool, "description", "") if tool is not None else ""
            return name, description, call_arg(args, kwargs, 1, "arguments"), call_arg(args, kwargs, 3, "call_id")
        return (content.safe_text(getattr(instance, "name", type(instance).__name__)),
                getattr(instance, "description", ""), call_arg(args, kwargs, 0, "args"),
                call_arg(args, kwargs, 2, "call_id"))

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        current, run = self.t.registry.current()
        if current is not None and current.kind == "tool":
            # The workbench's span is already open; errors the tool raises are still recorded on it.
            return Scope("tool-inner", None, None, run, parent=current)
        name, description, arguments, call_id = self._describe(instance, args, kwargs)
        is_mcp = "Mcp" in type(instance).__name__
        scope = self.open_tool(instance, name, "extension" if is_mcp else "function", description, call_id, arguments)
        return scope

    def finish(self, scope: Scope, result: Any) -> None:
        if scope.span is None:
            return
        result = result if result is not None else scope.last_item
        try:
            if getattr(result, "is_error", False) and sc.ERROR_TYPE not in scope.attrs:
                # The workbench turned an exception into an error result.
                self.t.mark_failed(scope, sc.ERROR_TYPE_TOOL, content.safe_text(_result_text(result)))
            if self.t.capturing:
                self.t.record_content(scope, {sc.GEN_AI_TOOL_CALL_RESULT: _result_text(result)})
        finally:
            self._end(scope, None)

    def fail(self, scope: Scope, exc: BaseException) -> None:
        if scope.span is None:
            outer = scope.parent
            if outer is not None and sc.ERROR_TYPE not in outer.attrs:
                self.t.mark_error(outer, exc)
            return
        self._end(scope, exc)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        labels = {**self.t.base_labels(scope), sc.GEN_AI_TOOL_NAME: scope.name}
        self._record_and_close(scope, exc, self.t.instruments.tool_duration, labels)


def _result_text(result: Any) -> Any:
    to_text = getattr(result, "to_text", None)
    if callable(to_text):
        try:
            return to_text()
        except Exception:
            pass
    return result


class ToolPatch(PatchGroup):
    def __init__(self, telemetry: Telemetry) -> None:
        from autogen_core.tools import BaseTool

        direct = ToolHooks(telemetry, via_workbench=False)
        super().__init__([FamilyPatch(BaseTool, {
            "run_json": coroutine_wrapper(direct),
            "run_json_stream": stream_wrapper(direct),
        })])
        try:
            from autogen_core.tools import Workbench
        except ImportError:  # AutoGen < 0.5 has no workbenches
            Workbench = None
        if Workbench is not None:
            workbench = ToolHooks(telemetry, via_workbench=True)
            self.patches.append(FamilyPatch(Workbench, {
                "call_tool": coroutine_wrapper(workbench),
                "call_tool_stream": stream_wrapper(workbench),
            }))
