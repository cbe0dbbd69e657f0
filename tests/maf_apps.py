"""Microsoft Agent Framework apps the tests run: agents with tools, orchestrations, a function
workflow, all through the real OpenAI clients over HTTP against the scripted server."""

from __future__ import annotations

import warnings
from typing import Any

with warnings.catch_warnings():  # MAF marks some of its modules experimental on import
    warnings.simplefilter("ignore")
    from agent_framework import Agent, WorkflowBuilder, WorkflowContext, executor, tool
    from agent_framework.openai import OpenAIChatClient, OpenAIChatCompletionClient
    from agent_framework.orchestrations import GroupChatBuilder, SequentialBuilder

from autogen_otel.demo.llm_server import Reply

KEY = "sk-test-not-a-real-key-123456"
TASK = "How many people live in Paris, and is that a lot?"

RESEARCH_SCRIPT = {
    "researcher": [Reply(tool_calls=[("city_population", {"city": "Paris"})]), Reply("Paris has 2100000 people.")],
    "reviewer": [Reply("Approved: a large city.")],
    "*": [Reply("OK.")],
}


@tool
def city_population(city: str) -> int:
    """Population of a city, from the census."""
    return {"Paris": 2_100_000}.get(city, 1000)


@tool
def weather_forecast(city: str) -> str:
    """Weather forecast for a city."""
    raise ConnectionError("weather service unreachable")


def chat_client(server: Any, model: str = "gpt-4o-mini", responses: bool = False) -> Any:
    cls = OpenAIChatClient if responses else OpenAIChatCompletionClient
    return cls(model=model, base_url=server.base_url, api_key=KEY)


def researcher(server: Any, **kwargs: Any) -> Agent:
    return Agent(client=chat_client(server, responses=kwargs.pop("responses", False)), name="researcher",
                 description="Finds facts", instructions="You are the researcher.",
                 tools=kwargs.pop("tools", [city_population]), **kwargs)


def reviewer(server: Any, **kwargs: Any) -> Agent:
    return Agent(client=chat_client(server), name="reviewer", instructions="You are the reviewer.", **kwargs)


def research_pipeline(server: Any, **kwargs: Any) -> Any:
    return SequentialBuilder(participants=[researcher(server, **kwargs), reviewer(server, **kwargs)]).build()


def round_robin(state: Any) -> str:
    names = list(getattr(state, "participants", {}) or ["writer", "critic"])
    return names[state.current_round % len(names)]


def editorial_group(server: Any, max_rounds: int = 3) -> Any:
    writer = Agent(client=chat_client(server), name="writer", instructions="You are the writer.")
    critic = Agent(client=chat_client(server), name="critic", instructions="You are the critic.")
    return GroupChatBuilder(participants=[writer, critic], selection_func=round_robin, max_rounds=max_rounds).build()


def ping_pong(max_iterations: int = 4) -> Any:
    @executor(id="upper")
    async def upper(text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text.upper())

    @executor(id="lower")
    async def lower(text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text.lower())

    return (WorkflowBuilder(start_executor=upper, max_iterations=max_iterations, name="pingpong")
            .add_edge(upper, lower).add_edge(lower, upper).build())


def shout_workflow() -> Any:
    @executor(id="shout")
    async def shout(text: str, ctx: WorkflowContext[str, str]) -> None:
        await ctx.yield_output(text.upper() + "!")

    return WorkflowBuilder(start_executor=shout, name="shouter").build()




def support_handoff(server: Any) -> Any:
    """AutoGen's Swarm in the migration guide: triage hands the customer to billing."""
    from agent_framework.orchestrations import HandoffBuilder

    triage = Agent(client=chat_client(server), name="triage", instructions="You are triage.",
                   require_per_service_call_history_persistence=True)
    billing = Agent(client=chat_client(server), name="billing", instructions="You are billing.",
                    require_per_service_call_history_persistence=True)
    return HandoffBuilder(participants=[triage, billing]).with_start_agent(triage).build()


HANDOFF_SCRIPT = {"You are triage": [Reply(tool_calls=[("handoff_to_billing", {})])],
                  "You are billing": [Reply("Refund issued.")]}
