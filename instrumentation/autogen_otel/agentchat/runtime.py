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

import importlib
import sys
import threading
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ..core.config import RuntimeSpans
from ..core.failopen import report
from ..core.families import AttributePatch
from ..core.telemetry import Telemetry
from ..core.wrappers import async_wrapper, traced_block
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


# The latest parsed contexts by (traceparent, tracestate): a message published to several agents,
# and every message one span sends, carry the same pair; a Context is immutable, so one parse
# serves them all. Few entries: it must not hold on to finished runs' contexts for long.
_CONTEXTS: dict[tuple[str, str | None], otel_context.Context | None] = {}
_CONTEXTS_LIMIT = 64
_CONTEXTS_LOCK = threading.Lock()  # handlers run on several threads; a lookup alone needs no lock


def sender_context(metadata: Any) -> otel_context.Context | None:
    """The context carried in a message's metadata (an envelope, or the gRPC runtime's mapping),
    if it names a valid span."""
    if metadata is None:
        return None
    traceparent = getattr(metadata, "traceparent", None)
    if traceparent is None and hasattr(metadata, "get"):
        traceparent, tracestate = metadata.get("traceparent"), metadata.get("tracestate")
    else:
        tracestate = getattr(metadata, "tracestate", None)
    if not traceparent:
        return None
    key = (traceparent, tracestate or None)
    try:
        return _CONTEXTS[key]
    except KeyError:
        pass
    carrier = {"traceparent": traceparent, "tracestate": tracestate} if tracestate else {"traceparent": traceparent}
    ctx: otel_context.Context | None = _PROPAGATOR.extract(carrier)
    if not trace.get_current_span(ctx).get_span_context().is_valid:
        ctx = None
    with _CONTEXTS_LOCK:
        if len(_CONTEXTS) >= _CONTEXTS_LIMIT:
            _CONTEXTS.pop(next(iter(_CONTEXTS)), None)  # the oldest: hits come within one fan-out
        _CONTEXTS[key] = ctx
    return ctx


def _parent_of(metadata: Any) -> otel_context.Context | None:
    try:
        return sender_context(metadata)
    except Exception as exc:
        report("runtime context", exc)
        return None


class _InSenderContext:
    """Runs the block in the sender's context, inside AutoGen's span (``inner``) if kept and
    our handler span (``handler``) if any. A class, not a generator: it wraps every message."""

    __slots__ = ("_handler", "_inner", "_parent", "_token")

    def __init__(self, metadata: Any, inner: Any = None, handler: Any = None) -> None:
        try:  # _parent_of, inlined: this runs for every message
            self._parent = sender_context(metadata) if metadata is not None else None
        except Exception as exc:
            report("runtime context", exc)
            self._parent = None
        self._inner, self._handler, self._token = inner, handler, None

    def __enter__(self) -> Any:
        if self._parent is not None:
            self._token = otel_context.attach(self._parent)
        try:
            span = self._inner.__enter__() if self._inner is not None else INVALID_SPAN
            if self._handler is not None:
                try:
                    self._handler.__enter__()
                except BaseException:
                    if self._inner is not None:
                        self._inner.__exit__(None, None, None)
                    raise
            return span
        except BaseException:
            self._detach()
            raise

    def __exit__(self, *exc: Any) -> Any:
        try:
            if self._handler is not None:
                self._handler.__exit__(*exc)
        finally:
            try:
                suppressed = self._inner.__exit__(*exc) if self._inner is not None else False
            finally:
                self._detach()
        return suppressed

    def _detach(self) -> None:
        if self._token is not None:
            otel_context.detach(self._token)
            self._token = None


def asked_for_own_spans(helper: Any) -> bool:
    """True when the app gave this runtime a tracer provider of its own (not the global one):
    it asked for AutoGen's runtime spans, so they are kept, whole, nested in our trace."""
    provider = getattr(helper, "tracer_provider", None)
    if provider is None or provider is trace.get_tracer_provider():
        return False
    return not isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))


class _NoSpan:
    __slots__ = ()

    def __enter__(self) -> Any:
        return INVALID_SPAN

    def __exit__(self, *exc: Any) -> None:
        return None


_NO_SPAN = _NoSpan()


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
            # Every message passes here: the arguments and the provider check inlined.
            operation = kwargs["operation"] if "operation" in kwargs else (args[0] if args else None)
            metadata = kwargs["parent"] if "parent" in kwargs else (args[2] if len(args) > 2 else None)
            handler = None
            if operation == "process" and is_worker_runtime(instance):
                handler = traced_block(handler_hooks, instance, args, kwargs)
            provider = getattr(instance, "tracer_provider", None)  # asked_for_own_spans(instance), inlined
            own = (provider is not None and provider is not trace.get_tracer_provider()
                   and not isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)))
            if not keep and not own:
                if metadata is None and handler is None:
                    return _NO_SPAN  # e.g. "create" around a send: the sender's context is current already
                return _InSenderContext(metadata, None, handler)
            if operation == "ack" and not own and _parent_of(metadata) is None:
                # A gRPC reply's metadata is built after the handler's span ended: its ack span
                # would be a stray one-span trace.
                return _NO_SPAN
            # AutoGen passes context=None, i.e. "the current context": ours, once attached.
            return _InSenderContext(metadata, _Deferred(wrapped, args, kwargs), handler)

        self._active = False

        def native_helper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if self._active and _called_from_autogen():
                return _NO_SPAN
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
