"""Microsoft Agent Framework (``agent_framework``: ``Agent``, chat clients, tools, workflows and
the orchestration builders) patches, sharing telemetry, scopes, hooks, metrics, pricing, health
and content with the AgentChat and AG2 Classic families."""

from __future__ import annotations

from ..core.importing import PatchEntry

# Each patch waits for the module defining what it patches (the same modules from core 1.9 to 1.x):
# ``agent_framework`` itself loads its parts lazily, so an app pays only for the parts it uses,
# and none of our modules for them (maf/patches.py) is imported before.
PATCHES: list[PatchEntry] = [
    ("agent framework native telemetry", "agent_framework.observability", ".patches:native_telemetry"),
    ("agent framework agents", "agent_framework._agents", ".patches:agents"),
    ("agent framework model calls", "agent_framework._clients", ".patches:models"),
    ("agent framework tools", "agent_framework._tools", ".patches:tools"),
    ("agent framework workflows", "agent_framework._workflows._workflow", ".patches:workflows"),
    ("agent framework group chats", "agent_framework_orchestrations._base_group_chat_orchestrator",
     ".patches:group_chats"),
]
