"""AG2 Classic agents using the tools of a local MCP server through ``autogen.mcp.create_toolkit``.
No tracing code: under ``opentelemetry-instrument`` the agent's ``execute_tool`` span, the MCP
request's CLIENT span and the server's SERVER span are one trace. Needs ``pip install "autogen[mcp]"``
(mcp 1.x).

    opentelemetry-instrument python examples/mcp_ag2.py
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import autogen
from _model import Reply, llm_config
from autogen.mcp import create_toolkit
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

OFFLINE = {
    "You plan trips": [Reply(tool_calls=[("lookup", {"city": "Porto"})]),
                       Reply("Porto is sunny, 21C: go. TERMINATE")],
}


def server_params() -> StdioServerParameters:
    """The example server as a subprocess. It inherits this process's environment: run under
    opentelemetry-instrument, so is the server, reporting as a service of its own."""
    env = {**os.environ, "OTEL_SERVICE_NAME": "city-facts"}
    return StdioServerParameters(command=sys.executable, args=[str(Path(__file__).parent / "mcp_server.py")],
                                 env=env)


async def main() -> None:
    planner = autogen.AssistantAgent("planner", llm_config=llm_config(OFFLINE),
                                     system_message="You plan trips. Use the tools, then say TERMINATE.")
    traveller = autogen.UserProxyAgent("traveller", human_input_mode="NEVER", code_execution_config=False,
                                       max_consecutive_auto_reply=4,
                                       is_termination_msg=lambda m: "TERMINATE" in (m.get("content") or ""))
    async with stdio_client(server_params()) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        toolkit = await create_toolkit(session=session)
        toolkit.register_for_llm(planner)
        toolkit.register_for_execution(traveller)
        result = await traveller.a_initiate_chat(planner, message="Is Porto good for a weekend?")
    print(result.summary.strip())


if __name__ == "__main__":
    asyncio.run(main())
