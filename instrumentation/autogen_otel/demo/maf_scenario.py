"""The demo conversation for Microsoft Agent Framework: a sequential workflow (AutoGen's
round-robin team as the migration guide rewrites it) of a researcher with a working and a failing
tool, a streaming analyst and a reviewer, against the scripted server (Chat Completions)."""

from __future__ import annotations

from .llm_server import Reply
from .outcome import Outcome

TITLE = "a 3-agent Agent Framework workflow"

SCRIPT = {
    "You are the researcher": [
        Reply(tool_calls=[("city_population", {"city": "Paris"}), ("weather_forecast", {"city": "Paris"})],
              delay=0.12),
        Reply("Paris has about 2.1 million residents; the forecast service is down.", delay=0.08),
    ],
    "You are the analyst": [Reply("Paris, with an indoor fallback venue.", delay=0.15)],
    "You are the reviewer": [Reply("Approved.", delay=0.05)],
}


async def play(base_url: str) -> Outcome:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its experimental-feature notices
        from agent_framework import Agent, tool
        from agent_framework.openai import OpenAIChatCompletionClient
        from agent_framework.orchestrations import SequentialBuilder

    @tool
    def city_population(city: str) -> str:
        """Population of a city."""
        return f"{city}: 2,100,000 residents"

    @tool
    def weather_forecast(city: str) -> str:
        """Weather forecast for a city (the service is down in this demo)."""
        raise ConnectionError(f"forecast service unavailable for {city}")

    def client(model: str) -> OpenAIChatCompletionClient:
        return OpenAIChatCompletionClient(model=model, base_url=base_url, api_key="offline-demo")

    researcher = Agent(client=client("gpt-4o-mini"), name="researcher", tools=[city_population, weather_forecast],
                       instructions="You are the researcher. Use tools for facts.")
    analyst = Agent(client=client("gpt-4o"), name="analyst", instructions="You are the analyst. Recommend.")
    reviewer = Agent(client=client("gpt-4o-mini"), name="reviewer", instructions="You are the reviewer.")
    workflow = SequentialBuilder(participants=[researcher, analyst, reviewer]).build()
    result = await workflow.run("Is Paris a good city for an outdoor conference next week?")
    messages = [m for output in result.get_outputs()
                for m in (output if isinstance(output, list) else getattr(output, "messages", None) or [])]
    last = messages[-1] if messages else None
    speaker = getattr(last, "author_name", None) or "reviewer"
    return Outcome(len(messages), str(getattr(result.get_final_state(), "value", "idle")).lower(),
                   f"{speaker}: {getattr(last, 'text', '')}")
