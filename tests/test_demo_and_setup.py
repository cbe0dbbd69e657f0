"""The offline demo, the terminal waterfall and configure()."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from autogen_otel.core.config import ConfigError
from autogen_otel.setup import validate_endpoint, validate_protocol
from autogen_otel.waterfall import WaterfallExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_demo(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "autogen_otel.cli", "demo", *args], capture_output=True,
                          text=True, timeout=120, env=environment, check=False)


def test_demo_prints_the_waterfall_offline():
    done = run_demo("--no-export")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert not ANSI.search(out), "no colour when not on a TTY"
    lines = out.splitlines()
    tree = [line for line in lines if re.match(r"^\s*(team|agent|chat|tool) ", line)]
    assert tree[0].startswith("team RoundRobinGroupChat")
    assert any(line.startswith("  agent researcher") for line in tree)
    assert any(line.startswith("    tool city_population") for line in tree)
    failing = [line for line in tree if "tool weather_forecast" in line]
    assert failing and "✗ ConnectionError" in failing[0]
    assert sum(1 for line in tree if line.lstrip().startswith("chat gpt-4o ")) == 2  # the streamed analyst
    assert all(len(line) <= 80 for line in tree), max(tree, key=len)
    header = next(line for line in lines if line.startswith("trace "))
    assert "stop: text_mention" in header and "$" in header
    assert "Approved. TERMINATE" in out


def test_demo_exports_over_otlp_when_an_endpoint_is_set():
    sys.path.insert(0, str(Path(__file__).parent))
    from otlp_receiver import OTLPReceiver

    receiver = OTLPReceiver()
    try:
        done = run_demo(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint)
    finally:
        receiver.stop()
    assert done.returncode == 0, done.stderr
    assert f"to {receiver.endpoint}" in done.stdout
    assert len({s["trace_id"] for s in receiver.spans}) == 1
    assert any(s["name"] == "execute_tool weather_forecast" for s in receiver.spans)
    assert "gen_ai.client.token.usage" in receiver.metrics


def test_waterfall_groups_per_trace_and_prints_when_the_root_ends():
    out = io.StringIO()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(WaterfallExporter(out, color=True, transcript="off")))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("invoke_workflow team", attributes={"gen_ai.operation.name": "invoke_workflow"}):
        with tracer.start_as_current_span("chat m", attributes={"gen_ai.operation.name": "chat"}):
            pass
        assert out.getvalue() == "", "nothing before the root ends"
    text = out.getvalue()
    assert "\x1b[" in text
    plain = ANSI.sub("", text)
    assert "team team" in plain and "  chat m" in plain


def test_endpoint_and_protocol_errors_name_the_setting():
    with pytest.raises(ConfigError, match=r"OTEL_EXPORTER_OTLP_ENDPOINT='localhost:4317'.*http:// or https://"):
        validate_endpoint("localhost:4317")
    with pytest.raises(ConfigError, match="invalid port"):
        validate_endpoint("http://localhost:99999")
    with pytest.raises(ConfigError, match="accepted values: grpc, http/protobuf"):
        validate_protocol("http/json")
    assert validate_endpoint("http://collector:4318/") == "http://collector:4318"


def test_demo_reports_a_malformed_endpoint():
    done = run_demo(OTEL_EXPORTER_OTLP_ENDPOINT="not a url")
    assert done.returncode == 2
    assert "OTEL_EXPORTER_OTLP_ENDPOINT='not a url'" in done.stderr


def test_configure_twice_returns_the_same_setup():
    code = (
        "import autogen_otel\n"
        "a = autogen_otel.configure(console=False)\n"
        "b = autogen_otel.configure(console=True)\n"
        "assert a is b and a.instrumentor.is_instrumented_by_opentelemetry\n"
        "print('same')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "same"
    # The second call's different argument is said to be ignored, once, by name.
    assert done.stderr.count("configure() was already called; this call's console=True ignored") == 1, done.stderr
