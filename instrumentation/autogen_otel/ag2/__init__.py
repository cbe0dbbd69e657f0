"""AG2 Classic (``pip install autogen``: ConversableAgent, GroupChat) patches, beside the AgentChat
ones and sharing their telemetry, scopes, metrics, pricing, health and content modules."""

from __future__ import annotations

from ..core.importing import PatchEntry

# Each patch is built when the app imports ``autogen``: nothing of AG2, and none of our modules
# for it, is imported before (ag2/patches.py holds the factories).
PATCHES: list[PatchEntry] = [
    ("ag2 conversations", "autogen", ".patches:conversations"),
    ("ag2 agents", "autogen", ".patches:agents"),
    ("ag2 model calls", "autogen", ".patches:models"),
    ("ag2 tools", "autogen", ".patches:tools"),
    ("ag2 served agents", "autogen.agentchat.remote.agent_service", ".patches:served_agents"),
]
