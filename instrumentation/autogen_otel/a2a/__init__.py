"""The Agent2Agent protocol through a2a-sdk 1.x (``a2a``): a span on each side of every request,
the caller's trace context carried in the request's headers, a2a-sdk's own per-method spans folded."""

from __future__ import annotations

from ..core.importing import PatchEntry

PATCHES: list[PatchEntry] = [
    ("a2a client calls", "a2a.client.base_client", ".patches:client"),
    ("a2a server requests", "a2a.server.request_handlers.request_handler", ".patches:server"),
    ("a2a-sdk spans", "a2a.utils.telemetry", ".patches:sdk_spans"),
]
