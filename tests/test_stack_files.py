"""The shipped stack files: dashboards regenerate to the committed JSON and only use
datasource variables; Compose pins the agreed images safely; provisioning escapes `$`."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ROOT / "grafana" / "dashboards"


def test_dashboards_regenerate_to_the_committed_json():
    pytest.importorskip("grafana_foundation_sdk")
    sys.path.insert(0, str(ROOT / "grafana"))
    from generate import render

    rendered = render()
    assert sorted(rendered) == sorted(p.name for p in DASHBOARDS.glob("*.json"))
    for name, text in rendered.items():
        assert (DASHBOARDS / name).read_text() == text, f"{name} is stale: run python grafana/generate.py"


def all_targets(board: dict) -> list[dict]:
    return [t for panel in board["panels"] for t in panel.get("targets", [])]


# The stack's own dashboards (collector tier, pipeline health) are not about apps: no service or team.
STACK_DASHBOARDS = ("autogen-collector-tier.json", "autogen-pipeline-health.json")
APP_DASHBOARDS = [p for p in sorted(DASHBOARDS.glob("*.json")) if p.name not in STACK_DASHBOARDS]


@pytest.mark.parametrize("path", APP_DASHBOARDS, ids=lambda p: p.name)
def test_dashboards_use_datasource_variables_and_have_service_and_team(path):
    board = json.loads(path.read_text())
    names = {v["name"] for v in board["templating"]["list"]}
    assert {"datasource", "service", "team"} <= names
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] in ("${datasource}", "${tempo}"), panel["title"]
    for target in all_targets(board):
        assert target["datasource"]["uid"] in ("${datasource}", "${tempo}")
        query = target.get("expr") or target.get("query")
        # Scoped to the selected services or teams, or to one trace the user names.
        assert any(scope in query for scope in ("${service:regex}", "${team:regex}", "topk", 'trace:id="${trace_id}"',
                                                'span.gen_ai.conversation.id="${conversation_id}"'))
        # Multi-value variables in regex matchers are formatted as regexes, never raw.
        assert not re.search(r"=~\"\$(service|team|agent)\b", query), query


def test_compose_pins_images_binds_loopback_and_keeps_secrets_out():
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yaml").read_text())
    images = {name: svc["image"] for name, svc in compose["services"].items() if "profiles" not in svc}
    tier = {name: svc["image"] for name, svc in compose["services"].items() if "scale-out" in svc.get("profiles", [])}
    assert tier == dict.fromkeys(("collector-agent", "gateway-1", "gateway-2"),
                                 "otel/opentelemetry-collector-contrib:0.159.0")  # = manifest.tier.yaml
    assert images == {"collector": "otel/opentelemetry-collector-contrib:0.161.0", "tempo": "grafana/tempo:3.0.3",
                      "prometheus": "prom/prometheus:v3.16.0", "grafana": "grafana/grafana:13.2.0",
                      "alertmanager": "prom/alertmanager:v0.35.0", "queue-volumes": "prom/alertmanager:v0.35.0"}
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            otlp = name == "collector" and port.endswith((":4317:4317", ":4318:4318"))
            assert port.startswith("${OTLP_BIND_ADDRESS:-127.0.0.1}:" if otlp else "127.0.0.1:"), (name, port)
    grafana = compose["services"]["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    assert grafana["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "${GRAFANA_ANONYMOUS_VIEWER:-false}"  # off unless .env says so
    assert set(compose["volumes"]) == {"tempo-data", "prometheus-data", "grafana-data", "alertmanager-data",
                                       "collector-queue", "collector-agent-queue", "gateway-1-queue",
                                       "gateway-2-queue"}
    # Every collector keeps its sending queue on its own volume, handed to uid 10001 before it starts.
    collectors = {"collector", "collector-agent", "gateway-1", "gateway-2"}
    for name in collectors:
        service = compose["services"][name]
        assert f"{name}-queue:/var/lib/otelcol/queue" in service["volumes"], name
        assert service["depends_on"]["queue-volumes"]["condition"] == "service_completed_successfully", name
    init = compose["services"]["queue-volumes"]
    assert {v.split(":")[0] for v in init["volumes"]} == {f"{name}-queue" for name in collectors}
    assert not (ROOT / "deploy" / ".env").exists()
    # .env holds the receivers' secrets: no service loads it whole.
    assert not [name for name, svc in compose["services"].items() if "env_file" in svc]
    alertmanager = compose["services"]["alertmanager"]
    assert all(value.startswith("${") and value.endswith("}") for value in alertmanager["environment"].values())
    # Each service mounts only its own secrets: the OTLP token and TLS key reach the collector alone.
    mounts = {name: [v.split(":")[0] for v in svc.get("volumes", []) if "secrets" in v.split(":")[0]]
              for name, svc in compose["services"].items()}
    assert {name: found for name, found in mounts.items() if found} == {
        "collector": ["./secrets/otlp"], "alertmanager": ["./secrets/alertmanager"]}


def test_provisioning_escapes_dollar_signs():
    text = (ROOT / "grafana" / "provisioning" / "datasources" / "datasources.yaml").read_text()
    assert re.search(r"(?<!\$)\$__tags", text) is None
    assert "$$__tags" in text
    data = yaml.safe_load(text)
    uids = {d["uid"] for d in data["datasources"]}
    assert uids == {"autogen-prometheus", "autogen-tempo", "autogen-alertmanager"}


def test_collector_config_uses_current_component_names():
    config = yaml.safe_load((ROOT / "deploy" / "otel-collector.yaml").read_text())
    assert set(config["exporters"]) == {"otlp_grpc/tempo", "otlp_http/prometheus"}
    assert config["service"]["pipelines"]["traces"]["processors"][0] == "memory_limiter"
    assert config["service"]["pipelines"]["traces"]["processors"][-1] == "batch"


@pytest.mark.parametrize("name", STACK_DASHBOARDS)
def test_stack_dashboards_use_the_datasource_variable(name):
    board = json.loads((DASHBOARDS / name).read_text())
    assert {v["name"] for v in board["templating"]["list"]} == {"datasource"}
    assert all(t["datasource"]["uid"] == "${datasource}" for p in board["panels"] for t in p["targets"])


def test_the_overview_links_to_pipeline_health_and_the_tier_board_says_when_it_is_empty():
    overview = json.loads((DASHBOARDS / "autogen-overview.json").read_text())
    assert [link["url"] for link in overview["links"]] == ["/d/autogen-pipeline-health"]
    tier = json.loads((DASHBOARDS / "autogen-collector-tier.json").read_text())
    assert all("scale-out profile is not running" in p["fieldConfig"]["defaults"]["noValue"] for p in tier["panels"])


def test_prometheus_scrapes_every_part_of_the_stack_that_exposes_metrics():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yaml").read_text())
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert jobs == {"prometheus": ["localhost:9090"], "otel-collector": ["collector:8888"], "tempo": ["tempo:3200"],
                    "alertmanager": ["alertmanager:9093"]}
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yaml").read_text())["services"]
    assert {"collector", "tempo", "alertmanager", "prometheus"} <= set(compose)
    collector = yaml.safe_load((ROOT / "deploy" / "otel-collector.yaml").read_text())
    pull = collector["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]
    assert pull["port"].endswith(":-8888}") and pull["without_type_suffix"] is False
    # Every stack alert has a unit test and the same annotations as ours (no traceql: not about runs).
    rules = yaml.safe_load((ROOT / "deploy" / "rules" / "stack-alerts.yaml").read_text())["groups"][0]["rules"]
    tests = (ROOT / "deploy" / "rules-tests" / "stack-alerts.test.yaml").read_text()
    for rule in rules:
        assert f"alertname: {rule['alert']}" in tests, rule["alert"]
        assert set(rule["annotations"]) == {"summary", "description", "runbook", "dashboard"}, rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}


def test_every_dashboard_panel_says_what_it_shows():
    for path in sorted((ROOT / "grafana" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            assert len(panel.get("description", "")) > 40, (path.name, panel["title"])


def test_the_conversation_view_reads_a_run_and_a_conversation_in_order():
    board = json.loads((ROOT / "grafana" / "dashboards" / "autogen-waterfall.json").read_text())
    assert {"trace_id", "conversation_id"} <= {v["name"] for v in board["templating"]["list"]}
    panels = {p["title"]: p for p in board["panels"]}
    run = panels["Conversation of the run (the trace id above)"]
    conversation = panels["Runs of the conversation (the conversation id above)"]
    for panel, scope in ((run, 'trace:id="${trace_id}"'),
                         (conversation, 'span.gen_ai.conversation.id="${conversation_id}"')):
        [target] = panel["targets"]
        assert target["query"].startswith("{" + scope) and target["tableType"] == "spans"
        assert "span.gen_ai.output.messages" in target["query"]
        assert panel["fieldConfig"]["defaults"]["noValue"].startswith("(not captured")  # never an empty row
        assert panel["transformations"] == [{"id": "sortBy", "options": {"sort": [{"field": "Start time",
                                                                                     "desc": False}]}}]
    for key in ("span.gen_ai.tool.call.arguments", "span.gen_ai.tool.call.result", "span.gen_ai.agent.name"):
        assert key in run["targets"][0]["query"]
    # The redaction overlay removes every attribute the view shows content from.
    redact = (ROOT / "deploy" / "otel-collector.redact-content.yaml").read_text()
    for key in ("gen_ai.output.messages", "gen_ai.input.messages", "gen_ai.tool.call.arguments",
                "gen_ai.tool.call.result"):
        assert f'delete_key(span.attributes, "{key}")' in redact
