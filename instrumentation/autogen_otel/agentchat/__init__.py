"""Microsoft AutoGen AgentChat patches (teams, agents, model clients, tools, AutoGen's runtime and
its gRPC worker runtime) and its budget stop, on the shared core."""

from __future__ import annotations

from ..core.importing import PatchEntry

# Each patch is built when the app imports what it patches (autogen_core for the runtime, models
# and tools -- Core-only apps of the gRPC runtime use no AgentChat --, autogen_agentchat for teams
# and agents, openai for response ids); our modules for them are imported only then.
PATCHES: list[PatchEntry] = [
    ("runtime", "autogen_core", ".runtime:RuntimePatch"),
    ("distributed runtime", "autogen_ext.runtimes.grpc._worker_runtime", ".distributed:grpc_runtime_patch"),
    ("teams", "autogen_agentchat", ".teams:TeamPatch"),
    ("agents", "autogen_agentchat", ".agents:AgentPatch"),
    ("model clients", "autogen_core", ".models:ModelPatch"),
    ("tools", "autogen_core", ".tools:ToolPatch"),
    # openai.resources.chat loads only when a client first makes a chat call (~0.3 s to import).
    ("openai responses", "openai.resources.chat", ".openai_sdk:OpenAIResponsePatch"),
]
