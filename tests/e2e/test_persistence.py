"""Nothing lost across a backend outage and a collector restart, end to end with the real binaries:
the collector's sending queues on disk (deploy/otel-collector.yaml's file_storage), the trace
backend (an OTLP/gRPC receiver standing where Tempo stands) and Prometheus stopped for a minute
while an app keeps running, the collector killed (SIGKILL, as the OOM killer does) and restarted in
the middle of it. Then a queue too small for the outage: data is dropped and counted, the collector
keeps running, and the drop alerts.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from .otlp_grpc_sink import OTLPGrpcSink
from .test_stack import (
    DEPLOY,
    binary,
    collector_env,
    free_port,
    get_json,
    prometheus_config,
    stop_all,
    wait_for,
    wait_until,
)

pytestmark = pytest.mark.e2e
SERVICE = "e2e-persistence-app"

# Runs the demo team over and over for SECONDS, recording the id of every span it ends (a second
# span processor beside the OTLP one), then the number of runs.
APP = """
import asyncio, time
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from autogen_otel.demo.llm_server import ScriptedLLMServer
from autogen_otel.demo.scenario import SCRIPT, run

class Record(SpanExporter):
    def __init__(self, path):
        self.out = open(path, "a")
    def export(self, spans):
        for s in spans:
            self.out.write(f"{s.context.trace_id:032x} {s.context.span_id:016x}\\n")
        self.out.flush()
        return SpanExportResult.SUCCESS

trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(Record(IDS)))

async def main():
    runs, deadline = 0, time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        with ScriptedLLMServer(SCRIPT) as server:
            await run(server.base_url)
        runs += 1
        await asyncio.sleep(0.5)
    open(RUNS, "w").write(str(runs))

asyncio.run(main())
"""


class Pipeline:
    """Collector -> trace sink + Prometheus, each stoppable and restartable on the same address."""

    def __init__(self, tmp: Path, **extra_env: str) -> None:
        self.tmp = tmp
        self.sink = OTLPGrpcSink()
        self.prom_port, self.http_port, self.health_port, self.telemetry_port = (
            free_port(), free_port(), free_port(), free_port())
        self.prom_url = f"http://127.0.0.1:{self.prom_port}"
        self.config = prometheus_config(tmp / "prometheus.yaml", {
            "prometheus": f"127.0.0.1:{self.prom_port}", "otel-collector": f"127.0.0.1:{self.telemetry_port}"})
        self.collector_env = collector_env(tmp / "queue", self.sink.port, f"{self.prom_url}/api/v1/otlp",
                                           http=self.http_port, health=self.health_port,
                                           telemetry=self.telemetry_port, **extra_env)
        self.prometheus: subprocess.Popen | None = None
        self.collector: subprocess.Popen | None = None
        self.starts = 0

    def start_prometheus(self) -> None:
        self.prometheus = subprocess.Popen([
            str(binary("prometheus")), f"--config.file={self.config}", f"--storage.tsdb.path={self.tmp / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{self.prom_port}", "--web.enable-otlp-receiver"],
            stdout=open(self.tmp / "prometheus.log", "a"), stderr=subprocess.STDOUT)
        wait_for(f"{self.prom_url}/-/ready")

    def stop_prometheus(self) -> None:
        assert self.prometheus is not None
        stop_all([self.prometheus])

    def start_collector(self) -> None:
        self.starts += 1
        log = open(self.tmp / f"collector-{self.starts}.log", "w")
        command = [str(binary("otelcol-autogen")), f"--config={DEPLOY / 'otel-collector.yaml'}"]
        self.collector = subprocess.Popen(command, env=self.collector_env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{self.health_port}/")

    def kill_collector(self) -> None:
        assert self.collector is not None
        self.collector.send_signal(signal.SIGKILL)
        self.collector.wait(10)

    def app(self, seconds: float) -> tuple[subprocess.Popen, Path, Path]:
        ids, runs = self.tmp / "span-ids.txt", self.tmp / "runs.txt"
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_"))}
        environment.update({"OTEL_SERVICE_NAME": SERVICE,
                            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{self.http_port}",
                            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "1000",
                            "OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp",
                            "OTEL_LOGS_EXPORTER": "none", "PYTHONWARNINGS": "ignore"})
        code = APP.replace("IDS", repr(str(ids))).replace("RUNS", repr(str(runs))).replace("SECONDS", str(seconds))
        command = [str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable, "-c", code]
        proc = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return proc, ids, runs

    def query(self, promql: str) -> list:
        return get_json(f"{self.prom_url}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))["data"]["result"]

    def stop(self) -> None:
        stop_all([p for p in (self.collector, self.prometheus) if p is not None and p.poll() is None])
        self.sink.stop()


def test_a_backend_outage_with_a_collector_kill_in_the_middle_loses_no_span_and_no_sample(tmp_path):
    pipeline = Pipeline(tmp_path)
    try:
        pipeline.start_prometheus()
        pipeline.start_collector()
        app, ids, runs = pipeline.app(seconds=75)
        time.sleep(8)
        outage = time.time()
        pipeline.sink.stop()  # Tempo and Prometheus go down for about a minute
        pipeline.stop_prometheus()
        time.sleep(25)
        pipeline.kill_collector()  # killed mid-outage with its queues full of waiting data...
        pipeline.start_collector()  # ...and back at once: the app's SDK retries over the gap
        time.sleep(35)
        pipeline.sink.restart()
        pipeline.start_prometheus()
        back = time.time()
        _, stderr = app.communicate(timeout=180)
        assert app.returncode == 0, stderr[-3000:]

        produced = set(ids.read_text().split("\n")) - {""}
        assert len(produced) > 200 and int(runs.read_text()) >= 20
        def arrived() -> set[str]:
            with pipeline.sink.lock:
                return {f"{s['trace_id']} {s['span_id']}" for s in pipeline.sink.spans}
        wait_until(lambda: produced <= arrived(), timeout=120)
        assert arrived() == produced  # every span of every run, nothing else, no duplicates lost or added
        traces = {line.split()[0] for line in produced}
        assert len({s["trace_id"] for s in pipeline.sink.spans}) == len(traces) == int(runs.read_text())
        with pipeline.sink.lock:
            assert len(pipeline.sink.spans) == len(produced)  # each span exactly once

        # Metrics: the counters' last values are the app's totals, and the samples cover the outage.
        total = wait_until(lambda: pipeline.query(f'sum(autogen_runs_total{{service_name="{SERVICE}"}})'), timeout=60)
        assert float(total[0]["value"][1]) == int(runs.read_text())
        window = int(time.time() - outage + 20)
        calls = f'gen_ai_client_operation_duration_seconds_count{{service_name="{SERVICE}"}}'
        # One series per endpoint (server.address/port): each run here starts its model server on a
        # new port; the first run's series is reported on every export of the process (cumulative).
        series = sorted(pipeline.query(f"{calls}[{window}s]"), key=lambda s: float(s["values"][0][0]))
        stamps = sorted(float(t) for s in series[:1] for t, _ in s["values"])
        inside = [t for t in stamps if outage < t < back]
        assert len(inside) >= 0.8 * (back - outage) - 5, (len(inside), back - outage)  # exported every second
        assert max(b - a for a, b in itertools.pairwise(stamps)) < 6  # no gap beyond the kill's few seconds
    finally:
        pipeline.stop()


def test_a_queue_too_small_for_the_outage_drops_and_counts_but_the_collector_stays_up(tmp_path):
    pipeline = Pipeline(tmp_path, EXPORT_QUEUE_SIZE="2")
    try:
        pipeline.start_prometheus()
        pipeline.start_collector()
        pipeline.sink.stop()
        app, _, _ = pipeline.app(seconds=20)
        app.communicate(timeout=120)
        assert pipeline.collector is not None and pipeline.collector.poll() is None  # dropped data, not the process
        wait_for(f"http://127.0.0.1:{pipeline.health_port}/")
        dropped = wait_until(lambda: pipeline.query(
            'sum by (exporter) (otelcol_exporter_enqueue_failed_spans_total{job="otel-collector"}) > 0'), timeout=60)
        assert dropped[0]["metric"]["exporter"] == "otlp_grpc/tempo"
        firing = wait_until(lambda: [a for a in get_json(f"{pipeline.prom_url}/api/v1/alerts")["data"]["alerts"]
                                     if a["labels"]["alertname"] == "AutoGenCollectorDroppingData"
                                     and a["state"] == "firing"], timeout=90)
        assert firing[0]["labels"]["exporter"] == "otlp_grpc/tempo" and firing[0]["labels"]["severity"] == "critical"
    finally:
        pipeline.stop()
