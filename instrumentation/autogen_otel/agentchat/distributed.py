"""AutoGen's distributed runtime (``autogen_ext.runtimes.grpc``): one trace per logical run,
however many worker processes it crosses.

AutoGen's gRPC worker runtime carries W3C trace context in RPC request metadata and reads it
back from a published CloudEvent's attributes -- but never writes it there, and the agent that
handles a message gets no span of its own, so every onward message hangs under whatever span
sent the first one. While instrumented:

* every message a worker's agent handles runs in an ``invoke_agent {agent type}`` span (SERVER
  for an RPC request, CONSUMER for a published event) whose parent is the span that sent it
  (runtime.py attaches the sender's context); the hop's model calls, tools and onward messages
  nest under it. In its process the outermost one is the run's root, carrying the tokens, cost
  and turns spent there;
* every published CloudEvent carries the publisher's ``traceparent``/``tracestate`` attributes;
* every message sent or published gets a ``send {agent type}`` (CLIENT, around the RPC's round
  trip) or ``publish {topic type}`` (PRODUCER) span, parent of the remote handler's span; from plain
  code (no span current) it starts the trace as ``invoke_workflow {target}``.

A process without autogen-otel ignores the extra attributes; nothing else on the wire changes.
The patch is applied when the app imports the gRPC runtime, so apps without it never import grpc.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from ..core import content
from ..core import semconv as sc
from ..core.failopen import safely
from ..core.families import AttributePatch, PatchGroup
from ..core.hooks import SpanHooks
from ..core.scopes import Scope
from ..core.telemetry import Telemetry
from ..core.wrappers import async_wrapper, call_arg, coroutine_wrapper

WORKER_MODULE = "autogen_ext.runtimes.grpc._worker_runtime"
WORKER_TRACING_NAME = "Worker Runtime"  # the name AutoGen gives the worker runtime's TraceHelper
_CONTEXT_KEYS = ("traceparent", "tracestate")
# AgentChat registers team members as "<name>_<team uuid>": the uuid would make every team a new
# metric series.
_UUID_SUFFIX = re.compile(r"[_-][0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)


def bounded_name(agent_or_topic_type: Any) -> str:
    """An agent or topic type as a low-cardinality name (span name and metric label)."""
    text = content.safe_text(agent_or_topic_type) or "unknown"
    return _UUID_SUFFIX.sub("", text) or text


def is_worker_runtime(helper: Any) -> bool:
    config = getattr(helper, "instrumentation_builder_config", None)
    return getattr(config, "name", None) == WORKER_TRACING_NAME


class RemoteHandlerHooks(SpanHooks):
    """``invoke_agent`` around one message a worker runtime's agent handles; the hooks get
    ``TraceHelper.trace_block``'s arguments (operation, destination agent id, parent metadata)."""

    site = "distributed agent handler"

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        agent = call_arg(args, kwargs, 1, "destination")
        agent_type = content.safe_text(getattr(agent, "type", "")) or "unknown"
        rpc = "request_id" in (kwargs.get("attributes") or {})
        extra: dict[str, Any] = {
            sc.GEN_AI_AGENT_ID: f"{agent_type}/{content.safe_text(getattr(agent, 'key', ''))}",
            sc.MESSAGING_SYSTEM: sc.MESSAGING_SYSTEM_AUTOGEN,
            sc.MESSAGING_OPERATION_TYPE: "process",
        }
        message_type = (kwargs.get("extraAttributes") or {}).get("message_type")
        if message_type:
            extra[sc.AUTOGEN_MESSAGE_TYPE] = content.safe_text(message_type)
        _, run = self.t.registry.current()
        return self.open_agent(None, bounded_name(agent_type), None, new_run=run is None,
                               kind=SpanKind.SERVER if rpc else SpanKind.CONSUMER, extra=extra)

    def finish(self, scope: Scope, result: Any) -> None:
        self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        self._record_and_close(scope, exc, self.t.instruments.agent_duration, self.t.base_labels(scope))


class MessageHooks(SpanHooks):
    """A message sent (CLIENT, around the RPC's round trip) or published (PRODUCER) through the
    worker runtime: ``send {agent type}`` / ``publish {topic type}`` under the sending span, so each
    hop is a client/server or producer/consumer pair (Tempo's service graph draws the edge). From
    plain code, with no span current, it is the run's root: ``invoke_workflow {target}``."""

    site = "distributed message"

    def __init__(self, telemetry: Telemetry, operation: str) -> None:
        super().__init__(telemetry)
        self.operation = operation
        self.kind = SpanKind.CLIENT if operation == "send" else SpanKind.PRODUCER

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        target = call_arg(args, kwargs, 1, "recipient" if self.operation == "send" else "topic_id")
        name = bounded_name(getattr(target, "type", ""))
        attrs = {
            sc.MESSAGING_SYSTEM: sc.MESSAGING_SYSTEM_AUTOGEN,
            sc.MESSAGING_OPERATION_TYPE: self.operation,
            sc.MESSAGING_DESTINATION_NAME: name,
            sc.AUTOGEN_MESSAGE_TYPE: type(call_arg(args, kwargs, 0, "message")).__name__,
        }
        if trace.get_current_span().get_span_context().is_valid:
            return self.t.open("message", f"{self.operation} {name}", self.kind, attrs, name=name)
        attrs.update({sc.GEN_AI_OPERATION_NAME: sc.OP_WORKFLOW, sc.GEN_AI_WORKFLOW_NAME: name})
        return self.t.open("workflow", f"{sc.OP_WORKFLOW} {name}", self.kind, attrs, name=name)

    def finish(self, scope: Scope, result: Any) -> None:
        self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        self.t.close(scope, exc)


def put_context_on_event(runtime_message: Any, metadata: Any) -> None:
    """Copy the sender's trace context onto a published CloudEvent, where receivers read it."""
    if not isinstance(metadata, Mapping) or runtime_message.WhichOneof("message") != "cloudEvent":
        return
    attributes = runtime_message.cloudEvent.attributes
    for key in _CONTEXT_KEYS:
        value = metadata.get(key)
        if value and key not in attributes:
            attributes[key].ce_string = value


@async_wrapper
async def _send_with_context(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    safely("trace context on a published event", put_context_on_event,
           call_arg(args, kwargs, 0, "runtime_message"), call_arg(args, kwargs, 3, "telemetry_metadata"))
    return await wrapped(*args, **kwargs)


def grpc_runtime_patch(telemetry: Telemetry) -> PatchGroup:
    """Built once the app has imported WORKER_MODULE (the patch table waits for it)."""
    import importlib

    wrappers = {
        "send_message": coroutine_wrapper(MessageHooks(telemetry, "send")),
        "publish_message": coroutine_wrapper(MessageHooks(telemetry, "publish")),
        "_send_message": _send_with_context,
    }
    runtime = importlib.import_module(WORKER_MODULE).GrpcWorkerAgentRuntime
    return PatchGroup([AttributePatch(runtime, name, wrapper) for name, wrapper in wrappers.items()])
