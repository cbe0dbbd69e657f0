"""An AG2 Classic chat with a remote agent over A2A (``A2aRemoteAgent``); the remote agent is
``a2a_server.py ag2`` (an AG2 agent behind ``A2aAgentServer``), started here. No tracing code:
under ``opentelemetry-instrument`` the chat, the A2A request's CLIENT span and the server's SERVER
span with the remote agent's turn, model calls and tool are one trace.
Needs ``pip install "autogen[a2a]" "a2a-sdk[http-server]"``.

    opentelemetry-instrument python examples/a2a_ag2.py
"""

from __future__ import annotations

import asyncio

from _a2a import remote_agent
from autogen import ConversableAgent
from autogen.a2a import A2aRemoteAgent


async def main() -> None:
    with remote_agent("ag2") as url:
        city_facts = A2aRemoteAgent(url=url, name="city-facts", silent=True)
        user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER", silent=True)
        # A2aRemoteAgent answers asynchronously only: a_initiate_chat.
        result = await user.a_initiate_chat(city_facts, message="How many people live in Lisbon?", max_turns=1,
                                            silent=True)
        print(result.summary)


if __name__ == "__main__":
    asyncio.run(main())
