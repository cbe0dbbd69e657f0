"""Microsoft AutoGen AgentChat patches (teams, agents, model clients, tools, AutoGen's runtime and
its gRPC worker runtime) and its budget stop, on the shared core."""

from __future__ import annotations

from typing import Any

from ..core.telemetry import Telemetry


def agentchat_patches(telemetry: Telemetry) -> list[tuple[str, Any]]:
    """Imported lazily, so a missing optional part skips only itself."""
    from .agents import AgentPatch
    from .distributed import GrpcRuntimePatch
    from .models import ModelPatch
    from .runtime import RuntimePatch
    from .teams import TeamPatch
    from .tools import ToolPatch

    patches: list[tuple[str, Any]] = [
        ("runtime", RuntimePatch),
        ("distributed runtime", GrpcRuntimePatch),
        ("teams", TeamPatch),
        ("agents", AgentPatch),
        ("model clients", ModelPatch),
        ("tools", ToolPatch),
    ]
    try:
        from .openai_sdk import OpenAIResponsePatch
    except ImportError:  # openai not installed: AutoGen's OpenAI client is not in use either
        pass
    else:
        patches.append(("openai responses", OpenAIResponsePatch))
    return patches
