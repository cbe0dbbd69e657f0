"""OpenTelemetry instrumentation for Microsoft AutoGen AgentChat.

>>> from autogen_otel import AutoGenInstrumentor
>>> AutoGenInstrumentor().instrument()
"""

from .instrumentor import AutoGenInstrumentor
from .version import __version__

__all__ = ["AutoGenInstrumentor", "__version__"]
