"""Agent Framework's own telemetry (``agent_framework.observability``, on by default) is switched
off while we instrument, and put back as it was by ``uninstrument()``.

Left on it would duplicate every agent, model and tool span under a second tracer (its ``chat``
spans INTERNAL, its agent spans repeating their model calls' tokens), split each workflow run
into a ``workflow.build`` trace and a ``workflow.run`` trace full of routing spans, and record
its own token and duration metrics beside ours. With it off its ``ENABLE_SENSITIVE_DATA`` has
nothing to act on: content follows ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` alone.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("autogen_otel")


class NativeTelemetryPatch:
    def __init__(self) -> None:
        self._settings: Any = None
        self._was: bool | None = None

    def apply(self) -> None:
        from agent_framework.observability import OBSERVABILITY_SETTINGS

        self._settings = OBSERVABILITY_SETTINGS
        self._was = bool(OBSERVABILITY_SETTINGS.enable_instrumentation)
        if self._was:
            OBSERVABILITY_SETTINGS.enable_instrumentation = False
            logger.debug("autogen-otel: Agent Framework's own telemetry is off while autogen-otel instruments it")

    def remove(self) -> None:
        if self._settings is not None and self._was:
            self._settings.enable_instrumentation = True
        self._settings, self._was = None, None
