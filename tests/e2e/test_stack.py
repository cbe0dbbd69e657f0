"""End to end with the real binaries and the unchanged files from deploy/: the OpenTelemetry
Collector (custom build of exactly our components) and Prometheus/promtool, built by
scripts/build-stack at the versions docker-compose.yaml pins. Apps run under
opentelemetry-instrument / configure() and export OTLP to the collector.

Tempo cannot be obtained here (its Go module is not served by the proxy), so traces are checked
where the collector hands them to Tempo: an OTLP/gRPC receiver on Tempo's side of the pipeline.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .otlp_grpc_sink import OTLPGrpcSink

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(os.environ.get("AUTOGEN_OTEL_STACK_DIR", Path.home() / ".cache" / "autogen-otel" / "stack")) / "bin"
SERVICE = "e2e-autogen-app"
AG2_SERVICE = "e2e-ag2-app"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def binary(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{path} missing: run scripts/build-stack (scripts/test does)")
    return path


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} not ready after {timeout}s")


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.sink = OTLPGrpcSink()
        self.prom_port, self.http_port, self.grpc_port, self.health_port = (
            free_port(), free_port(), free_port(), free_port())
        self.prom_url = f"http://127.0.0.1:{self.prom_port}"
        self.otlp_endpoint = f"http://127.0.0.1:{self.http_port}"
        self.logs = tmp
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        self.procs.append(subprocess.Popen([
            str(binary("prometheus")), f"--config.file={DEPLOY / 'prometheus.yaml'}",
            f"--storage.tsdb.path={self.logs / 'tsdb'}", f"--web.listen-address=127.0.0.1:{self.prom_port}",
            "--web.enable-otlp-receiver", "--web.enable-remote-write-receiver",
            "--enable-feature=exemplar-storage",
        ], stdout=open(self.logs / "prometheus.log", "w"), stderr=subprocess.STDOUT))
        env = {**os.environ,
               "COLLECTOR_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{self.http_port}",
               "COLLECTOR_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{self.grpc_port}",
               "COLLECTOR_HEALTH_ENDPOINT": f"127.0.0.1:{self.health_port}",
               "TEMPO_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{self.sink.port}",
               "PROMETHEUS_OTLP_ENDPOINT": f"{self.prom_url}/api/v1/otlp"}
        self.procs.append(subprocess.Popen([
            str(binary("otelcol-autogen")), f"--config={DEPLOY / 'otel-collector.yaml'}",
        ], env=env, stdout=open(self.logs / "collector.log", "w"), stderr=subprocess.STDOUT))
        wait_for(f"{self.prom_url}/-/ready")
        wait_for(f"http://127.0.0.1:{self.health_port}/")

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.sink.stop()

    def query(self, promql: str) -> list:
        url = f"{self.prom_url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        data = get_json(url)
        assert data["status"] == "success", data
        return data["data"]["result"]

    def wait_query(self, promql: str, timeout: float = 60) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(promql)
            if result:
                return result
            time.sleep(1)
        raise AssertionError(f"no data for {promql}")


def run_app(stack: Stack, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_"))}
    environment.update({"OTEL_SERVICE_NAME": SERVICE, "OTEL_EXPORTER_OTLP_ENDPOINT": stack.otlp_endpoint,
                        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "1000",
                        "OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "none",
                        "PYTHONWARNINGS": "ignore", **env})
    done = subprocess.run(args, env=environment, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


# Steady traffic from one long-lived process, as in production: the demo's team (tools, a
# failing tool, a streamed call, several turns) three times, seconds apart, so every rate()
# over the exported series sees the counts move.
TRAFFIC = """
import asyncio
from autogen_otel.demo.llm_server import ScriptedLLMServer
from autogen_otel.demo.scenario import SCRIPT, run

async def main():
    for _ in range(RUNS):
        with ScriptedLLMServer(SCRIPT) as server:
            await run(server.base_url)
        await asyncio.sleep(2.5)

asyncio.run(main())
"""
TRAFFIC_RUNS = 3
AG2_TRAFFIC = """
import runpy, sys, time
sys.path.insert(0, EXAMPLES)
import _model
for _ in range(RUNS):
    for example in ("ag2_nightly_job.py", "ag2_group_chat.py"):
        _model._server = None  # a fresh scripted server: each run follows its script from the start
        runpy.run_path(f"{EXAMPLES}/{example}", run_name="__main__")
    time.sleep(2.5)
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("stack"))
    s.start()
    try:
        run_app(s, [str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable, "-c",
                    TRAFFIC.replace("RUNS", str(TRAFFIC_RUNS))])
        # An unmodified example under zero-code instrumentation.
        run_app(s, [str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable,
                    str(ROOT / "examples" / "round_robin_tools.py")])
        # The unmodified AG2 Classic examples, run repeatedly by one process under their own service name.
        run_app(s, [str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable, "-c",
                    AG2_TRAFFIC.replace("RUNS", str(TRAFFIC_RUNS)).replace("EXAMPLES", repr(str(ROOT / "examples")))],
                OTEL_SERVICE_NAME=AG2_SERVICE)
        yield s
    finally:
        s.stop()


def test_promtool_rule_unit_tests_pass():
    done = subprocess.run([str(binary("promtool")), "test", "rules",
                           str(DEPLOY / "rules-tests" / "autogen-alerts.test.yaml")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


def test_shipped_configs_validate_with_the_real_binaries():
    check = subprocess.run([str(binary("promtool")), "check", "config", str(DEPLOY / "prometheus.yaml")],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    for overlay in ([], ["otel-collector.redact-content.yaml"], ["otel-collector.extra-backend.yaml"]):
        args = [str(binary("otelcol-autogen")), "validate", f"--config={DEPLOY / 'otel-collector.yaml'}"]
        args += [f"--config={DEPLOY / name}" for name in overlay]
        env = {**os.environ, "EXTRA_OTLP_ENDPOINT": "https://otlp.example.invalid",
               "EXTRA_OTLP_AUTHORIZATION": "Bearer test"}
        done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
        assert done.returncode == 0, (overlay, done.stdout + done.stderr)


def test_traces_reach_tempo_side_as_one_trace_per_run_with_secrets_scrubbed(stack):
    deadline = time.monotonic() + 30
    runs = TRAFFIC_RUNS + 1
    while time.monotonic() < deadline and len({s["trace_id"] for s in stack.sink.spans}) < runs + 2 * TRAFFIC_RUNS:
        time.sleep(0.5)
    spans = [s for s in stack.sink.spans if s["resource"].get("service.name") == SERVICE]
    roots = [s for s in spans if not s["parent_id"]]
    assert sorted(r["name"] for r in roots) == ["invoke_workflow RoundRobinGroupChat"] * runs
    ag2 = [s for s in stack.sink.spans if s["resource"].get("service.name") == AG2_SERVICE]
    assert sorted(s["name"] for s in ag2 if not s["parent_id"]) == ["invoke_workflow editorial"] * TRAFFIC_RUNS + [
        "invoke_workflow user_proxy"] * TRAFFIC_RUNS
    assert len({s["trace_id"] for s in ag2}) == 2 * TRAFFIC_RUNS
    assert len({s["trace_id"] for s in spans}) == runs
    names = {s["name"] for s in spans}
    assert {"invoke_agent researcher", "execute_tool weather_forecast", "chat gpt-4o",
            "execute_tool get_weather"} <= names
    failing = next(s for s in spans if s["name"] == "execute_tool weather_forecast")
    assert failing["attributes"]["error.type"] == "ConnectionError" and failing["status"] == 2
    assert not any("sk-" in str(v) for s in spans for v in s["attributes"].values())


def test_token_and_cost_metrics_in_prometheus_match_the_spans(stack):
    sel = f'service_name="{SERVICE}"'
    tokens = stack.wait_query(f'sum(gen_ai_client_token_usage_sum{{{sel}, gen_ai_token_type="input"}})')
    chats = [s for s in stack.sink.spans if s["name"].startswith("chat ")
             and s["resource"].get("service.name") == SERVICE]
    assert float(tokens[0]["value"][1]) == sum(s["attributes"]["gen_ai.usage.input_tokens"] for s in chats)
    cost = stack.wait_query(f"sum(autogen_cost_total{{{sel}}})")
    assert float(cost[0]["value"][1]) == pytest.approx(sum(s["attributes"].get("autogen.cost.usd", 0) for s in chats),
                                                       rel=1e-3)
    durations = stack.wait_query(f"sum(gen_ai_client_operation_duration_seconds_count{{{sel}}})")
    assert float(durations[0]["value"][1]) == len(chats)
    labels = stack.query(f"gen_ai_client_token_usage_sum{{{sel}}}")[0]["metric"]
    assert {"gen_ai_request_model", "gen_ai_token_type", "gen_ai_provider_name", "service_name"} <= set(labels)


def dashboard_queries() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted((ROOT / "grafana" / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                if "expr" in target:
                    found.append((path.name, panel["title"], target["expr"]))
    return found


@pytest.mark.parametrize("board,title,expr", dashboard_queries(), ids=lambda v: str(v)[:60])
def test_every_dashboard_promql_query_returns_data(stack, board, title, expr):
    promql = (expr.replace("$__rate_interval", "2m").replace("$__range", "1h")
              .replace("$service", SERVICE).replace("$team", ".*"))
    assert "$" not in promql, promql
    result = stack.wait_query(promql, timeout=45)
    assert result, f"{board} / {title}: empty"


# The panels an AG2 Classic app feeds (it does not stream, so no time-to-first-chunk).
AG2_PANELS = [(b, t, e) for b, t, e in dashboard_queries() if "first_chunk" not in e and "loop" not in e]


@pytest.mark.parametrize("board,title,expr", AG2_PANELS, ids=lambda v: str(v)[:60])
def test_dashboard_promql_queries_show_ag2_classic_data(stack, board, title, expr):
    promql = (expr.replace("$__rate_interval", "2m").replace("$__range", "1h")
              .replace("$service", AG2_SERVICE).replace("$team", "(user_proxy|editorial)"))
    result = stack.wait_query(promql, timeout=45)
    assert result, f"{board} / {title}: empty for AG2 Classic"


def test_rules_load_healthy_and_a_runaway_run_fires_its_alert(stack):
    groups = get_json(f"{stack.prom_url}/api/v1/rules")["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == 8
    assert all(r["health"] == "ok" for r in rules), [(r["name"], r.get("lastError")) for r in rules]
    runaway = ("import asyncio\n"
               "from autogen_agentchat.agents import AssistantAgent\n"
               "from autogen_agentchat.conditions import MaxMessageTermination\n"
               "from autogen_agentchat.teams import RoundRobinGroupChat\n"
               "from autogen_ext.models.replay import ReplayChatCompletionClient\n"
               "async def main():\n"
               "    for _ in range(3):\n"
               "        agent = AssistantAgent('looper', model_client=ReplayChatCompletionClient(['again'] * 5))\n"
               "        team = RoundRobinGroupChat([agent], termination_condition=MaxMessageTermination(5),\n"
               "                                   name='runaway')\n"
               "        await team.run(task='go')\n"
               "asyncio.run(main())\n")
    run_app(stack, [str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable, "-c", runaway])
    deadline = time.monotonic() + 90
    firing: set[str] = set()
    while time.monotonic() < deadline and not {"AutoGenRunawayConversations", "AutoGenLoopDetected"} <= firing:
        alerts = get_json(f"{stack.prom_url}/api/v1/alerts")["data"]["alerts"]
        firing = {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"
                  and a["labels"].get("gen_ai_workflow_name") == "runaway"}
        time.sleep(2)
    assert {"AutoGenRunawayConversations", "AutoGenLoopDetected"} <= firing, firing


def test_dashboard_traceql_queries_need_tempo():
    queries = [t["query"] for p in sorted((ROOT / "grafana" / "dashboards").glob("*.json"))
               for panel in json.loads(p.read_text())["panels"] for t in panel.get("targets", []) if "query" in t]
    assert queries and all(re.match(r"^\{.*\}$", q) for q in queries)
    pytest.skip("Tempo 3.0.3 cannot be built here (Go module proxy answers 403 for github.com/grafana/tempo): "
                f"{len(queries)} TraceQL queries are not executed")
