"""Microsoft Agent Framework: the round-robin team of ``round_robin_tools.py`` rewritten as the
migration guide does it -- a sequential workflow of a tool-using planner and a critic. No tracing
code.

    python examples/maf_sequential_tools.py
    opentelemetry-instrument python examples/maf_sequential_tools.py
"""

from __future__ import annotations

import asyncio

from _model import Reply, maf_chat_client
from agent_framework import Agent, tool
from agent_framework.orchestrations import SequentialBuilder

OFFLINE = {
    "You are the planner": [Reply(tool_calls=[("get_weather", {"city": "Paris"})]),
                            Reply("Paris is sunny, 21C: a good day for a walk.")],
    "You are the critic": [Reply("The plan is sound.")],
}


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny and 21C in {city}"


async def main() -> None:
    client = maf_chat_client(OFFLINE)
    planner = Agent(client=client, name="planner", instructions="You are the planner. Use tools to answer.",
                    tools=[get_weather])
    critic = Agent(client=client, name="critic", instructions="You are the critic. Judge the plan.")
    workflow = SequentialBuilder(participants=[planner, critic]).build()
    result = await workflow.run("Should I walk in Paris today?")
    for output in result.get_outputs():
        for message in getattr(output, "messages", None) or [output]:
            print(f"{getattr(message, 'author_name', None) or getattr(message, 'role', '')}: "
                  f"{getattr(message, 'text', message)}")
    print(f"final state: {result.get_final_state()}")


if __name__ == "__main__":
    asyncio.run(main())
