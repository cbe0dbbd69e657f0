"""What this instrumentation instruments, in the form BaseInstrumentor checks.

The distribution declares them as its ``instruments-any`` extra, so ``opentelemetry-instrument``
loads it when either family is installed; each instrumentor then patches only its own family.
"""

_instruments_agentchat = ("autogen-agentchat >= 0.4.9, < 0.8",)
# AG2 Classic: the `autogen` distribution carries the code from 0.14.1; up to 0.14.0 `autogen`
# was an alias that installed `ag2` of the same version (ag2 1.x is AG2's new framework).
_instruments_ag2 = ("autogen >= 0.10", "ag2 >= 0.10, < 1.0")
# Microsoft Agent Framework: 1.9 is the oldest core the orchestrations package (1.0) accepts.
_instruments_maf = ("agent-framework-core >= 1.9, < 2",)
# The MCP SDK 1.x, whichever family (or none) calls it; 2.x instruments itself.
_instruments_mcp = ("mcp >= 1.0, < 2",)
# a2a-sdk 1.x, whichever family (or none) calls a remote agent or serves one.
_instruments_a2a = ("a2a-sdk >= 1.0, < 2",)
