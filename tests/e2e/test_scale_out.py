"""The scale-out tier end to end: one agent-tier collector and two gateways, with the unchanged
deploy/ files, built by scripts/build-stack. Many concurrent instrumented runs of four kinds go
through the agent; every run's spans must land on one gateway, every run worth keeping must be
kept whole, ordinary runs at the configured rate, and span metrics (computed before sampling)
must count every run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

import pytest

from .otlp_grpc_sink import OTLPGrpcSink
from .test_stack import DEPLOY, binary, collector_env, free_port, get_json, stop_all, wait_for, wait_until

pytestmark = pytest.mark.e2e

RUNS = {"ordinary": 200, "failing": 10, "looping": 10, "expensive": 10}
KEEP_PERCENT = 10
SERVICE = "e2e-scale-out"

TRAFFIC = """
import asyncio
import autogen_otel
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_ext.models.openai import OpenAIChatCompletionClient
from autogen_otel.demo.llm_server import Reply, ScriptedLLMServer

RUNS = __RUNS__
SCRIPT = {
    "You are ordinary": [Reply("Done. TERMINATE")],
    "You are failing": [Reply(tool_calls=[("lookup", {"q": "x"})])],
    "You are looping": [Reply("Let me check again.")],
    "You are expensive": [Reply("Done. TERMINATE", model="gpt-4o")],
}

async def lookup(q: str) -> str:
    \"\"\"A tool whose backend is down.\"\"\"
    raise ConnectionError("lookup backend down")

async def one(base_url, kind):
    client = OpenAIChatCompletionClient(model="gpt-4o" if kind == "expensive" else "gpt-4o-mini",
                                        base_url=base_url, api_key="sk-e2e")
    agent = AssistantAgent("worker", model_client=client, system_message=f"You are {kind}.",
                           tools=[lookup] if kind == "failing" else None)
    stop = TextMentionTermination("TERMINATE") | MaxMessageTermination(2 if kind == "failing" else 5)
    team = RoundRobinGroupChat([agent], termination_condition=stop, name=kind)
    task = "data " * 20000 if kind == "expensive" else "go"
    await team.run(task=task)

async def main():
    configured = autogen_otel.configure(console=False, metric_interval_ms=1000)
    with ScriptedLLMServer(SCRIPT) as server:
        jobs = [kind for kind, n in RUNS.items() for _ in range(n)]
        for start in range(0, len(jobs), 23):
            await asyncio.gather(*(one(server.base_url, kind) for kind in jobs[start:start + 23]))
    configured.shutdown()

asyncio.run(main())
"""


class Tier:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.sinks = [OTLPGrpcSink(), OTLPGrpcSink()]
        self.prom_port = free_port()
        self.prom_url = f"http://127.0.0.1:{self.prom_port}"
        self.gateway_ports = [free_port(), free_port()]
        self.agent_http = free_port()
        self.procs: list[subprocess.Popen] = []
        self.telemetry: dict[str, int] = {}

    def collector(self, name: str, overlay: str, grpc: int, http: int, tempo: int | None = None, **env: str) -> None:
        health = free_port()
        self.telemetry[name] = free_port()
        environment = collector_env(self.tmp / f"{name}-queue", tempo, f"{self.prom_url}/api/v1/otlp",
                                    grpc=grpc, http=http, health=health, telemetry=self.telemetry[name], **env)
        self.procs.append(subprocess.Popen(
            [str(binary("otelcol-autogen-tier")), f"--config={DEPLOY / 'otel-collector.yaml'}",
             f"--config={DEPLOY / overlay}"],
            env=environment, stdout=open(self.tmp / f"{name}.log", "w"), stderr=subprocess.STDOUT))
        wait_for(f"http://127.0.0.1:{health}/")

    def start(self) -> None:
        self.procs.append(subprocess.Popen([
            str(binary("prometheus")), f"--config.file={DEPLOY / 'prometheus.yaml'}",
            f"--storage.tsdb.path={self.tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{self.prom_port}",
            "--web.enable-otlp-receiver"], stdout=open(self.tmp / "prometheus.log", "w"), stderr=subprocess.STDOUT))
        wait_for(f"{self.prom_url}/-/ready")
        for index, (sink, port) in enumerate(zip(self.sinks, self.gateway_ports, strict=True)):
            self.collector(f"gateway-{index + 1}", "otel-collector.gateway.yaml",
                           grpc=port, http=free_port(), tempo=sink.port,
                           GATEWAY_ID=f"gateway-{index + 1}", TAIL_DECISION_WAIT="3s", SPAN_METRICS_FLUSH_INTERVAL="2s",
                           COLLECTOR_TELEMETRY_INTERVAL_MS="2000",
                           TAIL_KEEP_PERCENT=str(KEEP_PERCENT), TAIL_KEEP_COST_USD="0.02")
        self.collector("agent", "otel-collector.agent.yaml",
                       grpc=free_port(), http=self.agent_http,
                       GATEWAY_ENDPOINTS=json.dumps([f"127.0.0.1:{p}" for p in self.gateway_ports]))

    def stop(self) -> None:
        stop_all(self.procs[::-1])
        for sink in self.sinks:
            sink.stop()


@pytest.fixture(scope="module")
def tier(tmp_path_factory):
    t = Tier(tmp_path_factory.mktemp("tier"))
    try:
        t.start()  # inside the try: a collector that fails to start must not leave the others running
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_"))}
        environment.update({"OTEL_SERVICE_NAME": SERVICE, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{t.agent_http}",
                            "PYTHONWARNINGS": "ignore"})
        done = subprocess.run([sys.executable, "-c", TRAFFIC.replace("__RUNS__", repr(RUNS))], env=environment,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        yield t
    finally:
        t.stop()


def kept_runs(tier: Tier) -> dict[str, dict[str, list[dict]]]:
    """kind -> trace id -> spans, per what the gateways exported (the sampled traces)."""
    by_trace: dict[str, list[dict]] = defaultdict(list)
    where: dict[str, set[int]] = defaultdict(set)
    for index, sink in enumerate(tier.sinks):
        for span in sink.spans:
            by_trace[span["trace_id"]].append(span)
            where[span["trace_id"]].add(index)
    assert all(len(gateways) == 1 for gateways in where.values()), "a run's spans were split across gateways"
    kinds: dict[str, dict[str, list[dict]]] = defaultdict(dict)
    for trace_id, spans in by_trace.items():
        root = next(s for s in spans if not s["parent_id"])
        kinds[root["attributes"]["gen_ai.workflow.name"]][trace_id] = spans
    return kinds


def test_runs_worth_keeping_are_kept_whole_and_the_rest_at_the_configured_rate(tier):
    def settled():
        kinds = kept_runs(tier)
        return kinds if all(len(kinds.get(k, {})) == n for k, n in RUNS.items() if k != "ordinary") else None

    kinds = wait_until(settled, timeout=60)
    time.sleep(5)  # the last decisions (decision_wait) are out
    kinds = kept_runs(tier)
    for kind in ("failing", "looping", "expensive"):
        for spans in kinds[kind].values():
            names = [s["name"] for s in spans]
            assert names.count(f"invoke_workflow {kind}") == 1 and any(n.startswith("chat ") for n in names), names
    ordinary = len(kinds.get("ordinary", {}))
    expected = RUNS["ordinary"] * KEEP_PERCENT / 100
    assert expected / 3 <= ordinary <= expected * 2.5, ordinary  # binomial(200, 0.1): 20 +- 4.2
    # Both gateways took a share of the runs.
    assert all(sink.spans for sink in tier.sinks)


def test_span_metrics_count_every_run_not_the_sampled_ones(tier):
    query = (f'sum by (gen_ai_workflow_name) (traces_span_metrics_calls_total{{service_name="{SERVICE}", '
             'gen_ai_operation_name="invoke_workflow"})')

    seen: list[dict[str, float]] = []

    def counted():
        url = f"{tier.prom_url}/api/v1/query?" + urllib.parse.urlencode({"query": query})
        result = {r["metric"].get("gen_ai_workflow_name", ""): float(r["value"][1])
                  for r in get_json(url)["data"]["result"]}
        seen.append(result)
        return result if result == {k: float(n) for k, n in RUNS.items()} else None

    try:
        wait_until(counted, timeout=60)
    except AssertionError:
        raw = get_json(f"{tier.prom_url}/api/v1/query?" + urllib.parse.urlencode(
            {"query": 'traces_span_metrics_calls_total{gen_ai_workflow_name="failing"}[2m]'}))["data"]["result"]
        raise AssertionError(f"last: {seen[-1:]}; raw: {raw}") from None


def test_the_collector_tier_dashboard_shows_sampling_decisions(tier):
    from .test_stack import fill

    board = json.loads((DEPLOY.parent / "grafana" / "dashboards" / "autogen-collector-tier.json").read_text())
    queries = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert queries

    def answer(expr: str) -> list:
        url = f"{tier.prom_url}/api/v1/query?" + urllib.parse.urlencode({"query": fill(expr)})
        return get_json(url)["data"]["result"]

    for expr in queries:
        assert wait_until(lambda expr=expr: answer(expr), timeout=45), expr
    # Every run decided exactly once, on one gateway (the raw counters; increase() extrapolates).
    decided = lambda: answer("sum(otelcol_processor_tail_sampling_global_count_traces_sampled_total)")  # noqa: E731
    assert wait_until(lambda: float(decided()[0]["value"][1]) == sum(RUNS.values()), timeout=30)
