"""An AgentChat agent using the tools of a local MCP server through ``McpWorkbench``. No tracing
code: under ``opentelemetry-instrument`` the agent's ``execute_tool`` span, the MCP request's
CLIENT span and the server's SERVER span (it is started under ``opentelemetry-instrument`` too) are
one trace. Needs ``pip install "autogen-ext[mcp]"`` (mcp 1.x).

    opentelemetry-instrument python examples/mcp_agentchat.py
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from _model import Reply, model_client
from autogen_agentchat.agents import AssistantAgent
from autogen_ext.tools.mcp import McpWorkbench, StdioServerParams

OFFLINE = {
    "You are the guide": [Reply(tool_calls=[("lookup", {"city": "Lisbon"})]),
                          Reply("Lisbon is sunny, 21C: pack light.")],
}


def server_params() -> StdioServerParams:
    """The example server as a subprocess. It inherits this process's environment: run under
    opentelemetry-instrument, so is the server (its PYTHONPATH carries the auto-instrumentation),
    reporting as a service of its own."""
    env = {**os.environ, "OTEL_SERVICE_NAME": "city-facts"}
    return StdioServerParams(command=sys.executable, args=[str(Path(__file__).parent / "mcp_server.py")], env=env)


async def main() -> None:
    client = model_client(OFFLINE)
    async with McpWorkbench(server_params()) as workbench:
        guide = AssistantAgent("guide", model_client=client, workbench=workbench, reflect_on_tool_use=True,
                               system_message="You are the guide. Use the tools to answer.")
        result = await guide.run(task="What should I pack for Lisbon?")
    print(result.messages[-1].to_model_text())
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
