"""``invoke_workflow`` spans around every Agent Framework workflow run (``Workflow.run``, also
``stream=True``, from ``WorkflowBuilder`` or an orchestration builder) and spans for the
executors an app writes itself (a function or an ``Executor`` subclass of its own).

The run span wraps ``Workflow._run_workflow_with_tracing``, the one async generator every run
entry point (a new message, responses to pending requests, a checkpoint) goes through; each
step of it runs with our span current, so the executors it starts, and the agents and model
calls they make, land in this one trace. Agent executors get no span of their own (their
agent's ``invoke_agent`` says it); the framework's routing executors none at all.
"""

from __future__ import annotations

import contextlib
import re
import sys
import uuid
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry.trace import SpanKind

from ..core import content
from ..core import semconv as sc
from ..core.evaluations import RunRecord
from ..core.failopen import safely
from ..core.health import STOP_AWAITING_INPUT, STOP_CANCELLED, STOP_ERROR, STOP_MAX_TURNS, stop_category
from ..core.hooks import SpanHooks
from ..core.scopes import Scope
from ..core.telemetry import STOP_DECIDED, is_cancellation
from ..core.wrappers import Awaiting, call_arg
from . import native
from .agents import agent_name

_PENDING = "maf.pending_requests"
_WORKFLOW = "maf.workflow"
_FINAL = "maf.final_text"
# The conversation a workflow instance is in: kept while its last run ended waiting for input,
# so the run that answers continues it.
_conversations: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
# Runs waiting for Agent Framework's own run span (its telemetry on), by workflow id: one run at a
# time per workflow instance.
_awaiting_span: dict[str, Scope] = {}
# Agent Framework's function opening a run's span, per release: a context manager up to 1.14, a span after.
SPAN_FUNCTIONS = ("create_workflow_span", "start_workflow_span")
_RUN_SPANS = ("invoke_workflow", "workflow.run")  # OtelAttr.WORKFLOW_RUN_SPAN: 1.15 on, and before
# The run a workflow instance just finished, until its run() hands the result to the app.
_finished: weakref.WeakKeyDictionary[Any, RunRecord] = weakref.WeakKeyDictionary()


# Builders name an unnamed workflow "WorkflowBuilder-<uuid4>": a label must not carry the uuid.
_GENERATED_SUFFIX = re.compile(r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def workflow_name(workflow: Any) -> str:
    name = getattr(workflow, "name", None)
    if not isinstance(name, str) or not name:
        return type(workflow).__name__
    return _GENERATED_SUFFIX.sub("", content.safe_text(name)) or type(workflow).__name__


def participants(workflow: Any) -> list[str]:
    names: list[str] = []
    for executor in (getattr(workflow, "executors", None) or {}).values():
        agent = getattr(executor, "_agent", None)
        if agent is not None:
            names.append(agent_name(agent))
        elif is_user_executor(executor):
            names.append(content.safe_text(getattr(executor, "id", "")))
    return names


def is_user_executor(executor: Any) -> bool:
    """An executor the app wrote (a function executor or its own class), not framework routing."""
    cls = type(executor)
    if getattr(executor, "_agent", None) is not None:
        return False
    return cls.__name__ == "FunctionExecutor" or not cls.__module__.startswith("agent_framework")


class WorkflowRunHooks(SpanHooks):
    site = "agent framework workflow run"

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        _current, run = self.t.registry.current()
        name = workflow_name(instance)
        continuing = bool(kwargs.get("is_continuation"))
        conversation = _conversations.get(instance) if continuing else None
        conversation = conversation or uuid.uuid4().hex
        _conversations[instance] = conversation
        attrs: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_WORKFLOW,
            sc.GEN_AI_WORKFLOW_NAME: name,
            sc.GEN_AI_CONVERSATION_ID: conversation,
            sc.AUTOGEN_TEAM_TYPE: "workflow",
            sc.AUTOGEN_TEAM_PARTICIPANTS: participants(instance),
            sc.AUTOGEN_STREAM: bool(kwargs.get("streaming")),
        }
        if continuing:
            attrs[sc.AUTOGEN_RUN_CONTINUED] = True
        # With Agent Framework's own telemetry on, the run's span is the one it opens inside.
        deferred = native.active() and _framework_opens_run_span()
        scope = self.t.open("workflow", f"{sc.OP_WORKFLOW} {name}", SpanKind.INTERNAL, attrs, owner=instance,
                            name=name, new_run=name if run is None else None, spanless=deferred)
        scope.attrs[_WORKFLOW] = instance
        if deferred:
            _awaiting_span[content.safe_text(getattr(instance, "id", ""))] = scope
        return scope

    def item(self, scope: Scope, event: Any) -> None:
        kind = getattr(event, "type", None)
        if kind == "request_info" and scope.span is not None:
            scope.attrs[_PENDING] = scope.attrs.get(_PENDING, 0) + 1
            data = getattr(event, "data", None)
            scope.span.add_event(sc.EVENT_REQUEST_INFO, {
                "autogen.request.id": content.safe_text(getattr(event, "request_id", None) or ""),
                "autogen.request.type": type(data).__name__,
                "autogen.executor.id": content.safe_text(getattr(event, "source_executor_id", None) or "")})
        elif kind == "handoff_sent" and scope.span is not None:
            data = getattr(event, "data", None)
            scope.span.add_event(sc.EVENT_HANDOFF, {
                sc.AUTOGEN_HANDOFF_SOURCE: content.safe_text(getattr(data, "source", "")),
                sc.AUTOGEN_HANDOFF_TARGET: content.safe_text(getattr(data, "target", ""))})
        elif kind == "output" and scope.run is not None:
            scope.run.touch()
            data = getattr(event, "data", None)
            if isinstance(data, list) and data:
                data = data[-1]
            text = data if isinstance(data, str) else getattr(data, "text", None)
            if isinstance(text, str) and type(data).__name__ != "AgentResponseUpdate":
                scope.attrs[_FINAL] = text

    def finish(self, scope: Scope, result: Any) -> None:
        if scope.attrs.get(_PENDING):
            self.stop(scope, STOP_AWAITING_INPUT, f"Waiting for {scope.attrs[_PENDING]} pending request(s)")
        self._end(scope, None)

    def fail(self, scope: Scope, exc: BaseException) -> None:
        if type(exc).__name__ == "WorkflowConvergenceException":
            self.stop(scope, STOP_MAX_TURNS, content.safe_text(exc))
        self._end(scope, exc)

    def abandon(self, scope: Scope) -> None:
        if scope.span is not None:
            scope.span.set_attribute(sc.AUTOGEN_STREAM_ABANDONED, True)
        self.stop(scope, "abandoned", "The app stopped reading the workflow's events")
        self._end(scope, None)

    def stop(self, scope: Scope, category: str, reason: str) -> None:
        scope.attrs[sc.AUTOGEN_RUN_STOP_CATEGORY] = category
        scope.attrs[STOP_DECIDED] = category
        if scope.span is not None:
            scope.span.set_attribute(sc.AUTOGEN_RUN_STOP_REASON, self.t.cap(reason))

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        workflow = scope.attrs.pop(_WORKFLOW, None)
        if _awaiting_span.get(content.safe_text(getattr(workflow, "id", ""))) is scope:
            del _awaiting_span[content.safe_text(getattr(workflow, "id", ""))]
        if scope.owns_run and scope.span is not None:
            self.t.outcome(scope, None, scope.attrs.get(_FINAL))
            if workflow is not None:
                _finished[workflow] = RunRecord(scope.span.get_span_context(), self.t.run_labels(scope))
        if exc is not None and not scope.attrs.get(STOP_DECIDED):
            scope.attrs[sc.AUTOGEN_RUN_STOP_CATEGORY] = STOP_CANCELLED if is_cancellation(exc) else STOP_ERROR
        if scope.span is not None:
            scope.span.set_attribute(sc.AUTOGEN_RUN_STOP_CATEGORY,
                                     scope.attrs.setdefault(sc.AUTOGEN_RUN_STOP_CATEGORY, stop_category(None)))
        self._record_and_close(scope, exc, self.t.instruments.workflow_duration, self.t.run_labels(scope))


class ExecutorHooks(SpanHooks):
    site = "agent framework executor"

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        _current, run = self.t.registry.current()
        if run is None or not is_user_executor(instance):
            return None
        executor_id = content.safe_text(getattr(instance, "id", None) or type(instance).__name__)
        attrs = {sc.AUTOGEN_EXECUTOR_ID: executor_id, sc.AUTOGEN_EXECUTOR_TYPE: type(instance).__name__}
        scope = self.t.open("executor", f"{sc.OP_EXECUTOR} {executor_id}", SpanKind.INTERNAL, attrs,
                            owner=instance, name=executor_id)
        run.touch()
        return scope

    def finish(self, scope: Scope, result: Any) -> None:
        self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        if scope.run is not None:
            scope.run.touch()
        self.t.close(scope, exc)


def _framework_opens_run_span() -> bool:
    module = sys.modules.get("agent_framework._workflows._workflow")
    return any(hasattr(getattr(module, name, None), "__wrapped__") for name in SPAN_FUNCTIONS)


def run_span_wrapper(telemetry: Any) -> Any:
    """Agent Framework's own workflow run span, once it opens it: the waiting run's scope takes it."""

    def take(name: Any, attributes: Any, span: Any) -> None:
        if name not in _RUN_SPANS or not isinstance(attributes, Mapping):
            return
        scope = _awaiting_span.pop(content.safe_text(attributes.get("workflow.id", "")), None)
        if scope is not None:
            telemetry.take_span(scope, span)

    @contextlib.contextmanager
    def entered(manager: Any, name: Any, attributes: Any) -> Iterator[Any]:
        with manager as span:
            safely("agent framework workflow span", take, name, attributes, span)
            yield span

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        name, attributes = call_arg(args, kwargs, 0, "name"), call_arg(args, kwargs, 1, "attributes")
        if name not in _RUN_SPANS:
            return result
        if wrapped.__name__ == "create_workflow_span":
            return entered(result, name, attributes)
        safely("agent framework workflow span", take, name, attributes, result)
        return result

    return wrapper


def round_limit_wrapper(telemetry: Any) -> Any:
    """A group chat (or Magentic) orchestrator that hit ``max_rounds``: the run stops at its limit."""

    def note(instance: Any) -> None:
        telemetry.stop_run(telemetry.registry.current()[1], STOP_MAX_TURNS,
                           f"Maximum rounds ({getattr(instance, '_max_rounds', '?')}) reached")

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        reached = wrapped(*args, **kwargs)
        if reached is True:
            safely("agent framework round limit", note, instance)
        return reached

    return wrapper


def run_result_wrapper(telemetry: Any) -> Any:
    """``Workflow.run``: the result the app gets (``WorkflowRunResult``) belongs to the run that just
    ended, for ``record_evaluation(result, ...)``."""

    def remember(workflow: Any, result: Any) -> None:
        record = _finished.pop(workflow, None)
        if record is not None:
            telemetry.evaluations.finished.remember(result, record)

    async def awaited(workflow: Any, awaitable: Any) -> Any:
        result = await awaitable
        safely("agent framework workflow result", remember, workflow, result)
        return result

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        if hasattr(result, "with_result_hook"):
            def hook(final: Any) -> None:
                safely("agent framework workflow result", remember, instance, final)

            return result.with_result_hook(hook)
        if hasattr(result, "__await__"):
            return Awaiting(awaited(instance, result), result, wrapped)
        return result

    return wrapper
