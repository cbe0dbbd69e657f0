"""A Swarm: a triage agent hands off to billing, which uses a tool. No tracing code.

    opentelemetry-instrument python examples/swarm_handoffs.py
"""

from __future__ import annotations

import asyncio

from _model import Reply, model_client
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import Swarm

OFFLINE = {
    "You triage": [Reply(tool_calls=[("transfer_to_billing", {})])],
    "You handle billing": [Reply(tool_calls=[("refund", {"order_id": "A-1001"})]),
                           Reply("Your refund for order A-1001 is on its way. TERMINATE")],
}


async def refund(order_id: str) -> str:
    """Refund an order."""
    return f"refund issued for {order_id}"


async def main() -> None:
    client = model_client(OFFLINE)
    triage = AssistantAgent("triage", model_client=client, handoffs=["billing"],
                            system_message="You triage customer requests and hand off to billing for refunds.")
    billing = AssistantAgent("billing", model_client=client, tools=[refund], reflect_on_tool_use=True,
                             system_message="You handle billing. Say TERMINATE when done.")
    team = Swarm([triage, billing],
                 termination_condition=TextMentionTermination("TERMINATE") | MaxMessageTermination(10))
    result = await team.run(task="Please refund order A-1001.")
    print(result.messages[-1].content)
    print(f"stop reason: {result.stop_reason}")
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
