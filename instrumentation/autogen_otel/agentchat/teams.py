"""``invoke_workflow`` spans: one per team run (``run`` / ``run_stream``), the root of its trace."""

from __future__ import annotations

import uuid
import weakref
from typing import Any

from opentelemetry.trace import SpanKind

from ..core import content
from ..core import semconv as sc
from ..core.families import FamilyPatch
from ..core.health import stop_category
from ..core.hooks import SpanHooks
from ..core.scopes import Scope
from ..core.telemetry import Telemetry
from ..core.wrappers import async_wrapper, coroutine_wrapper, stream_wrapper

STOP_ABANDONED = "abandoned"


def team_name(team: Any) -> str:
    name = getattr(team, "name", None) or getattr(team, "_name", None)
    return content.safe_text(name) if isinstance(name, str) and name else type(team).__name__


def participant_names(team: Any) -> list[str]:
    participants = getattr(team, "_participants", None) or []
    return [content.safe_text(getattr(p, "name", "?")) for p in participants]


class TeamHooks(SpanHooks):
    site = "team run"

    def __init__(self, telemetry: Telemetry) -> None:
        super().__init__(telemetry)
        # A team keeps its conversation across runs until reset(); one id per conversation.
        self._conversations: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    def conversation_id(self, team: Any) -> str:
        try:
            return self._conversations.setdefault(team, uuid.uuid4().hex)
        except TypeError:  # not weak-referenceable
            return uuid.uuid4().hex

    def forget(self, team: Any) -> None:
        try:
            self._conversations.pop(team, None)
        except TypeError:
            pass

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        current, _ = self.t.registry.current()
        if self.t.owned_by(current, "workflow", instance):
            return None  # run() delegating to run_stream()
        name = team_name(instance)
        attrs: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_WORKFLOW,
            sc.GEN_AI_WORKFLOW_NAME: name,
            sc.GEN_AI_CONVERSATION_ID: self.conversation_id(instance),
            sc.AUTOGEN_TEAM_TYPE: type(instance).__name__,
            sc.AUTOGEN_TEAM_PARTICIPANTS: participant_names(instance),
        }
        max_turns = getattr(instance, "_max_turns", None)
        if isinstance(max_turns, int) and max_turns > 0:
            attrs[sc.AUTOGEN_RUN_TURN_LIMIT] = max_turns
        scope = self.t.open("workflow", f"{sc.OP_WORKFLOW} {name}", SpanKind.INTERNAL, attrs,
                            owner=instance, name=name, new_run=name)
        if scope.run is not None:
            scope.run.turn_limit = attrs.get(sc.AUTOGEN_RUN_TURN_LIMIT, 0)
        if self.t.capturing:
            task = kwargs.get("task", args[0] if args else None)
            if task is not None:
                messages = [task] if isinstance(task, str) or not isinstance(task, (list, tuple)) else task
                self.t.record_content(scope, {sc.GEN_AI_INPUT_MESSAGES: [
                    {"role": "user", "parts": [{"type": "text", "content": m}]} if isinstance(m, str)
                    else content.chat_message_parts(m) for m in messages]})
        return scope

    def item(self, scope: Scope, item: Any) -> None:
        super().item(scope, item)
        if scope.run is not None and type(item).__name__ != "TaskResult":
            scope.run.messages += 1

    def finish(self, scope: Scope, result: Any) -> None:
        task_result = result if result is not None else scope.last_item
        try:
            messages = getattr(task_result, "messages", None)
            if messages is not None and scope.run is not None:
                scope.run.messages = len(messages)
            stop_reason = getattr(task_result, "stop_reason", None)
            scope.attrs[sc.AUTOGEN_RUN_STOP_CATEGORY] = stop_category(stop_reason)
            if stop_reason and scope.span is not None:
                scope.span.set_attribute(sc.AUTOGEN_RUN_STOP_REASON, self.t.cap(content.safe_text(stop_reason)))
            if self.t.capturing and messages:
                self.t.record_content(scope, {sc.GEN_AI_OUTPUT_MESSAGES: [content.chat_message_parts(messages[-1])]})
            last = messages[-1] if messages else None
            self.t.outcome(scope, task_result,
                           None if last is None else content.safe_text(getattr(last, "content", "")))
        finally:
            self._end(scope, None)

    def abandon(self, scope: Scope) -> None:
        scope.attrs[sc.AUTOGEN_RUN_STOP_CATEGORY] = STOP_ABANDONED
        super().abandon(scope)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        self._record_and_close(scope, exc, self.t.instruments.workflow_duration, self.t.run_labels(scope))


class TeamPatch:
    def __init__(self, telemetry: Telemetry) -> None:
        from autogen_agentchat.teams import BaseGroupChat

        self.hooks = hooks = TeamHooks(telemetry)

        @async_wrapper
        async def reset(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            result = await wrapped(*args, **kwargs)
            hooks.forget(instance)
            return result

        self._family = FamilyPatch(BaseGroupChat, {
            "run": coroutine_wrapper(hooks),
            "run_stream": stream_wrapper(hooks),
            "reset": reset,
        })

    def apply(self) -> None:
        self._family.apply()

    def remove(self) -> None:
        self._family.remove()
