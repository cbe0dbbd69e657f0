"""Turning AutoGen messages into the semconv message JSON, safely and within a size cap.

Only called when the user opted in to content capture. Anything odd (objects whose
``str()`` raises, cycles, bytes, huge values) degrades to a placeholder instead of raising.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

_MAX_DEPTH = 8
_TRUNCATION_MARK = "...[truncated]"

# Secrets are scrubbed even from opted-in content. Each pattern runs only on text holding one of
# its literal words: scanning kilobytes of conversation three times costs ~200 us otherwise.
_SECRET_PATTERNS = (
    (("sk-",), False, re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"), "[REDACTED]"),
    (("bearer", "basic"), True, re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}"), r"\1 [REDACTED]"),
    (("api", "authorization", "password", "secret"), True,
     re.compile(r"(?i)((?:api[_-]?key|authorization|x-api-key|password|secret)[\"']?\s*[:=]\s*[\"']?)"
                r"[^\s\"',}]+"), r"\1[REDACTED]"),
)


def scrub(text: str) -> str:
    lower = text.lower()
    for words, folded, pattern, replacement in _SECRET_PATTERNS:
        haystack = lower if folded else text
        if any(word in haystack for word in words):
            text = pattern.sub(replacement, text)
            lower = text.lower()
    return text


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    keep = max(0, limit - len(_TRUNCATION_MARK))
    return text[:keep] + _TRUNCATION_MARK


def safe_text(value: Any) -> str:
    """``str(value)`` that never raises and never returns raw bytes."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    try:
        return str(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"


def to_jsonable(value: Any, _depth: int = 0, _seen: frozenset[int] = frozenset()) -> Any:
    """A JSON-safe copy of ``value``: bounded depth, cycles cut, unknown objects as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if _depth >= _MAX_DEPTH or id(value) in _seen:
        return "<...>"
    seen = _seen | {id(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return safe_text(value)
    if isinstance(value, Mapping):
        try:
            items = list(value.items())
        except Exception:
            return safe_text(value)
        return {safe_text(k): to_jsonable(v, _depth + 1, seen) for k, v in items}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v, _depth + 1, seen) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        try:
            return to_jsonable(dump(), _depth + 1, seen)
        except Exception:
            pass
    if type(value).__name__ == "Image":
        return "<image>"
    return safe_text(value)


def _json_default(value: Any) -> Any:
    """What ``json.dumps`` cannot encode itself, as ``to_jsonable`` would have it."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return safe_text(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return dump()
    if type(value).__name__ == "Image":
        return "<image>"
    return safe_text(value)


def to_json(value: Any, sort_keys: bool = False) -> str:
    """JSON text of ``value``: the C encoder first; values it refuses (cycles, non-text keys,
    a raising ``model_dump``, extreme depth) go through ``to_jsonable``."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys,
                          default=_json_default)
    except Exception:
        return json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)


def dumps(value: Any, limit: int) -> str:
    return truncate(scrub(to_json(value)), limit)


def parse_arguments(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return arguments


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    if isinstance(content, Iterable):
        for item in content:
            parts.extend(_item_part(item))
    else:
        parts.append({"type": "text", "content": safe_text(content)})
    return parts


def _item_part(item: Any) -> list[dict[str, Any]]:
    kind = type(item).__name__
    if isinstance(item, str):
        return [{"type": "text", "content": item}]
    if kind == "FunctionCall":
        return [{"type": "tool_call", "id": getattr(item, "id", None), "name": getattr(item, "name", None),
                 "arguments": parse_arguments(getattr(item, "arguments", None))}]
    if kind == "FunctionExecutionResult":
        return [{"type": "tool_call_response", "id": getattr(item, "call_id", None),
                 "response": getattr(item, "content", None)}]
    if kind == "Image":
        return [{"type": "blob", "modality": "image"}]
    return [{"type": "text", "content": safe_text(item)}]


_ROLES = {
    "SystemMessage": "system",
    "UserMessage": "user",
    "AssistantMessage": "assistant",
    "FunctionExecutionResultMessage": "tool",
}


def llm_message(message: Any) -> dict[str, Any]:
    kind = type(message).__name__
    role = _ROLES.get(kind, "user")
    parts: list[dict[str, Any]] = []
    thought = getattr(message, "thought", None)
    if thought:
        parts.append({"type": "reasoning", "content": safe_text(thought)})
    parts.extend(_content_parts(getattr(message, "content", message)))
    return {"role": role, "parts": parts}


def input_messages(messages: Sequence[Any], convert: Callable[[Any], dict[str, Any]] | None = None,
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split model-call messages into (system instructions parts, non-system messages), each
    converted by ``convert`` (default: AgentChat's LLM messages; AG2 passes ``openai_message``)."""
    system: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for message in messages:
        converted = (convert or llm_message)(message)
        if converted["role"] == "system":
            system.extend(converted["parts"])
        else:
            others.append(converted)
    return system, others


def output_message(result: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    thought = getattr(result, "thought", None)
    if thought:
        parts.append({"type": "reasoning", "content": safe_text(thought)})
    parts.extend(_content_parts(getattr(result, "content", "")))
    return [{"role": "assistant", "parts": parts, "finish_reason": safe_text(getattr(result, "finish_reason", ""))}]


def tool_definitions(tools: Sequence[Any]) -> list[dict[str, Any]]:
    definitions = []
    for tool in tools:
        schema = getattr(tool, "schema", tool)
        if isinstance(schema, Mapping):
            definitions.append({"type": "function", "name": schema.get("name"),
                                "description": schema.get("description"),
                                "parameters": schema.get("parameters")})
    return definitions


def chat_message_parts(message: Any) -> dict[str, Any]:
    """An AgentChat message (TextMessage, ToolCallRequestEvent, ...) as a semconv message."""
    source = safe_text(getattr(message, "source", ""))
    role = "user" if source == "user" else "assistant"
    converted = {"role": role, "parts": _content_parts(getattr(message, "content", ""))}
    if source:
        converted["name"] = source
    return converted


def openai_message(message: Any) -> dict[str, Any]:
    """An OpenAI-format message dict (AG2 Classic's chat history) as a semconv message."""
    if not isinstance(message, Mapping):
        return {"role": "user", "parts": _content_parts(message)}
    role = safe_text(message.get("role") or "user")
    parts: list[dict[str, Any]] = []
    if role in ("tool", "function"):
        parts.append({"type": "tool_call_response", "id": message.get("tool_call_id"),
                      "response": message.get("content")})
    elif message.get("content") is not None:
        parts.extend(_content_parts(message.get("content")))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {} if isinstance(call, Mapping) else {}
        parts.append({"type": "tool_call", "id": call.get("id") if isinstance(call, Mapping) else None,
                      "name": function.get("name"), "arguments": parse_arguments(function.get("arguments"))})
    for response in message.get("tool_responses") or ():
        if isinstance(response, Mapping):
            parts.append({"type": "tool_call_response", "id": response.get("tool_call_id"),
                          "response": response.get("content")})
    converted: dict[str, Any] = {"role": "tool" if role == "function" else role, "parts": parts}
    if message.get("name"):
        converted["name"] = safe_text(message["name"])
    return converted
