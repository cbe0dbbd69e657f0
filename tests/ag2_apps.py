"""AG2 Classic apps used by the tests: real ConversableAgents, real OpenAI client over HTTP."""

from __future__ import annotations

from typing import Any

import autogen
from autogen_otel.demo.llm_server import Reply

API_KEY = "sk-test-not-a-real-key-123456"
TASK = "What is the weather in Paris? secret-task-text-7731"


def llm_config(server: Any, model: str = "gpt-4o-mini", **entry: Any) -> dict[str, Any]:
    return {"config_list": [{"model": model, "base_url": server.base_url, "api_key": API_KEY, **entry}],
            "cache_seed": None}


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny and 21C in {city}"


def broken_weather(city: str) -> str:
    """A weather tool that always fails."""
    raise ConnectionError(f"weather service down for {city}")


WEATHER_SCRIPT = {
    "You are the forecaster": [Reply(tool_calls=[("get_weather", {"city": "Paris"})]),
                               Reply("Sunny and 21C in Paris. TERMINATE")],
}


def is_done(message: dict[str, Any]) -> bool:
    return "TERMINATE" in (message.get("content") or "")


def weather_pair(server: Any, tool: Any = get_weather, max_auto_reply: int = 5,
                 **user_kwargs: Any) -> tuple[autogen.ConversableAgent, autogen.ConversableAgent]:
    """(user_proxy, forecaster): the seeds' UserProxyAgent <-> AssistantAgent with a registered tool."""
    assistant = autogen.AssistantAgent("forecaster", system_message="You are the forecaster.",
                                       llm_config=llm_config(server), description="Answers weather questions")
    user = autogen.UserProxyAgent("user_proxy", human_input_mode=user_kwargs.pop("human_input_mode", "NEVER"),
                                  max_consecutive_auto_reply=max_auto_reply, code_execution_config=False,
                                  is_termination_msg=is_done, **user_kwargs)
    autogen.register_function(tool, caller=assistant, executor=user, name="get_weather",
                              description="Current weather for a city.")
    return user, assistant


GROUP_SCRIPT = {
    "You are in a role play game": [Reply("researcher"), Reply("writer"), Reply("critic")],
    "You are the researcher": [Reply("Loops are the top cost driver.")],
    "You are the writer": [Reply("Draft: loops cost the most.")],
    "You are the critic": [Reply("Approved. TERMINATE")],
}


def editorial_group(server: Any, max_round: int = 8, critic_script_done: bool = True) -> tuple[Any, Any]:
    """(user_proxy, manager) of a three-agent group chat whose manager's model picks each speaker."""
    config = llm_config(server)
    agents = [autogen.AssistantAgent(name, system_message=f"You are the {name}.", llm_config=config,
                                     description=f"The {name}.") for name in ("researcher", "writer", "critic")]
    user = autogen.UserProxyAgent("user_proxy", human_input_mode="NEVER", code_execution_config=False,
                                  default_auto_reply="", max_consecutive_auto_reply=0)
    group = autogen.GroupChat(agents=[user, *agents], messages=[], max_round=max_round,
                              speaker_selection_method="auto", allow_repeat_speaker=False)
    manager = autogen.GroupChatManager(groupchat=group, name="editorial", llm_config=config,
                                       is_termination_msg=is_done if critic_script_done else None)
    return user, manager
