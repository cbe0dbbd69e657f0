"""The entry points, under ``opentelemetry-instrument`` or in code: ``AgentChatInstrumentor`` for
Microsoft AutoGen AgentChat, ``AG2Instrumentor`` for AG2 Classic (``import autogen``),
``AgentFrameworkInstrumentor`` for Microsoft Agent Framework, ``MCPInstrumentor`` for the MCP SDK and
``A2AInstrumentor`` for a2a-sdk (the Agent2Agent protocol).

They share one base: settings, tracer and meter, the patch table and its removal. Each is
instrumented only where its framework is installed; the others' absence changes nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from opentelemetry.instrumentation.dependencies import DependencyConflict, get_dependency_conflicts
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from .core.config import Settings, load_settings
from .core.failopen import safely
from .core.importing import OnImport, PatchEntry, importable, load
from .package import (
    _instruments_a2a,
    _instruments_ag2,
    _instruments_agentchat,
    _instruments_maf,
    _instruments_mcp,
)
from .version import __version__

if TYPE_CHECKING:
    from .core.telemetry import Telemetry

logger = logging.getLogger(__name__)

SCHEMA_URL = "https://opentelemetry.io/schemas/1.41.1"
_SETTINGS = ("capture_content", "max_attribute_length", "runtime_spans", "loop_threshold", "prices_file",
             "price_source")

# What opentelemetry-instrument and the instrumentation base class pass to instrument().
_STANDARD = ("tracer_provider", "meter_provider", "logger_provider", "event_logger_provider", "skip_dep_check",
             "raise_exception_on_conflict")
# opentelemetry_instrumentor entry points of this distribution, for hints on a misspelled one.
ENTRY_POINTS = ("autogen_agentchat", "autogen", "agent_framework", "mcp", "a2a")

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


class _OnFirstUse:
    """The family's telemetry (tracer, meter, prices, metric instruments), built by the first patch
    the app's imports trigger: an app that imports none of the family's modules never loads it."""

    def __init__(self, owner: _FamilyInstrumentor, settings: Settings, providers: dict[str, Any]) -> None:
        self._owner, self._settings, self._providers = owner, settings, providers
        self._lock = threading.Lock()

    def get(self) -> Telemetry:
        with self._lock:
            if self._owner._telemetry is None:
                self._owner._telemetry = self._build()
            return self._owner._telemetry

    def _build(self) -> Telemetry:
        from opentelemetry.metrics import get_meter
        from opentelemetry.trace import get_tracer

        scope, settings = self._owner._scope, self._settings
        tracer = get_tracer(scope, __version__, self._providers.get("tracer_provider"), schema_url=SCHEMA_URL)
        meter = get_meter(scope, __version__, self._providers.get("meter_provider"), schema_url=SCHEMA_URL)
        return self._owner._build_telemetry(tracer, meter, settings)


class _FamilyInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """What the families share; subclasses name their module, scope and patch table."""

    _module = ""  # the framework's import name; nothing is patched when it is absent
    _package = ""  # ours for it, holding PATCHES
    _scope = __name__
    _telemetry: Telemetry | None = None
    _applied: list[Any]

    def _build_telemetry(self, tracer: Any, meter: Any, settings: Settings) -> Any:
        from .core.pricing import PriceTable
        from .core.telemetry import Telemetry

        prices = PriceTable.default(settings.prices_file, source=settings.price_source)
        return Telemetry(tracer, meter, settings, prices)

    def _patches(self) -> list[PatchEntry]:
        import importlib

        return list(importlib.import_module(self._package).PATCHES)

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
                self._refuse(conflict)
                return None
        return super().instrument(skip_dep_check=True, **kwargs)

    def _refuse(self, conflict: DependencyConflict) -> None:
        logger.warning("autogen-otel: %s not instrumented: %s", self._module, conflict)

    def _instrument(self, **kwargs: Any) -> None:
        self._applied = []
        # opentelemetry-instrument checked only that *a* family is installed (our instruments-any).
        if not importable(self._module) or self._check_dependency_conflicts() is not None:
            logger.debug("autogen-otel: no supported %s installed; nothing to instrument", self._module)
            return
        settings = load_settings(**{k: kwargs.get(k) for k in _SETTINGS})  # a bad setting raises now
        telemetry = _OnFirstUse(self, settings, {k: kwargs.get(k) for k in ("tracer_provider", "meter_provider")})
        for name, module, target in self._patches():
            def build(_module: Any, target: str = target) -> Any:
                return load(target, self._package)(telemetry.get())

            patch = OnImport(module, build, f"instrumenting {name}")
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


class AgentChatInstrumentor(_FamilyInstrumentor):
    """Traces AutoGen AgentChat teams, agents, model clients and tools; records GenAI metrics.

    ``instrument(tracer_provider=..., meter_provider=..., capture_content=..., runtime_spans=...,
    loop_threshold=..., max_attribute_length=..., prices_file=..., price_source=...)``; every keyword is
    optional and defaults to the environment (see ``autogen_otel.core.config``).
    """

    _module = "autogen_agentchat"
    _package = "autogen_otel.agentchat"
    _scope = "autogen_otel.instrumentor"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments_agentchat


class AG2Instrumentor(_FamilyInstrumentor):
    """Traces AG2 Classic (``pip install autogen``: ConversableAgent, ``initiate_chat``, GroupChat):
    conversations, agent replies, model calls through ``OpenAIWrapper``, tools, code execution and
    human-input waits, with the same spans, metrics and settings as ``AgentChatInstrumentor``.
    """

    _module = "autogen"
    _package = "autogen_otel.ag2"
    _scope = "autogen_otel.ag2"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments_ag2

    def _check_dependency_conflicts(self) -> DependencyConflict | None:
        # AG2 Classic ships as the `autogen` distribution (0.14.1+) or, before that, as `ag2`
        # (with `autogen` a thin alias): either one will do.
        return get_dependency_conflicts([], _instruments_ag2)


class AgentFrameworkInstrumentor(_FamilyInstrumentor):
    """Traces Microsoft Agent Framework (``agent_framework``): agent runs, model calls of any chat
    client, function tools and workflow runs (``WorkflowBuilder`` and the orchestration builders),
    with the same spans, metrics and settings as the other families. Agent Framework's own
    telemetry is off while this instruments it.
    """

    _module = "agent_framework"
    _package = "autogen_otel.maf"
    _scope = "autogen_otel.agent_framework"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments_maf



class MCPInstrumentor(_FamilyInstrumentor):
    """Traces the Model Context Protocol SDK 1.x (``mcp``) on both sides of a tool call: a CLIENT
    span per request an app's session sends (AgentChat's ``McpWorkbench``, AG2's toolkit, a plain
    ``ClientSession``) with W3C trace context in ``params._meta``, and a SERVER span per request a
    Python MCP server handles (FastMCP or the low-level ``Server``), continuing the caller's trace.
    mcp 2.x traces itself; with it installed this instruments nothing.
    """

    _module = "mcp"
    _package = "autogen_otel.mcp"
    _scope = "autogen_otel.mcp"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments_mcp

    def _refuse(self, conflict: DependencyConflict) -> None:
        # mcp 2.x makes its own client and server spans and propagates context itself.
        logger.debug("autogen-otel: mcp not instrumented (%s): mcp 2.x traces itself", conflict)

    def _build_telemetry(self, tracer: Any, meter: Any, settings: Settings) -> Any:
        from .mcp.telemetry import McpTelemetry

        return McpTelemetry(tracer, meter, settings)


class A2AInstrumentor(_FamilyInstrumentor):
    """Traces the Agent2Agent protocol through a2a-sdk 1.x (``a2a``) on both sides of a delegation:
    a CLIENT span per request a client sends (Agent Framework's ``A2AAgent``, AG2's
    ``A2aRemoteAgent``, an app's own ``a2a.client``) with W3C trace context in its headers, and a
    SERVER span per request an a2a-sdk server handles, continuing the caller's trace with the
    served agent's run beneath it. a2a-sdk's own per-method spans are folded into these.
    """

    _module = "a2a"
    _package = "autogen_otel.a2a"
    _scope = "autogen_otel.a2a"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments_a2a

    def _build_telemetry(self, tracer: Any, meter: Any, settings: Settings) -> Any:
        from .a2a.telemetry import A2aTelemetry

        return A2aTelemetry(tracer, meter, settings)
