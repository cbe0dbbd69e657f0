"""A2A servers for the tests, one agent each: ``python a2a_server.py KIND PORT [MODEL_BASE_URL]``.

- ``sdk``: a2a-sdk alone, an ``AgentExecutor`` of the app's own doing traced work ("read city
  table"); the city "Atlantis" makes it raise, "Moon" makes it ask which one (input required).

Each serves JSON-RPC at ``/`` and HTTP+JSON (REST) at ``/rest``.
- ``maf``: an Agent Framework agent with a tool behind ``A2AExecutor``.
- ``ag2``: an AG2 Classic ``ConversableAgent`` with a tool behind ``A2aAgentServer``.

The agents' model is the scripted server at MODEL_BASE_URL (their system message says "city facts").
"""

from __future__ import annotations

import signal
import sys
import warnings
from typing import Any

import uvicorn

NAME, DESCRIPTION = "city-facts", "Answers questions about cities"
INSTRUCTIONS = "You are the city facts agent."
KEY = "sk-test-not-a-real-key-123456"


def city_population(city: str) -> int:
    """Population of a city, from the census."""
    return {"Lisbon": 545_000}.get(city, 1000)


def sdk_app(port: int) -> Any:
    from a2a.helpers.proto_helpers import get_message_text, new_task_from_user_message, new_text_part
    from a2a.server.agent_execution import AgentExecutor, RequestContext
    from a2a.server.events import EventQueue
    from a2a.server.tasks import TaskUpdater
    from opentelemetry import trace

    class CityFacts(AgentExecutor):
        async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
            task = context.current_task or new_task_from_user_message(context.message)
            if context.current_task is None:
                await event_queue.enqueue_event(task)
            updater = TaskUpdater(event_queue, task.id, task.context_id)
            await updater.start_work()
            city = get_message_text(context.message).strip()
            if city == "Moon":
                await updater.requires_input(updater.new_agent_message([new_text_part("Which moon?")]))
                return
            with trace.get_tracer("city-facts").start_as_current_span("read city table"):
                if city == "Atlantis":
                    raise ValueError(f"no table for {city}")
                answer = f"{city}: population {city_population(city)}"
            await updater.add_artifact([new_text_part(answer)], name="answer")
            await updater.complete()

        async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
            raise NotImplementedError

    return _starlette(port, CityFacts())


def maf_app(port: int, model_url: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from agent_framework import Agent, tool
        from agent_framework.a2a import A2AExecutor
        from agent_framework.openai import OpenAIChatCompletionClient

    client = OpenAIChatCompletionClient(model="gpt-4o-mini", base_url=model_url, api_key=KEY)
    agent = Agent(client=client, name=NAME, description=DESCRIPTION, instructions=INSTRUCTIONS,
                  tools=[tool(city_population)])
    return _starlette(port, A2AExecutor(agent))


def ag2_app(port: int, model_url: str) -> Any:
    from autogen import ConversableAgent, LLMConfig
    from autogen.a2a import A2aAgentServer

    config = LLMConfig({"model": "gpt-4o-mini", "base_url": model_url, "api_key": KEY, "cache_seed": None})
    agent = ConversableAgent(NAME, system_message=INSTRUCTIONS, description=DESCRIPTION, llm_config=config,
                             functions=[city_population])
    return A2aAgentServer(agent, url=f"http://127.0.0.1:{port}/").build()


def _starlette(port: int, executor: Any) -> Any:
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes, create_rest_routes
    from a2a.server.tasks import InMemoryTaskStore
    from a2a.types.a2a_pb2 import AgentCapabilities, AgentCard, AgentInterface, AgentSkill
    from starlette.applications import Starlette

    card = AgentCard(
        name=NAME, description=DESCRIPTION, version="1.2.0",
        supported_interfaces=[AgentInterface(url=f"http://127.0.0.1:{port}/", protocol_binding="JSONRPC",
                                             protocol_version="1.0"),
                              AgentInterface(url=f"http://127.0.0.1:{port}/rest", protocol_binding="HTTP+JSON",
                                             protocol_version="1.0")],
        capabilities=AgentCapabilities(streaming=True), default_input_modes=["text"], default_output_modes=["text"],
        skills=[AgentSkill(id="facts", name="facts", description="city facts", tags=["cities"])],
    )
    handler = DefaultRequestHandler(agent_executor=executor, task_store=InMemoryTaskStore(), agent_card=card)
    return Starlette(routes=[*create_agent_card_routes(card), *create_jsonrpc_routes(handler, rpc_url="/"),
                             *create_rest_routes(handler, path_prefix="/rest")])


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    model_url = sys.argv[3] if len(sys.argv) > 3 else ""
    app = {"sdk": lambda: sdk_app(port), "maf": lambda: maf_app(port, model_url),
           "ag2": lambda: ag2_app(port, model_url)}[kind]()
    # uvicorn re-raises SIGTERM once it has shut down, and its default action ends the process before
    # the exporters' at-exit flush: the last spans would be lost. Exit normally instead.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
