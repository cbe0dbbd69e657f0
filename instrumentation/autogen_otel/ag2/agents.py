"""``invoke_agent`` spans around every AG2 Classic reply (``generate_reply`` / ``a_generate_reply``,
so ``register_reply`` functions run inside them) and ``human_input`` spans around waits for a
person (``get_human_input`` / ``a_get_human_input``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.trace import SpanKind

from ..core import content
from ..core import semconv as sc
from ..core.hooks import SpanHooks, arguments_key
from ..core.scopes import Scope
from ..core.telemetry import Telemetry
from ..core.wrappers import call_arg
from . import native
from .chats import agent_name, group_of
from .models import provider_of
from .state import AgentScopes, selecting


def reply_text(reply: Any) -> str:
    """What a reply says, for loop detection: its text, or its tool calls."""
    if isinstance(reply, str):
        return reply
    if isinstance(reply, Mapping):
        text = reply.get("content")
        calls = reply.get("tool_calls") or reply.get("function_call")
        if calls:
            return content.safe_text(text or "") + arguments_key(calls)
        return content.safe_text(text if text is not None else "")
    return content.safe_text(reply)


class ReplyHooks(SpanHooks):
    site = "ag2 agent reply"

    def __init__(self, telemetry: Telemetry, scopes: AgentScopes) -> None:
        super().__init__(telemetry)
        self.scopes = scopes

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        if selecting() is not None or group_of(instance) is not None:
            # Speaker selection's internal agents; a group chat manager's reply *is* the group's
            # run, already the workflow span.
            return None
        current, run = self.t.registry.current()
        if self.t.owned_by(current, "agent", instance):
            return None
        description = getattr(instance, "description", None)
        # AG2 defaults an agent's description to its system message: that is content, opt-in only.
        if not self.t.capturing and description == getattr(instance, "system_message", None):
            description = None
        name = agent_name(instance)
        borrow = native.current_span(self.t.registry, native.AGENT, **{sc.GEN_AI_AGENT_NAME: name})
        config_list = getattr(getattr(instance, "client", None), "_config_list", None)
        provider = provider_of(config_list[0]) if config_list else None
        scope = self.open_agent(instance, name, description, new_run=run is None, borrow=borrow, provider=provider)
        self.scopes.push(instance, scope)
        if self.t.capturing:
            messages = call_arg(args, kwargs, 0, "messages") or ()
            if messages:
                self.t.record_content(scope, {sc.GEN_AI_INPUT_MESSAGES: [content.openai_message(messages[-1])]})
        return scope

    def finish(self, scope: Scope, result: Any) -> None:
        try:
            if result is not None and scope.run is not None:
                detection = scope.run.loops.message(scope.agent, reply_text(result))
                if detection is not None:
                    self.t.report_loop(scope, detection)
            if self.t.capturing and result is not None:
                reply = {"role": "assistant", "content": result} if isinstance(result, str) else result
                self.t.record_content(scope, {sc.GEN_AI_OUTPUT_MESSAGES: [content.openai_message(reply)]})
        finally:
            self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        try:
            self.scopes.pop_scope(scope)
        finally:
            self._record_and_close(scope, exc, self.t.instruments.agent_duration, self.t.base_labels(scope))


class ServedReplyHooks(ReplyHooks):
    """The turn of an agent served to other processes (``AgentService``: A2A's ``A2aAgentServer``),
    which calls the model past ``generate_reply``: an ``invoke_agent`` span of its own, its model
    calls and tools beneath."""

    site = "ag2 served agent"

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        request = call_arg(args, kwargs, 0, "state")
        return super().start(instance.agent, (list(getattr(request, "messages", None) or ()),), {})

    def item(self, scope: Scope, item: Any) -> None:
        message = getattr(item, "message", None)
        if message is not None:
            scope.last_item = message

    def finish(self, scope: Scope, result: Any) -> None:
        super().finish(scope, getattr(scope, "last_item", None))


class HumanInputHooks(SpanHooks):
    site = "ag2 human input"

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        _current, run = self.t.registry.current()
        if run is None or selecting() is not None:
            return None
        name = agent_name(instance)
        attrs = {sc.GEN_AI_AGENT_NAME: name,
                 sc.AUTOGEN_HUMAN_INPUT_MODE: content.safe_text(getattr(instance, "human_input_mode", ""))}
        scope = self.t.open("human_input", f"{sc.OP_HUMAN_INPUT} {name}", SpanKind.INTERNAL, attrs, owner=instance,
                            name=name, borrow=native.current_span(self.t.registry, native.HUMAN_INPUT))
        run.human_waits += 1
        return scope

    def finish(self, scope: Scope, result: Any) -> None:
        self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        run = scope.run
        if run is not None:
            run.human_waits = max(0, run.human_waits - 1)
            run.touch()  # the wait was a person's, not a stall: idle time starts again now
        self.t.close(scope, exc)
