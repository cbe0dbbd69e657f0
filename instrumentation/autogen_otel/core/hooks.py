"""What every kind of span does the same way once its wrapped call ends."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.trace import Span, SpanKind

from . import content
from . import semconv as sc
from .scopes import Scope, Usage
from .telemetry import Telemetry, error_type


def arguments_key(arguments: Any) -> str:
    try:
        return content.to_json(arguments, sort_keys=True)
    except (TypeError, ValueError):
        return content.safe_text(arguments)


class SpanHooks:
    """Base for the per-kind hooks the wrappers call; subclasses write ``start``, ``finish``, ``_end``."""

    site = "span"

    def __init__(self, telemetry: Telemetry) -> None:
        self.t = telemetry

    def item(self, scope: Scope, item: Any) -> None:
        scope.last_item = item

    def fail(self, scope: Scope, exc: BaseException) -> None:
        self._end(scope, exc)

    def abandon(self, scope: Scope) -> None:
        """The consumer stopped iterating (``break``/``aclose``): not an error."""
        if scope.span is not None:
            scope.span.set_attribute(sc.AUTOGEN_STREAM_ABANDONED, True)
        self._end(scope, None)

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        raise NotImplementedError

    def open_agent(self, instance: Any, name: str, description: Any, new_run: bool, *,
                   kind: SpanKind = SpanKind.INTERNAL, extra: dict[str, Any] | None = None,
                   borrow: Span | None = None, provider: str | None = None, spanless: bool = False) -> Scope:
        """An ``invoke_agent`` span for one turn of ``instance`` (``None``: an agent in another
        process's runtime we know only by id), counted as a turn of its run."""
        attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: sc.OP_AGENT, sc.GEN_AI_AGENT_NAME: name}
        if provider:  # the provider of the agent's model (required by the conventions where there is one)
            attrs[sc.GEN_AI_PROVIDER_NAME] = provider
        if instance is not None:
            attrs[sc.GEN_AI_AGENT_ID] = f"{type(instance).__name__}:{name}"
            attrs[sc.AUTOGEN_AGENT_TYPE] = type(instance).__name__
        if description:
            attrs[sc.GEN_AI_AGENT_DESCRIPTION] = self.t.cap(content.safe_text(description))
        if extra:
            attrs.update(extra)
        scope = self.t.open("agent", f"{sc.OP_AGENT} {name}", kind, attrs, owner=instance,
                            name=name, new_run=name if new_run else None, borrow=borrow, spanless=spanless)
        if scope.run is not None:
            scope.run.turns += 1
            scope.run.touch()
        return scope

    def open_tool(self, instance: Any, name: str, tool_type: str, description: Any, call_id: Any,
                  arguments: Any, *, spanless: bool = False, borrow: Span | None = None) -> Scope:
        """An ``execute_tool`` span; the same tool with the same arguments again and again is a loop."""
        attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: sc.OP_TOOL, sc.GEN_AI_TOOL_NAME: name,
                                 sc.GEN_AI_TOOL_TYPE: tool_type}
        if description:
            attrs[sc.GEN_AI_TOOL_DESCRIPTION] = self.t.cap(content.safe_text(description))
        if call_id:
            attrs[sc.GEN_AI_TOOL_CALL_ID] = content.safe_text(call_id)
        scope = self.t.open("tool", f"{sc.OP_TOOL} {name}", SpanKind.INTERNAL, attrs, owner=instance, name=name,
                            spanless=spanless, borrow=borrow)
        if scope.run is not None:
            scope.run.touch()
            detection = scope.run.loops.tool_call(name, arguments_key(arguments))
            if detection is not None:
                self.t.report_loop(scope, detection)
        if self.t.capturing:
            self.t.record_content(scope, {sc.GEN_AI_TOOL_CALL_ARGUMENTS: arguments})
        return scope

    def _record_and_close(self, scope: Scope, exc: BaseException | None, histogram: Any,
                          labels: dict[str, Any]) -> None:
        """Record the span's duration (with ``error.type`` on failure), then end the span.

        Measurements are recorded in the span's own context, so the SDK attaches it as an exemplar
        (trace and span id): a point on a latency or cost graph opens the run that made it."""
        try:
            etype = error_type(exc) if exc is not None else scope.attrs.get(sc.ERROR_TYPE)
            if etype:
                labels[sc.ERROR_TYPE] = etype
            histogram.record(scope.elapsed(), labels, context=scope.context)
        finally:
            self.t.close(scope, exc)


class ChatSpanHooks(SpanHooks):
    """``chat`` spans of any framework: usage, cost, token/duration metrics, time to first chunk."""

    # The framework records token usage and operation duration itself on the spans we borrow.
    framework_metrics = False

    def open_chat(self, span_name: str, attrs: Mapping[str, Any], owner: Any, provider: str, model: str | None,
                  parent: Scope | None = None, borrow: Span | None = None, spanless: bool = False) -> Scope:
        scope = self.t.open("chat", span_name, SpanKind.CLIENT, attrs, owner=owner, name=model or "", parent=parent,
                            borrow=borrow, spanless=spanless)
        scope.attrs[sc.GEN_AI_PROVIDER_NAME] = provider
        scope.attrs[sc.GEN_AI_REQUEST_MODEL] = model or ""
        for key in (sc.SERVER_ADDRESS, sc.SERVER_PORT):  # recommended on the model-call metrics too
            if key in attrs:
                scope.attrs[key] = attrs[key]
        if scope.run is not None:
            scope.run.model_calls += 1
            scope.run.touch()
        return scope

    def item(self, scope: Scope, item: Any) -> None:
        if scope.first_item_at is None:
            scope.first_item_at = time.perf_counter()
        super().item(scope, item)

    def record_response(self, scope: Scope, *, input_tokens: int, output_tokens: int, cached_tokens: int,
                        response_model: str | None, response_id: str | None, finish_reasons: Sequence[str],
                        served_from_cache: bool) -> None:
        """Response attributes, cost (from our price table), the roll-up into agent and run, metrics."""
        span = scope.span
        attrs: dict[str, Any] = {
            sc.GEN_AI_USAGE_INPUT_TOKENS: input_tokens,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: output_tokens,
            sc.GEN_AI_RESPONSE_FINISH_REASONS: list(finish_reasons),
        }
        if cached_tokens:
            attrs[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached_tokens
        if response_model:
            attrs[sc.GEN_AI_RESPONSE_MODEL] = response_model
        if response_id:
            attrs[sc.GEN_AI_RESPONSE_ID] = response_id
        if served_from_cache:
            attrs[sc.AUTOGEN_RESPONSE_CACHED] = True
        scope.attrs[sc.GEN_AI_RESPONSE_MODEL] = response_model or ""

        priced_model = response_model or scope.attrs.get(sc.GEN_AI_REQUEST_MODEL)
        # A response served from the framework's cache cost nothing.
        cost = 0.0 if served_from_cache else self.t.prices.cost(priced_model, input_tokens, output_tokens,
                                                                cached_tokens)
        if cost is not None:
            attrs[sc.AUTOGEN_COST_USD] = round(cost, 8)
        if span is not None:  # one call: each takes the span's lock
            span.set_attributes({k: v for k, v in attrs.items() if k.startswith("autogen.")} if scope.borrowed
                                else attrs)  # a borrowed span has the framework's own response attributes
        self.t.roll_up(scope, Usage(input_tokens, output_tokens, cached_tokens, cost or 0.0, 1 if cost is None else 0))
        if scope.run is not None:
            scope.run.touch()

        labels = self._labels(scope)
        if not (scope.borrowed and self.framework_metrics):
            token_hist = self.t.instruments.token_usage
            token_hist.record(input_tokens, {**labels, sc.GEN_AI_TOKEN_TYPE: sc.TOKEN_TYPE_INPUT},
                              context=scope.context)
            token_hist.record(output_tokens, {**labels, sc.GEN_AI_TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT},
                              context=scope.context)
        if cost:
            self.t.instruments.cost.add(cost, labels, context=scope.context)
        elif cost is None:
            self.t.instruments.unpriced_calls.add(1, labels, context=scope.context)

    def _labels(self, scope: Scope) -> dict[str, str]:
        labels = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT,
            sc.GEN_AI_PROVIDER_NAME: scope.attrs.get(sc.GEN_AI_PROVIDER_NAME, ""),
            sc.GEN_AI_REQUEST_MODEL: scope.attrs.get(sc.GEN_AI_REQUEST_MODEL, ""),
            **self.t.base_labels(scope),
        }
        if scope.attrs.get(sc.GEN_AI_RESPONSE_MODEL):
            labels[sc.GEN_AI_RESPONSE_MODEL] = scope.attrs[sc.GEN_AI_RESPONSE_MODEL]
        for key in (sc.SERVER_ADDRESS, sc.SERVER_PORT):
            if key in scope.attrs:
                labels[key] = scope.attrs[key]
        return labels

    def _end(self, scope: Scope, exc: BaseException | None) -> None:
        try:
            labels = self._labels(scope)
            if exc is not None:
                labels[sc.ERROR_TYPE] = error_type(exc)
            if not (scope.borrowed and self.framework_metrics):
                self.t.instruments.operation_duration.record(scope.elapsed(), labels, context=scope.context)
            if scope.first_item_at is not None and scope.span is not None:
                ttfc = scope.first_item_at - scope.started
                scope.span.set_attribute(sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, ttfc)
                self.t.instruments.time_to_first_chunk.record(ttfc, labels, context=scope.context)
        finally:
            self.t.close(scope, exc)
