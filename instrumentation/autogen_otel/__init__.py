"""OpenTelemetry instrumentation for Microsoft AutoGen AgentChat and AG2 Classic (``autogen``).

>>> from autogen_otel import AG2Instrumentor, AutoGenInstrumentor
>>> AutoGenInstrumentor().instrument()   # AgentChat teams
>>> AG2Instrumentor().instrument()       # ConversableAgent chats
"""

from typing import Any

from .instrumentor import AG2Instrumentor, AutoGenInstrumentor
from .version import __version__
from .waterfall import WaterfallExporter

__all__ = ["AG2Budget", "AG2Instrumentor", "AutoGenInstrumentor", "BudgetTermination", "WaterfallExporter",
           "__version__", "configure"]


def __getattr__(name: str) -> Any:
    # Imported on first use: they pull in the SDK exporters / autogen_agentchat.
    if name == "configure":
        from .setup import configure

        return configure
    if name == "AG2Budget":
        from .ag2_budget import AG2Budget

        return AG2Budget
    if name == "BudgetTermination":
        from .budget import BudgetTermination

        return BudgetTermination
    raise AttributeError(name)
