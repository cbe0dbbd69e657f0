"""Memory autogen-otel holds per run: while runs are open, and after they finish.

    python benchmarks/memory.py [--runs 200]

Runs N teams at once, each parked inside a tool call (so its workflow, agent and tool spans are
open), measures traced memory (tracemalloc) then, and again after they all finish -- with and
without autogen-otel, each in its own process. What we hold is the difference between the two.
Spans go to a discarding exporter through a SimpleSpanProcessor, so no export queue is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import subprocess
import sys
import tracemalloc

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core import FunctionCall
from autogen_core.models import CreateResult, RequestUsage
from autogen_ext.models.replay import ReplayChatCompletionClient

MODEL_INFO = {"vision": False, "function_calling": True, "json_output": False, "family": "unknown",
              "structured_output": False}


def team(release: asyncio.Event, parked: list[int]) -> RoundRobinGroupChat:
    async def wait_for_release() -> str:
        """Waits until released."""
        parked.append(1)
        await release.wait()
        return "released"

    call = CreateResult(finish_reason="function_calls", content=[FunctionCall(id="c1", name="wait_for_release",
                                                                             arguments="{}")],
                        usage=RequestUsage(prompt_tokens=100, completion_tokens=10), cached=False)
    client = ReplayChatCompletionClient([call, "done"], model_info=MODEL_INFO)
    agent = AssistantAgent("worker", model_client=client, tools=[wait_for_release], reflect_on_tool_use=True)
    return RoundRobinGroupChat([agent], termination_condition=MaxMessageTermination(2))


async def measure(runs: int) -> dict[str, float]:
    release, parked = asyncio.Event(), []
    for _ in range(3):  # warm caches (pydantic schemas, our price lookups) before measuring
        done = asyncio.Event()
        done.set()
        await team(done, []).run(task="warm up")
    gc.collect()
    before, _ = tracemalloc.get_traced_memory()
    tasks = [asyncio.create_task(team(release, parked).run(task="go")) for _ in range(runs)]
    while len(parked) < runs:
        await asyncio.sleep(0.01)
    gc.collect()
    open_, _ = tracemalloc.get_traced_memory()
    release.set()
    await asyncio.gather(*tasks)
    del tasks
    gc.collect()
    after, _ = tracemalloc.get_traced_memory()
    return {"open": (open_ - before) / runs, "finished": (after - before) / runs}


def worker(instrumented: bool, runs: int) -> dict[str, float]:
    logging.disable(logging.WARNING)
    if instrumented:
        from autogen_otel import AgentChatInstrumentor
        from opentelemetry import trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from overhead import _DiscardingSpanExporter

        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_DiscardingSpanExporter()))  # type: ignore[arg-type]
        trace.set_tracer_provider(provider)
        AgentChatInstrumentor().instrument(tracer_provider=provider,
                                         meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
    tracemalloc.start()
    return asyncio.run(measure(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--worker", choices=["plain", "instrumented"])
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker == "instrumented", args.runs)))
        return
    results = {}
    for mode in ("plain", "instrumented"):
        done = subprocess.run([sys.executable, __file__, "--worker", mode, "--runs", str(args.runs)],
                              capture_output=True, text=True, check=True)
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    open_kib = (results["instrumented"]["open"] - results["plain"]["open"]) / 1024
    finished = results["instrumented"]["finished"] - results["plain"]["finished"]
    print(f"Memory ({args.runs} runs at once, each parked in a tool call; tracemalloc): autogen-otel holds "
          f"**{open_kib:.1f} KiB per open run** (its open spans, scopes and run state; the app itself holds "
          f"{results['plain']['open'] / 1024:.1f} KiB per run) and **{finished:.0f} bytes per finished run**.")


if __name__ == "__main__":
    main()
