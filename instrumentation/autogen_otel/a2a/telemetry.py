"""What the A2A client and server spans share: names and attributes by the draft GenAI conventions'
A2A page (semantic-conventions-genai #195: spans named ``{a2a.method.name}``, the task's id and
state, ``gen_ai.conversation.id`` from the A2A ``contextId``), read off a2a-sdk's protobuf
requests, responses and stream events, and the outcome of a request."""

from __future__ import annotations

from typing import Any

from ..core import semconv as sc
from ..core.config import Settings
from ..core.content import safe_text
from ..core.health import STOP_AWAITING_INPUT, STOP_CANCELLED
from ..core.protocol import Call, ProtocolTelemetry

# a2a-sdk's client method names -> the A2A method.
METHODS = {
    "send_message": "SendMessage",
    "send_message_streaming": "SendStreamingMessage",
    "get_task": "GetTask",
    "list_tasks": "ListTasks",
    "cancel_task": "CancelTask",
    "subscribe": "SubscribeToTask",
    "create_task_push_notification_config": "CreateTaskPushNotificationConfig",
    "get_task_push_notification_config": "GetTaskPushNotificationConfig",
    "list_task_push_notification_configs": "ListTaskPushNotificationConfigs",
    "delete_task_push_notification_config": "DeleteTaskPushNotificationConfig",
    "get_extended_agent_card": "GetExtendedAgentCard",
}
# Requests that name their task by ``id`` (the others by ``task_id`` or their message's).
_TASK_BY_ID = frozenset({"GetTaskRequest", "CancelTaskRequest", "SubscribeToTaskRequest"})
_STATEFUL = frozenset({"Task", "TaskStatusUpdateEvent"})
# Task states that end a request as a failure of the remote agent: the span says so (error.type).
FAILED_STATES = frozenset({"TASK_STATE_FAILED", "TASK_STATE_REJECTED"})


class A2aTelemetry(ProtocolTelemetry):
    metric_keys = (sc.A2A_METHOD_NAME, sc.A2A_PROTOCOL_VERSION, sc.A2A_TASK_STATE, sc.GEN_AI_AGENT_NAME,
                   sc.SERVER_ADDRESS, sc.SERVER_PORT, sc.ERROR_TYPE)

    def __init__(self, tracer: Any, meter: Any, settings: Settings) -> None:
        super().__init__(tracer, meter, settings, "A2A", sc.METRIC_A2A_CLIENT_DURATION,
                         sc.METRIC_A2A_SERVER_DURATION, sc.MCP_DURATION_BUCKETS)

    def observe(self, call: Call, item: Any) -> None:
        observe(call, item)

    def failed(self, call: Call, exc: BaseException) -> None:
        failed(call, exc)

    def ended(self, call: Call) -> None:
        stop_delegating_run(call)


def current_version() -> str:
    from a2a.utils.constants import PROTOCOL_VERSION_CURRENT

    return PROTOCOL_VERSION_CURRENT


def _kind(message: Any) -> str:
    descriptor = getattr(message, "DESCRIPTOR", None)
    return getattr(descriptor, "name", "")


def card_attributes(card: Any) -> dict[str, Any]:
    """The agent an Agent Card describes (the remote one on the client, the served one on the server)."""
    attributes: dict[str, Any] = {}
    if card is None:
        return attributes
    for key, field in ((sc.GEN_AI_AGENT_NAME, "name"), (sc.GEN_AI_AGENT_DESCRIPTION, "description"),
                       (sc.GEN_AI_AGENT_VERSION, "version")):
        value = getattr(card, field, None)
        if value:
            attributes[key] = safe_text(value)
    return attributes


def request_attributes(method: str, request: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {sc.A2A_METHOD_NAME: method}
    tenant = getattr(request, "tenant", None)
    if tenant:
        attributes[sc.A2A_TENANT] = safe_text(tenant)
    kind = _kind(request)
    if kind == "SendMessageRequest":
        message = request.message
        for key, value in ((sc.A2A_MESSAGE_ID, message.message_id), (sc.A2A_TASK_ID, message.task_id),
                           (sc.GEN_AI_CONVERSATION_ID, message.context_id)):
            if value:
                attributes[key] = value
        if message.reference_task_ids:
            attributes[sc.A2A_REFERENCE_TASK_IDS] = list(message.reference_task_ids)
    elif kind in _TASK_BY_ID and request.id:
        attributes[sc.A2A_TASK_ID] = request.id
    elif getattr(request, "task_id", None):
        attributes[sc.A2A_TASK_ID] = request.task_id
    elif kind == "ListTasksRequest" and request.context_id:
        attributes[sc.GEN_AI_CONVERSATION_ID] = request.context_id
    return attributes


# A remote agent's task ending in these stops the delegating run: it waits for input (the remote
# agent's question), or -- if the run then raises -- was cancelled.
_STOPS = {"TASK_STATE_INPUT_REQUIRED": (STOP_AWAITING_INPUT, False),
          "TASK_STATE_AUTH_REQUIRED": (STOP_AWAITING_INPUT, False),
          "TASK_STATE_CANCELED": (STOP_CANCELLED, True)}


def stop_delegating_run(call: Call) -> None:
    """A remote task left waiting or cancelled is the delegating run's stop (a server span's parent is
    the remote caller's: no run of this process is found around it)."""
    stop = _STOPS.get(call.attributes.get(sc.A2A_TASK_STATE, ""))
    if stop is None:
        return
    from ..core.telemetry import stop_run_around  # the families' state: loaded only when it matters

    category, only_if_raised = stop
    agent = call.attributes.get(sc.GEN_AI_AGENT_NAME) or "the remote agent"
    stop_run_around(getattr(call.span, "parent", None), category,
                    f"{agent}: {call.attributes[sc.A2A_TASK_STATE]}", only_if_raised)


def observe(call: Call, item: Any) -> None:
    """What a response or stream event says of the task: its id, its context, its latest state."""
    if _kind(item) in ("SendMessageResponse", "StreamResponse"):
        payload = item.WhichOneof("payload")
        if payload is None:
            return
        item = getattr(item, payload)
    kind = _kind(item)
    if kind == "Task":
        call.set(sc.A2A_TASK_ID, item.id)
    elif kind in ("TaskStatusUpdateEvent", "TaskArtifactUpdateEvent", "Message"):
        call.set(sc.A2A_TASK_ID, item.task_id)
    else:
        return
    call.set(sc.GEN_AI_CONVERSATION_ID, item.context_id)
    if kind in _STATEFUL and item.HasField("status"):
        from a2a.types.a2a_pb2 import TaskState

        state = TaskState.Name(item.status.state)
        call.set(sc.A2A_TASK_STATE, state)
        if state in FAILED_STATES:
            call.error = state


def failed(call: Call, exc: BaseException) -> None:
    """``error.type``: the JSON-RPC code of an A2A error the protocol maps, else the exception's class."""
    call.error = type(exc).__qualname__
    try:
        from a2a.utils.errors import JSON_RPC_ERROR_CODE_MAP

        code = JSON_RPC_ERROR_CODE_MAP.get(type(exc))  # type: ignore[call-overload]
    except ImportError:
        code = None
    if code is not None:
        call.error = str(code)
        call.span.set_attribute(sc.RPC_RESPONSE_STATUS_CODE, call.error)
    call.message = safe_text(getattr(exc, "message", None) or exc)
