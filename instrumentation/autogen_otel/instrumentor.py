"""``AutoGenInstrumentor``: the entry point, under ``opentelemetry-instrument`` or in code."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.metrics import get_meter
from opentelemetry.trace import get_tracer

from .config import load_settings
from .failopen import safely
from .package import _instruments
from .pricing import PriceTable
from .telemetry import Telemetry
from .version import __version__

logger = logging.getLogger(__name__)

SCHEMA_URL = "https://opentelemetry.io/schemas/1.41.1"


def _patch_classes() -> list[tuple[str, Any]]:
    """(name, factory) of every patch; imported lazily so a missing optional part skips only itself."""
    from .patches.agents import AgentPatch
    from .patches.models import ModelPatch
    from .patches.runtime import RuntimePatch
    from .patches.teams import TeamPatch
    from .patches.tools import ToolPatch

    patches: list[tuple[str, Any]] = [
        ("runtime", lambda t: RuntimePatch(t.settings.runtime_spans, t.settings.capture.enabled)),
        ("teams", TeamPatch),
        ("agents", AgentPatch),
        ("model clients", ModelPatch),
        ("tools", ToolPatch),
    ]
    try:
        from .patches.openai_sdk import OpenAIResponsePatch
    except ImportError:  # openai not installed: AutoGen's OpenAI client is not in use either
        pass
    else:
        patches.append(("openai responses", OpenAIResponsePatch))
    return patches


class AutoGenInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Traces AutoGen AgentChat teams, agents, model clients and tools; records GenAI metrics.

    ``instrument(tracer_provider=..., meter_provider=..., capture_content=..., runtime_spans=...,
    loop_threshold=..., max_attribute_length=..., prices_file=...)``; every keyword is
    optional and defaults to the environment (see ``autogen_otel.config``).
    """

    _telemetry: Telemetry | None = None
    _applied: list[Any]

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        settings = load_settings(**{k: kwargs.get(k) for k in (
            "capture_content", "max_attribute_length", "runtime_spans", "loop_threshold", "prices_file")})
        tracer = get_tracer(__name__, __version__, kwargs.get("tracer_provider"), schema_url=SCHEMA_URL)
        meter = get_meter(__name__, __version__, kwargs.get("meter_provider"), schema_url=SCHEMA_URL)
        prices = PriceTable.default(settings.prices_file)
        telemetry = Telemetry(tracer, meter, settings, prices)
        self._telemetry = telemetry
        self._applied = []
        for name, factory in _patch_classes():
            patch = safely(f"instrumenting {name}", factory, telemetry)
            if patch is not None:
                # Kept even if apply() failed half-way, so uninstrument() removes what it did patch.
                self._applied.append(patch)
                safely(f"instrumenting {name}", patch.apply)

    def _uninstrument(self, **kwargs: Any) -> None:
        for patch in reversed(getattr(self, "_applied", [])):
            safely("uninstrumenting", patch.remove)
        self._applied = []
        self._telemetry = None

    @property
    def telemetry(self) -> Telemetry | None:
        """The live state while instrumented (used by the budget termination condition)."""
        return self._telemetry
