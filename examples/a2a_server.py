"""A "city facts" agent served over A2A (a2a-sdk's JSON-RPC server on loopback), with a tool:
``python examples/a2a_server.py maf|ag2 PORT``. The Agent Framework one runs behind
``A2AExecutor``, the AG2 Classic one behind ``A2aAgentServer``. No tracing code: under
``opentelemetry-instrument`` each request is a SERVER span continuing its caller's trace, with the
agent's run, model calls and tool beneath. ``a2a_maf.py`` and ``a2a_ag2.py`` start it for you.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import uvicorn
from _model import Reply, llm_config, maf_chat_client

OFFLINE = {
    "city facts": [Reply(tool_calls=[("city_population", {"city": "Lisbon"})]), Reply("Lisbon has 545000 people.")],
}
NAME, INSTRUCTIONS = "city-facts", "You are the city facts agent. Use your tool."


def city_population(city: str) -> int:
    """Population of a city, from the census."""
    return {"Lisbon": 545_000, "Porto": 232_000}.get(city, 1000)


def maf_app(port: int) -> Any:
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
    from a2a.server.tasks import InMemoryTaskStore
    from a2a.types.a2a_pb2 import AgentCapabilities, AgentCard, AgentInterface, AgentSkill
    from agent_framework import Agent, tool
    from agent_framework.a2a import A2AExecutor
    from starlette.applications import Starlette

    agent = Agent(client=maf_chat_client(OFFLINE), name=NAME, instructions=INSTRUCTIONS, tools=[tool(city_population)])
    card = AgentCard(name=NAME, description="Answers questions about cities", version="1.0.0",
                     supported_interfaces=[AgentInterface(url=f"http://127.0.0.1:{port}/", protocol_binding="JSONRPC",
                                                         protocol_version="1.0")],
                     capabilities=AgentCapabilities(streaming=True), default_input_modes=["text"],
                     default_output_modes=["text"],
                     skills=[AgentSkill(id="facts", name="City facts", description="Populations", tags=["cities"])])
    handler = DefaultRequestHandler(agent_executor=A2AExecutor(agent), task_store=InMemoryTaskStore(), agent_card=card)
    return Starlette(routes=[*create_agent_card_routes(card), *create_jsonrpc_routes(handler, "/")])


def ag2_app(port: int) -> Any:
    from autogen import ConversableAgent
    from autogen.a2a import A2aAgentServer

    agent = ConversableAgent(NAME, system_message=INSTRUCTIONS, description="Answers questions about cities",
                             llm_config=llm_config(OFFLINE), functions=[city_population])
    return A2aAgentServer(agent, url=f"http://127.0.0.1:{port}/").build()


if __name__ == "__main__":
    family, port = sys.argv[1], int(sys.argv[2])
    app = maf_app(port) if family == "maf" else ag2_app(port)
    # uvicorn re-raises SIGTERM once it has shut down, and its default action ends the process before
    # the exporters' at-exit flush: the last spans would be lost. Exit normally instead.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
