"""OpenTelemetry instrumentation for Microsoft AutoGen AgentChat.

>>> from autogen_otel import AutoGenInstrumentor
>>> AutoGenInstrumentor().instrument()
"""

from typing import Any

from .instrumentor import AutoGenInstrumentor
from .version import __version__
from .waterfall import WaterfallExporter

__all__ = ["AutoGenInstrumentor", "BudgetTermination", "WaterfallExporter", "__version__", "configure"]


def __getattr__(name: str) -> Any:
    # Imported on first use: they pull in the SDK exporters / autogen_agentchat.
    if name == "configure":
        from .setup import configure

        return configure
    if name == "BudgetTermination":
        from .budget import BudgetTermination

        return BudgetTermination
    raise AttributeError(name)
