"""Microsoft Agent Framework (``agent_framework``: ``Agent``, chat clients, tools, workflows and
the orchestration builders) patches, sharing telemetry, scopes, hooks, metrics, pricing, health
and content with the AgentChat and AG2 Classic families."""

from __future__ import annotations

from typing import Any

from ..core.families import AttributePatch, FamilyPatch, PatchGroup, deferred
from ..core.telemetry import Telemetry
from ..core.wrappers import coroutine_wrapper, stream_wrapper
from .calls import response_wrapper


def _agents(telemetry: Telemetry) -> FamilyPatch:
    from agent_framework import BaseAgent

    from .agents import AgentRunHooks

    return FamilyPatch(BaseAgent, {"run": response_wrapper(AgentRunHooks(telemetry))})


def _models(telemetry: Telemetry) -> AttributePatch:
    from agent_framework import BaseChatClient

    from .models import MAFChatHooks

    return AttributePatch(BaseChatClient, "get_response", response_wrapper(MAFChatHooks(telemetry)))


def _tools(telemetry: Telemetry) -> FamilyPatch:
    from agent_framework import FunctionTool

    from .tools import ToolHooks

    return FamilyPatch(FunctionTool, {"invoke": coroutine_wrapper(ToolHooks(telemetry))})


def _workflows(telemetry: Telemetry) -> PatchGroup:
    from agent_framework import Executor, Workflow

    from .workflows import ExecutorHooks, WorkflowRunHooks, run_result_wrapper

    return PatchGroup([
        AttributePatch(Workflow, "_run_workflow_with_tracing", stream_wrapper(WorkflowRunHooks(telemetry))),
        AttributePatch(Workflow, "run", run_result_wrapper(telemetry)),
        AttributePatch(Executor, "execute", coroutine_wrapper(ExecutorHooks(telemetry))),
    ])


def _group_chats(telemetry: Telemetry) -> AttributePatch:
    from agent_framework_orchestrations import BaseGroupChatOrchestrator

    from .workflows import round_limit_wrapper

    return AttributePatch(BaseGroupChatOrchestrator, "_check_round_limit", round_limit_wrapper(telemetry))


def maf_patches(telemetry: Telemetry) -> list[tuple[str, Any]]:
    from .native import NativeTelemetryPatch

    return [
        # Nothing of Agent Framework is imported before the app imports it.
        (name, deferred(module, build, f"instrumenting {name}")) for name, module, build in (
            ("agent framework native telemetry", "agent_framework", lambda t: NativeTelemetryPatch()),
            ("agent framework agents", "agent_framework", _agents),
            ("agent framework model calls", "agent_framework", _models),
            ("agent framework tools", "agent_framework", _tools),
            ("agent framework workflows", "agent_framework", _workflows),
            ("agent framework group chats", "agent_framework_orchestrations", _group_chats),
        )
    ]
