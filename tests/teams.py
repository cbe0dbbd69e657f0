"""Small AgentChat teams used by several tests (real agents, real OpenAI client over HTTP)."""

from __future__ import annotations

from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_otel.demo.llm_server import Reply
from helpers import openai_client

TASK = "What is the weather in Paris? secret-task-text-7731"


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny and 21C in {city}"


def broken_tool(city: str) -> str:
    """A tool that always fails."""
    raise ValueError(f"weather service down for {city}")


WEATHER_SCRIPT = {
    "You are the planner": [Reply(tool_calls=[("get_weather", {"city": "Paris"})]),
                            Reply("It is sunny and 21C in Paris.")],
    "You are the critic": [Reply("Looks correct. TERMINATE")],
}


def weather_team(server: Any, *, stream_critic: bool = False, tools: list[Any] | None = None,
                 name: str | None = None, max_messages: int = 10) -> RoundRobinGroupChat:
    planner = AssistantAgent("planner", model_client=openai_client(server), tools=tools or [get_weather],
                             system_message="You are the planner.", reflect_on_tool_use=True,
                             description="Plans and calls tools")
    critic = AssistantAgent("critic", model_client=openai_client(server, **(
        {"stream_options": {"include_usage": True}} if stream_critic else {})),
        system_message="You are the critic.", model_client_stream=stream_critic)
    termination = TextMentionTermination("TERMINATE") | MaxMessageTermination(max_messages)
    kwargs: dict[str, Any] = {"termination_condition": termination}
    if name is not None and _team_accepts_name():
        kwargs["name"] = name
    return RoundRobinGroupChat([planner, critic], **kwargs)


def _team_accepts_name() -> bool:
    import inspect

    return "name" in inspect.signature(RoundRobinGroupChat.__init__).parameters
