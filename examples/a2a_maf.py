"""An Agent Framework coordinator delegating to a remote agent over A2A (``A2AAgent`` as its tool);
the remote agent is ``a2a_server.py maf`` (an Agent Framework agent behind ``A2AExecutor``),
started here. No tracing code: under ``opentelemetry-instrument`` the coordinator's run, the A2A
request's CLIENT span and the server's SERVER span with the remote agent's run are one trace.
Needs ``pip install "a2a-sdk[http-server]" agent-framework-a2a --pre``.

    opentelemetry-instrument python examples/a2a_maf.py
"""

from __future__ import annotations

import asyncio

from _a2a import remote_agent
from _model import Reply, maf_chat_client
from agent_framework import Agent
from agent_framework.a2a import A2AAgent

OFFLINE = {
    "coordinator": [Reply(tool_calls=[("city_facts", {"task": "How many people live in Lisbon?"})]),
                    Reply("About 545,000 people live in Lisbon.")],
}


async def main() -> None:
    with remote_agent("maf") as url:
        city_facts = A2AAgent(url=url, name="city-facts")
        coordinator = Agent(client=maf_chat_client(OFFLINE), name="coordinator",
                            instructions="You are the coordinator. Ask the city facts agent.",
                            tools=[city_facts.as_tool()])
        result = await coordinator.run("How many people live in Lisbon?")
        print(result.text)


if __name__ == "__main__":
    asyncio.run(main())
