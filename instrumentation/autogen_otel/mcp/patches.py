"""The MCP patches, built once the app imports the SDK's session or server module."""

from __future__ import annotations

from ..core.families import AttributePatch, PatchGroup
from .telemetry import McpTelemetry


def client(telemetry: McpTelemetry) -> AttributePatch:
    from mcp.shared.session import BaseSession

    from .client import send_request_wrapper

    # Every request a session sends: the client's, and the requests a server sends its client. The
    # base alone: a subclass overriding it calls it, and would get a second span for one request.
    return AttributePatch(BaseSession, "send_request", send_request_wrapper(telemetry))


def server(telemetry: McpTelemetry) -> PatchGroup:
    from mcp.server.lowlevel.server import Server
    from mcp.shared.session import RequestResponder

    from .server import handle_request_wrapper, respond_wrapper

    return PatchGroup([
        AttributePatch(Server, "_handle_request", handle_request_wrapper(telemetry)),
        AttributePatch(RequestResponder, "respond", respond_wrapper(telemetry)),
    ])


def stdio(telemetry: McpTelemetry) -> AttributePatch:
    from mcp.client import stdio as module

    from .transports import stdio_wrapper

    return AttributePatch(module, "stdio_client", stdio_wrapper)


def streamable_http(telemetry: McpTelemetry) -> PatchGroup:
    from mcp.client import streamable_http as module

    from .transports import http_wrapper

    # The current name and the deprecated one (which calls the current one: noted twice, alike).
    return PatchGroup([AttributePatch(module, name, http_wrapper)
                       for name in ("streamable_http_client", "streamablehttp_client")])


def sse(telemetry: McpTelemetry) -> AttributePatch:
    from mcp.client import sse as module

    from .transports import http_wrapper

    return AttributePatch(module, "sse_client", http_wrapper)
