"""The demo conversation (AutoGen AgentChat): a research team with a working tool, a failing tool,
a streamed answer and several turns, all against the local scripted model server."""

from __future__ import annotations

from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_ext.models.openai import OpenAIChatCompletionClient

from .llm_server import Reply
from .outcome import Outcome

TITLE = "a 3-agent AutoGen team"

TASK = "Is Paris a good city for an outdoor conference next week?"

SCRIPT = {
    "You are the researcher": [
        Reply(tool_calls=[("city_population", {"city": "Paris"}), ("weather_forecast", {"city": "Paris"})],
              delay=0.12),
        Reply("Paris has about 2.1 million residents. The forecast service is down, so weather is unknown.",
              delay=0.08),
        Reply(tool_calls=[("city_population", {"city": "Lyon"})], delay=0.05),
        Reply("For comparison, Lyon has about 0.5 million residents.", delay=0.05),
    ],
    "You are the analyst": [
        Reply("Paris offers capacity and transport; without a forecast, book an indoor fallback venue.",
              delay=0.15),
        Reply("Recommendation stands: Paris, with an indoor fallback.", delay=0.1),
    ],
    "You are the reviewer": [
        Reply("Please add a comparison with a second city.", delay=0.06),
        Reply("Approved. TERMINATE", delay=0.04),
    ],
}

POPULATION = {"paris": 2_100_000, "lyon": 520_000}


async def city_population(city: str) -> str:
    """Population of a city."""
    return f"{city}: {POPULATION.get(city.lower(), 0):,} residents"


async def weather_forecast(city: str) -> str:
    """Weather forecast for a city (the service is down in this demo)."""
    raise ConnectionError(f"forecast service unavailable for {city}")


def build_team(base_url: str) -> RoundRobinGroupChat:
    def client(model: str, **kwargs: Any) -> OpenAIChatCompletionClient:
        return OpenAIChatCompletionClient(model=model, base_url=base_url, api_key="offline-demo", **kwargs)

    researcher = AssistantAgent("researcher", model_client=client("gpt-4o-mini"),
                                tools=[city_population, weather_forecast], reflect_on_tool_use=True,
                                system_message="You are the researcher. Use tools for facts.",
                                description="Finds facts with tools")
    analyst = AssistantAgent("analyst", model_client=client("gpt-4o", stream_options={"include_usage": True}),
                             model_client_stream=True, system_message="You are the analyst. Recommend.",
                             description="Turns facts into a recommendation")
    reviewer = AssistantAgent("reviewer", model_client=client("gpt-4o-mini"),
                              system_message="You are the reviewer. Say TERMINATE when satisfied.",
                              description="Approves or asks for more")
    termination = TextMentionTermination("TERMINATE") | MaxMessageTermination(20)
    return RoundRobinGroupChat([researcher, analyst, reviewer], termination_condition=termination)


async def run(base_url: str) -> TaskResult:
    return await build_team(base_url).run(task=TASK)


async def play(base_url: str) -> Outcome:
    result = await run(base_url)
    last = result.messages[-1]
    return Outcome(len(result.messages), str(result.stop_reason), f"{last.source}: {last.content}")
