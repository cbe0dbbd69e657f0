"""``WaterfallExporter``: a span exporter for the terminal. As spans end it prints the
conversation (``transcript``: who said what, tool calls and results, tokens, cost); when a run's
root span ends, the run as a tree with duration bars, tokens, cost and errors -- the waterfall.

Add it to any app: ``provider.add_span_processor(SimpleSpanProcessor(WaterfallExporter()))``.
``transcript``: ``"line"`` (one line per message, capped), ``"full"`` or ``"off"``; default from
``AUTOGEN_OTEL_TRANSCRIPT``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from typing import TextIO

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

from .core import semconv as sc
from .transcript import Transcript, mode_from_env

logger = logging.getLogger(__name__)

_MAX_PENDING_TRACES = 256
_MAX_SPANS_PER_TRACE = 5000
_LABELS = {sc.OP_WORKFLOW: "team", sc.OP_AGENT: "agent", sc.OP_CHAT: "chat", sc.OP_TOOL: "tool"}
_COLORS = {"team": "\033[1;35m", "agent": "\033[32m", "chat": "\033[36m", "tool": "\033[33m"}
_RED, _DIM, _RESET = "\033[31m", "\033[2m", "\033[0m"


def _tokens(n: int) -> str:
    return f"{n / 1000:.1f}k" if n >= 10000 else str(n)


def _duration(ns: int) -> str:
    seconds = ns / 1e9
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"


class WaterfallExporter(SpanExporter):
    def __init__(self, out: TextIO | None = None, width: int = 80, color: bool | None = None,
                 transcript: str | None = None) -> None:
        self._out = out or sys.stdout
        self.width = max(60, width)
        self.color = color if color is not None else bool(getattr(self._out, "isatty", lambda: False)())
        if transcript is None:
            transcript, problem = mode_from_env()
            if problem:
                logger.warning("autogen-otel: %s", problem)
        self.transcript = Transcript(transcript, self.color)
        self._pending: OrderedDict[int, list[ReadableSpan]] = OrderedDict()
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        text: list[str] = []
        with self._lock:  # also keeps concurrent runs' lines whole and in order
            for span in spans:
                line = self.transcript.line(span)
                if line:
                    text.append(line)
                trace_id = span.context.trace_id
                bucket = self._pending.setdefault(trace_id, [])
                if len(bucket) < _MAX_SPANS_PER_TRACE:
                    bucket.append(span)
                if span.parent is None:
                    text.append(self.render(self._pending.pop(trace_id)))
                    self.transcript.forget(trace_id)
            while len(self._pending) > _MAX_PENDING_TRACES:
                self.transcript.forget(self._pending.popitem(last=False)[0])
            if text:
                self._out.write("".join(text))
                self._out.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._pending.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    # --- rendering ---
    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color and code else text

    def render(self, spans: Sequence[ReadableSpan]) -> str:
        ordered = sorted(spans, key=lambda s: s.start_time or 0)
        root = next((s for s in ordered if s.parent is None), ordered[0])
        ids = {s.context.span_id for s in ordered}
        children: dict[int | None, list[ReadableSpan]] = defaultdict(list)
        for span in ordered:
            parent = span.parent.span_id if span.parent is not None and span.parent.span_id in ids else None
            children[None if span is root else (parent or root.context.span_id)].append(span)
        start = root.start_time or 0
        total = max((root.end_time or start) - start, 1)

        label_w = 30
        bar_w = max(10, self.width - label_w - 8 - 24)
        lines = [self._header(root, len(ordered))]

        def walk(span: ReadableSpan, depth: int) -> None:
            lines.append(self._line(span, depth, start, total, label_w, bar_w))
            for child in children.get(span.context.span_id, []):
                walk(child, depth + 1)

        walk(root, 0)
        return "\n".join(lines) + "\n\n"

    def _header(self, root: ReadableSpan, count: int) -> str:
        a = root.attributes or {}
        parts = [f"trace {root.context.trace_id:032x}", _duration((root.end_time or 0) - (root.start_time or 0)),
                 f"{count} spans"]
        if sc.GEN_AI_USAGE_INPUT_TOKENS in a:
            parts.append(f"tokens {a[sc.GEN_AI_USAGE_INPUT_TOKENS]} in / {a.get(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 0)} out")
        if sc.AUTOGEN_COST_USD in a:
            parts.append(f"${a[sc.AUTOGEN_COST_USD]:.6f}")
        if sc.AUTOGEN_RUN_STOP_CATEGORY in a:
            parts.append(f"stop: {a[sc.AUTOGEN_RUN_STOP_CATEGORY]}")
        return self._paint(" · ".join(parts), _DIM)

    def _line(self, span: ReadableSpan, depth: int, start: int, total: int, label_w: int, bar_w: int) -> str:
        a = span.attributes or {}
        operation = str(a.get(sc.GEN_AI_OPERATION_NAME, ""))
        kind = _LABELS.get(operation, "")
        subject = span.name.split(" ", 1)[1] if kind and " " in span.name else span.name
        label = ("  " * depth + (f"{kind} {subject}" if kind else subject))[:label_w].ljust(label_w)

        begin = (span.start_time or start) - start
        length = max((span.end_time or span.start_time or start) - (span.start_time or start), 0)
        offset = min(bar_w - 1, int(begin / total * bar_w))
        size = max(1, min(bar_w - offset, round(length / total * bar_w)))
        bar = " " * offset + "█" * size + " " * (bar_w - offset - size)

        details: list[str] = []
        if sc.GEN_AI_USAGE_INPUT_TOKENS in a and kind == "chat":
            details.append(f"{_tokens(int(a[sc.GEN_AI_USAGE_INPUT_TOKENS]))}→"
                           f"{_tokens(int(a.get(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 0)))}")
        if sc.AUTOGEN_COST_USD in a and kind == "chat":
            details.append(f"${a[sc.AUTOGEN_COST_USD]:.5f}")
        failed = span.status.status_code is StatusCode.ERROR
        if failed:
            details.append(f"✗ {a.get(sc.ERROR_TYPE, 'error')}")
        detail = " ".join(details)[:22]
        code = _RED if failed else _COLORS.get(kind, "")
        line = f"{self._paint(label, code)} {bar} {_duration(length):>7} {self._paint(detail, _RED if failed else '')}"
        return line.rstrip()
