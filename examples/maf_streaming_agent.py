"""Microsoft Agent Framework: one agent on the Responses API, streamed token by token (AutoGen's
``AssistantAgent.run_stream`` in the migration guide). No tracing code.

    python examples/maf_streaming_agent.py
    opentelemetry-instrument python examples/maf_streaming_agent.py
"""

from __future__ import annotations

import asyncio

from _model import Reply, maf_chat_client
from agent_framework import Agent, tool

OFFLINE = {"You are the analyst": [Reply(tool_calls=[("quarter_revenue", {"quarter": "Q1"})]),
                                   Reply("Q1 revenue was 4.2M USD, up 12 percent.", chunk_delay=0.01)]}


@tool
def quarter_revenue(quarter: str) -> float:
    """Revenue of a quarter, in millions of USD."""
    return 4.2


async def main() -> None:
    analyst = Agent(client=maf_chat_client(OFFLINE, responses=True), name="analyst",
                    instructions="You are the analyst. Use tools for numbers.", tools=[quarter_revenue])
    async for update in analyst.run("How did Q1 go?", stream=True):
        print(update.text or "", end="", flush=True)
    print()


if __name__ == "__main__":
    asyncio.run(main())
