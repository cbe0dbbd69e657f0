"""Unmodified example apps under ``opentelemetry-instrument``, exporting OTLP/HTTP to a receiver."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from otlp_receiver import OTLPReceiver

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BIN = Path(sys.executable).parent


def run_instrumented(script: str, receiver: OTLPReceiver, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_"))}
    environment.update({
        "OTEL_SERVICE_NAME": "example-app",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "none",
        "PYTHONWARNINGS": "ignore",
        **env,
    })
    name, *args = script.split()
    return subprocess.run([str(BIN / "opentelemetry-instrument"), sys.executable, str(EXAMPLES / name), *args],
                          env=environment, capture_output=True, text=True, timeout=120, check=False)


def _check_agents_tools_and_chats(spans, agents, tools):
    """The run's agents and tools are the expected ones; every model call counted tokens."""
    assert sorted({s["attributes"]["gen_ai.agent.name"] for s in spans if s["name"].startswith("invoke_agent")}) \
        == agents
    assert sorted({s["attributes"]["gen_ai.tool.name"] for s in spans if s["name"].startswith("execute_tool")}) \
        == tools
    chats = [s for s in spans if s["name"].startswith("chat ")]
    assert chats and all(s["attributes"]["gen_ai.usage.input_tokens"] > 0 for s in chats)
    return chats


@pytest.fixture
def receiver():
    r = OTLPReceiver()
    yield r
    r.stop()


@pytest.mark.parametrize("script,agents,tools", [
    ("round_robin_tools.py", ["planner", "critic"], ["get_weather"]),
    ("selector_team.py", ["researcher", "writer"], []),
    ("swarm_handoffs.py", ["triage", "billing"], ["transfer_to_billing", "refund"]),
])
def test_example_under_opentelemetry_instrument(receiver, script, agents, tools):
    done = run_instrumented(script, receiver)
    assert done.returncode == 0, done.stderr
    assert "TERMINATE" in done.stdout

    spans = receiver.spans
    assert len({s["trace_id"] for s in spans}) == 1, [s["name"] for s in spans]
    assert all(s["scope"] == "autogen_otel.instrumentor" for s in spans), {s["scope"] for s in spans}
    roots = [s for s in spans if not s["parent_id"]]
    assert len(roots) == 1 and roots[0]["name"].startswith("invoke_workflow ")
    assert roots[0]["resource"]["service.name"] == "example-app"
    agent_names = [s["attributes"]["gen_ai.agent.name"] for s in spans if s["name"].startswith("invoke_agent")]
    assert sorted(set(agent_names)) == sorted(agents)
    tool_names = Counter(s["attributes"]["gen_ai.tool.name"] for s in spans if s["name"].startswith("execute_tool"))
    assert sorted(tool_names) == sorted(tools)
    chats = [s for s in spans if s["name"].startswith("chat ")]
    assert chats and all(s["attributes"]["gen_ai.usage.input_tokens"] > 0 for s in chats)
    assert not any("gen_ai.input.messages" in s["attributes"] for s in spans)

    token_usage = receiver.metrics.get("gen_ai.client.token.usage")
    assert token_usage, sorted(receiver.metrics)
    total = sum(p.sum for m in token_usage for p in m.histogram.data_points
                if {a.key: a.value.string_value for a in p.attributes}.get("gen_ai.token.type") == "input")
    assert total == sum(s["attributes"]["gen_ai.usage.input_tokens"] for s in chats)


def test_disabled_through_the_standard_variable(receiver):
    done = run_instrumented("round_robin_tools.py", receiver,
                            OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="autogen_agentchat",
                            AUTOGEN_DISABLE_RUNTIME_TRACING="true")
    assert done.returncode == 0, done.stderr
    assert not [s for s in receiver.spans if s["scope"] == "autogen_otel.instrumentor"]


@pytest.mark.parametrize("script,workflow,agents,tools", [
    ("ag2_nightly_job.py", "user_proxy", ["assistant", "user_proxy"], ["quarter_sales"]),
    ("ag2_group_chat.py", "editorial", ["critic", "researcher", "writer"], []),
])
def test_ag2_classic_example_under_opentelemetry_instrument(receiver, script, workflow, agents, tools):
    done = run_instrumented(script, receiver)
    assert done.returncode == 0, done.stderr

    spans = receiver.spans
    assert spans and {s["scope"] for s in spans} == {"autogen_otel.ag2"}
    assert len({s["trace_id"] for s in spans}) == 1, [s["name"] for s in spans]
    roots = [s for s in spans if not s["parent_id"]]
    assert [r["name"] for r in roots] == [f"invoke_workflow {workflow}"]
    assert roots[0]["attributes"]["autogen.run.stop_category"] == "text_mention"
    _check_agents_tools_and_chats(spans, agents, tools)
    assert not any("gen_ai.input.messages" in s["attributes"] for s in spans)
    assert receiver.metrics.get("autogen.cost") and receiver.metrics.get("autogen.runs")


def test_ag2_disabled_by_its_own_name(receiver):
    done = run_instrumented("ag2_nightly_job.py", receiver, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="autogen")
    assert done.returncode == 0, done.stderr
    assert "summary: Q1 revenue" in done.stdout
    assert not receiver.spans


@pytest.mark.parametrize("hidden,script,scope", [
    ("autogen_agentchat", "ag2_nightly_job.py", "autogen_otel.ag2"),
    ("autogen", "round_robin_tools.py", "autogen_otel.instrumentor"),
    ("agent_framework", "round_robin_tools.py", "autogen_otel.instrumentor"),
    ("autogen_agentchat", "maf_streaming_agent.py", "autogen_otel.agent_framework"),
])
def test_one_family_missing_does_not_affect_the_other(receiver, tmp_path, hidden, script, scope):
    # A sitecustomize that makes one family unimportable, as if it were not installed.
    (tmp_path / "sitecustomize.py").write_text(
        "import sys, importlib.abc\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {hidden!r} or name.startswith({hidden!r} + '.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Hide())\n")
    done = run_instrumented(script, receiver, PYTHONPATH=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert receiver.spans and {s["scope"] for s in receiver.spans} == {scope}


@pytest.mark.parametrize("script,root,agents,tools", [
    ("maf_sequential_tools.py", "invoke_workflow", ["critic", "planner"], ["get_weather"]),
    ("maf_group_chat.py", "invoke_workflow", ["editor", "writer"], []),
    ("maf_streaming_agent.py", "invoke_agent analyst", ["analyst"], ["quarter_revenue"]),
])
def test_agent_framework_example_under_opentelemetry_instrument(receiver, script, root, agents, tools):
    done = run_instrumented(script, receiver)
    assert done.returncode == 0, done.stderr

    spans = receiver.spans
    # Ours only: Agent Framework's own telemetry (on by default) is off while we instrument it.
    assert spans and {s["scope"] for s in spans} == {"autogen_otel.agent_framework"}, {s["scope"] for s in spans}
    assert len({s["trace_id"] for s in spans}) == 1, [s["name"] for s in spans]
    roots = [s for s in spans if not s["parent_id"]]
    assert len(roots) == 1 and roots[0]["name"].startswith(root)
    assert roots[0]["attributes"]["autogen.run.stop_category"] in ("completed", "max_turns")
    chats = _check_agents_tools_and_chats(spans, agents, tools)
    assert all(s["kind"] == 3 for s in chats), "chat spans are CLIENT"
    assert not any("gen_ai.input.messages" in s["attributes"] for s in spans)
    for name in ("autogen.cost", "autogen.runs", "gen_ai.client.token.usage", "gen_ai.client.operation.duration"):
        assert receiver.metrics.get(name), (name, sorted(receiver.metrics))
    assert not [n for n in receiver.metrics if n.startswith("agent_framework")], sorted(receiver.metrics)


def _metric_points(receiver, name):
    """(scope, unit, data points) of every export of metric ``name``."""
    for scope, metric in receiver.metric_scopes:
        if metric.name == name:
            points = metric.histogram.data_points if metric.HasField("histogram") else metric.sum.data_points
            yield scope, metric.unit, points


@pytest.mark.parametrize("script,env", [
    ("maf_native_telemetry.py", {}),  # configure_otel_providers() at start-up, as its docs show
    ("maf_native_telemetry.py enable", {}),  # enable_instrumentation()
    ("maf_sequential_tools.py", {"ENABLE_INSTRUMENTATION": "true"}),
])
def test_agent_framework_own_telemetry_on_gives_one_span_per_operation(receiver, script, env):
    done = run_instrumented(script, receiver, **env)
    assert done.returncode == 0, done.stderr

    spans = receiver.spans
    # Every span is Agent Framework's own: we borrowed its run, agent and model-call spans.
    assert spans and {s["scope"] for s in spans} == {"agent_framework"}, {s["scope"] for s in spans}
    runs = [s for s in spans if s["attributes"].get("gen_ai.operation.name") in ("invoke_workflow", "invoke_agent")
            and not s["parent_id"]]
    chats = [s for s in spans if s["attributes"].get("gen_ai.operation.name") == "chat"]
    agents = [s for s in spans if s["attributes"].get("gen_ai.operation.name") == "invoke_agent"]
    assert chats and all("autogen.cost.usd" in s["attributes"] for s in chats)
    for run in runs:  # each run one trace, with its outcome and cost on its root
        assert run["attributes"]["autogen.run.stop_category"] == "completed"
        members = [s for s in spans if s["trace_id"] == run["trace_id"]]
        run_chats = [s for s in members if s in chats]
        assert run["attributes"]["autogen.cost.usd"] == pytest.approx(
            sum(s["attributes"]["autogen.cost.usd"] for s in run_chats))
    assert len({(s["trace_id"], s["span_id"]) for s in agents}) == len(agents)
    workflow_runs = [s for s in spans if s["attributes"].get("gen_ai.operation.name") == "invoke_workflow"]
    assert len(workflow_runs) == 1, [s["name"] for s in workflow_runs]

    # Each model call measured once: its duration and tokens by Agent Framework, its cost by us.
    durations = [(scope, unit, sum(p.count for p in points if dict(
        (a.key, a.value.string_value) for a in p.attributes).get("gen_ai.operation.name") == "chat"))
        for scope, unit, points in _metric_points(receiver, "gen_ai.client.operation.duration")]
    assert {scope for scope, _unit, count in durations if count} == {"agent_framework"}
    assert max(count for _s, _u, count in durations) == len(chats)
    assert {scope for scope, _u, _p in _metric_points(receiver, "gen_ai.client.token.usage")} == {"agent_framework"}
    costs = [sum(p.as_double for p in points) for _s, _u, points in _metric_points(receiver, "autogen.cost")]
    assert max(costs) == pytest.approx(sum(s["attributes"]["autogen.cost.usd"] for s in chats))


def test_agent_framework_disabled_by_its_own_name(receiver):
    done = run_instrumented("maf_sequential_tools.py", receiver,
                            OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="agent_framework")
    assert done.returncode == 0, done.stderr
    assert "critic: The plan is sound." in done.stdout
    assert not [s for s in receiver.spans if s["scope"].startswith("autogen_otel")]
    # Left alone, Agent Framework's own telemetry is back (on by default).
    assert {s["scope"] for s in receiver.spans} == {"agent_framework"}


def test_an_app_that_never_imports_agent_framework_never_imports_it(tmp_path, receiver):
    app = tmp_path / "app.py"
    app.write_text("import sys\nprint('agent_framework' in sys.modules, 'autogen' in sys.modules)\n")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_"))}
    environment.update({"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
                        "OTEL_LOGS_EXPORTER": "none"})
    done = subprocess.run([str(BIN / "opentelemetry-instrument"), sys.executable, str(app)], env=environment,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "False", "instrumenting Agent Framework imported it"
