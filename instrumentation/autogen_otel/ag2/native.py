"""AG2 Classic's own opt-in tracing (``autogen.opentelemetry``: ``instrument_agent``,
``instrument_llm_wrapper``, ``instrument_pattern``) is suppressed while we instrument.

Calling it as well would duplicate every span under a second tracer, and it records message
content unconditionally and pops ``total_cost`` out of the caller's own ``ChatResult.cost``.
The calls become no-ops that return what they were given (logged once).
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any

from ..core.families import AttributePatch, PatchGroup

logger = logging.getLogger("autogen_otel")

_FUNCTIONS = ("instrument_agent", "instrument_llm_wrapper", "instrument_pattern")
# Every namespace an app may import them from.
_MODULES = ("autogen.opentelemetry", "autogen.opentelemetry.instrumentators",
            "autogen.opentelemetry.instrumentators.agent", "autogen.opentelemetry.instrumentators.llm_wrapper",
            "autogen.opentelemetry.instrumentators.pattern")

_warned = threading.Event()


def _skip(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not _warned.is_set():
        _warned.set()
        logger.info("autogen-otel: AG2's own %s() is skipped: autogen-otel already traces every agent, "
                    "model call and tool (without recording content unless you opt in)", wrapped.__name__)
    return args[0] if args else kwargs.get("agent", kwargs.get("pattern"))


class NativeTracingPatch(PatchGroup):
    def __init__(self) -> None:
        super().__init__()
        for name in _MODULES:
            try:
                module = importlib.import_module(name)
            except Exception:  # older AG2 without it, or its optional OTel extras missing
                continue
            self.patches.extend(AttributePatch(module, f, _skip) for f in _FUNCTIONS if hasattr(module, f))
