"""The benchmark workload: AutoGen teams with tools and several turns on
``ReplayChatCompletionClient``, so the model costs nothing and tracing overhead shows."""

from __future__ import annotations

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core import FunctionCall
from autogen_core.models import CreateResult, RequestUsage
from autogen_ext.models.replay import ReplayChatCompletionClient

TURNS = 3
MODEL_INFO = {"vision": False, "function_calling": True, "json_output": False, "family": "unknown",
              "structured_output": False}


def _call(name: str, args: str, i: int) -> CreateResult:
    return CreateResult(finish_reason="function_calls",
                        content=[FunctionCall(id=f"call_{i}", name=name, arguments=args)],
                        usage=RequestUsage(prompt_tokens=120, completion_tokens=12), cached=False)


def _text(text: str) -> CreateResult:
    return CreateResult(finish_reason="stop", content=text, usage=RequestUsage(prompt_tokens=150, completion_tokens=20),
                        cached=False)


async def lookup(city: str) -> str:
    """Look a city up."""
    return f"{city}: 2.1M residents"


async def convert(amount: float) -> str:
    """Convert an amount."""
    return f"{amount * 1.1:.2f} USD"


def build_team() -> RoundRobinGroupChat:
    researcher_script: list[CreateResult | str] = []
    analyst_script: list[CreateResult | str] = []
    for turn in range(TURNS):
        researcher_script += [_call("lookup", '{"city": "Paris"}', turn), _text(f"Paris facts, round {turn}")]
        final = " DONE" if turn == TURNS - 1 else ""
        analyst_script += [_call("convert", '{"amount": 10}', turn), _text(f"Analysis round {turn}{final}")]
    researcher = AssistantAgent("researcher",
                                model_client=ReplayChatCompletionClient(researcher_script, model_info=MODEL_INFO),
                                tools=[lookup], reflect_on_tool_use=True)
    analyst = AssistantAgent("analyst",
                             model_client=ReplayChatCompletionClient(analyst_script, model_info=MODEL_INFO),
                             tools=[convert], reflect_on_tool_use=True)
    termination = TextMentionTermination("DONE") | MaxMessageTermination(100)
    return RoundRobinGroupChat([researcher, analyst], termination_condition=termination)


async def run_once() -> int:
    result = await build_team().run(task="Research Paris")
    return len(result.messages)
