"""AutoGen's own tracing, folded into our trace.

autogen-core starts each message-handling span as a new root (the sender is only a Link), so
one team run scatters over many traces, and its runtime spans copy whole message bodies into
attributes. Its GenAI spans (``create_agent``, ``invoke_agent``, ``execute_tool``) duplicate
ours. While instrumented:

* every runtime ``trace_block`` makes the *sender's* context current (it travels in the
  message envelope's ``traceparent``), so the handler's spans -- ours -- join the sender's
  trace;
* the runtime span itself is dropped (default) or kept as a child in that trace
  (``AUTOGEN_OTEL_RUNTIME_SPANS=nested``) -- and always kept, as AutoGen makes it, for a runtime
  the app gave a tracer provider of its own;
* the native GenAI span helpers become no-ops.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ..config import RuntimeSpans
from ..failopen import report
from ..families import AttributePatch
from ..telemetry import Telemetry
from ..wrappers import async_wrapper, call_arg, traced_block
from .distributed import RemoteHandlerHooks, is_worker_runtime

_PROPAGATOR = TraceContextTextMapPropagator()

_NATIVE_HELPERS = ("trace_create_agent_span", "trace_invoke_agent_span", "trace_tool_span")
# Where AutoGen defines, re-exports or imports its GenAI span helpers. Modules imported
# later bind the (patched) re-export from autogen_core.
_NATIVE_HELPER_MODULES = (
    "autogen_core._telemetry._genai",
    "autogen_core._telemetry",
    "autogen_core",
    "autogen_core.tools._base",
    "autogen_agentchat.agents._base_chat_agent",
    "autogen_agentchat.teams._group_chat._chat_agent_container",
    "autogen_ext.tools.mcp._workbench",
)
# Parts of AutoGen we instrument anyway, so importing them early costs nothing. Optional
# extras (MCP) are never imported by us: they pick up the patched re-export instead.
_ALWAYS_IMPORT = (
    "autogen_core.tools._base",
    "autogen_agentchat.agents._base_chat_agent",
    "autogen_agentchat.teams._group_chat._chat_agent_container",
)


def sender_context(metadata: Any) -> otel_context.Context | None:
    """The context carried in an envelope's metadata, if it names a valid span."""
    if metadata is None:
        return None
    if isinstance(metadata, Mapping):
        carrier = {k: metadata[k] for k in ("traceparent", "tracestate") if metadata.get(k)}
    else:
        carrier = {k: v for k in ("traceparent", "tracestate") if (v := getattr(metadata, k, None))}
    if "traceparent" not in carrier:
        return None
    ctx = _PROPAGATOR.extract(carrier)
    return ctx if trace.get_current_span(ctx).get_span_context().is_valid else None


def _parent_of(metadata: Any) -> otel_context.Context | None:
    try:
        return sender_context(metadata)
    except Exception as exc:
        report("runtime context", exc)
        return None


@contextlib.contextmanager
def _in_sender_context(metadata: Any, inner: Any, handler: Any = None) -> Iterator[Any]:
    """Runs the block in the sender's context, inside AutoGen's span (``inner``) if kept and
    our handler span (``handler``) if any."""
    parent = _parent_of(metadata)
    token = otel_context.attach(parent) if parent is not None else None
    try:
        with (inner if inner is not None else _no_span()) as span, (handler or contextlib.nullcontext()):
            yield span
    finally:
        if token is not None:
            otel_context.detach(token)


def asked_for_own_spans(helper: Any) -> bool:
    """True when the app gave this runtime a tracer provider of its own (not the global one):
    it asked for AutoGen's runtime spans, so they are kept, whole, nested in our trace."""
    provider = getattr(helper, "tracer_provider", None)
    if provider is None or provider is trace.get_tracer_provider():
        return False
    return not isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))


@contextlib.contextmanager
def _no_span() -> Iterator[Any]:
    yield INVALID_SPAN


def _called_from_autogen() -> bool:
    """True when the helper's caller is AutoGen itself (users may call the helpers for their own spans)."""
    frame = sys._getframe(2)
    for _ in range(3):
        if frame is None:
            return False
        module = frame.f_globals.get("__name__", "")
        if not module.startswith("wrapt"):
            return module.startswith(("autogen_core", "autogen_agentchat", "autogen_ext"))
        frame = frame.f_back
    return False


class RuntimePatch:
    def __init__(self, telemetry: Telemetry) -> None:
        from autogen_core._telemetry import TraceHelper

        keep = telemetry.settings.runtime_spans is RuntimeSpans.NESTED
        capture_content = telemetry.settings.capture.enabled
        handler_hooks = RemoteHandlerHooks(telemetry)

        @async_wrapper
        async def runtime_attributes(wrapped: Any, instance: Any, args: tuple[Any, ...],
                                     kwargs: dict[str, Any]) -> Any:
            if asked_for_own_spans(getattr(instance, "_tracer_helper", None)):
                return await wrapped(*args, **kwargs)
            if not keep:
                return {}  # no runtime span will carry them: skip serialising every message
            attributes = await wrapped(*args, **kwargs)
            if not capture_content and isinstance(attributes, dict):
                attributes = {k: v for k, v in attributes.items() if k != "message"}  # the message body
            return attributes

        def trace_block(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            operation = call_arg(args, kwargs, 0, "operation")
            metadata = call_arg(args, kwargs, 2, "parent")
            handler = None
            if operation == "process" and is_worker_runtime(instance):
                handler = traced_block(handler_hooks, instance, args, kwargs)
            own = asked_for_own_spans(instance)
            if not keep and not own:
                return _in_sender_context(metadata, None, handler)
            if operation == "ack" and not own and _parent_of(metadata) is None:
                # A gRPC reply's metadata is built after the handler's span ended: its ack span
                # would be a stray one-span trace.
                return _no_span()
            # AutoGen passes context=None, i.e. "the current context": ours, once attached.
            return _in_sender_context(metadata, _Deferred(wrapped, args, kwargs), handler)

        self._active = False

        def native_helper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if self._active and _called_from_autogen():
                return _no_span()
            return wrapped(*args, **kwargs)

        def legacy_tool_tracer(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return trace.NoOpTracer() if self._active else wrapped(*args, **kwargs)

        for module_name in _ALWAYS_IMPORT:
            try:
                importlib.import_module(module_name)
            except ImportError:  # a private module moved in some AutoGen version: skip that part
                pass
        self._patches = [AttributePatch(TraceHelper, "trace_block", trace_block)]
        from autogen_core import SingleThreadedAgentRuntime

        if hasattr(SingleThreadedAgentRuntime, "_create_otel_attributes"):
            self._patches.append(AttributePatch(SingleThreadedAgentRuntime, "_create_otel_attributes",
                                                runtime_attributes))
        # autogen-core < 0.6.2 traced BaseTool.run_json with its own tracer, arguments included.
        tool_module = sys.modules.get("autogen_core.tools._base")
        if tool_module is not None and hasattr(tool_module, "get_tracer"):
            self._patches.append(AttributePatch(tool_module, "get_tracer", legacy_tool_tracer))
        for module_name in _NATIVE_HELPER_MODULES:
            module = sys.modules.get(module_name)  # never import optional extras (MCP) ourselves
            if module is None:
                continue
            for helper in _NATIVE_HELPERS:
                if hasattr(module, helper):  # the helpers appeared in autogen-core 0.6.2
                    self._patches.append(AttributePatch(module, helper, native_helper))

    def apply(self) -> None:
        self._active = True
        for patch in self._patches:
            patch.apply()

    def remove(self) -> None:
        # A module imported while we were active keeps our wrapper; inactive, it delegates.
        self._active = False
        for patch in self._patches:
            patch.remove()


class _Deferred:
    """Creates AutoGen's span only once our parent context is attached."""

    def __init__(self, wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._wrapped, self._args, self._kwargs = wrapped, args, kwargs
        self._cm: Any = None

    def __enter__(self) -> Any:
        self._cm = self._wrapped(*self._args, **self._kwargs)
        return self._cm.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self._cm.__exit__(*exc)
