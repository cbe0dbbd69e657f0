"""A SelectorGroupChat: a model picks the next speaker among a researcher and a writer.
No tracing code.

    opentelemetry-instrument python examples/selector_team.py
"""

from __future__ import annotations

import asyncio

from _model import Reply, model_client
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import SelectorGroupChat

OFFLINE = {
    "role play game": [Reply("researcher"), Reply("writer")],
    "You research": [Reply("Fact: the Eiffel Tower is 330 m tall.")],
    "You write": [Reply("The Eiffel Tower rises 330 metres over Paris. TERMINATE")],
}


async def main() -> None:
    client = model_client(OFFLINE)
    researcher = AssistantAgent("researcher", model_client=client, description="Finds facts",
                                system_message="You research facts.")
    writer = AssistantAgent("writer", model_client=client, description="Writes the final text",
                            system_message="You write one sentence from the facts, then say TERMINATE.")
    team = SelectorGroupChat([researcher, writer], model_client=client,
                             termination_condition=TextMentionTermination("TERMINATE") | MaxMessageTermination(6))
    result = await team.run(task="One sentence about the Eiffel Tower's height.")
    print(result.messages[-1].content)
    print(f"stop reason: {result.stop_reason}")
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
