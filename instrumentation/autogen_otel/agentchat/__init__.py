"""Microsoft AutoGen AgentChat patches (teams, agents, model clients, tools, AutoGen's runtime and
its gRPC worker runtime) and its budget stop, on the shared core."""

from __future__ import annotations

from typing import Any

from ..core.families import deferred
from ..core.telemetry import Telemetry


def agentchat_patches(telemetry: Telemetry) -> list[tuple[str, Any]]:
    """Each patch is built when the app imports what it patches (autogen_core for the runtime,
    models and tools -- Core-only apps of the gRPC runtime use no AgentChat --, autogen_agentchat
    for teams and agents, openai for response ids), so an app that imports none pays nothing."""
    from .agents import AgentPatch
    from .distributed import GrpcRuntimePatch
    from .models import ModelPatch
    from .openai_sdk import OpenAIResponsePatch
    from .runtime import RuntimePatch
    from .teams import TeamPatch
    from .tools import ToolPatch

    return [
        ("runtime", deferred("autogen_core", RuntimePatch, "instrumenting runtime")),
        ("distributed runtime", GrpcRuntimePatch),  # its own import hook (autogen_ext's gRPC runtime)
        ("teams", deferred("autogen_agentchat", TeamPatch, "instrumenting teams")),
        ("agents", deferred("autogen_agentchat", AgentPatch, "instrumenting agents")),
        ("model clients", deferred("autogen_core", ModelPatch, "instrumenting model clients")),
        ("tools", deferred("autogen_core", ToolPatch, "instrumenting tools")),
        # openai.resources.chat loads only when a client first makes a chat call (~0.3 s to import).
        ("openai responses", deferred("openai.resources.chat", OpenAIResponsePatch, "instrumenting openai responses")),
    ]
