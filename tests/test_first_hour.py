"""What a new user meets first: mistakes answered clearly, absent families silent, README commands
working as written."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from autogen_otel import AG2Instrumentor, AgentChatInstrumentor, AgentFrameworkInstrumentor

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _hide(tmp_path: Path, *modules: str) -> str:
    """A sitecustomize that makes ``modules`` unimportable, as if they were not installed."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys, importlib.abc\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if any(name == m or name.startswith(m + '.') for m in {modules!r}):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Hide())\n")
    return str(tmp_path)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_"))}
    env.update({"PYTHONWARNINGS": "ignore", **extra})
    return env


@pytest.mark.parametrize("instrumentor", [AgentChatInstrumentor, AG2Instrumentor, AgentFrameworkInstrumentor])
def test_a_misspelled_keyword_raises_naming_the_accepted_ones(instrumentor):
    with pytest.raises(TypeError, match=r"'captur_content'.*accepted: capture_content, .*tracer_provider"):
        instrumentor().instrument(captur_content=True)
    assert not instrumentor()._is_instrumented_by_opentelemetry


def test_configure_rejects_a_misspelled_keyword_before_setting_anything_up():
    import autogen_otel
    from autogen_otel import setup

    with pytest.raises(TypeError, match=r"configure\(\) got unexpected keyword argument\(s\) 'captur_content'; "
                                        r"accepted: .*capture_content.*service_name"):
        autogen_otel.configure(captur_content=True)
    assert setup._configured is None


def test_standard_keywords_still_work(spans):
    from conftest import _PROVIDER

    instrumentor = AgentFrameworkInstrumentor()
    instrumentor.instrument(tracer_provider=_PROVIDER, skip_dep_check=True, capture_content=False)
    try:
        assert instrumentor.telemetry is not None
    finally:
        instrumentor.uninstrument()


@pytest.mark.parametrize("hidden", [("autogen",), ("autogen_agentchat", "autogen_ext"), ("agent_framework",)])
def test_configure_says_nothing_about_a_family_that_is_not_installed(tmp_path, hidden):
    code = ("import logging, autogen_otel\n"
            "logging.basicConfig(level=logging.INFO)\n"
            "autogen_otel.configure(console=False)\n"
            "print('configured')\n")
    done = subprocess.run([sys.executable, "-c", code], env=_env(PYTHONPATH=_hide(tmp_path, *hidden)),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "configured" in done.stdout, done.stderr
    assert done.stderr == "", done.stderr


def test_a_misspelled_disabled_instrumentation_gets_a_hint(monkeypatch, caplog):
    from autogen_otel import instrumentor as module

    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "autogen-agentchat,requests,ag2")
    monkeypatch.setattr(module, "_hinted", False)
    with caplog.at_level(logging.WARNING, logger="autogen_otel"):
        module._warn_misspelled_disabled()
    assert "'autogen-agentchat' (did you mean 'autogen_agentchat'?)" in caplog.text
    assert "'ag2' (did you mean 'autogen'?)" in caplog.text and "requests" not in caplog.text


def test_version_flag():
    import autogen_otel

    done = subprocess.run([str(BIN / "autogen-otel"), "--version"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0 and done.stdout.strip() == f"autogen-otel {autogen_otel.__version__}"


def _readme_commands(marker: str) -> list[str]:
    """Shell commands of the README's and the docs' bash blocks that contain ``marker`` (continuations
    joined)."""
    text = "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        commands.extend(line.split("  #")[0].strip() for line in joined.splitlines() if marker in line)
    return commands


def test_every_readme_zero_code_command_names_a_protocol_matching_its_port():
    commands = _readme_commands("opentelemetry-instrument python")
    assert len(commands) >= 3, commands
    for command in commands:
        endpoint = re.search(r"OTEL_EXPORTER_OTLP_ENDPOINT=(\S+)", command)
        if endpoint is None:
            continue
        port = int(endpoint.group(1).rsplit(":", 1)[1].split("/")[0])
        protocol = re.search(r"OTEL_EXPORTER_OTLP_PROTOCOL=(\S+)", command)
        # opentelemetry-distro defaults to grpc: an http port needs the protocol said.
        expected = "grpc" if port in (4317, 14317) else "http/protobuf"
        assert protocol is not None and protocol.group(1) == expected, command


def test_the_readme_zero_code_command_exports_as_written(tmp_path):
    """The README's command, run as written with the app swapped for an example and the port for
    a local receiver's, delivers spans."""
    from otlp_receiver import OTLPReceiver

    command = _readme_commands("opentelemetry-instrument python app.py")[0]
    receiver = OTLPReceiver()
    try:
        port = receiver.endpoint.rsplit(":", 1)[1]
        command = command.replace("localhost:4318", f"127.0.0.1:{port}").replace(
            "python app.py", f"{sys.executable} {ROOT / 'examples' / 'round_robin_tools.py'}")
        env = _env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert "Failed parsing HTTP/2" not in done.stderr
        assert receiver.spans and {s["resource"]["service.name"] for s in receiver.spans} == {"my-agents"}
    finally:
        receiver.stop()


def test_the_readme_waterfall_command_prints_the_run_without_a_collector():
    command = _readme_commands("OTEL_TRACES_EXPORTER=autogen_waterfall")[0]
    command = command.replace("python examples/", f"{sys.executable} {ROOT / 'examples'}/")
    env = _env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=120,
                          check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^trace [0-9a-f]{32} .* spans", done.stdout, re.M), done.stdout
    assert "team Swarm" in done.stdout and "tool refund" in done.stdout, done.stdout
    assert "Exception" not in done.stderr and "rror" not in done.stderr, done.stderr


def test_the_readme_conversation_command_shows_what_the_agents_say_before_the_waterfall():
    [command] = _readme_commands("autogen-otel demo --no-export --capture-content")
    env = _env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=120,
                          check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    transcript, waterfall = done.stdout.split("\ntrace ", 1)
    assert "researcher: Paris has about 2.1 million residents." in transcript
    assert '⚙ weather_forecast({"city":"Paris"}) ✗ ConnectionError' in transcript
    assert "team RoundRobinGroupChat" in waterfall and "not captured" not in done.stdout


@pytest.mark.parametrize("name,hidden,extra,use", [
    ("BudgetTermination", "autogen_agentchat", 'pip install ".[demo]"', ""),
    ("AG2Budget", "autogen", 'pip install ".[ag2]"', "; AG2Budget(max_tokens=1).attach()"),
    ("AgentFrameworkBudget", "agent_framework", 'pip install ".[maf]"', ""),
])
def test_a_budget_without_its_framework_names_what_to_install(tmp_path, name, hidden, extra, use):
    done = subprocess.run([sys.executable, "-c", f"from autogen_otel import {name}{use}"],
                          env=_env(PYTHONPATH=_hide(tmp_path, hidden)), capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 1
    assert f"autogen_otel.{name} needs" in done.stderr and extra in done.stderr, done.stderr


def test_the_demo_without_agentchat_names_the_extra(tmp_path):
    done = subprocess.run([str(BIN / "autogen-otel"), "demo", "--no-export"],
                          env=_env(PYTHONPATH=_hide(tmp_path, "autogen_agentchat", "autogen_ext")),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert 'pip install ".[demo]"' in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_the_demo_with_no_export_says_so_even_with_an_endpoint_set():
    done = subprocess.run([str(BIN / "autogen-otel"), "demo", "--no-export"],
                          env=_env(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9"), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "--no-export: terminal waterfall only." in done.stdout and "No OTLP endpoint set" not in done.stdout


CONFIGURED_APP = """
import time, autogen_otel
from opentelemetry import trace
started = time.perf_counter()
configured = autogen_otel.configure(console=None)
with trace.get_tracer("app").start_as_current_span("work"):
    pass
configured.shutdown()
print("exited after", round(time.perf_counter() - started, 1), "s;",
      "maf instrumented:", bool(configured.maf_instrumentor and configured.maf_instrumentor.telemetry))
"""


def _configured_app(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CONFIGURED_APP], env=_env(**env), capture_output=True, text=True,
                          timeout=120, check=False)


def test_configure_reads_the_per_signal_endpoint_and_exporter_variables():
    from otlp_receiver import OTLPReceiver

    receiver = OTLPReceiver()
    try:
        done = _configured_app(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{receiver.endpoint}/v1/traces",
                               OTEL_METRICS_EXPORTER="none", OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="agent_framework")
        assert done.returncode == 0, done.stderr
        assert [s["name"] for s in receiver.spans] == ["work"]
        assert "maf instrumented: False" in done.stdout and done.stderr == "", done.stderr
    finally:
        receiver.stop()
    done = _configured_app(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", OTEL_TRACES_EXPORTER="none",
                           OTEL_METRICS_EXPORTER="none")
    assert done.returncode == 0 and done.stderr == "", done.stderr  # nothing tries the endpoint
    bad = _configured_app(OTEL_TRACES_EXPORTER="otlp,zipkin")
    assert bad.returncode == 1
    assert "OTEL_TRACES_EXPORTER='otlp,zipkin' is not valid; accepted values: otlp, console, autogen_waterfall, " \
           "none" in bad.stderr


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_a_collector_that_is_down_costs_seconds_at_exit_and_one_error_line_per_signal(protocol):
    app = CONFIGURED_APP.replace('    pass\n', '    from opentelemetry import metrics\n'
                                 '    metrics.get_meter("app").create_counter("work.done").add(1)\n')
    done = subprocess.run([sys.executable, "-c", app], capture_output=True, text=True, timeout=120, check=False,
                          env=_env(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
                                   OTEL_EXPORTER_OTLP_PROTOCOL=protocol))
    assert done.returncode == 0, done.stderr
    seconds = float(done.stdout.split("exited after ")[1].split(" s")[0])
    assert seconds < 10, f"shutdown took {seconds}s with the collector down (3 s per signal)"
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    # At most one line per signal, each saying the rest are not logged.
    assert all("further export errors from this exporter are not logged" in line for line in lines), lines
    signals = [("trace" if "trace" in line.lower() or "span" in line.lower() else "metric") for line in lines]
    assert signals[:1] == ["trace"] and len(signals) == len(set(signals)), lines
    if protocol == "http/protobuf":  # gRPC's metric exporter may give up at shutdown without a word
        assert sorted(signals) == ["metric", "trace"], lines


def test_grpc_trace_and_metric_export_errors_each_get_their_line():
    """gRPC's span and metric exporters log through one logger: the first error of each is shown."""
    import logging

    from autogen_otel.exporters import _Once

    once = _Once()
    logger = logging.getLogger("opentelemetry.exporter.otlp.proto.grpc.exporter")

    def record(signal: str) -> logging.LogRecord:
        return logger.makeRecord(logger.name, logging.WARNING, __file__, 1,
                                 "Transient error %s encountered while exporting %s to %s", ("UNAVAILABLE", signal,
                                                                                              "c:4317"), None)

    assert [once.filter(record(s)) for s in ("traces", "traces", "metrics", "metrics")] == [True, False, True, False]


def test_the_scripted_server_runs_as_a_command_for_ones_own_app(tmp_path):
    import json as _json
    import signal
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = tmp_path / "replies.json"
    script.write_text(_json.dumps({"You are the analyst": [{"text": "Revenue grew 12%."}], "*": [{"text": "Hi."}]}))
    server = subprocess.Popen([sys.executable, "-m", "autogen_otel.demo.llm_server", "--port", str(port),
                               "--script", str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert f"http://127.0.0.1:{port}/v1" in server.stdout.readline()
        from openai import OpenAI

        client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="offline")
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=[
            {"role": "system", "content": "You are the analyst."}, {"role": "user", "content": "Q1?"}])
        assert answer.choices[0].message.content == "Revenue grew 12%." and answer.usage.prompt_tokens == 5
        other = client.responses.create(model="gpt-4o-mini", input="hello")
        assert other.output_text == "Hi."
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0
    bad = tmp_path / "bad.json"
    bad.write_text(_json.dumps({"*": [{"txt": "typo"}]}))
    done = subprocess.run([sys.executable, "-m", "autogen_otel.demo.llm_server", "--script", str(bad)],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2 and "unknown field(s) ['txt']" in done.stderr


def _sequential_name() -> str:
    """Orchestration builders name their workflows from agent-framework-orchestrations 1.1 on."""
    import inspect

    from agent_framework_orchestrations import GroupChatBuilder

    return "Sequential" if "name" in inspect.signature(GroupChatBuilder.__init__).parameters else "WorkflowBuilder"


@pytest.mark.parametrize("family,root,ends", [
    ("agentchat", "team RoundRobinGroupChat", "Team finished after"),
    ("ag2", "team user_proxy", "Chat finished after"),
    ("maf", f"team {_sequential_name()}", "Workflow finished after"),
])
def test_the_demo_runs_each_family(family, root, ends):
    done = subprocess.run([str(BIN / "autogen-otel"), "demo", "--family", family, "--no-export"], env=_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^trace [0-9a-f]{32} .* spans .*\$0\.\d+", done.stdout, re.M), done.stdout
    assert root in done.stdout and ends in done.stdout, done.stdout
    assert "✗ " in done.stdout, "the failing tool shows as failed"
    # The demo's output is ours alone: no framework banners or notes, one duration (the trace's).
    assert ">>>>>>>>" not in done.stdout and "include_detailed_errors" not in done.stdout + done.stderr
    assert "finished in" not in done.stdout


def test_the_demo_checks_the_protocol_it_is_told_when_it_looks_for_a_collector():
    done = subprocess.run([str(BIN / "autogen-otel"), "demo"], env=_env(OTEL_EXPORTER_OTLP_PROTOCOL="http"),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "OTEL_EXPORTER_OTLP_PROTOCOL='http'" in done.stderr and "grpc, http/protobuf" in done.stderr


def test_the_examples_run_without_autogens_model_mismatch_warning():
    env = _env()
    env.pop("PYTHONWARNINGS", None)
    done = subprocess.run([sys.executable, "-W", "default", str(ROOT / "examples" / "round_robin_tools.py")],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Resolved model mismatch" not in done.stderr, done.stderr


QUEUE_APP = """
import autogen_otel
configured = autogen_otel.configure(service_name="queue-check", set_global=False)
(processor,) = configured.tracer_provider._active_span_processor._span_processors
print(processor._batch_processor._max_queue_size)
configured.shutdown()
"""


@pytest.mark.parametrize("env,expected", [({}, "8192"), ({"OTEL_BSP_MAX_QUEUE_SIZE": "1000"}, "1000")])
def test_configure_holds_more_spans_while_the_collector_is_away_unless_told_otherwise(env, expected):
    """The SDK's 2048-span queue is ~20 runs of a chatty team: configure() raises it for agent
    workloads; the standard variable still wins."""
    done = subprocess.run([sys.executable, "-c", QUEUE_APP], capture_output=True, text=True, timeout=120, check=False,
                          env=_env(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", OTEL_METRICS_EXPORTER="none",
                                   **env))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [expected]


@pytest.mark.parametrize("name", ["BudgetTermination", "AG2Budget", "AgentFrameworkBudget"])
def test_a_budget_with_a_limit_that_is_not_a_number_names_the_argument(name):
    import autogen_otel

    budget = getattr(autogen_otel, name)
    with pytest.raises(TypeError, match=r"max_tokens must be a whole number of tokens or None, got 'lots'"):
        budget(max_tokens="lots")
    with pytest.raises(TypeError, match=r"max_cost_usd must be a number of US dollars or None, got '5\$'"):
        budget(max_cost_usd="5$")
    with pytest.raises(ValueError, match="max_tokens must be >= 0, got -1"):
        budget(max_tokens=-1)
    assert budget(max_cost_usd=1, max_tokens=10) is not None


def test_the_scripted_server_on_a_taken_port_says_so_in_one_line():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "autogen_otel.demo.llm_server", "--port", str(port)],
                              capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"llm_server: cannot listen on 127.0.0.1:{port}: Address already in use; choose another --port (or --host)"]


def test_the_distributed_example_prints_to_the_terminal_without_a_collector():
    """The docs' command for the distributed example with no collector: every process traced and
    printed, no export errors or retries."""
    import socket

    [command] = [c for c in _readme_commands("opentelemetry-instrument python examples/distributed_team.py")
                 if "autogen_waterfall" in c]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = command.replace("python examples/", f"{sys.executable} {ROOT / 'examples'}/") + \
        f" --address 127.0.0.1:{port}"
    env = _env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=120,
                          check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[mixed] " in done.stdout and re.search(r"^trace [0-9a-f]{32} ", done.stdout, re.M)  # the driver's
    assert "Failed to export" not in done.stderr and "retrying" not in done.stderr.lower(), done.stderr[-2000:]


@pytest.mark.parametrize("exporter,json_spans,waterfall", [("console", True, False),
                                                          ("autogen_waterfall", False, True)])
def test_console_means_the_sdk_console_exporter_under_configure_too(exporter, json_spans, waterfall):
    code = ("import autogen_otel\n"
            "setup = autogen_otel.configure()\n"
            "from opentelemetry import trace\n"
            "with trace.get_tracer('t').start_as_current_span('invoke_workflow team'):\n"
            "    pass\n"
            "setup.shutdown()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
                          env=_env(OTEL_TRACES_EXPORTER=exporter, OTEL_METRICS_EXPORTER="none"))
    assert done.returncode == 0, done.stderr
    assert ('"name": "invoke_workflow team"' in done.stdout) is json_spans, done.stdout
    assert bool(re.search(r"^trace [0-9a-f]{32} ", done.stdout, re.M)) is waterfall, done.stdout


def test_configure_under_opentelemetry_instrument_says_once_what_happens():
    code = "import autogen_otel\nsetup = autogen_otel.configure()\nsetup.shutdown()\nprint('ok')\n"
    done = subprocess.run([str(BIN / "opentelemetry-instrument"), sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=60, check=False,
                          env=_env(OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none",
                                   OTEL_LOGS_EXPORTER="none"))
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert done.stderr.count("configure() in a process already instrumented") == 1, done.stderr
    assert "Overriding of current TracerProvider" not in done.stderr
    assert "already instrumented" not in done.stderr.replace("configure() in a process already instrumented", "")


def test_scripts_test_says_go_is_missing_before_installing_anything(tmp_path):
    """With no Go on PATH, scripts/test stops at once naming it (it would otherwise install four
    environments first and fail building the stack's binaries)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "python3", "ls", "sort", "tail", "cat", "env"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "test")], env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Go is not installed" in done.stderr and "==" not in done.stdout


def test_the_old_agentchat_instrumentor_name_still_works_and_says_its_new_one():
    import autogen_otel

    with pytest.warns(DeprecationWarning, match="AutoGenInstrumentor is now AgentChatInstrumentor"):
        old = autogen_otel.AutoGenInstrumentor
    assert old is autogen_otel.AgentChatInstrumentor and old() is autogen_otel.AgentChatInstrumentor()
