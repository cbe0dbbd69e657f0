"""The MCP server the MCP tests call (FastMCP): stdio by default, streamable HTTP on loopback with
``http PORT``. No tracing code; the tests run it under opentelemetry-instrument, or plain."""

from __future__ import annotations

import asyncio
import sys

from opentelemetry import trace

port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
try:
    from mcp.server.fastmcp import Context, FastMCP  # mcp 1.x
except ModuleNotFoundError:  # mcp 2.x: FastMCP is MCPServer, host and port go to run()
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("test-tools")
    http: dict = {"host": "127.0.0.1", "port": port}
else:
    server = FastMCP("test-tools", host="127.0.0.1", port=port)
    http = {}

    @server.tool()
    def meta(ctx: Context) -> dict:
        """The request's _meta as the server received it."""
        received = ctx.request_context.meta
        return received.model_dump() if received is not None else {}

tracer = trace.get_tracer("test-tools")


@server.tool()
def lookup(city: str) -> str:
    """Facts about a city."""
    with tracer.start_as_current_span("read city table"):
        return f"{city}: population 2.1M"


@server.tool()
def forecast(city: str, days: int) -> str:
    """Fails beyond 7 days."""
    if days > 7:
        raise ValueError(f"no forecast {days} days ahead for {city}")
    return f"{city}: sunny"


@server.tool()
async def wait(seconds: float) -> str:
    """Answers after a while (concurrent calls overlap)."""
    await asyncio.sleep(seconds)
    return "done"


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"]:
        server.run("streamable-http", **http)
    else:
        server.run("stdio")
