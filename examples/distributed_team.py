"""A research team on AutoGen's distributed runtime: a gRPC host, a researcher worker, a writer
worker and a driver, each its own process. No tracing code.

    python examples/distributed_team.py                          # starts all four processes
    opentelemetry-instrument python examples/distributed_team.py # the same, each process traced

or one process per terminal (or machine):

    python examples/distributed_team.py host --address 127.0.0.1:50051
    python examples/distributed_team.py worker researcher --address 127.0.0.1:50051
    python examples/distributed_team.py worker writer --address 127.0.0.1:50051
    python examples/distributed_team.py driver --address 127.0.0.1:50051 --mode mixed

A question travels three ways (``--mode``):
  rpc     driver -> researcher -> writer by ``send_message``; the answer comes back as the reply
  pubsub  topics research -> writing -> results by ``publish_message``
  mixed   published to the researcher, who asks the writer by RPC and publishes the result
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from typing import Any

from _model import Reply, model_client
from autogen_core import (
    AgentId,
    MessageContext,
    RoutedAgent,
    TopicId,
    TypeSubscription,
    message_handler,
    try_get_known_serializers_for_type,
)
from autogen_core.models import SystemMessage, UserMessage

OFFLINE = {
    "You are the researcher": [Reply("Key facts: tail sampling keeps every failed run; spans cost 30 us each.")],
    "You are the writer": [Reply("Tail sampling keeps the runs you need and drops the noise, cheaply.")],
}
REPLY_TIMEOUT = float(os.environ.get("DISTRIBUTED_REPLY_TIMEOUT", "60"))


@dataclass
class Question:
    text: str
    mode: str = "rpc"  # rpc | pubsub | mixed
    run: str = "default"  # topic source: routes a run's result back to the driver that asked


@dataclass
class Draft:
    facts: str
    run: str = "default"


@dataclass
class Article:
    text: str
    run: str = "default"


MESSAGES = (Question, Draft, Article)


async def _complete(client: Any, system: str, prompt: str) -> str:
    result = await client.create([SystemMessage(content=system), UserMessage(content=prompt, source="user")])
    return str(result.content)


class Researcher(RoutedAgent):
    def __init__(self, client: Any) -> None:
        super().__init__("Finds the facts a question needs.")
        self._client = client

    @message_handler
    async def on_question(self, message: Question, ctx: MessageContext) -> Article:
        facts = await _complete(self._client, "You are the researcher. List the key facts.", message.text)
        draft = Draft(facts, message.run)
        if ctx.is_rpc or message.mode == "mixed":
            try:
                article = await asyncio.wait_for(self.send_message(draft, AgentId("writer", "default")),
                                                 REPLY_TIMEOUT)
            except asyncio.TimeoutError as exc:  # AutoGen relays only the message of a handler's error
                raise RuntimeError(f"the writer did not answer in {REPLY_TIMEOUT:g} s") from exc
            if not ctx.is_rpc:
                await self.publish_message(article, TopicId("results", message.run))
            return article
        await self.publish_message(draft, TopicId("writing", message.run))
        return Article("", message.run)


class Writer(RoutedAgent):
    def __init__(self, client: Any) -> None:
        super().__init__("Turns facts into a short article.")
        self._client = client

    @message_handler
    async def on_draft(self, message: Draft, ctx: MessageContext) -> Article:
        text = await _complete(self._client, "You are the writer. Write two sentences.", message.facts)
        article = Article(text, message.run)
        if not ctx.is_rpc:
            await self.publish_message(article, TopicId("results", message.run))
        return article


_results: dict[str, asyncio.Future[Article]] = {}


class ResultCollector(RoutedAgent):
    """Lives in the driver: receives the ``results`` topic and hands each run's article back."""

    def __init__(self) -> None:
        super().__init__("Collects results.")

    @message_handler
    async def on_article(self, message: Article, ctx: MessageContext) -> None:
        future = _results.get(message.run)
        if future is not None and not future.done():
            future.set_result(message)


async def connect(address: str) -> Any:
    from autogen_ext.runtimes.grpc import GrpcWorkerAgentRuntime

    runtime = GrpcWorkerAgentRuntime(host_address=address)
    for message_type in MESSAGES:
        runtime.add_message_serializer(try_get_known_serializers_for_type(message_type))
    await runtime.start()
    return runtime


async def serve_host(address: str) -> None:
    from autogen_ext.runtimes.grpc import GrpcWorkerAgentRuntimeHost

    host = GrpcWorkerAgentRuntimeHost(address=address)
    host.start()
    print(f"host listening on {address}", flush=True)
    await host.stop_when_signal()


async def serve_worker(role: str, address: str, client: Any = None) -> None:
    client = client or model_client(OFFLINE)
    runtime = await connect(address)
    if role == "researcher":
        await Researcher.register(runtime, "researcher", lambda: Researcher(client))
        await runtime.add_subscription(TypeSubscription("research", "researcher"))
    else:
        await Writer.register(runtime, "writer", lambda: Writer(client))
        await runtime.add_subscription(TypeSubscription("writing", "writer"))
    print(f"{role} ready", flush=True)
    await runtime.stop_when_signal()


async def ask(runtime: Any, question: Question) -> Article:
    """One run, by the route its mode names."""
    if question.mode == "rpc":
        return await runtime.send_message(question, AgentId("researcher", "default"))  # type: ignore[no-any-return]
    future: asyncio.Future[Article] = asyncio.get_running_loop().create_future()
    _results[question.run] = future
    try:
        await runtime.publish_message(question, TopicId("research", question.run))
        return await asyncio.wait_for(future, REPLY_TIMEOUT)
    finally:
        _results.pop(question.run, None)


async def start_driver(address: str) -> Any:
    runtime = await connect(address)
    await ResultCollector.register(runtime, "collector", ResultCollector)
    await runtime.add_subscription(TypeSubscription("results", "collector"))
    return runtime


async def drive(address: str, mode: str) -> None:
    runtime = await start_driver(address)
    try:
        question = Question("Why sample traces at the tail?", mode, run=uuid.uuid4().hex)
        article = await ask(runtime, question)
        print(f"[{mode}] {article.text}", flush=True)
    finally:
        await runtime.stop()


def _launch_all(address: str, mode: str) -> int:
    """Host, two workers and the driver as separate processes (each traced when this one runs
    under opentelemetry-instrument: the children inherit its environment)."""
    me = [sys.executable, os.path.abspath(__file__)]
    base = os.environ.get("OTEL_SERVICE_NAME", "autogen-distributed")

    def start(role: str, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, "OTEL_SERVICE_NAME": f"{base}-{role}"}
        child = subprocess.Popen([*me, *args, "--address", address], env=env, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        child.stdout.readline()  # "... ready" / "host listening"
        return child

    servers = [start("host", "host")]
    servers += [start(role, "worker", role) for role in ("researcher", "writer")]
    try:
        return subprocess.call([*me, "driver", "--mode", mode, "--address", address],
                               env={**os.environ, "OTEL_SERVICE_NAME": f"{base}-driver"})
    finally:
        for server in reversed(servers):
            server.terminate()
            server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", nargs="?", default="all", choices=["all", "host", "worker", "driver"])
    parser.add_argument("worker", nargs="?", choices=["researcher", "writer"])
    parser.add_argument("--address", default="127.0.0.1:50051")
    parser.add_argument("--mode", default="mixed", choices=["rpc", "pubsub", "mixed"])
    args = parser.parse_args()
    if args.role == "all":
        return _launch_all(args.address, args.mode)
    if args.role == "host":
        asyncio.run(serve_host(args.address))
    elif args.role == "worker":
        asyncio.run(serve_worker(args.worker or "researcher", args.address))
    else:
        asyncio.run(drive(args.address, args.mode))
    return 0


if __name__ == "__main__":
    sys.exit(main())
