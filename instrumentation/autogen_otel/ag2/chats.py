"""``invoke_workflow`` spans for AG2 Classic conversations: ``initiate_chat`` / ``a_initiate_chat``
(two agents, or a group through its ``GroupChatManager``), ``initiate_chats`` (sequential chats:
one workflow, a child per chat); the stop reason from AG2's ``TerminationEvent``; speaker
selection by the manager's model, folded into the group's workflow."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from opentelemetry.trace import SpanKind

from ..core import content
from ..core import semconv as sc
from ..core.failopen import safely
from ..core.health import STOP_BUDGET, STOP_CANCELLED, STOP_ERROR, stop_category
from ..core.hooks import SpanHooks
from ..core.scopes import Scope
from ..core.telemetry import Telemetry, is_cancellation
from ..core.wrappers import async_wrapper, call_arg
from . import native
from .state import AgentScopes, begin_selection, bind_selection_agents, end_selection, selecting

TYPE_TWO_AGENT = "two_agent_chat"
TYPE_GROUP = "group_chat"
TYPE_SEQUENTIAL = "sequential_chats"



def agent_name(agent: Any) -> str:
    name = getattr(agent, "name", None)
    return content.safe_text(name) if isinstance(name, str) and name else type(agent).__name__


def group_of(agent: Any) -> Any:
    """The GroupChat a GroupChatManager runs, else None."""
    group = getattr(agent, "_groupchat", None) or getattr(agent, "groupchat", None)
    return group if group is not None and hasattr(group, "agents") else None


def describe_chat(sender: Any, recipient: Any) -> tuple[str, str, list[str]]:
    """(workflow name, type, participants): a group chat is named after its manager, a two-agent
    chat after the agent that starts it."""
    group = group_of(recipient)
    if group is not None:
        return agent_name(recipient), TYPE_GROUP, [agent_name(a) for a in getattr(group, "agents", ()) or ()]
    return agent_name(sender), TYPE_TWO_AGENT, [agent_name(sender), agent_name(recipient)]


def describe_queue(sender: Any, chat_queue: Any) -> tuple[str, str, list[str]]:
    chats = [c for c in chat_queue or () if isinstance(c, Mapping)]
    first = sender if sender is not None else (chats[0].get("sender") if chats else None)
    names: list[str] = []
    for chat in chats:
        for agent in (chat.get("sender") or sender, chat.get("recipient")):
            if agent is not None and agent_name(agent) not in names:
                names.append(agent_name(agent))
    return agent_name(first) if first is not None else "initiate_chats", TYPE_SEQUENTIAL, names


def turn_limit(sender: Any, recipient: Any, max_turns: Any) -> int:
    """Replies a chat may take before AG2 stops it: the group's max_round, else two per turn of
    ``max_turns`` or of the agents' ``max_consecutive_auto_reply`` (0: unknown)."""
    group = group_of(recipient)
    if group is not None:
        rounds = getattr(group, "max_round", None)
        return rounds if isinstance(rounds, int) and rounds > 0 else 0
    limits = [2 * max_turns] if isinstance(max_turns, int) and max_turns > 0 else []
    for agent in (sender, recipient):
        auto = getattr(agent, "_max_consecutive_auto_reply", None)
        if isinstance(auto, int) and auto > 0:
            limits.append(2 * auto + 1)
    return min(limits) if limits else 0


def ag2_cost(chat_result: Any) -> float | None:
    """AG2's own figure for what the agents have spent (its ``ChatResult.cost``), if any."""
    cost = getattr(chat_result, "cost", None)
    if not isinstance(cost, Mapping):
        return None
    usage = cost.get("usage_excluding_cached_inference") or cost.get("usage_including_cached_inference")
    total = usage.get("total_cost") if isinstance(usage, Mapping) else None
    return float(total) if isinstance(total, (int, float)) and not isinstance(total, bool) else None


class ConversationHooks(SpanHooks):
    site = "ag2 conversation"

    def __init__(self, telemetry: Telemetry, sequential: bool) -> None:
        super().__init__(telemetry)
        self.sequential = sequential

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        if selecting() is not None:
            return None  # the manager's internal speaker-selection chat
        _current, run = self.t.registry.current()
        limit = 0
        if self.sequential:
            name, kind, participants = describe_queue(instance, call_arg(args, kwargs, 0, "chat_queue"))
        else:
            recipient = call_arg(args, kwargs, 0, "recipient")
            name, kind, participants = describe_chat(instance, recipient)
            limit = turn_limit(instance, recipient, kwargs.get("max_turns"))
        attrs: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_WORKFLOW,
            sc.GEN_AI_WORKFLOW_NAME: name,
            sc.GEN_AI_CONVERSATION_ID: uuid.uuid4().hex,
            sc.AUTOGEN_TEAM_TYPE: kind,
            sc.AUTOGEN_TEAM_PARTICIPANTS: participants,
        }
        if limit:
            attrs[sc.AUTOGEN_RUN_TURN_LIMIT] = limit
        borrow = native.current_span(self.t.registry, native.CONVERSATIONS if self.sequential else native.CONVERSATION)
        scope = self.t.open("workflow", f"{sc.OP_WORKFLOW} {name}", SpanKind.INTERNAL, attrs, owner=instance,
                            name=name, new_run=name if run is None else None, borrow=borrow)
        if scope.owns_run and scope.run is not None:
            scope.run.turn_limit = limit
        if self.t.capturing and not self.sequential:
            message = kwargs.get("message")
            if isinstance(message, (str, Mapping)):
                self.t.record_content(scope, {sc.GEN_AI_INPUT_MESSAGES: [content.openai_message(
                    {"role": "user", "content": message} if isinstance(message, str) else message)]})
        return scope

    def finish(self, scope: Scope, result: Any) -> None:
        try:
            results = list(result.values()) if isinstance(result, Mapping) else (
                list(result) if isinstance(result, (list, tuple)) else [result])
            histories = [getattr(r, "chat_history", None) or [] for r in results]
            if scope.borrowed:
                for each in results:
                    native.keep_total_cost(each)
            if scope.run is not None and not self.sequential:  # sequential chats: counted by each child
                scope.run.messages += sum(len(h) for h in histories)
            span = scope.span
            if span is not None and not self.sequential:
                theirs = ag2_cost(results[0]) if results else None
                if theirs is not None and abs(theirs - scope.usage.cost_usd) > 1e-9:
                    span.set_attribute(sc.AUTOGEN_AG2_COST_USD, round(theirs, 8))
            summary = getattr(results[-1], "summary", None) if results else None
            last = histories[-1][-1] if histories and histories[-1] else None
            final = summary if isinstance(summary, str) else (
                content.safe_text(last.get("content") or "") if isinstance(last, Mapping) else None)
            self.t.outcome(scope, result, final)
            if self.t.capturing and histories and histories[-1]:
                self.t.record_content(scope, {sc.GEN_AI_OUTPUT_MESSAGES: [content.openai_message(histories[-1][-1])]})
        finally:
            self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        if exc is not None:
            scope.attrs[sc.AUTOGEN_RUN_STOP_CATEGORY] = STOP_CANCELLED if is_cancellation(exc) else STOP_ERROR
        if scope.span is not None:
            scope.span.set_attribute(sc.AUTOGEN_RUN_STOP_CATEGORY,
                                     scope.attrs.setdefault(sc.AUTOGEN_RUN_STOP_CATEGORY, stop_category(None)))
        self._record_and_close(scope, exc, self.t.instruments.workflow_duration, self.t.run_labels(scope))


def record_stop(telemetry: Telemetry, reason: str) -> None:
    """Note why the current conversation ended, on its workflow span and on its run."""
    if selecting() is not None:
        return  # the speaker-selection chat ending is not the group's stop
    scope, run = telemetry.registry.current()
    workflow = scope if scope is not None and scope.kind == "workflow" else (
        scope.enclosing("workflow") if scope is not None else None)
    category = stop_category(reason)
    for target in {id(t): t for t in (workflow, run.root if run is not None else None) if t is not None}.values():
        if target.attrs.get(sc.AUTOGEN_RUN_STOP_CATEGORY) == STOP_BUDGET:
            continue  # the group's "No reply generated" that follows a budget stop
        target.attrs[sc.AUTOGEN_RUN_STOP_CATEGORY] = category
        if target.span is not None:
            target.span.set_attribute(sc.AUTOGEN_RUN_STOP_REASON, telemetry.cap(reason))


def termination_event_wrapper(telemetry: Telemetry) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        reason = kwargs.get("termination_reason")
        if isinstance(reason, str) and reason:
            safely("ag2 termination", record_stop, telemetry, reason)
        return result

    return wrapper


def _group_workflow(telemetry: Telemetry) -> Scope | None:
    scope, _ = telemetry.registry.current()
    if scope is None:
        return None
    return scope if scope.kind == "workflow" else scope.enclosing("workflow")


def selection_wrappers(telemetry: Telemetry, scopes: AgentScopes) -> dict[str, Any]:
    """Wrappers for GroupChat's LLM speaker selection (sync and async) and its internal agents."""

    def sync_select(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        workflow = safely("ag2 speaker selection", _group_workflow, telemetry)
        if workflow is None:
            return wrapped(*args, **kwargs)
        token = begin_selection(workflow)
        try:
            return wrapped(*args, **kwargs)
        finally:
            end_selection(token, scopes)

    @async_wrapper
    async def async_select(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        workflow = safely("ag2 speaker selection", _group_workflow, telemetry)
        if workflow is None:
            return await wrapped(*args, **kwargs)
        token = begin_selection(workflow)
        try:
            return await wrapped(*args, **kwargs)
        finally:
            end_selection(token, scopes)

    def internal_agents(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        agents = wrapped(*args, **kwargs)
        safely("ag2 speaker selection", bind_selection_agents, agents, scopes)
        return agents

    return {"_auto_select_speaker": sync_select, "a_auto_select_speaker": async_select,
            "_create_internal_agents": internal_agents}
