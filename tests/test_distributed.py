"""AutoGen's distributed runtime: a real GrpcWorkerAgentRuntimeHost, a researcher and a writer
worker and a driver, each its own process under ``opentelemetry-instrument``, exporting OTLP/HTTP
to a receiver here. Every run must be one trace with the causal parent of every hop."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from otlp_receiver import OTLPReceiver, exporting_env

pytest.importorskip("autogen_ext.runtimes.grpc")

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "tests" / "distributed_app.py"
EXAMPLE = ROOT / "examples" / "distributed_team.py"
BIN = Path(sys.executable).parent
SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL = 2, 3, 4, 5, 1  # OTLP span kinds
ERROR = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """Host and two workers; ``drive`` runs a driver to its end and returns its runs' outcomes."""

    def __init__(self, runtime_spans: str, receiver: OTLPReceiver, plain: tuple[str, ...] = (),
                 **worker_env: dict[str, str]) -> None:
        self.address = f"127.0.0.1:{_free_port()}"
        self.receiver = receiver
        self.runtime_spans = runtime_spans
        self.processes: dict[str, subprocess.Popen[str]] = {}
        self.startup_spans: list[dict[str, Any]] = []
        self._start("host", [str(EXAMPLE), "host", "--address", self.address])
        for role in ("researcher", "writer"):
            args = [str(APP), "worker", role, self.address]
            extra = worker_env.get(role, {})
            if "DELAY" in extra:
                args += ["--delay", extra["DELAY"]]
            self._start(role, args, extra, instrumented=role not in plain)

    def env(self, service: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return exporting_env(self.receiver, f"dist-{service}",
                             {"AUTOGEN_OTEL_RUNTIME_SPANS": self.runtime_spans, **(extra or {})})

    def _start(self, name: str, args: list[str], extra: dict[str, str] | None = None,
               instrumented: bool = True) -> None:
        launcher = [str(BIN / "opentelemetry-instrument")] if instrumented else []
        process = subprocess.Popen([*launcher, sys.executable, *args],
                                   env=self.env(name, extra), stdout=subprocess.PIPE, text=True)
        self.processes[name] = process
        assert process.stdout is not None
        line = process.stdout.readline()  # "host listening ..." / "<role> ready"
        assert line, f"{name} did not start"

    def drive(self, mode: str, runs: int = 1, app_span: bool = False, timeout: float = 90) -> list[dict[str, Any]]:
        args = [str(BIN / "opentelemetry-instrument"), sys.executable, str(APP), "driver", self.address,
                "--mode", mode, "--runs", str(runs)] + (["--app-span"] if app_span else [])
        done = subprocess.run(args, env=self.env("driver"), capture_output=True, text=True, timeout=timeout,
                              check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def settled_spans(receiver: OTLPReceiver, since: int, quiet: float = 1.5, limit: float = 30) -> list[dict[str, Any]]:
    """Spans received after index ``since``, once nothing new has arrived for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    count, changed = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = len(receiver.spans)
        if now != count:
            count, changed = now, time.monotonic()
        elif now > since and time.monotonic() - changed >= quiet:
            break
        time.sleep(0.1)
    return receiver.spans[since:]


def by_trace(spans: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    traces: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        traces[span["trace_id"]].append(span)
    return traces


def is_runtime_span(span: dict[str, Any]) -> bool:
    return span["scope"].startswith("autogen ")  # AutoGen's own runtime tracer, kept in nested mode


def logical_tree(spans: list[dict[str, Any]]) -> list[str]:
    """Our spans as ``depth name @service kind``, each under its nearest ancestor of ours."""
    by_id = {s["span_id"]: s for s in spans}
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        if is_runtime_span(span):
            continue
        parent = by_id.get(span["parent_id"])
        while parent is not None and is_runtime_span(parent):
            parent = by_id.get(parent["parent_id"])
        children[parent["span_id"] if parent else ""].append(span)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for span in sorted(children[parent], key=lambda s: (s["name"], s["resource"]["service.name"])):
            service = span["resource"]["service.name"].removeprefix("dist-")
            lines.append(f"{depth} {span['name']} @{service} {span['kind']}")
            walk(span["span_id"], depth + 1)

    walk("", 0)
    return lines


def assert_whole(trace: list[dict[str, Any]]) -> None:
    """One root; every other span's parent is in the same trace (no orphans)."""
    ids = {s["span_id"] for s in trace}
    roots = [s for s in trace if not s["parent_id"]]
    assert len(roots) == 1, [s["name"] for s in roots]
    orphans = [s["name"] for s in trace if s["parent_id"] and s["parent_id"] not in ids]
    assert not orphans, orphans


CHAT = "chat gpt-4o-mini"


def shifted(lines: list[str], by: int) -> list[str]:
    return [f"{int(line.split(' ', 1)[0]) + by} {line.split(' ', 1)[1]}" for line in lines]


# Under the driver's first hop (depth 0): CLIENT 3, SERVER 2, PRODUCER 4, CONSUMER 5.
RPC_HOPS = [
    "1 invoke_agent researcher @researcher 2",
    f"2 {CHAT} @researcher 3",
    "2 send writer @researcher 3",
    "3 invoke_agent writer @writer 2",
    f"4 {CHAT} @writer 3",
]
EXPECTED = {
    "rpc": ["0 invoke_workflow researcher @driver 3", *RPC_HOPS],
    "rpc+app": ["0 app request @driver 1", "1 send researcher @driver 3", *shifted(RPC_HOPS, 1)],
    "pubsub": [
        "0 invoke_workflow research @driver 4",
        "1 invoke_agent researcher @researcher 5",
        f"2 {CHAT} @researcher 3",
        "2 publish writing @researcher 4",
        "3 invoke_agent writer @writer 5",
        f"4 {CHAT} @writer 3",
        "4 publish results @writer 4",
        "5 invoke_agent collector @driver 5",
    ],
    "mixed": [
        "0 invoke_workflow research @driver 4",
        "1 invoke_agent researcher @researcher 5",
        f"2 {CHAT} @researcher 3",
        "2 publish results @researcher 4",
        "3 invoke_agent collector @driver 5",
        "2 send writer @researcher 3",
        "3 invoke_agent writer @writer 2",
        f"4 {CHAT} @writer 3",
    ],
}


@pytest.fixture(scope="module", params=["suppress", "nested"])
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    receiver = OTLPReceiver()
    running = Cluster(request.param, receiver)
    running.startup_spans = settled_spans(receiver, 0, quiet=1.0, limit=3)
    yield running
    running.stop()
    receiver.stop()


def check_runs(cluster: Cluster, mode: str, runs: int, app_span: bool = False) -> list[list[dict[str, Any]]]:
    since = len(cluster.receiver.spans)
    outcomes = cluster.drive(mode, runs, app_span)
    assert len(outcomes) == runs and all("article" in o for o in outcomes), outcomes
    traces = by_trace(settled_spans(cluster.receiver, since))
    assert len(traces) == runs, [sorted(s["name"] for s in t) for t in traces.values()]
    expected = EXPECTED[f"{mode}+app" if app_span else mode]
    for trace in traces.values():
        assert_whole(trace)
        assert logical_tree(trace) == expected
        assert any(is_runtime_span(s) for s in trace) == (cluster.runtime_spans == "nested")
        chats = [s for s in trace if s["name"] == CHAT]
        assert {c["resource"]["service.name"] for c in chats} == {"dist-researcher", "dist-writer"}
        assert all(c["attributes"]["gen_ai.usage.input_tokens"] > 0 for c in chats)
        assert all(c["attributes"]["gen_ai.usage.output_tokens"] > 0 for c in chats)
        assert not any(s["status"] == ERROR for s in trace)
    return list(traces.values())


def test_starting_host_and_workers_makes_no_traces(cluster: Cluster) -> None:
    """Registrations and subscriptions are not runs."""
    assert cluster.startup_spans == []


def test_rpc_chain_without_an_app_span(cluster: Cluster) -> None:
    check_runs(cluster, "rpc", 1)


def test_rpc_chain_inside_an_app_span(cluster: Cluster) -> None:
    (trace,) = check_runs(cluster, "rpc", 1, app_span=True)
    root = next(s for s in trace if not s["parent_id"])
    assert root["scope"] == "app"


def test_publish_subscribe_chain_over_three_topics(cluster: Cluster) -> None:
    check_runs(cluster, "pubsub", 1)


def test_mixed_publish_and_rpc_chain(cluster: Cluster) -> None:
    check_runs(cluster, "mixed", 1)


@pytest.mark.parametrize("mode", ["rpc", "pubsub", "mixed"])
def test_concurrent_runs_never_cross(cluster: Cluster, mode: str) -> None:
    check_runs(cluster, mode, 4)


def test_each_process_totals_its_share_and_the_trace_sums_them(cluster: Cluster) -> None:
    """The per-process run roots (what the waterfall dashboard's totals panel sums) add up to the
    trace's model calls; metric labels carry agent types, never a run id."""
    (trace,) = check_runs(cluster, "mixed", 1)
    chats = [s for s in trace if s["name"] == CHAT]
    run_roots = [s for s in trace if "autogen.run.stop_category" in s["attributes"]]
    assert Counter(s["resource"]["service.name"] for s in run_roots) == Counter(
        {"dist-researcher": 1, "dist-writer": 1, "dist-driver": 1})
    for key in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"):
        assert sum(s["attributes"].get(key, 0) for s in run_roots) == sum(c["attributes"][key] for c in chats)
    assert sum(s["attributes"].get("autogen.run.model_calls", 0) for s in run_roots) == len(chats)

    labels = {(a.key, a.value.string_value) for metrics in cluster.receiver.metrics.values() for m in metrics
              for points in (m.histogram.data_points, m.sum.data_points, m.gauge.data_points)
              for p in points for a in p.attributes}
    agents = {value for key, value in labels if key == "gen_ai.agent.name"}
    assert {"researcher", "writer"} <= agents
    assert not any(len(value) >= 32 for _, value in labels), sorted(labels)


@pytest.mark.parametrize("runtime_spans", ["suppress", "nested"])
def test_a_worker_dying_mid_run_ends_the_trace_with_an_error(runtime_spans: str) -> None:
    receiver = OTLPReceiver()
    cluster = Cluster(runtime_spans, receiver, researcher={"DISTRIBUTED_REPLY_TIMEOUT": "6"},
                      writer={"DELAY": "30"})
    try:
        driver = subprocess.Popen([str(BIN / "opentelemetry-instrument"), sys.executable, str(APP), "driver",
                                   cluster.address, "--mode", "rpc"], env=cluster.env("driver"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)  # the writer is now waiting on its (slow) model
        cluster.processes["writer"].kill()
        out, err = driver.communicate(timeout=60)
        (outcome,) = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert outcome["error"] == "Exception", err  # the researcher's TimeoutError, relayed by AutoGen
    finally:
        cluster.stop()
        receiver.stop()
    traces = by_trace(receiver.spans)
    assert len(traces) == 1
    (trace,) = traces.values()
    assert_whole(trace)
    root = next(s for s in trace if not s["parent_id"])
    researcher = next(s for s in trace if s["name"] == "invoke_agent researcher")
    assert root["status"] == ERROR and root["attributes"]["error.type"] == "Exception"
    assert researcher["status"] == ERROR and researcher["attributes"]["error.type"] == "RuntimeError"
    assert logical_tree(trace)[:2] == ["0 invoke_workflow researcher @driver 3",
                                       "1 invoke_agent researcher @researcher 2"]
    assert not [s for s in trace if s["resource"]["service.name"] == "dist-writer"]  # killed before exporting


def test_an_uninstrumented_worker_breaks_nothing() -> None:
    """Only some processes traced: the run works, the trace has a gap where the plain worker is."""
    receiver = OTLPReceiver()
    cluster = Cluster("suppress", receiver, plain=("writer",))
    try:
        for mode in ("rpc", "pubsub"):
            since = len(receiver.spans)
            (outcome,) = cluster.drive(mode)
            assert outcome["article"]
            traces = by_trace(settled_spans(receiver, since))
            services = {s["resource"]["service.name"] for t in traces.values() for s in t}
            assert services == {"dist-driver", "dist-researcher"}
            # The plain writer forwards no context: its published result starts a new trace.
            assert len(traces) == (1 if mode == "rpc" else 2)
            for trace in traces.values():
                assert_whole(trace)
    finally:
        cluster.stop()
        receiver.stop()


def test_the_example_as_the_readme_runs_it() -> None:
    """``opentelemetry-instrument python examples/distributed_team.py``: the launcher's four
    processes inherit the instrumentation; one trace spans driver, researcher and writer."""
    receiver = OTLPReceiver()
    try:
        env = exporting_env(receiver, "shop")
        done = subprocess.run([str(BIN / "opentelemetry-instrument"), sys.executable, str(EXAMPLE),
                               "--address", f"127.0.0.1:{_free_port()}"],
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "[mixed] " in done.stdout
        spans = settled_spans(receiver, 0)
    finally:
        receiver.stop()
    traces = by_trace(spans)
    assert len(traces) == 1, [sorted(s["name"] for s in t) for t in traces.values()]
    (trace,) = traces.values()
    assert_whole(trace)
    assert {s["resource"]["service.name"] for s in trace} == {"shop-driver", "shop-researcher", "shop-writer"}


def test_sender_contexts_parse_correctly_from_many_threads_at_once():
    """The runtime hands messages to handlers on several threads: the small cache of parsed sender
    contexts is shared, and every lookup still finds its own sender."""
    import threading
    from types import SimpleNamespace

    from autogen_otel.agentchat.runtime import sender_context
    from opentelemetry import trace

    wrong: list[str] = []

    def hammer(worker: int) -> None:
        for i in range(3000):
            trace_id, span_id = f"{worker:08x}{i:024x}", f"{i + 1:016x}"
            try:
                ctx = sender_context(SimpleNamespace(traceparent=f"00-{trace_id}-{span_id}-01", tracestate=None))
            except RuntimeError as exc:  # "dictionary changed size during iteration"
                wrong.append(repr(exc))
                continue
            got = trace.get_current_span(ctx).get_span_context() if ctx is not None else None
            if got is None or f"{got.trace_id:032x}" != trace_id:
                wrong.append(f"{worker}/{i}")

    import sys

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can: between any two bytecodes
    try:
        threads = [threading.Thread(target=hammer, args=(w + 1,)) for w in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not wrong, wrong[:5]
