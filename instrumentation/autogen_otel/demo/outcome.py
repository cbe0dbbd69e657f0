"""What every demo scenario reports when its run is over."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    messages: int
    reason: str
    last: str
