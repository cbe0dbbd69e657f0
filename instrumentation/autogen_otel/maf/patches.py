"""The Microsoft Agent Framework patches, built once the app imports what they patch (the table
is in ``__init__``). Each imports its class from the module defining it: when that module's import
hook runs, ``agent_framework`` itself may still be initialising (core 1.9 imports its parts eagerly)."""

from __future__ import annotations

import sys
from typing import Any

from ..core.families import AttributePatch, FamilyPatch, PatchGroup
from ..core.telemetry import Telemetry
from ..core.wrappers import coroutine_wrapper, stream_wrapper
from .calls import response_wrapper


def agents(telemetry: Telemetry) -> FamilyPatch:
    from agent_framework._agents import BaseAgent

    from .agents import AgentRunHooks

    return FamilyPatch(BaseAgent, {"run": response_wrapper(AgentRunHooks(telemetry))})


def models(telemetry: Telemetry) -> AttributePatch:
    from agent_framework._clients import BaseChatClient

    from .models import MAFChatHooks

    return AttributePatch(BaseChatClient, "get_response", response_wrapper(MAFChatHooks(telemetry)))


def tools(telemetry: Telemetry) -> FamilyPatch:
    from agent_framework._tools import FunctionTool

    from .tools import ToolHooks

    return FamilyPatch(FunctionTool, {"invoke": coroutine_wrapper(ToolHooks(telemetry))})


def workflows(telemetry: Telemetry) -> PatchGroup:
    from agent_framework._workflows._executor import Executor
    from agent_framework._workflows._workflow import Workflow

    from .workflows import SPAN_FUNCTIONS, ExecutorHooks, WorkflowRunHooks, run_result_wrapper, run_span_wrapper

    module = sys.modules[Workflow.__module__]
    return PatchGroup([
        AttributePatch(Workflow, "_run_workflow_with_tracing", stream_wrapper(WorkflowRunHooks(telemetry))),
        AttributePatch(Workflow, "run", run_result_wrapper(telemetry)),
        AttributePatch(Executor, "execute", coroutine_wrapper(ExecutorHooks(telemetry))),
        *(AttributePatch(module, name, run_span_wrapper(telemetry)) for name in SPAN_FUNCTIONS),
    ])


def group_chats(telemetry: Telemetry) -> AttributePatch:
    from agent_framework_orchestrations._base_group_chat_orchestrator import BaseGroupChatOrchestrator

    from .workflows import round_limit_wrapper

    return AttributePatch(BaseGroupChatOrchestrator, "_check_round_limit", round_limit_wrapper(telemetry))


def native_telemetry(telemetry: Telemetry) -> Any:
    from .native import NativeTelemetryPatch

    return NativeTelemetryPatch()

