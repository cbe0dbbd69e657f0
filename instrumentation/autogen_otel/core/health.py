"""Run health: stop-reason categories and loop detection.

Everything here yields low-cardinality values fit for metric labels; message text is only
ever hashed, never stored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

STOP_COMPLETED = "completed"
STOP_ERROR = "error"
STOP_CANCELLED = "cancelled"
STOP_OTHER = "other"
STOP_BUDGET = "budget"
STOP_MAX_TURNS = "max_turns"
# The run handed control back to the app until a person answers (an Agent Framework request_info or
# tool approval); the run that carries the answer continues the same conversation.
STOP_AWAITING_INPUT = "awaiting_input"

# Matched against the stop reason AgentChat's termination conditions write, and the termination
# reasons of AG2 Classic (max_turns, max_round and max_consecutive_auto_reply are turn limits;
# is_termination_msg is the text-mention check).
_STOP_CATEGORIES = (
    (re.compile(r"Maximum number of messages", re.I), "max_messages"),
    (re.compile(r"Maximum number of turns|Maximum (turns|rounds) \(|consecutive auto-replies", re.I), "max_turns"),
    (re.compile(r"budget", re.I), "budget"),
    (re.compile(r"Token usage", re.I), "token_limit"),
    (re.compile(r"Text '.*' mentioned", re.I | re.S), "text_mention"),
    (re.compile(r"Handoff to", re.I), "handoff"),
    (re.compile(r"Timeout of", re.I), "timeout"),
    (re.compile(r"External termination", re.I), "external"),
    (re.compile(r"Function '.*' was executed", re.I | re.S), "function_call"),
    (re.compile(r"answered|Text message received", re.I), "source_match"),
    (re.compile(r"Stop message received", re.I), "stop_message"),
    (re.compile(r"Termination message condition", re.I), "text_mention"),
    (re.compile(r"User requested to end", re.I), "external"),
    (re.compile(r"No reply generated", re.I), STOP_COMPLETED),
    (re.compile(r"complete", re.I), STOP_COMPLETED),
)

STOP_CATEGORIES = tuple(sorted({c for _, c in _STOP_CATEGORIES}
                              | {STOP_ERROR, STOP_CANCELLED, STOP_OTHER, STOP_AWAITING_INPUT}))


def stop_category(stop_reason: str | None) -> str:
    """Bounded category for a termination condition's free-text stop reason."""
    if not stop_reason:
        return STOP_COMPLETED
    for pattern, category in _STOP_CATEGORIES:
        if pattern.search(stop_reason):
            return category
    return STOP_OTHER


def fingerprint(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update(part.encode("utf-8", errors="replace"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(frozen=True)
class LoopDetection:
    kind: str  # "message" or "tool"
    subject: str  # agent or tool name
    repeats: int


@dataclass
class LoopDetector:
    """Counts identical (agent, message) and (tool, arguments) pairs within one run.

    Reports once per pair, when it has been seen ``threshold`` times.
    """

    threshold: int
    _counts: dict[str, int] = field(default_factory=dict)

    def _see(self, kind: str, subject: str, payload: str) -> LoopDetection | None:
        key = fingerprint(kind, subject, payload)
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        if count == self.threshold:
            return LoopDetection(kind, subject, count)
        return None

    def message(self, agent: str, text: str) -> LoopDetection | None:
        return self._see("message", agent, text.strip())

    def tool_call(self, tool: str, arguments: str) -> LoopDetection | None:
        return self._see("tool", tool, arguments)
