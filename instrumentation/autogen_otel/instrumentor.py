"""The entry points, under ``opentelemetry-instrument`` or in code: ``AutoGenInstrumentor`` for
Microsoft AutoGen AgentChat, ``AG2Instrumentor`` for AG2 Classic (``import autogen``).

Both share one base: settings, prices, tracer and meter, the patch table and its removal.
Each family is instrumented only where it is installed; the other's absence changes nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection
from typing import Any

from opentelemetry.instrumentation.dependencies import DependencyConflict, get_dependency_conflicts
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.metrics import get_meter
from opentelemetry.trace import get_tracer

from .core.config import load_settings
from .core.failopen import safely
from .core.families import importable
from .core.pricing import PriceTable
from .core.telemetry import Telemetry
from .package import _instruments_ag2, _instruments_agentchat, _instruments_maf
from .version import __version__

logger = logging.getLogger(__name__)

SCHEMA_URL = "https://opentelemetry.io/schemas/1.41.1"
_SETTINGS = ("capture_content", "max_attribute_length", "runtime_spans", "loop_threshold", "prices_file",
             "price_source")

# What opentelemetry-instrument and the instrumentation base class pass to instrument().
_STANDARD = ("tracer_provider", "meter_provider", "logger_provider", "event_logger_provider", "skip_dep_check",
             "raise_exception_on_conflict")
# opentelemetry_instrumentor entry points of this distribution, for hints on a misspelled one.
ENTRY_POINTS = ("autogen_agentchat", "autogen", "agent_framework")

PatchTable = list[tuple[str, Callable[[Telemetry], Any]]]


def check_keywords(caller: str, given: Collection[str], accepted: Collection[str]) -> None:
    """A misspelled keyword is an error naming the accepted ones, not a setting silently ignored."""
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise TypeError(f"{caller} got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
                        f"accepted: {', '.join(sorted(accepted))}")


def _misspelled_disabled_names() -> list[str]:
    """Entries of OTEL_PYTHON_DISABLED_INSTRUMENTATIONS that look like one of ours but are not."""
    raw = os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    canonical = {n.replace("-", "_").lower(): n for n in ENTRY_POINTS}
    aliases = {"ag2": "autogen", "autogen_ag2": "autogen", "agent_framework_core": "agent_framework",
               "maf": "agent_framework", "autogen_otel": "autogen_agentchat,autogen,agent_framework"}
    hints = []
    for name in names:
        if name in ENTRY_POINTS:
            continue
        key = name.replace("-", "_").lower()
        suggestion = canonical.get(key) or aliases.get(key)
        if suggestion:
            hints.append(f"{name!r} (did you mean {suggestion!r}?)")
    return hints


_hinted = False


def _warn_misspelled_disabled() -> None:
    global _hinted
    if _hinted:
        return
    _hinted = True
    hints = _misspelled_disabled_names()
    if hints:
        logger.warning("autogen-otel: OTEL_PYTHON_DISABLED_INSTRUMENTATIONS names no instrumentation of ours: %s; "
                       "ours are %s", ", ".join(hints), ", ".join(ENTRY_POINTS))


class _FamilyInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """What both families share; subclasses name their module, scope and patch table."""

    _module = ""  # the framework's import name; nothing is patched when it is absent
    _scope = __name__
    _telemetry: Telemetry | None = None
    _applied: list[Any]

    def _patches(self, telemetry: Telemetry) -> PatchTable:
        raise NotImplementedError

    def instrument(self, **kwargs: Any) -> Any:
        """Instrument this family where it is installed; absent, say nothing above debug level.

        ``kwargs``: the standard ``tracer_provider``/``meter_provider``/... and our settings; any
        other keyword is a ``TypeError`` naming the accepted ones."""
        check_keywords(f"{type(self).__name__}.instrument()", kwargs, (*_SETTINGS, *_STANDARD))
        _warn_misspelled_disabled()
        if not importable(self._module):
            logger.debug("autogen-otel: %s is not installed; %s has nothing to instrument", self._module,
                         type(self).__name__)
            return None
        if not kwargs.pop("skip_dep_check", False):
            conflict = self._check_dependency_conflicts()
            if conflict is not None:
                logger.warning("autogen-otel: %s not instrumented: %s", self._module, conflict)
                return None
        return super().instrument(skip_dep_check=True, **kwargs)

    def _instrument(self, **kwargs: Any) -> None:
        self._applied = []
        # opentelemetry-instrument checked only that *a* family is installed (our instruments-any).
        if not importable(self._module) or self._check_dependency_conflicts() is not None:
            logger.debug("autogen-otel: no supported %s installed; nothing to instrument", self._module)
            return
        settings = load_settings(**{k: kwargs.get(k) for k in _SETTINGS})
        tracer = get_tracer(self._scope, __version__, kwargs.get("tracer_provider"), schema_url=SCHEMA_URL)
        meter = get_meter(self._scope, __version__, kwargs.get("meter_provider"), schema_url=SCHEMA_URL)
        prices = PriceTable.default(settings.prices_file, source=settings.price_source)
        telemetry = Telemetry(tracer, meter, settings, prices)
        self._telemetry = telemetry
        for name, factory in self._patches(telemetry):
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
        """The live state while instrumented (used by the budget stops)."""
        return self._telemetry


class AutoGenInstrumentor(_FamilyInstrumentor):
    """Traces AutoGen AgentChat teams, agents, model clients and tools; records GenAI metrics.

    ``instrument(tracer_provider=..., meter_provider=..., capture_content=..., runtime_spans=...,
    loop_threshold=..., max_attribute_length=..., prices_file=..., price_source=...)``; every keyword is
    optional and defaults to the environment (see ``autogen_otel.core.config``).
    """

    _module = "autogen_agentchat"
    _scope = "autogen_otel.instrumentor"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments_agentchat

    def _patches(self, telemetry: Telemetry) -> PatchTable:
        from .agentchat import agentchat_patches

        return agentchat_patches(telemetry)


class AG2Instrumentor(_FamilyInstrumentor):
    """Traces AG2 Classic (``pip install autogen``: ConversableAgent, ``initiate_chat``, GroupChat):
    conversations, agent replies, model calls through ``OpenAIWrapper``, tools, code execution and
    human-input waits, with the same spans, metrics and settings as ``AutoGenInstrumentor``.
    """

    _module = "autogen"
    _scope = "autogen_otel.ag2"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments_ag2

    def _check_dependency_conflicts(self) -> DependencyConflict | None:
        # AG2 Classic ships as the `autogen` distribution (0.14.1+) or, before that, as `ag2`
        # (with `autogen` a thin alias): either one will do.
        return get_dependency_conflicts([], _instruments_ag2)

    def _patches(self, telemetry: Telemetry) -> PatchTable:
        from .ag2 import ag2_patches

        return ag2_patches(telemetry)


class AgentFrameworkInstrumentor(_FamilyInstrumentor):
    """Traces Microsoft Agent Framework (``agent_framework``): agent runs, model calls of any chat
    client, function tools and workflow runs (``WorkflowBuilder`` and the orchestration builders),
    with the same spans, metrics and settings as the other families. Agent Framework's own
    telemetry is off while this instruments it.
    """

    _module = "agent_framework"
    _scope = "autogen_otel.agent_framework"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments_maf

    def _patches(self, telemetry: Telemetry) -> PatchTable:
        from .maf import maf_patches

        return maf_patches(telemetry)
