"""Tracing overhead of one AutoGen team run, and the OpenTelemetry SDK's own floor, in one session.

    python benchmarks/overhead.py [--reps 5] [--runs 40] [--callgrind]

Setups (each in its own worker process: a process sets the global providers only once) are
interleaved rep by rep so drift hits all alike; results are medians, reported as ratios against
"no tracing" from the same session. Every SDK setup uses what production uses: a
BatchSpanProcessor (to a discarding exporter) and a MeterProvider with a periodic reader.

The **floor** replays, with the SDK alone and no AutoGen, exactly what autogen-otel emitted for one
run (captured first): the same spans with the same names, kinds, attributes and parents, and the
same metric records with the same labels. Our cost per span is (autogen-otel - no tracing) / spans
per run; the floor's is its replay time / spans per run. With ``--callgrind`` (valgrind installed)
instruction counts per run are measured too: deterministic, so a regression shows beyond noise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SETUPS = {
    "none": "no tracing (OTel API only, no SDK)",
    "native": "SDK, AutoGen's native tracing only",
    "autogen-otel": "SDK + autogen-otel",
    "autogen-otel-content": "SDK + autogen-otel, content capture on",
    "openinference": "SDK + openinference-instrumentation-autogen-agentchat",
    "floor": "SDK floor: autogen-otel's spans and metric records replayed, no AutoGen",
}


class _DiscardingSpanExporter:
    def __init__(self) -> None:
        self.count = 0

    def export(self, spans: Any) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        self.count += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 0) -> bool:
        return True


def sdk_providers() -> tuple[Any, Any, _DiscardingSpanExporter]:
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    class Discard(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> Any:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 10_000) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
            pass

    exporter = _DiscardingSpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))  # type: ignore[arg-type]
    meter_provider = MeterProvider(metric_readers=[PeriodicExportingMetricReader(Discard(),
                                                                                 export_interval_millis=5_000)])
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    return tracer_provider, meter_provider, exporter


# --- capture and replay (the floor) ---

def capture(path: Path) -> None:
    """Run the workload once under autogen-otel; write its spans and metric records as JSON."""
    sys.path.insert(0, str(HERE))
    from autogen_otel import AgentChatInstrumentor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from workload import run_once

    logging.disable(logging.WARNING)
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    instrumentor = AgentChatInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider,
                            meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
    instruments = instrumentor.telemetry.instruments
    records: list[dict[str, Any]] = []

    class Recording:
        def __init__(self, name: str, inner: Any) -> None:
            self.name, self.inner = name, inner

        def _log(self, value: float, attributes: Any) -> None:
            records.append({"instrument": self.name, "value": value, "labels": dict(attributes or {})})

        def record(self, value: float, attributes: Any = None, context: Any = None) -> None:
            self._log(value, attributes)
            self.inner.record(value, attributes, context=context)

        def add(self, value: float, attributes: Any = None, context: Any = None) -> None:
            self._log(value, attributes)
            self.inner.add(value, attributes, context=context)

    for name, value in list(vars(instruments).items()):
        if hasattr(value, "record") or hasattr(value, "add"):
            setattr(instruments, name, Recording(name, value))
    asyncio.run(run_once())
    kinds = {name: ("histogram" if hasattr(value.inner, "record") else
                    "updown" if "UpDown" in type(value.inner).__name__ else "counter")
             for name, value in vars(instruments).items() if isinstance(value, Recording)}
    captured = [{"name": s.name, "kind": s.kind.value, "id": s.context.span_id,
                 "parent": s.parent.span_id if s.parent else None, "start": s.start_time, "end": s.end_time,
                 "attributes": dict(s.attributes or {}),
                 "events": [{"name": e.name, "attributes": dict(e.attributes or {})} for e in s.events]}
                for s in spans.get_finished_spans()]
    path.write_text(json.dumps({"spans": captured, "records": records, "kinds": kinds}))


def replayer(path: Path) -> Any:
    """A coroutine function emitting the captured run through the SDK alone."""
    from opentelemetry import metrics, trace
    from opentelemetry.trace import SpanKind

    data = json.loads(path.read_text())
    tracer = trace.get_tracer("floor")
    meter = metrics.get_meter("floor")
    instruments = {}
    for name, kind in data["kinds"].items():
        create = {"histogram": meter.create_histogram, "counter": meter.create_counter,
                  "updown": meter.create_up_down_counter}[kind]
        instrument = create(name.lstrip("_"))  # a private attribute (a deprecated name kept alongside)
        instruments[name] = instrument.record if kind == "histogram" else instrument.add
    spans = sorted(data["spans"], key=lambda s: s["start"])
    ends = [s["id"] for s in sorted(data["spans"], key=lambda s: s["end"])]
    records = [(instruments[r["instrument"]], r["value"], r["labels"]) for r in data["records"]]
    plan = [(s["id"], s["parent"], s["name"], SpanKind(s["kind"]), s["attributes"], s["events"]) for s in spans]

    async def run_once() -> int:
        live, contexts = {}, {}
        for span_id, parent, name, kind, attributes, events in plan:
            span = tracer.start_span(name, context=contexts.get(parent), kind=kind, attributes=attributes)
            for event in events:
                span.add_event(event["name"], event["attributes"])
            live[span_id] = span
            contexts[span_id] = trace.set_span_in_context(span)
        context = contexts[plan[0][0]]
        for record, value, labels in records:
            record(value, labels, context=context)
        for span_id in ends:
            live[span_id].end()
        return 0

    return run_once


# --- one setup in one process ---

def worker(setup: str, runs: int, capture_file: Path | None) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    # The replay client logs a warning per call; writing those to stderr would dominate the
    # timings, and some instrumentations change logging setup, so silence it for all setups.
    logging.disable(logging.WARNING)
    exporter = None
    if setup != "none":
        tracer_provider, meter_provider, exporter = sdk_providers()
        if setup.startswith("autogen-otel"):
            from autogen_otel import AgentChatInstrumentor

            AgentChatInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider,
                                             capture_content=setup == "autogen-otel-content")
        elif setup == "openinference":
            from openinference.instrumentation.autogen_agentchat import AutogenAgentChatInstrumentor

            AutogenAgentChatInstrumentor().instrument(tracer_provider=tracer_provider)
    if setup == "floor":
        assert capture_file is not None
        run_once = replayer(capture_file)
    else:
        from workload import run_once  # type: ignore[no-redef]

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
    if exporter is not None:
        tracer_provider.force_flush()
    spans = (exporter.count / (runs + 3)) if exporter else 0.0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"median_s": statistics.median(times), "spans_per_run": spans, "peak_kib": float(peak_kib),
            "messages": float(messages)}


def _worker_cmd(setup: str, runs: int, capture_file: Path) -> list[str]:
    return [sys.executable, __file__, "--worker", setup, "--runs", str(runs), "--capture-file", str(capture_file)]


def instructions_per_run(setup: str, capture_file: Path, env: dict[str, str]) -> float:
    """Callgrind's instruction count of 30 runs minus that of 10, over 20: startup cancels out."""
    counts = []
    for runs in (10, 30):
        with tempfile.NamedTemporaryFile(suffix=".cg") as out:
            done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}",
                                   *_worker_cmd(setup, runs, capture_file)],
                                  capture_output=True, text=True, check=True,
                                  env={**env, "PYTHONHASHSEED": "0"})  # same dict layouts every time
            line = next(x for x in done.stderr.splitlines() if "Collected :" in x)
            counts.append(int(line.split(":")[-1].strip()))
    return (counts[1] - counts[0]) / 20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--worker")
    parser.add_argument("--capture-file")
    parser.add_argument("--callgrind", action="store_true", help="also count instructions per run (valgrind)")
    parser.add_argument("--out", default=str(HERE / "results.md"))
    args = parser.parse_args()
    capture_file = Path(args.capture_file) if args.capture_file else None
    if args.worker == "capture":
        assert capture_file is not None
        capture(capture_file)
        return
    if args.worker:
        print(json.dumps(worker(args.worker, args.runs, capture_file)))
        return

    available = dict(SETUPS)
    try:
        import openinference.instrumentation.autogen_agentchat  # noqa: F401
    except ImportError:
        del available["openinference"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryDirectory() as tmp:
        capture_file = Path(tmp) / "run.json"
        subprocess.run([sys.executable, __file__, "--worker", "capture", "--capture-file", str(capture_file)],
                       check=True, env=env)
        samples: dict[str, list[dict[str, float]]] = {s: [] for s in available}
        for rep in range(args.reps):
            for setup in available:
                done = subprocess.run(_worker_cmd(setup, args.runs, capture_file),
                                      capture_output=True, text=True, check=True, env=env)
                samples[setup].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)
        instructions: dict[str, float] = {}
        if args.callgrind and shutil.which("valgrind"):
            for setup in ("none", "autogen-otel", "floor"):
                instructions[setup] = instructions_per_run(setup, capture_file, env)
                print(f"callgrind {setup} done", file=sys.stderr)

    def median(setup: str, key: str) -> float:
        return statistics.median(s[key] for s in samples[setup])

    base, native = median("none", "median_s"), median("native", "median_s")
    messages = int(samples["none"][0]["messages"])
    lines = [f"Workload: RoundRobinGroupChat, 2 agents with tools, {messages} messages per run, "
             "ReplayChatCompletionClient; BatchSpanProcessor + periodic metric reader, discarding exporters; "
             f"{args.reps} interleaved reps x {args.runs} runs per setup; medians.", "",
             "| setup | time per run | vs no tracing | vs native | spans per run | time per span | peak RSS |",
             "|---|---|---|---|---|---|---|"]
    per_span: dict[str, float] = {}
    for setup, label in available.items():
        time_per_run, spans = median(setup, "median_s"), median(setup, "spans_per_run")
        if setup == "floor":
            per_span[setup] = time_per_run / spans
            lines.append(f"| {label} | {time_per_run * 1000:.2f} ms | - | - | {spans:.0f} | "
                         f"{per_span[setup] * 1e6:.0f} µs | {median(setup, 'peak_kib'):.0f} KiB |")
            continue
        if spans:
            per_span[setup] = (time_per_run - base) / spans
        cost = f"{per_span[setup] * 1e6:.0f} µs" if spans else "-"
        lines.append(f"| {label} | {time_per_run * 1000:.2f} ms | {time_per_run / base:.2f}x | "
                     f"{time_per_run / native:.2f}x | {spans:.0f} | {cost} | {median(setup, 'peak_kib'):.0f} KiB |")
    lines += ["", f"autogen-otel per span: **{per_span['autogen-otel'] / per_span['floor']:.2f}x the SDK floor** "
              f"({per_span['autogen-otel'] * 1e6:.0f} µs vs {per_span['floor'] * 1e6:.0f} µs); with content capture "
              f"{per_span['autogen-otel-content'] / per_span['floor']:.2f}x."]
    if instructions:
        spans = median("autogen-otel", "spans_per_run")
        ours = (instructions["autogen-otel"] - instructions["none"]) / spans
        floor = instructions["floor"] / spans
        lines += ["", "Instructions (callgrind, 30 runs minus 10):", "",
                  "| setup | instructions per run | per span |", "|---|---|---|",
                  f"| no tracing | {instructions['none'] / 1e6:.2f} M | - |",
                  f"| autogen-otel | {instructions['autogen-otel'] / 1e6:.2f} M | {ours / 1e3:.0f} k over no tracing |",
                  f"| SDK floor | {instructions['floor'] / 1e6:.2f} M | {floor / 1e3:.0f} k |",
                  "", f"autogen-otel per span: {ours / floor:.2f}x the floor in instructions."]
    table = "\n".join(lines)
    print(table)
    Path(args.out).write_text(table + "\n")


if __name__ == "__main__":
    main()
