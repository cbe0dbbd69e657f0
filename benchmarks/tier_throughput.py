"""Throughput of the scale-out tier: synthetic agent runs (traces of 9 spans with autogen-otel's
attributes) sent over OTLP/gRPC as fast as one process can, through 1 agent-tier collector and 2
gateways (the real binaries from scripts/build-stack, the unchanged deploy/ files, every run kept so
nothing is lost to sampling) to two OTLP sinks on loopback. Reports spans/s, what the collectors
refused or failed to send, their peak RSS; then the same with gateway 2 killed mid-stream.

    python benchmarks/tier_throughput.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e.otlp_grpc_sink import OTLPGrpcSink  # noqa: E402
from e2e.test_stack import BIN, free_port, wait_for  # noqa: E402
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402

DEPLOY = ROOT / "deploy"
# The collector's own counters (prefixes of their _total names), and the spans
# still waiting in exporter queues (retrying) when the phase is measured.
COUNTERS = ("otelcol_receiver_refused_spans", "otelcol_exporter_send_failed_spans",
            "otelcol_exporter_enqueue_failed_spans", "otelcol_processor_dropped_spans",
            'otelcol_exporter_queue_size{data_type="traces"')


class Collector:
    def __init__(self, name: str, overlay: str, **env: str) -> None:
        self.name, self.health, self.metrics = name, free_port(), free_port()
        environment = {**os.environ, "COLLECTOR_HEALTH_ENDPOINT": f"127.0.0.1:{self.health}",
                       "COLLECTOR_TELEMETRY_HOST": "127.0.0.1", "COLLECTOR_TELEMETRY_PORT": str(self.metrics),
                       "PROMETHEUS_OTLP_ENDPOINT": "http://127.0.0.1:9/api/v1/otlp",
                       "COLLECTOR_QUEUE_DIR": tempfile.mkdtemp(prefix=f"{name}-queue-"), **env}
        self.command = [str(BIN / "otelcol-autogen-tier"), f"--config={DEPLOY / 'otel-collector.yaml'}",
                        f"--config={DEPLOY / overlay}"]
        self.environment = environment
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(self.command, env=self.environment, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(f"http://127.0.0.1:{self.health}/")

    def restart(self, how: int = signal.SIGKILL) -> None:
        """Stopped -- killed (SIGKILL: the OOM killer) or asked to (SIGTERM: an upgrade, a node
        drain) -- and started again on the same address."""
        self.proc.send_signal(how)
        self.proc.wait(timeout=30)
        self.start()

    def peak_rss_kib(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]

    def counters(self) -> dict[str, float]:
        """The collector's own refused/failed/dropped span counters (its Prometheus endpoint)."""
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics}/metrics", timeout=5).read().decode()
        except OSError:
            return {}
        totals: dict[str, float] = {}
        for line in text.splitlines():
            for name in COUNTERS:
                if line.startswith(name):
                    key = name.split("{")[0].removeprefix("otelcol_")
                    totals[key] = totals.get(key, 0.0) + float(line.rsplit(" ", 1)[1])
        return totals

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)


def send(endpoint: str, seconds: float, on_half: threading.Event | None = None) -> int:
    """Runs of 9 spans each (a workflow, 3 agent turns with a model call, 2 tool calls), as fast as
    possible; returns spans ended."""
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True),
                                                   max_queue_size=200_000, max_export_batch_size=2048))
    tracer = provider.get_tracer("tier-bench")
    ended, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        if on_half is not None and not on_half.is_set() and time.monotonic() - started > seconds / 2:
            on_half.set()
        with tracer.start_as_current_span("invoke_workflow bench", attributes={
                "gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "bench"}):
            for turn in range(3):
                with tracer.start_as_current_span("invoke_agent a", attributes={"gen_ai.agent.name": "a"}):
                    with tracer.start_as_current_span("chat gpt-4o-mini", attributes={
                            "gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 100 + turn}):
                        pass
                    if turn < 2:
                        with tracer.start_as_current_span("execute_tool t", attributes={"gen_ai.tool.name": "t"}):
                            pass
        ended += 9
    provider.shutdown()
    return ended


def phase(seconds: float, gateway_2: str | None) -> dict[str, object]:
    """gateway_2, half-way: None, "kill" (gone for good), "restart" (SIGKILL, back at once) or
    "graceful" (SIGTERM, back once it has stopped)."""
    sinks = [OTLPGrpcSink(), OTLPGrpcSink()]
    gateway_ports = [free_port(), free_port()]
    gateways = [Collector(f"gateway-{i + 1}", "otel-collector.gateway.yaml",
                          COLLECTOR_OTLP_GRPC_ENDPOINT=f"127.0.0.1:{port}",
                          COLLECTOR_OTLP_HTTP_ENDPOINT=f"127.0.0.1:{free_port()}",
                          TEMPO_OTLP_GRPC_ENDPOINT=f"127.0.0.1:{sink.port}", GATEWAY_ID=f"gateway-{i + 1}",
                          TAIL_DECISION_WAIT="2s", TAIL_KEEP_PERCENT="100")
                for i, (sink, port) in enumerate(zip(sinks, gateway_ports, strict=True))]
    agent_grpc = free_port()
    agent = Collector("agent", "otel-collector.agent.yaml", COLLECTOR_OTLP_GRPC_ENDPOINT=f"127.0.0.1:{agent_grpc}",
                      COLLECTOR_OTLP_HTTP_ENDPOINT=f"127.0.0.1:{free_port()}",
                      GATEWAY_ENDPOINTS=json.dumps([f"127.0.0.1:{p}" for p in gateway_ports]))
    half = threading.Event()
    if gateway_2:
        def kill() -> None:
            half.wait()
            if gateway_2 == "restart":
                gateways[1].restart()
            elif gateway_2 == "graceful":
                gateways[1].restart(signal.SIGTERM)
            else:
                gateways[1].proc.send_signal(signal.SIGKILL)

        threading.Thread(target=kill, daemon=True).start()
    started = time.monotonic()
    sent = send(f"http://127.0.0.1:{agent_grpc}", seconds, half)
    elapsed = time.monotonic() - started
    time.sleep(8)  # decision wait + batches + retries settle
    received = [len(sink.spans) for sink in sinks]
    result = {
        "spans sent": sent, "spans/s": round(sent / elapsed), "received per gateway": received,
        "lost": sent - sum(received),
        "agent refused/failed": agent.counters(), "gateway refused/failed": [g.counters() for g in gateways],
        "peak RSS KiB (agent, gateways)": [agent.peak_rss_kib()] + [g.peak_rss_kib() if g.proc.poll() is None
                                                                     else "killed" for g in gateways],
    }
    for collector in (agent, *gateways):
        collector.stop()
    for sink in sinks:
        sink.stop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--out", help="also write the report here (e.g. benchmarks/results-tier.md)")
    args = parser.parse_args()
    lines = [f"Scale-out tier: 1 agent + 2 gateways (otelcol-autogen-tier, deploy/ files, every run kept), "
             f"one sender process, {args.seconds:g} s per phase.", ""]
    for name, gateway_2 in (("steady", None), ("gateway 2 killed half-way", "kill"),
                            ("gateway 2 killed and restarted half-way (SIGKILL)", "restart"),
                            ("gateway 2 restarted half-way (SIGTERM)", "graceful")):
        lines.append(f"## {name}")
        lines.extend(f"- {key}: {value}" for key, value in phase(args.seconds, gateway_2).items())
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
