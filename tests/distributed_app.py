"""The distributed example's processes as the tests drive them (run under opentelemetry-instrument).

    python distributed_app.py worker researcher|writer ADDRESS [--delay SECONDS]
    python distributed_app.py driver ADDRESS --mode rpc|pubsub|mixed [--runs N] [--app-span]

A worker answers from its own scripted OpenAI-compatible server (``--delay`` slows every answer).
The driver starts its runs concurrently and prints one JSON line per run: its id and the article
or the error it ended with. ``--app-span`` wraps each run in a span of the app's own, as a web
handler would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import traceback
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import distributed_team as app
from autogen_otel.demo.llm_server import Reply, ScriptedLLMServer


async def worker(role: str, address: str, delay: float) -> None:
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    script = {key: [Reply(r.text, delay=delay) for r in replies] for key, replies in app.OFFLINE.items()}
    with ScriptedLLMServer(script) as server:
        client = OpenAIChatCompletionClient(model="gpt-4o-mini", base_url=server.base_url, api_key="offline")
        await app.serve_worker(role, address, client)


async def one_run(runtime: Any, mode: str, app_span: bool) -> dict[str, Any]:
    question = app.Question("Why sample traces at the tail?", mode, run=uuid.uuid4().hex)
    outcome: dict[str, Any] = {"run": question.run}
    try:
        if app_span:
            from opentelemetry import trace

            with trace.get_tracer("app").start_as_current_span("app request", attributes={"app.run": question.run}):
                article = await app.ask(runtime, question)
        else:
            article = await app.ask(runtime, question)
        outcome["article"] = article.text
    except BaseException as exc:  # the run's failure is the outcome under test
        outcome["error"] = type(exc).__name__
        traceback.print_exc()
    return outcome


async def driver(address: str, mode: str, runs: int, app_span: bool) -> None:
    runtime = await app.start_driver(address)
    try:
        for outcome in await asyncio.gather(*(one_run(runtime, mode, app_span) for _ in range(runs))):
            print(json.dumps(outcome), flush=True)
    finally:
        await runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["worker", "driver"])
    parser.add_argument("args", nargs="+")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--mode", default="rpc")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--app-span", action="store_true")
    options = parser.parse_args()
    if options.role == "worker":
        role, address = options.args
        asyncio.run(worker(role, address, options.delay))
    else:
        asyncio.run(driver(options.args[0], options.mode, options.runs, options.app_span))


if __name__ == "__main__":
    main()
