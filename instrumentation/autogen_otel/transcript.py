"""The conversation as it happens, for the terminal: one line (or block) per model call and tool
call as its span ends -- who spoke, what was said and thought, which tools were called with what
and what came back, the model, tokens and cost. Content shows only where it was captured; without
it, speakers, tools, timings and costs, and one line per run saying how to turn content on."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from .core import semconv as sc
from .core.config import ENV_CAPTURE_CONTENT

ENV_TRANSCRIPT = "AUTOGEN_OTEL_TRANSCRIPT"
MODES = ("line", "full", "off")  # one line per message (capped), whole messages, no transcript
_LINE_CAP = 160
_DIM, _BOLD, _RED, _CYAN, _YELLOW, _RESET = "\033[2m", "\033[1m", "\033[31m", "\033[36m", "\033[33m", "\033[0m"
NO_CONTENT_HINT = (f"(what the agents say is not captured: set {ENV_CAPTURE_CONTENT}=true to see it here; "
                   "speakers, tools, tokens and cost below)")


def mode_from_env() -> tuple[str, str | None]:
    """The transcript mode from ``AUTOGEN_OTEL_TRANSCRIPT`` and, for a value we do not know, the
    problem to report (the default is used then)."""
    raw = (os.environ.get(ENV_TRANSCRIPT) or "line").strip().lower()
    if raw in MODES:
        return raw, None
    return "line", f"{ENV_TRANSCRIPT}={raw!r} is not one of {', '.join(MODES)}; using 'line'"


def _parts(value: Any) -> list[dict[str, Any]]:
    """The parts of every message in a ``gen_ai.*.messages`` attribute (JSON text)."""
    try:
        messages = json.loads(value) if isinstance(value, str) else []
    except ValueError:
        return [{"type": "text", "content": str(value)}]  # capped mid-JSON: show what is there
    parts: list[dict[str, Any]] = []
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict):
            parts.extend(p for p in message.get("parts") or () if isinstance(p, dict))
    return parts


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Transcript:
    """Renders the transcript lines of finished spans (``line(span)``), tracking per trace whether
    the content hint was given."""

    def __init__(self, mode: str = "line", color: bool = False) -> None:
        if mode not in MODES:
            raise ValueError(f"transcript mode {mode!r}: accepted {', '.join(MODES)}")
        self.mode, self.color = mode, color
        self._hinted: set[int] = set()

    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color and code else text

    def _text(self, text: str) -> str:
        if self.mode == "full":
            return text
        flat = " ⏎ ".join(line.strip() for line in text.splitlines() if line.strip())
        return flat if len(flat) <= _LINE_CAP else flat[:_LINE_CAP - 1] + "…"

    def forget(self, trace_id: int) -> None:
        self._hinted.discard(trace_id)

    def line(self, span: ReadableSpan) -> str | None:
        """The transcript text for this finished span (newline-terminated), or None."""
        if self.mode == "off":
            return None
        attributes = span.attributes or {}
        operation = attributes.get(sc.GEN_AI_OPERATION_NAME)
        if operation == sc.OP_CHAT:
            body = self._chat(span, attributes)
        elif operation == sc.OP_TOOL and sc.MCP_METHOD_NAME not in attributes:
            body = self._tool(span, attributes)
        else:
            return None
        trace_id = span.context.trace_id
        stamp = time.strftime("%H:%M:%S", time.localtime((span.end_time or 0) / 1e9))
        prefix = self._paint(f"{stamp} [{trace_id:032x}"[:18] + "]", _DIM)
        lines = [f"{prefix} {line}" if i == 0 else f"{' ' * 18} {line}" for i, line in enumerate(body)]
        captured = any(k in attributes for k in (sc.GEN_AI_OUTPUT_MESSAGES, sc.GEN_AI_TOOL_CALL_ARGUMENTS,
                                                 sc.GEN_AI_TOOL_CALL_RESULT))
        if not captured and trace_id not in self._hinted:
            self._hinted.add(trace_id)
            lines.insert(0, f"{prefix} {self._paint(NO_CONTENT_HINT, _DIM)}")
        return "\n".join(lines) + "\n"

    def _speaker(self, attributes: Any) -> str:
        return self._paint(str(attributes.get(sc.GEN_AI_AGENT_NAME) or "model"), _BOLD)

    def _usage(self, span: ReadableSpan, attributes: Any) -> str:
        model = attributes.get(sc.GEN_AI_RESPONSE_MODEL) or attributes.get(sc.GEN_AI_REQUEST_MODEL) or "?"
        details = [str(model)]
        if sc.GEN_AI_USAGE_INPUT_TOKENS in attributes:
            details.append(f"{attributes[sc.GEN_AI_USAGE_INPUT_TOKENS]}→"
                           f"{attributes.get(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 0)} tok")
        if sc.AUTOGEN_COST_USD in attributes:
            details.append(f"${float(attributes[sc.AUTOGEN_COST_USD]):.6f}")
        details.append(_seconds(span))
        return self._paint("· " + " ".join(details), _DIM)

    def _chat(self, span: ReadableSpan, attributes: Any) -> list[str]:
        speaker, usage = self._speaker(attributes), self._usage(span, attributes)
        if span.status.status_code is StatusCode.ERROR:
            failed = self._paint(f"✗ model call failed: {attributes.get(sc.ERROR_TYPE, 'error')}", _RED)
            return [f"{speaker} {failed} {usage}"]
        parts = _parts(attributes.get(sc.GEN_AI_OUTPUT_MESSAGES))
        said = [str(p.get("content", "")) for p in parts if p.get("type") == "text" and p.get("content")]
        thought = [str(p.get("content", "")) for p in parts if p.get("type") == "reasoning" and p.get("content")]
        calls = [p for p in parts if p.get("type") == "tool_call"]
        lines = [f"{speaker}: {self._text(' '.join(said))} {usage}" if said else f"{speaker} {usage}"]
        lines += [self._paint(f"  thinking: {self._text(t)}", _DIM) for t in thought]
        for call in calls:
            arguments = _compact(call.get("arguments", ""))
            lines.append(self._paint(f"  → calls {call.get('name', '?')}({self._text(arguments)})", _YELLOW))
        if not parts and "tool_calls" in (attributes.get(sc.GEN_AI_RESPONSE_FINISH_REASONS) or ()):
            lines.append(self._paint("  → calls tools", _YELLOW))
        return lines

    def _tool(self, span: ReadableSpan, attributes: Any) -> list[str]:
        name = str(attributes.get(sc.GEN_AI_TOOL_NAME, span.name))
        arguments = attributes.get(sc.GEN_AI_TOOL_CALL_ARGUMENTS)
        call = f"{name}({self._text(str(arguments))})" if arguments is not None else name
        head = f"{self._speaker(attributes)} {self._paint('⚙ ' + call, _CYAN)}"
        result = attributes.get(sc.GEN_AI_TOOL_CALL_RESULT)
        if span.status.status_code is StatusCode.ERROR:
            error = str(attributes.get(sc.ERROR_TYPE, "error"))
            outcome = self._paint(f"✗ {error}" + (f": {self._text(str(result))}" if result is not None else ""), _RED)
        else:
            outcome = f"→ {self._text(str(result))}" if result is not None else ""
        return [" ".join(x for x in (head, outcome, self._paint("· " + _seconds(span), _DIM)) if x)]


def _seconds(span: ReadableSpan) -> str:
    seconds = max((span.end_time or 0) - (span.start_time or 0), 0) / 1e9
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"
