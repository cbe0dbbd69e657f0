"""Microsoft Agent Framework: a group chat (AutoGen's SelectorGroupChat / RoundRobinGroupChat in
the migration guide) of a writer and an editor taking turns, at most four rounds. No tracing code.

    python examples/maf_group_chat.py
    opentelemetry-instrument python examples/maf_group_chat.py
"""

from __future__ import annotations

import asyncio
from typing import Any

from _model import Reply, maf_chat_client
from agent_framework import Agent
from agent_framework.orchestrations import GroupChatBuilder

OFFLINE = {
    "You are the writer": [Reply("Draft: agents that watch agents."), Reply("Final: observability for agents.")],
    "You are the editor": [Reply("Shorter, please.")],
}


def take_turns(state: Any) -> str:
    names = list(state.participants)
    return names[state.current_round % len(names)]


async def main() -> None:
    client = maf_chat_client(OFFLINE)
    writer = Agent(client=client, name="writer", instructions="You are the writer. Write a tagline.")
    editor = Agent(client=client, name="editor", instructions="You are the editor. Improve the tagline.")
    workflow = GroupChatBuilder(participants=[writer, editor], selection_func=take_turns, max_rounds=4).build()
    result = await workflow.run("A tagline for autogen-otel")
    outputs = result.get_outputs()
    last = outputs[-1] if outputs else None
    messages = last if isinstance(last, list) else getattr(last, "messages", None) or []
    for message in messages:
        print(f"{message.author_name or message.role}: {message.text}")


if __name__ == "__main__":
    asyncio.run(main())
