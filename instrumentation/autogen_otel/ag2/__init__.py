"""AG2 Classic (``pip install autogen``: ConversableAgent, GroupChat) patches, beside the AgentChat
ones and sharing their telemetry, scopes, metrics, pricing, health and content modules."""

from __future__ import annotations

from typing import Any

from ..core.families import AttributePatch, FamilyPatch, PatchGroup, deferred
from ..core.telemetry import Telemetry
from ..core.wrappers import coroutine_wrapper, function_wrapper
from .state import AgentScopes


def _conversations(telemetry: Telemetry, scopes: AgentScopes) -> PatchGroup:
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
    patches.append(FamilyPatch(GroupChat, selection_wrappers(telemetry, scopes)))
    try:
        from autogen.events.agent_events import TerminationEvent
    except ImportError:
        pass
    else:
        patches.append(AttributePatch(TerminationEvent, "__init__", termination_event_wrapper(telemetry)))
    return PatchGroup(patches)


def _agents(telemetry: Telemetry, scopes: AgentScopes) -> FamilyPatch:
    from autogen.agentchat.conversable_agent import ConversableAgent

    from .agents import HumanInputHooks, ReplyHooks

    replies, human = ReplyHooks(telemetry, scopes), HumanInputHooks(telemetry)
    return FamilyPatch(ConversableAgent, {
        "generate_reply": function_wrapper(replies),
        "a_generate_reply": coroutine_wrapper(replies),
        "get_human_input": function_wrapper(human),
        "a_get_human_input": coroutine_wrapper(human),
    })


def _models(telemetry: Telemetry, scopes: AgentScopes) -> PatchGroup:
    from autogen.oai.client import OpenAIClient, OpenAIWrapper

    from .models import AG2ChatHooks, client_attempt_wrapper

    return PatchGroup([
        FamilyPatch(OpenAIWrapper, {"create": function_wrapper(AG2ChatHooks(telemetry, scopes))}),
        FamilyPatch(OpenAIClient, {"create": client_attempt_wrapper(telemetry)}),
    ])


def _tools(telemetry: Telemetry) -> PatchGroup:
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


def ag2_patches(telemetry: Telemetry) -> list[tuple[str, Any]]:
    """Each patch is built when the app imports ``autogen``: nothing of AG2 is imported before."""
    # Open agent scopes, shared by replies (which push them), model calls and speaker selection.
    scopes = AgentScopes()
    from .native import NativeTracingPatch

    table: list[tuple[str, Any]] = [
        ("ag2 native tracing", lambda t: NativeTracingPatch()),
        ("ag2 conversations", lambda t: _conversations(t, scopes)),
        ("ag2 agents", lambda t: _agents(t, scopes)),
        ("ag2 model calls", lambda t: _models(t, scopes)),
        ("ag2 tools", _tools),
    ]
    return [(name, deferred("autogen", factory, f"instrumenting {name}")) for name, factory in table]
