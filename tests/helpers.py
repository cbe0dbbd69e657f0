"""Reading spans and metrics back in tests."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from autogen_ext.models.openai import OpenAIChatCompletionClient
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan


def openai_client(server: Any, model: str = "gpt-4o-mini", **kwargs: Any) -> OpenAIChatCompletionClient:
    return OpenAIChatCompletionClient(model=model, base_url=server.base_url, api_key="sk-test-not-a-real-key-123456",
                                      **kwargs)


def ours(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if s.instrumentation_scope and s.instrumentation_scope.name.startswith("autogen_otel")]


def by_name(spans: list[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name.startswith(prefix)]


def traces(spans: list[ReadableSpan]) -> dict[int, list[ReadableSpan]]:
    grouped: dict[int, list[ReadableSpan]] = defaultdict(list)
    for span in spans:
        grouped[span.context.trace_id].append(span)
    return dict(grouped)


def parent_of(span: ReadableSpan, spans: list[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return next((s for s in spans if s.context.span_id == span.parent.span_id), None)


def tree(spans: list[ReadableSpan]) -> list[str]:
    """Indented span names, children in start order: a readable picture of one trace."""
    children: dict[int | None, list[ReadableSpan]] = defaultdict(list)
    ids = {s.context.span_id for s in spans}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        parent = span.parent.span_id if span.parent is not None and span.parent.span_id in ids else None
        children[parent].append(span)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in children.get(parent, []):
            lines.append("  " * depth + child.name)
            walk(child.context.span_id, depth + 1)

    walk(None, 0)
    return lines


def metric_points(reader: InMemoryMetricReader, name: str) -> list[Any]:
    data = reader.get_metrics_data()
    points: list[Any] = []
    if data is None:
        return points
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name == name:
                    points.extend(metric.data.data_points)
    return points
