"""Agent Framework messages (``Message`` with typed ``Content`` items) as semconv messages, and
the usage and finish reason of its responses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..core import content


def _part(item: Any) -> dict[str, Any] | None:
    kind = getattr(item, "type", None)
    if kind == "text":
        return {"type": "text", "content": content.safe_text(getattr(item, "text", ""))}
    if kind == "text_reasoning":
        return {"type": "reasoning", "content": content.safe_text(getattr(item, "text", ""))}
    if kind == "function_call":
        arguments = getattr(item, "arguments", None)
        return {"type": "tool_call", "id": getattr(item, "call_id", None), "name": getattr(item, "name", None),
                "arguments": content.parse_arguments(arguments)}
    if kind == "function_result":
        return {"type": "tool_call_response", "id": getattr(item, "call_id", None),
                "response": getattr(item, "result", None)}
    return None  # usage, images, hosted files...: not message text


def message(msg: Any) -> dict[str, Any]:
    if isinstance(msg, str):
        return {"role": "user", "parts": [{"type": "text", "content": msg}]}
    role = getattr(msg, "role", "user")
    role = content.safe_text(getattr(role, "value", role) or "user")
    parts = [p for p in (_part(c) for c in getattr(msg, "contents", None) or ()) if p is not None]
    converted: dict[str, Any] = {"role": role, "parts": parts}
    author = getattr(msg, "author_name", None)
    if author:
        converted["name"] = content.safe_text(author)
    return converted


def messages(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        value = [value]
    return [message(m) for m in value]


def usage(response: Any) -> tuple[int, int, int]:
    """(input, output, cache-read input) tokens of a ChatResponse / AgentResponse."""
    details = getattr(response, "usage_details", None)
    if not isinstance(details, Mapping):
        return 0, 0, 0

    def count(key: str) -> int:
        value = details.get(key)
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0

    # Cache reads under the name each agent-framework-openai release gives them.
    cached = (count("cache_read_input_token_count") or count("prompt/cached_tokens")
              or count("openai.cached_input_tokens"))
    return count("input_token_count"), count("output_token_count"), cached


def finish_reason(response: Any) -> str | None:
    reason = getattr(response, "finish_reason", None)
    if reason is None:
        reason = getattr(getattr(response, "raw_representation", None), "finish_reason", None)
    reason = getattr(reason, "value", reason)
    return content.safe_text(reason) if reason else None


def text_of(response: Any) -> str:
    text = getattr(response, "text", None)
    return text if isinstance(text, str) else ""
