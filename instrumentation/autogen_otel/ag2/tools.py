"""``execute_tool`` spans for AG2 Classic: registered functions and tools (``execute_function`` /
``a_execute_function``) and code execution (the legacy ``execute_code_blocks`` of a
``UserProxyAgent`` and any ``CodeExecutor``), with language and exit code; the code itself
and its output only with content capture."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.trace import SpanKind

from ..core import content
from ..core import semconv as sc
from ..core.hooks import SpanHooks
from ..core.scopes import Scope
from ..core.wrappers import call_arg
from . import native
from .state import selecting

CODE_ERROR = "code_error"


class FunctionHooks(SpanHooks):
    site = "ag2 tool call"

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        if selecting() is not None:
            return None
        current, _ = self.t.registry.current()
        if current is not None and current.kind == "tool":
            return None  # a_execute_function delegating to execute_function
        func_call = call_arg(args, kwargs, 0, "func_call")
        func_call = func_call if isinstance(func_call, Mapping) else {}
        name = content.safe_text(func_call.get("name") or "unknown")
        arguments = func_call.get("arguments")
        call_id = call_arg(args, kwargs, 1, "call_id")
        function = (getattr(instance, "_function_map", None) or {}).get(name)
        doc = getattr(function, "__doc__", None)
        return self.open_tool(instance, name, "function", doc.strip() if isinstance(doc, str) else None, call_id,
                              arguments, borrow=native.current_span(self.t.registry, native.TOOL))

    def finish(self, scope: Scope, result: Any) -> None:
        try:
            # (is_exec_success, {"name", "role", "content"}): AG2 turns the function's exception into text.
            if isinstance(result, tuple) and len(result) == 2:
                success, reply = result
                text = reply.get("content") if isinstance(reply, Mapping) else reply
                if not success:
                    self.t.mark_failed(scope, sc.ERROR_TYPE_TOOL, content.safe_text(text))
                if self.t.capturing:
                    self.t.record_content(scope, {sc.GEN_AI_TOOL_CALL_RESULT: text})
        finally:
            self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        labels = {**self.t.base_labels(scope), sc.GEN_AI_TOOL_NAME: scope.name}
        self._record_and_close(scope, exc, self.t.instruments.tool_duration, labels)


def _blocks(code_blocks: Any) -> list[tuple[str, str]]:
    """(language, code) of legacy tuples or CodeBlock objects."""
    blocks: list[tuple[str, str]] = []
    for block in code_blocks if isinstance(code_blocks, Sequence) else ():
        if isinstance(block, (tuple, list)) and len(block) == 2:
            blocks.append((content.safe_text(block[0]), content.safe_text(block[1])))
        else:
            blocks.append((content.safe_text(getattr(block, "language", "")),
                           content.safe_text(getattr(block, "code", ""))))
    return blocks


class CodeHooks(FunctionHooks):
    site = "ag2 code execution"

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        current, _ = self.t.registry.current()
        if current is not None and current.kind == "tool":
            return None
        blocks = _blocks(call_arg(args, kwargs, 0, "code_blocks"))
        languages = sorted({language or "unknown" for language, _ in blocks})
        name = sc.CODE_EXECUTION_TOOL
        attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: sc.OP_TOOL, sc.GEN_AI_TOOL_NAME: name,
                                 sc.GEN_AI_TOOL_TYPE: "extension", sc.AUTOGEN_CODE_LANGUAGES: languages,
                                 sc.AUTOGEN_CODE_BLOCKS: len(blocks),
                                 sc.GEN_AI_TOOL_DESCRIPTION: f"{type(instance).__name__} runs generated code"}
        scope = self.t.open("tool", f"{sc.OP_TOOL} {name}", SpanKind.INTERNAL, attrs, owner=instance, name=name,
                            borrow=native.current_span(self.t.registry, native.CODE))
        if scope.run is not None:
            scope.run.touch()
        if self.t.capturing:
            self.t.record_content(scope, {sc.GEN_AI_TOOL_CALL_ARGUMENTS: [
                {"language": language, "code": code} for language, code in blocks]})
        return scope

    def finish(self, scope: Scope, result: Any) -> None:
        try:
            # Legacy agents return (exit_code, logs); code executors a CodeResult.
            if isinstance(result, tuple) and len(result) >= 2:
                exit_code, output = result[0], result[1]
            else:
                exit_code, output = getattr(result, "exit_code", None), getattr(result, "output", None)
            if isinstance(exit_code, int) and scope.span is not None:
                scope.span.set_attribute(sc.AUTOGEN_CODE_EXIT_CODE, exit_code)
                if exit_code != 0:
                    self.t.mark_failed(scope, CODE_ERROR, f"exit code {exit_code}", text_is_content=False)
            if self.t.capturing:
                self.t.record_content(scope, {sc.GEN_AI_TOOL_CALL_RESULT: output})
        finally:
            self._end(scope, None)

