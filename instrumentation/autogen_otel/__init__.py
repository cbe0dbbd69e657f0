"""OpenTelemetry instrumentation for Microsoft AutoGen AgentChat, AG2 Classic (``autogen``) and
Microsoft Agent Framework (``agent_framework``).

>>> from autogen_otel import AG2Instrumentor, AutoGenInstrumentor
>>> AutoGenInstrumentor().instrument()   # AgentChat teams
>>> AG2Instrumentor().instrument()       # ConversableAgent chats
>>> AgentFrameworkInstrumentor().instrument()   # Agent Framework agents and workflows
"""

from typing import Any

from .instrumentor import AG2Instrumentor, AgentFrameworkInstrumentor, AutoGenInstrumentor
from .version import __version__
from .waterfall import WaterfallExporter

__all__ = ["AG2Budget", "AG2Instrumentor", "AgentFrameworkBudget", "AgentFrameworkInstrumentor", "AutoGenInstrumentor",
           "BudgetTermination", "WaterfallExporter", "__version__", "configure"]


def __getattr__(name: str) -> Any:
    # Imported on first use: they pull in the SDK exporters / autogen_agentchat.
    if name == "configure":
        from .setup import configure

        return configure
    if name == "AG2Budget":
        from .ag2_budget import AG2Budget

        return AG2Budget
    if name == "AgentFrameworkBudget":
        from .maf.budget import AgentFrameworkBudget

        return AgentFrameworkBudget
    if name == "BudgetTermination":
        from .budget import BudgetTermination

        return BudgetTermination
    raise AttributeError(name)
