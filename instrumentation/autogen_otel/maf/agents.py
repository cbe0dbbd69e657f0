"""``invoke_agent`` spans around every Agent Framework agent run (``run``, also ``stream=True``):
an ``Agent``, any ``BaseAgent`` subclass, and the agents a workflow's ``AgentExecutor`` runs.
A run outside any workflow is the root of its own trace."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from ..core import content
from ..core import semconv as sc
from ..core.health import STOP_AWAITING_INPUT
from ..core.hooks import SpanHooks
from ..core.scopes import Scope
from ..core.wrappers import call_arg
from . import messages as maf_messages
from . import native
from .models import provider_of


def agent_name(agent: Any) -> str:
    name = getattr(agent, "name", None)
    return content.safe_text(name) if isinstance(name, str) and name else type(agent).__name__


def session_id(session: Any) -> str | None:
    """The conversation a run continues: the session's service id, else its own id."""
    for key in ("service_session_id", "session_id", "id"):
        value = getattr(session, key, None)
        if isinstance(value, str) and value:
            return content.safe_text(value)
    return None


# A streaming run whose Agent Framework span does not exist yet, while its call builds the stream.
_SETTING_UP: ContextVar[Scope | None] = ContextVar("autogen_otel_maf_agent_setting_up", default=None)
_AGENT_ID = "maf.agent_id"


def _provider(agent: Any) -> str | None:
    client = getattr(agent, "client", None) or getattr(agent, "chat_client", None)
    return provider_of(client) if client is not None else None


class AgentRunHooks(SpanHooks):
    site = "agent framework agent run"

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        current, run = self.t.registry.current()
        if self.t.owned_by(current, "agent", instance):
            return None  # Agent.run -> its layers' run -> RawAgent.run: one invocation
        borrow, later = None, False
        if native.active() and native.has_layer(instance, "AgentTelemetryLayer"):
            # Agent Framework's own telemetry is on: its agent span is the invocation's span.
            borrow = native.current_span(self.t.registry, sc.OP_AGENT,
                                         **{sc.GEN_AI_AGENT_ID: getattr(instance, "id", None)})
            outer = _SETTING_UP.get()
            if outer is not None and outer.owner == id(instance):
                if borrow is not None:  # the streaming call's scope takes the span as soon as it exists
                    self.t.take_span(outer, borrow)
                return None
            if borrow is None:
                if not kwargs.get("stream"):
                    return None  # outside its span (Agent.run before its layer): the inner run borrows it
                later = True  # streaming: its span may be current only while the stream is pulled
        name = agent_name(instance)
        extra: dict[str, Any] = {sc.AUTOGEN_STREAM: bool(kwargs.get("stream"))}
        if run is None:
            extra[sc.GEN_AI_CONVERSATION_ID] = session_id(kwargs.get("session")) or uuid.uuid4().hex
        scope = self.open_agent(instance, name, getattr(instance, "description", None), new_run=run is None,
                                extra=extra, borrow=borrow, provider=_provider(instance), spanless=later)
        if later:
            scope.attrs[_AGENT_ID] = getattr(instance, "id", None)
        if self.t.capturing:
            self.t.record_content(scope, {sc.GEN_AI_INPUT_MESSAGES: maf_messages.messages(
                call_arg(args, kwargs, 0, "messages"))})
        return scope

    @contextlib.contextmanager
    def calling(self, scope: Scope) -> Iterator[None]:
        """While a streaming run without its span yet builds its stream: the inner run is this one."""
        token = _SETTING_UP.set(scope) if scope.span is None else None
        try:
            yield
        finally:
            if token is not None:
                _SETTING_UP.reset(token)

    def adopt(self, scope: Scope) -> None:
        """A stream being pulled: Agent Framework's agent span, current now, is the run's span."""
        span = native.current_span(self.t.registry, sc.OP_AGENT, **{sc.GEN_AI_AGENT_ID: scope.attrs.get(_AGENT_ID)})
        if span is not None:
            self.t.take_span(scope, span)

    def finish(self, scope: Scope, result: Any) -> None:
        try:
            if result is not None and scope.run is not None:
                produced = getattr(result, "messages", None) or ()
                scope.run.messages += len(produced)
                text = maf_messages.text_of(result)
                if text:
                    detection = scope.run.loops.message(scope.agent, text)
                    if detection is not None:
                        self.t.report_loop(scope, detection)
                self.t.outcome(scope, result, maf_messages.text_of(result))
                if scope.owns_run and getattr(result, "user_input_requests", None):
                    scope.attrs[sc.AUTOGEN_RUN_STOP_CATEGORY] = STOP_AWAITING_INPUT  # e.g. a tool approval
            if self.t.capturing and result is not None:
                self.t.record_content(scope, {sc.GEN_AI_OUTPUT_MESSAGES: maf_messages.messages(
                    getattr(result, "messages", None))})
        finally:
            self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        self._record_and_close(scope, exc, self.t.instruments.agent_duration, self.t.base_labels(scope))
