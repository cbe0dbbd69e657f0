"""The semantic-convention definitions (v1.41.1, and the draft GenAI names we follow) that what we
emit must meet, as data, and a check of finished spans and metrics against them. The test suite
runs it on everything every test produces, so a regression in a name, kind, unit or required
attribute fails CI."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opentelemetry.trace import SpanKind, StatusCode

from . import semconv as sc

# operation -> (span kinds allowed, attributes every such span carries)
SPANS: dict[str, tuple[frozenset[SpanKind], frozenset[str]]] = {
    sc.OP_CHAT: (frozenset({SpanKind.CLIENT}), frozenset({sc.GEN_AI_OPERATION_NAME, sc.GEN_AI_PROVIDER_NAME})),
    # CLIENT for an agent in another process's runtime
    sc.OP_AGENT: (frozenset({SpanKind.INTERNAL, SpanKind.CLIENT}), frozenset({sc.GEN_AI_OPERATION_NAME,
                                                                               sc.GEN_AI_AGENT_NAME})),
    sc.OP_TOOL: (frozenset({SpanKind.INTERNAL}), frozenset({sc.GEN_AI_OPERATION_NAME, sc.GEN_AI_TOOL_NAME})),
    sc.OP_WORKFLOW: (frozenset({SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.SERVER, SpanKind.PRODUCER,
                                SpanKind.CONSUMER}), frozenset({sc.GEN_AI_OPERATION_NAME, sc.GEN_AI_WORKFLOW_NAME})),
    sc.OP_EVALUATION: (frozenset({SpanKind.INTERNAL}), frozenset({sc.GEN_AI_OPERATION_NAME,
                                                                   sc.GEN_AI_EVALUATION_NAME})),
}
# A protocol request's span, picked by the attribute naming its method: named after the method, a
# CLIENT or SERVER span (an MCP tools/call one also says gen_ai.operation.name execute_tool).
PROTOCOL_SPANS: dict[str, tuple[frozenset[SpanKind], frozenset[str]]] = {
    sc.MCP_METHOD_NAME: (frozenset({SpanKind.CLIENT, SpanKind.SERVER}), frozenset({sc.MCP_METHOD_NAME})),
    sc.A2A_METHOD_NAME: (frozenset({SpanKind.CLIENT, SpanKind.SERVER}), frozenset({sc.A2A_METHOD_NAME})),
}
# event name -> attributes it carries
EVENTS: dict[str, frozenset[str]] = {
    sc.EVENT_INFERENCE_DETAILS: frozenset({sc.GEN_AI_OPERATION_NAME}),
    sc.EVENT_EVALUATION_RESULT: frozenset({sc.GEN_AI_EVALUATION_NAME}),
    sc.EXCEPTION_EVENT: frozenset({sc.EXCEPTION_TYPE}),
}
DEPRECATED = frozenset({"gen_ai.system", "exception.escaped", "gen_ai.usage.prompt_tokens",
                        "gen_ai.usage.completion_tokens"})
# metric -> (instrument data type, unit)
METRICS: dict[str, tuple[str, str]] = {
    sc.METRIC_TOKEN_USAGE: ("histogram", "{token}"),
    sc.METRIC_OPERATION_DURATION: ("histogram", "s"),
    sc.METRIC_TIME_TO_FIRST_CHUNK: ("histogram", "s"),
    sc.METRIC_WORKFLOW_DURATION: ("histogram", "s"),
    sc.METRIC_AGENT_DURATION: ("histogram", "s"),
    sc.METRIC_TOOL_DURATION: ("histogram", "s"),
    sc.METRIC_COST: ("sum", "{USD}"),
    sc.METRIC_UNPRICED_CALLS: ("sum", "{call}"),
    sc.METRIC_RUN_TURNS: ("histogram", "{turn}"),
    sc.METRIC_RUN_MESSAGES: ("histogram", "{message}"),
    sc.METRIC_RUN_COST: ("histogram", "{USD}"),
    sc.METRIC_RUN_ACTIVE: ("sum", "{run}"),
    sc.METRIC_RUNS_ACTIVE: ("sum", "{run}"),
    sc.METRIC_RUNS: ("sum", "{run}"),
    sc.METRIC_LOOPS: ("sum", "{detection}"),
    sc.METRIC_EVALUATIONS: ("sum", "{evaluation}"),
    sc.METRIC_EVALUATION_SCORE: ("histogram", "{score}"),
    sc.METRIC_LAST_MODEL_CALL: ("gauge", "s"),
    sc.METRIC_ACTIVE_RUN_COST: ("gauge", "{USD}"),
    sc.METRIC_TURN_LIMIT_USAGE: ("gauge", "1"),
    sc.METRIC_MCP_CLIENT_DURATION: ("histogram", "s"),
    sc.METRIC_MCP_SERVER_DURATION: ("histogram", "s"),
    sc.METRIC_A2A_CLIENT_DURATION: ("histogram", "s"),
    sc.METRIC_A2A_SERVER_DURATION: ("histogram", "s"),
}
# Metric attributes that must stay bounded: never these.
UNBOUNDED = frozenset({sc.GEN_AI_CONVERSATION_ID, sc.GEN_AI_RESPONSE_ID, sc.GEN_AI_TOOL_CALL_ID,
                       sc.GEN_AI_INPUT_MESSAGES, sc.GEN_AI_OUTPUT_MESSAGES, sc.MCP_SESSION_ID,
                       sc.JSONRPC_REQUEST_ID, sc.A2A_TASK_ID, sc.A2A_MESSAGE_ID, sc.GEN_AI_TOOL_CALL_ARGUMENTS,
                       sc.GEN_AI_TOOL_CALL_RESULT})


def _rule(attributes: dict[str, Any]) -> tuple[str, tuple[frozenset[SpanKind], frozenset[str]]] | None:
    """The name a span must start with and its (kinds, required attributes): a protocol request's
    by its method, else a GenAI operation's."""
    for key, rule in PROTOCOL_SPANS.items():
        method = attributes.get(key)
        if method is not None:
            return str(method), rule
    operation = attributes.get(sc.GEN_AI_OPERATION_NAME)
    if operation in SPANS:
        return str(operation), SPANS[operation]
    return None


def span_violations(spans: Iterable[Any]) -> list[str]:
    """What is wrong with these finished spans (ReadableSpan), by the tables above."""
    problems: list[str] = []
    for span in spans:
        attributes = dict(span.attributes or {})
        where = f"span {span.name!r}"
        rule = _rule(attributes)
        if rule is not None:
            name, (kinds, required) = rule
            if span.kind not in kinds:
                problems.append(f"{where}: kind {span.kind.name}, expected one of {sorted(k.name for k in kinds)}")
            missing = sorted(required - attributes.keys())
            if missing:
                problems.append(f"{where}: missing {missing}")
            if span.name.split(" ", 1)[0] != name:
                problems.append(f"{where}: name does not start with {name!r}")
        for key in sorted(DEPRECATED & attributes.keys()):
            problems.append(f"{where}: deprecated attribute {key}")
        if span.status.status_code is StatusCode.ERROR and sc.ERROR_TYPE not in attributes:
            problems.append(f"{where}: ERROR status without {sc.ERROR_TYPE}")
        for event in span.events:
            event_attributes = dict(event.attributes or {})
            missing = sorted(EVENTS.get(event.name, frozenset()) - event_attributes.keys())
            if missing:
                problems.append(f"{where}: event {event.name!r} missing {missing}")
            for key in sorted(DEPRECATED & event_attributes.keys()):
                problems.append(f"{where}: event {event.name!r} has deprecated {key}")
    return problems


def metric_violations(data: Any) -> list[str]:
    """What is wrong with these exported metrics (the SDK's MetricsData), by the tables above."""
    problems: list[str] = []
    for resource_metrics in getattr(data, "resource_metrics", None) or ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind = type(metric.data).__name__.lower()
                expected = METRICS.get(metric.name)
                if expected is None:
                    problems.append(f"metric {metric.name!r} is not in the table of names we emit")
                    continue
                if (kind, metric.unit) != expected:
                    problems.append(f"metric {metric.name!r}: {kind} in {metric.unit!r}, expected {expected}")
                for point in metric.data.data_points:
                    bad = sorted(UNBOUNDED & dict(point.attributes or {}).keys())
                    if bad:
                        problems.append(f"metric {metric.name!r}: unbounded labels {bad}")
    return problems
