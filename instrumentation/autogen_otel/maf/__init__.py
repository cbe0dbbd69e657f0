"""Microsoft Agent Framework (``agent_framework``: ``Agent``, chat clients, tools, workflows and
the orchestration builders) patches, sharing telemetry, scopes, hooks, metrics, pricing, health
and content with the AgentChat and AG2 Classic families."""

from __future__ import annotations

from typing import Any

from ..families import AttributePatch, FamilyPatch, PatchGroup
from ..telemetry import Telemetry
from ..wrappers import coroutine_wrapper, stream_wrapper
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

    from .workflows import ExecutorHooks, WorkflowRunHooks

    return PatchGroup([
        AttributePatch(Workflow, "_run_workflow_with_tracing", stream_wrapper(WorkflowRunHooks(telemetry))),
        AttributePatch(Executor, "execute", coroutine_wrapper(ExecutorHooks(telemetry))),
    ])


def maf_patches(telemetry: Telemetry) -> list[tuple[str, Any]]:
    from .native import NativeTelemetryPatch

    return [
        ("agent framework native telemetry", lambda t: NativeTelemetryPatch()),
        ("agent framework agents", _agents),
        ("agent framework model calls", _models),
        ("agent framework tools", _tools),
        ("agent framework workflows", _workflows),
    ]
