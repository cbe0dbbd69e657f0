"""The AG2 Classic patches, built once the app imports ``autogen`` (the table is in ``__init__``)."""

from __future__ import annotations

import weakref
from typing import Any

from ..core.families import AttributePatch, FamilyPatch, PatchGroup
from ..core.telemetry import Telemetry
from ..core.wrappers import coroutine_wrapper, function_wrapper
from .state import AgentScopes


def conversations(telemetry: Telemetry) -> PatchGroup:
    import autogen
    from autogen.agentchat import chat as chat_module
    from autogen.agentchat.conversable_agent import ConversableAgent
    from autogen.agentchat.groupchat import GroupChat

    from .chats import ConversationHooks, selection_wrappers, termination_event_wrapper

    one, queue = ConversationHooks(telemetry, sequential=False), ConversationHooks(telemetry, sequential=True)
    patches: list[Any] = [FamilyPatch(ConversableAgent, {
        "initiate_chat": function_wrapper(one),
        "a_initiate_chat": coroutine_wrapper(one),
        "initiate_chats": function_wrapper(queue),
        "a_initiate_chats": coroutine_wrapper(queue),
    })]
    # The module-level initiate_chats(chat_queue), under every name an app imports it by.
    for owner in {id(m): m for m in (chat_module, autogen.agentchat, autogen)}.values():
        patches.append(AttributePatch(owner, "initiate_chats", function_wrapper(queue)))
        patches.append(AttributePatch(owner, "a_initiate_chats", coroutine_wrapper(queue)))
    patches.append(FamilyPatch(GroupChat, selection_wrappers(telemetry, _scopes(telemetry))))
    try:
        from autogen.events.agent_events import TerminationEvent
    except ImportError:
        pass
    else:
        patches.append(AttributePatch(TerminationEvent, "__init__", termination_event_wrapper(telemetry)))
    return PatchGroup(patches)


def agents(telemetry: Telemetry) -> FamilyPatch:
    from autogen.agentchat.conversable_agent import ConversableAgent

    from .agents import HumanInputHooks, ReplyHooks

    replies, human = ReplyHooks(telemetry, _scopes(telemetry)), HumanInputHooks(telemetry)
    return FamilyPatch(ConversableAgent, {
        "generate_reply": function_wrapper(replies),
        "a_generate_reply": coroutine_wrapper(replies),
        "get_human_input": function_wrapper(human),
        "a_get_human_input": coroutine_wrapper(human),
    })


def served_agents(telemetry: Telemetry) -> AttributePatch:
    from autogen.agentchat.remote.agent_service import AgentService

    from ..core.wrappers import stream_wrapper
    from .agents import ServedReplyHooks

    return AttributePatch(AgentService, "__call__", stream_wrapper(ServedReplyHooks(telemetry, _scopes(telemetry))))


def models(telemetry: Telemetry) -> PatchGroup:
    from autogen.oai.client import OpenAIClient, OpenAIWrapper

    from .models import AG2ChatHooks, client_attempt_wrapper

    return PatchGroup([
        FamilyPatch(OpenAIWrapper, {"create": function_wrapper(AG2ChatHooks(telemetry, _scopes(telemetry)))}),
        FamilyPatch(OpenAIClient, {"create": client_attempt_wrapper(telemetry)}),
    ])


def tools(telemetry: Telemetry) -> PatchGroup:
    from autogen.agentchat.conversable_agent import ConversableAgent

    from .tools import CodeHooks, FunctionHooks

    functions, code = FunctionHooks(telemetry), CodeHooks(telemetry)
    patches: list[Any] = [FamilyPatch(ConversableAgent, {
        "execute_function": function_wrapper(functions),
        "a_execute_function": coroutine_wrapper(functions),
        "execute_code_blocks": function_wrapper(code),
    })]
    try:
        from autogen.coding.base import CodeExecutor
    except ImportError:
        pass
    else:
        patches.append(FamilyPatch(CodeExecutor, {"execute_code_blocks": function_wrapper(code)}))
    return PatchGroup(patches)


# Open agent scopes, shared by replies (which push them), model calls and speaker selection: one
# set per instrumentation.
_SCOPES: weakref.WeakKeyDictionary[Telemetry, AgentScopes] = weakref.WeakKeyDictionary()


def _scopes(telemetry: Telemetry) -> AgentScopes:
    return _SCOPES.setdefault(telemetry, AgentScopes())

