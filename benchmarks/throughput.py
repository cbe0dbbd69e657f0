"""Throughput: many concurrent team runs for a bounded time, exported over OTLP/HTTP by the
BatchSpanProcessor to a receiver on loopback. Reports runs/s, spans/s and dropped spans
(spans ended in the app minus spans the receiver got).

    python benchmarks/throughput.py [--seconds 10] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from autogen_otel import AgentChatInstrumentor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from otlp_receiver import OTLPReceiver
from workload import run_once


class Counter(SpanProcessor):
    def __init__(self) -> None:
        self.ended = 0

    def on_end(self, span) -> None:  # type: ignore[no-untyped-def]
        self.ended += 1


async def load(seconds: float, concurrency: int) -> int:
    deadline = time.monotonic() + seconds
    runs = 0

    async def worker() -> None:
        nonlocal runs
        while time.monotonic() < deadline:
            await run_once()
            runs += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    receiver = OTLPReceiver()
    provider = TracerProvider()
    counter = Counter()
    provider.add_span_processor(counter)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces")))
    AgentChatInstrumentor().instrument(tracer_provider=provider)
    start = time.perf_counter()
    runs = asyncio.run(load(args.seconds, args.concurrency))
    elapsed = time.perf_counter() - start
    provider.shutdown()
    time.sleep(0.5)
    received = len(receiver.spans)
    receiver.stop()
    print(f"| concurrency | runs/s | spans/s | spans ended | spans received | dropped |\n|---|---|---|---|---|---|\n"
          f"| {args.concurrency} | {runs / elapsed:.1f} | {counter.ended / elapsed:.0f} | {counter.ended} | "
          f"{received} | {counter.ended - received} |")


if __name__ == "__main__":
    main()
