"""The Model Context Protocol SDK 1.x (``mcp``): a span on each side of every request, and the
caller's trace context carried in ``params._meta`` between them (mcp 2.x does both itself)."""

from __future__ import annotations

from ..core.importing import PatchEntry

PATCHES: list[PatchEntry] = [
    ("mcp client requests", "mcp.shared.session", ".patches:client"),
    ("mcp server requests", "mcp.server.lowlevel.server", ".patches:server"),
    ("mcp stdio transport", "mcp.client.stdio", ".patches:stdio"),
    ("mcp streamable HTTP transport", "mcp.client.streamable_http", ".patches:streamable_http"),
    ("mcp SSE transport", "mcp.client.sse", ".patches:sse"),
]
