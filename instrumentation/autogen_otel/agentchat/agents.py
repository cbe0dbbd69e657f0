"""``invoke_agent`` spans around every agent turn (``on_messages`` / ``on_messages_stream``)."""

from __future__ import annotations

from typing import Any

from ..core import content
from ..core import semconv as sc
from ..core.families import FamilyPatch
from ..core.hooks import SpanHooks
from ..core.scopes import Scope
from ..core.telemetry import Telemetry
from ..core.wrappers import coroutine_wrapper, stream_wrapper
from .models import inner_client, provider_name


def message_text(message: Any) -> str:
    """Text of an AgentChat message for loop detection (``to_text`` where it exists)."""
    to_text = getattr(message, "to_text", None)
    if callable(to_text):
        return content.safe_text(to_text())
    return content.safe_text(getattr(message, "content", ""))


class AgentHooks(SpanHooks):
    site = "agent turn"

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        current, run = self.t.registry.current()
        if self.t.owned_by(current, "agent", instance):
            return None  # on_messages called from our own on_messages_stream span, or vice versa
        name = content.safe_text(getattr(instance, "name", type(instance).__name__))
        client = getattr(instance, "_model_client", None)
        provider = provider_name(inner_client(client)) if client is not None else None
        scope = self.open_agent(instance, name, getattr(instance, "description", None), new_run=run is None,
                                provider=provider)
        if self.t.capturing:
            messages = args[0] if args else kwargs.get("messages", ())
            self.t.record_content(scope, {sc.GEN_AI_INPUT_MESSAGES:
                                          [content.chat_message_parts(m) for m in messages or ()]})
        return scope

    def finish(self, scope: Scope, result: Any) -> None:
        response = result if result is not None else scope.last_item
        try:
            chat_message = getattr(response, "chat_message", None)
            if chat_message is not None:
                self._observe_response(scope, chat_message)
        finally:
            self._end(scope, None)

    def _observe_response(self, scope: Scope, message: Any) -> None:
        span = scope.span
        if span is None:
            return
        if type(message).__name__ == "HandoffMessage":
            target = content.safe_text(getattr(message, "target", ""))
            handoff = {sc.AUTOGEN_HANDOFF_SOURCE: scope.agent, sc.AUTOGEN_HANDOFF_TARGET: target}
            span.set_attributes(handoff)
            span.add_event(sc.EVENT_HANDOFF, handoff)
            workflow = scope.enclosing("workflow")
            if workflow is not None and workflow.span is not None:
                workflow.span.add_event(sc.EVENT_HANDOFF, handoff)
        run = scope.run
        if run is not None:
            detection = run.loops.message(scope.agent, message_text(message))
            if detection is not None:
                self.t.report_loop(scope, detection)
        if self.t.capturing:
            self.t.record_content(scope, {sc.GEN_AI_OUTPUT_MESSAGES: [content.chat_message_parts(message)]})

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        self._record_and_close(scope, exc, self.t.instruments.agent_duration, self.t.base_labels(scope))


class AgentPatch:
    def __init__(self, telemetry: Telemetry) -> None:
        from autogen_agentchat.agents import BaseChatAgent

        hooks = AgentHooks(telemetry)
        self._family = FamilyPatch(BaseChatAgent, {
            "on_messages": coroutine_wrapper(hooks),
            "on_messages_stream": stream_wrapper(hooks),
        })

    def apply(self) -> None:
        self._family.apply()

    def remove(self) -> None:
        self._family.remove()
