"""OpenTelemetry instrumentation for Microsoft AutoGen AgentChat, AG2 Classic (``autogen``) and
Microsoft Agent Framework (``agent_framework``).

>>> from autogen_otel import AG2Instrumentor, AgentChatInstrumentor
>>> AgentChatInstrumentor().instrument()   # AgentChat teams
>>> AG2Instrumentor().instrument()       # ConversableAgent chats
>>> AgentFrameworkInstrumentor().instrument()   # Agent Framework agents and workflows
>>> MCPInstrumentor().instrument()      # MCP SDK 1.x clients and servers, one trace across
>>> A2AInstrumentor().instrument()      # a2a-sdk clients and servers, one trace across agents
"""

from typing import Any

from .instrumentor import (
    A2AInstrumentor,
    AG2Instrumentor,
    AgentChatInstrumentor,
    AgentFrameworkInstrumentor,
    MCPInstrumentor,
)
from .version import __version__

__all__ = [
    "A2AInstrumentor",
    "AG2Budget",
    "AG2Instrumentor",
    "AgentChatInstrumentor",
    "AgentFrameworkBudget",
    "AgentFrameworkInstrumentor",
    "BudgetTermination",
    "Evaluation",
    "MCPInstrumentor",
    "RunView",
    "WaterfallExporter",
    "__version__",
    "add_evaluator",
    "configure",
    "expect_file",
    "final_answer",
    "flush_evaluations",
    "record_evaluation",
    "remove_evaluator",
]


# Loaded on first use, not by `opentelemetry-instrument` loading the instrumentors.
_ON_USE = {name: ".evaluation" for name in ("Evaluation", "RunView", "add_evaluator", "expect_file", "final_answer",
                                             "flush_evaluations", "record_evaluation", "remove_evaluator")}
_ON_USE["WaterfallExporter"] = ".waterfall"
_LAZY = {
    # name: (module, what it needs, the pip install that brings it)
    "AG2Budget": (".ag2.budget", "AG2 Classic", "ag2"),
    "AgentFrameworkBudget": (".maf.budget", "Microsoft Agent Framework", "maf"),
    "BudgetTermination": (".agentchat.budget", "AutoGen AgentChat", "demo"),
}


def __getattr__(name: str) -> Any:
    # Imported on first use: they pull in the SDK exporters or their framework.
    import importlib

    if name == "AutoGenInstrumentor":  # its old name: "AutoGen" also names AG2's `autogen` package
        import warnings

        warnings.warn("autogen_otel.AutoGenInstrumentor is now AgentChatInstrumentor (the same class); "
                      "the old name will be removed", DeprecationWarning, stacklevel=2)
        return AgentChatInstrumentor

    if name == "configure":
        from .setup import configure

        return configure
    if name in _ON_USE:
        return getattr(importlib.import_module(_ON_USE[name], __name__), name)
    if name in _LAZY:
        module, framework, extra = _LAZY[name]
        try:
            return getattr(importlib.import_module(module, __name__), name)
        except ModuleNotFoundError as exc:
            raise ImportError(f"autogen_otel.{name} needs {framework}, which is not installed ({exc.name} is "
                              f"missing): install autogen-otel's [{extra}] extra (pip install \".[{extra}]\" in "
                              "a checkout) or the framework itself") from exc
    raise AttributeError(name)
