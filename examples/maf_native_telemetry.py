"""Microsoft Agent Framework with its own telemetry turned on, as its docs show
(``configure_otel_providers()`` at start-up, or ``enable_instrumentation()`` for an app that sets up
its providers itself): a tool-using agent run twice (once streaming) and a two-agent sequential
workflow. With autogen-otel on as well, every operation still has one span: Agent Framework's own,
carrying our cost, run and health attributes.

    python examples/maf_native_telemetry.py [configure|enable]
    opentelemetry-instrument python examples/maf_native_telemetry.py
"""

from __future__ import annotations

import asyncio
import sys

from _model import maf_chat_client
from agent_framework import Agent
from agent_framework.observability import configure_otel_providers, enable_instrumentation
from agent_framework.orchestrations import SequentialBuilder
from maf_sequential_tools import OFFLINE, get_weather  # the same planner and critic, the same script


async def main(setup: str) -> None:
    if setup == "enable":
        enable_instrumentation()
    else:
        configure_otel_providers()
    client = maf_chat_client(OFFLINE)
    planner = Agent(client=client, name="planner", instructions="You are the planner. Use tools to answer.",
                    tools=[get_weather])
    critic = Agent(client=client, name="critic", instructions="You are the critic. Judge the plan.")
    print("planner:", (await planner.run("Should I walk in Paris today?")).text)
    streamed = [update.text async for update in planner.run("And tomorrow?", stream=True)]
    print("planner (streamed):", "".join(streamed))
    workflow = SequentialBuilder(participants=[planner, critic]).build()
    result = await workflow.run("Should I walk in Paris today?")
    print("workflow:", result.get_final_state())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "configure"))
