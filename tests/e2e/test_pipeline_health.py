"""The stack watching itself, end to end with the real binaries: Prometheus scrapes the collector,
Alertmanager and itself (deploy/prometheus.yaml, jobs pointed at the test's ports); the trace
backend goes away while an app keeps sending, and comes back; one notification channel is broken.

The webhook receiver points at a dead address on purpose, so every alert here reaches a person
only through the second, working route (email to the SMTP sink) -- and the broken one is itself
alerted on. The collector gives up on a batch after EXPORT_RETRY_MAX_ELAPSED (30 s here, the
shortest it accepts; 300 s by default), so the loss shows within a minute or two.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .test_stack import ROOT, Stack, fill, free_port, get_json, run_app, wait_until

pytestmark = pytest.mark.e2e

APP = """
import asyncio
from autogen_otel.demo.llm_server import ScriptedLLMServer
from autogen_otel.demo.scenario import SCRIPT, run

async def main():
    for _ in range(RUNS):
        with ScriptedLLMServer(SCRIPT) as server:
            await run(server.base_url)
        await asyncio.sleep(1)

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    dead_webhook = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    s = Stack(tmp_path_factory.mktemp("watched"), webhook_url=dead_webhook,
              collector_env={"EXPORT_RETRY_MAX_ELAPSED": "30s"})
    try:
        s.start()
        yield s
    finally:
        s.stop()


def app(stack: Stack, runs: int = 2) -> None:
    run_app(stack, [str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable, "-c",
                    APP.replace("RUNS", str(runs))])


def alerts(stack: Stack, name: str, state: str = "firing") -> list[dict]:
    return [a for a in get_json(f"{stack.prom_url}/api/v1/alerts")["data"]["alerts"]
            if a["labels"]["alertname"] == name and a["state"] == state]


def mails(stack: Stack, *words: str) -> list:
    return [m for m in stack.smtp.messages if all(w in m["Subject"] for w in words)]


def panel_query(title: str) -> list[str]:
    board = json.loads((ROOT / "grafana" / "dashboards" / "autogen-pipeline-health.json").read_text())
    panel = next(p for p in board["panels"] if p["title"] == title)
    return [fill(t["expr"]) for t in panel["targets"]]


def test_every_scraped_part_is_up_under_its_job(watched):
    up = {r["metric"]["job"]: r["value"][1] for r in watched.wait_query("up", timeout=60)}
    deadline = time.monotonic() + 45
    while set(up) != {"prometheus", "otel-collector", "alertmanager"} and time.monotonic() < deadline:
        time.sleep(2)
        up = {r["metric"]["job"]: r["value"][1] for r in watched.query("up")}
    assert up == {"prometheus": "1", "otel-collector": "1", "alertmanager": "1"}
    app(watched, runs=1)
    accepted = watched.wait_query('sum(otelcol_receiver_accepted_spans_total{job="otel-collector"}) > 0', timeout=60)
    assert float(accepted[0]["value"][1]) > 0
    # The panels that need no Tempo show data (Tempo itself cannot run here).
    for title in ("Spans in and out, per collector", "Metric points in and out, per collector",
                  "Exporter queue fill", "Stack parts up"):
        for expr in panel_query(title)[:1]:
            assert watched.wait_query(expr, timeout=60), (title, expr)


def test_a_dead_trace_backend_fires_the_export_alert_shows_the_loss_and_resolves_when_it_returns(watched):
    before = len(watched.sink.spans)
    watched.sink.stop()  # Tempo goes away; the app keeps running
    app(watched, runs=3)
    firing = wait_until(lambda: [a for a in alerts(watched, "AutoGenCollectorExportFailing")
                                 if a["labels"].get("exporter") == "otlp_grpc/tempo"], timeout=150)
    assert firing[0]["labels"]["job"] == "otel-collector" and firing[0]["labels"]["signal"] == "spans"
    assert firing[0]["labels"]["severity"] == "critical"
    # Delivered, through the route that works (the webhook is dead).
    page = wait_until(lambda: mails(watched, "FIRING", "AutoGenCollectorExportFailing"), timeout=60)[0]
    body = next(p.get_content() for p in page.walk() if p.get_content_type() == "text/plain")
    assert "otlp_grpc/tempo could not deliver after retrying" in body
    assert "/d/autogen-pipeline-health" in body and "Runs in Tempo" not in body  # no traceql: not about runs
    # The Pipeline health view shows what was lost, per exporter.
    lost = wait_until(lambda: watched.query(panel_query("Data lost in the pipeline")[0]), timeout=60)
    assert {r["metric"]["lost"] for r in lost} >= {"spans failed"}
    assert all(r["metric"]["exporter"] == "otlp_grpc/tempo" for r in lost)
    assert len(watched.sink.spans) == before  # nothing reached the backend meanwhile

    watched.sink.restart()
    app(watched, runs=1)
    # The collector's gRPC channel reconnects on its own backoff (x1.6 per attempt, up to 120 s
    # +-20 %), which after minutes of outage can leave the backend unseen for two minutes.
    wait_until(lambda: len(watched.sink.spans) > before, timeout=200)
    wait_until(lambda: not alerts(watched, "AutoGenCollectorExportFailing")
               and not alerts(watched, "AutoGenCollectorExportFailing", "pending"), timeout=240)
    wait_until(lambda: mails(watched, "RESOLVED", "AutoGenCollectorExportFailing"), timeout=60)


def test_a_broken_receiver_fires_the_notification_failure_alert_through_the_working_route(watched):
    # Any notification will do: one alert posted the way Prometheus posts them.
    alert = [{"labels": {"alertname": "E2ENotificationProbe", "severity": "warning"},
              "annotations": {"summary": "probe", "dashboard": "/d/autogen-overview"}}]
    request = urllib.request.Request(f"{watched.alertmanager_url}/api/v2/alerts", data=json.dumps(alert).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    firing = wait_until(lambda: [a for a in alerts(watched, "AutoGenAlertNotificationsFailing")
                                 if a["labels"].get("integration") == "webhook"], timeout=150)
    assert firing[0]["labels"]["job"] == "alertmanager" and firing[0]["labels"]["severity"] == "critical"
    assert not [a for a in alerts(watched, "AutoGenAlertNotificationsFailing")
                if a["labels"].get("integration") == "email"]  # the working route is not blamed
    page = wait_until(lambda: mails(watched, "FIRING", "AutoGenAlertNotificationsFailing"), timeout=60)[0]
    body = next(p.get_content() for p in page.walk() if p.get_content_type() == "text/plain")
    assert "Alertmanager cannot deliver webhook notifications" in body
    failed = watched.query(panel_query("Alert notifications")[1])
    assert {r["metric"]["integration"] for r in failed if float(r["value"][1]) > 0} == {"webhook"}
