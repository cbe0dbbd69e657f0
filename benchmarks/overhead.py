"""Tracing overhead of one AutoGen team run under four setups, measured in one session.

    python benchmarks/overhead.py [--reps 5] [--runs 40]

Each setup runs in its own worker process (a process can set the global tracer provider
only once); setups are interleaved rep by rep so drift hits all of them alike, and results
are medians reported as ratios against "no tracing" from the same session.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SETUPS = {
    "none": "no tracing (OTel API only, no SDK)",
    "native": "SDK provider, AutoGen's native tracing only",
    "autogen-otel": "SDK provider + autogen-otel",
    "openinference": "SDK provider + openinference-instrumentation-autogen-agentchat",
}


class _CountingExporter:
    """Counts exported spans; drops them (export cost is not what is measured here)."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans):  # type: ignore[no-untyped-def]
        from opentelemetry.sdk.trace.export import SpanExportResult

        self.count += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 0) -> bool:
        return True


def worker(setup: str, runs: int) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).parent))
    from workload import run_once

    # The replay client logs a warning per call; writing those to stderr would dominate the
    # timings, and some instrumentations change logging setup, so silence it for all setups.
    logging.disable(logging.WARNING)

    exporter = None
    if setup != "none":
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor

        exporter = _CountingExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))  # type: ignore[arg-type]
        trace.set_tracer_provider(provider)
        if setup == "autogen-otel":
            from autogen_otel import AutoGenInstrumentor

            AutoGenInstrumentor().instrument(tracer_provider=provider)
        elif setup == "openinference":
            from openinference.instrumentation.autogen_agentchat import AutogenAgentChatInstrumentor

            AutogenAgentChatInstrumentor().instrument(tracer_provider=provider)

    messages = 0

    async def session() -> list[float]:
        nonlocal messages
        for _ in range(3):
            messages = await run_once()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            await run_once()
            times.append(time.perf_counter() - start)
        return times

    times = asyncio.run(session())
    spans = (exporter.count / (runs + 3)) if exporter else 0.0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"median_s": statistics.median(times), "spans_per_run": spans, "peak_kib": float(peak_kib),
            "messages": float(messages)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--worker")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results.md"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.runs)))
        return

    available = dict(SETUPS)
    try:
        import openinference.instrumentation.autogen_agentchat  # noqa: F401
    except ImportError:
        del available["openinference"]
    samples: dict[str, list[dict[str, float]]] = {s: [] for s in available}
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for rep in range(args.reps):
        for setup in available:
            done = subprocess.run([sys.executable, __file__, "--worker", setup, "--runs", str(args.runs)],
                                  capture_output=True, text=True, check=True, env=env)
            samples[setup].append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)

    base = statistics.median(s["median_s"] for s in samples["none"])
    native = statistics.median(s["median_s"] for s in samples["native"])
    messages = int(samples["none"][0]["messages"])
    lines = [f"Workload: RoundRobinGroupChat, 2 agents with tools, {messages} messages per run, "
             "ReplayChatCompletionClient; "
             f"{args.reps} interleaved reps x {args.runs} runs per setup; medians.", "",
             "| setup | time per run | vs no tracing | vs native | spans per run | time per span | peak RSS |",
             "|---|---|---|---|---|---|---|"]
    for setup, label in available.items():
        median = statistics.median(s["median_s"] for s in samples[setup])
        spans = statistics.median(s["spans_per_run"] for s in samples[setup])
        peak = statistics.median(s["peak_kib"] for s in samples[setup])
        per_span = f"{(median - base) / spans * 1e6:.0f} µs" if spans else "-"
        lines.append(f"| {label} | {median * 1000:.2f} ms | {median / base:.2f}x | {median / native:.2f}x | "
                     f"{spans:.0f} | {per_span} | {peak:.0f} KiB |")
    table = "\n".join(lines)
    print(table)
    Path(args.out).write_text(table + "\n")


if __name__ == "__main__":
    main()
