"""A small MCP server (FastMCP, stdio) with two tools, for the MCP examples. No tracing code: run
under ``opentelemetry-instrument`` it continues the calling agent's trace.

    opentelemetry-instrument python examples/mcp_server.py
"""

from __future__ import annotations

from mcp.server.fastmcp import FastMCP
from opentelemetry import trace

server = FastMCP("city-facts")
tracer = trace.get_tracer("city-facts")


@server.tool()
def lookup(city: str) -> str:
    """Population and weather of a city."""
    # The tool's own work, here one span of the app's: under the server's span, in the agent's trace.
    with tracer.start_as_current_span("read city table"):
        return f"{city}: population 2.1M, sunny and 21C"


@server.tool()
def forecast(city: str, days: int) -> str:
    """A forecast: only up to 7 days ahead."""
    if days > 7:
        raise ValueError(f"no forecast {days} days ahead for {city}")
    return f"{city}: sunny for {days} days"


if __name__ == "__main__":
    server.run()  # stdio
