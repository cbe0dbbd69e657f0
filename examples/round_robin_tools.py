"""A RoundRobinGroupChat: a planner with a weather tool and a critic. No tracing code.

    python examples/round_robin_tools.py
    opentelemetry-instrument python examples/round_robin_tools.py
"""

from __future__ import annotations

import asyncio

from _model import Reply, model_client
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat

OFFLINE = {
    "You are the planner": [Reply(tool_calls=[("get_weather", {"city": "Paris"})]),
                            Reply("Paris is sunny, 21C: a good day for a walk.")],
    "You are the critic": [Reply("The plan is sound. TERMINATE")],
}


async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny and 21C in {city}"


async def main() -> None:
    client = model_client(OFFLINE)
    planner = AssistantAgent("planner", model_client=client, tools=[get_weather], reflect_on_tool_use=True,
                             system_message="You are the planner. Use tools to answer.")
    critic = AssistantAgent("critic", model_client=client,
                            system_message="You are the critic. Say TERMINATE when the answer is good.")
    team = RoundRobinGroupChat([planner, critic],
                               termination_condition=TextMentionTermination("TERMINATE") | MaxMessageTermination(8))
    result = await team.run(task="Should I walk in Paris today?")
    for message in result.messages:
        print(f"{message.source}: {message.to_model_text() if hasattr(message, 'to_model_text') else message.content}")
    print(f"stop reason: {result.stop_reason}")
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
