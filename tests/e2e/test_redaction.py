"""What leaves the real collector: with the content-redaction overlay no opted-in content comes
out, in span attributes or span event attributes, whatever the capture mode; the base config
scrubs secrets from event attributes too; non-content attributes survive."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .otlp_grpc_sink import OTLPGrpcSink
from .test_stack import DEPLOY, binary, collector_env, free_port, stop_all, wait_for

pytestmark = pytest.mark.e2e

CONTENT_APP = '''
import asyncio
from opentelemetry import trace
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_ext.models.openai import OpenAIChatCompletionClient
from autogen_otel.demo.llm_server import Reply, ScriptedLLMServer

async def lookup(city: str) -> str:
    """Look up a city."""
    return "CANARY-RESULT for " + city

async def main():
    script = {"CANARY-SYSTEM": [Reply(tool_calls=[("lookup", {"city": "CANARY-ARGUMENT"})]),
                                Reply("CANARY-ANSWER")]}
    with ScriptedLLMServer(script) as server:
        client = OpenAIChatCompletionClient(model="gpt-4o-mini", base_url=server.base_url, api_key="offline")
        agent = AssistantAgent("assistant", model_client=client, tools=[lookup], reflect_on_tool_use=True,
                               system_message="CANARY-SYSTEM instructions")
        team = RoundRobinGroupChat([agent], termination_condition=MaxMessageTermination(3))
        await team.run(task="CANARY-TASK question")
    # The app's own event holding a secret: the collector's scrub covers event attributes too.
    with trace.get_tracer("app").start_as_current_span("app-span") as span:
        span.set_attribute("header", "Bearer appbearer0123456789")
        span.add_event("app-event", {"token": "sk-appsecret0123456789abcdef"})

asyncio.run(main())
'''


def _collector_and_app(tmp_path: Path, overlays: list[str], capture: str) -> list[dict]:
    sink = OTLPGrpcSink()
    http_port, health_port = free_port(), free_port()
    env = collector_env(tmp_path / "queue", sink.port, http=http_port, health=health_port)
    configs = [f"--config={DEPLOY / name}" for name in ["otel-collector.yaml", *overlays]]
    collector = subprocess.Popen([str(binary("otelcol-autogen")), *configs], env=env,
                                 stdout=open(tmp_path / "collector.log", "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{health_port}/")
        app_env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_"))}
        app_env.update({"OTEL_SERVICE_NAME": "redaction-check",
                        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{http_port}",
                        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_EXPORTER": "otlp",
                        "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", "PYTHONWARNINGS": "ignore",
                        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": capture})
        done = subprocess.run([str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable, "-c",
                               CONTENT_APP], env=app_env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(s["name"] == "app-span" for s in sink.spans):
            time.sleep(0.5)
        return list(sink.spans)
    finally:
        stop_all([collector])
        sink.stop()


def _values(spans: list[dict]) -> list[str]:
    found = []
    for span in spans:
        found.extend(str(v) for v in span["attributes"].values())
        for event in span["events"]:
            found.extend(str(v) for v in event["attributes"].values())
    return found


@pytest.mark.parametrize("capture", ["SPAN_ONLY", "EVENT_ONLY", "SPAN_AND_EVENT"])
def test_the_redaction_overlay_lets_no_content_out(tmp_path, capture):
    plain = _collector_and_app(tmp_path, [], capture)
    # The check can fail: without the overlay the opted-in content does come out...
    plain_values = " ".join(_values(plain))
    for canary in ("CANARY-SYSTEM", "CANARY-TASK", "CANARY-ARGUMENT", "CANARY-RESULT", "CANARY-ANSWER"):
        assert canary in plain_values, (canary, capture)
    # ... while the base config scrubs a secret from event attributes as from span attributes.
    assert "sk-appsecret0123456789abcdef" not in plain_values and "appbearer0123456789" not in plain_values
    app_span = next(s for s in plain if s["name"] == "app-span")
    assert app_span["attributes"]["header"] == "Bearer [REDACTED]"
    assert app_span["events"][0]["attributes"]["token"] == "[REDACTED]"

    redacted = _collector_and_app(tmp_path, ["otel-collector.redact-content.yaml"], capture)
    names = {s["name"] for s in redacted}
    assert {"invoke_workflow RoundRobinGroupChat", "chat gpt-4o-mini", "execute_tool lookup", "app-span"} <= names
    leaked = [(s["name"], k) for s in redacted for k, v in s["attributes"].items()
              if "CANARY" in str(v) or "sk-appsecret" in str(v)]
    leaked += [(s["name"], e["name"], k) for s in redacted for e in s["events"] for k, v in e["attributes"].items()
               if "CANARY" in str(v) or "sk-appsecret" in str(v)]
    assert leaked == [], leaked
    chats = [s for s in redacted if s["name"].startswith("chat ")]
    assert chats and all(s["attributes"]["gen_ai.usage.input_tokens"] > 0 for s in chats)
    tool = next(s for s in redacted if s["name"] == "execute_tool lookup")
    assert tool["attributes"]["gen_ai.tool.name"] == "lookup"
