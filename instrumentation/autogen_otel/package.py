"""What this instrumentation instruments, in the form BaseInstrumentor checks."""

_instruments = ("autogen-agentchat >= 0.4.9, < 0.8",)
