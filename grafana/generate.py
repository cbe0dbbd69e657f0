"""Dashboards as code (grafana-foundation-sdk). Regenerate the committed JSON with

    python grafana/generate.py

A test fails if the committed files differ from what this produces.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, table, tempo, timeseries
from grafana_foundation_sdk.builders.common import TableFooterOptions
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import tempo as tempo_model
from grafana_foundation_sdk.models.dashboard import DataSourceRef, DataTransformerConfig, VariableRefresh

OUT = Path(__file__).parent / "dashboards"
PROM = DataSourceRef(type_val="prometheus", uid="${datasource}")
TEMPO = DataSourceRef(type_val="tempo", uid="${tempo}")
# ${var:regex}: a multi-value selection becomes (a|b) with regex metacharacters escaped.
SEL = 'service_name=~"${service:regex}"'
TEAM = f'{SEL}, gen_ai_workflow_name=~"${{team:regex}}"'
COST = f"autogen_cost_total{{{TEAM}}}"
# MCP tools/call requests of the selected services (callers and servers).
MCP = f'{SEL}, mcp_method_name="tools/call"'
MCP_CALLS = "mcp_client_operation_duration_seconds"
# A2A messages to remote agents of the selected services (callers and servers).
A2A = f'{SEL}, a2a_method_name=~"SendMessage|SendStreamingMessage"'
A2A_CALLS = "a2a_client_operation_duration_seconds"
FAILED = f'autogen_runs_total{{{TEAM}, autogen_run_stop_category=~"error|cancelled"}}'


def variables(board: dashboard.Dashboard, with_tempo: bool = False, with_agent: bool = False) -> dashboard.Dashboard:
    board = board.with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
    if with_tempo:
        board = board.with_variable(dashboard.DatasourceVariable("tempo").label("Tempo").type("tempo"))
    board = board.with_variable(
        dashboard.QueryVariable("service").label("Service").datasource(PROM)
        .query("label_values(gen_ai_client_operation_duration_seconds_count, service_name)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).multi(True).include_all(True).all_value(".*"))
    board = board.with_variable(
        dashboard.QueryVariable("team").label("Team").datasource(PROM)
        .query(f"label_values(gen_ai_invoke_workflow_duration_seconds_count{{{SEL}}}, gen_ai_workflow_name)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).multi(True).include_all(True).all_value(".*"))
    if with_agent:
        board = board.with_variable(
            dashboard.QueryVariable("agent").label("Agent").datasource(PROM)
            .query(f"label_values(gen_ai_invoke_agent_duration_seconds_count{{{TEAM}}}, gen_ai_agent_name)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).multi(True).include_all(True).all_value(".*"))
    return board


# What each panel shows and what to do when it looks wrong (its description in Grafana).
ABOUT = {
    "Evaluation pass rate": (
        "Share of evaluations labelled pass in the time range (record_evaluation and evaluators at run "
        "end). Falling while runs still finish normally: the silent failures the quality alert pages on."),
    "Pass rate by team and evaluation": (
        "Pass rate per team and evaluation over time. A step down right after a deploy points at a "
        "prompt, tool or model change: compare the failing runs' traces with earlier passing ones."),
    "Evaluations by label": (
        "Evaluations per hour by label (pass, fail, or your own labels), every team. An evaluation that "
        "stops arriving means the code recording it no longer runs."),
    "Score distribution (p10 / p50 by evaluation)": (
        "Low and median scores of each evaluation. A p10 far below the p50: a minority of runs is much "
        "worse; open them from the failed-runs panel."),
    "Failing evaluations": (
        "Teams and evaluations with the most failures in the time range. Start with the top row: open "
        "its failed runs below."),
    "Failed evaluations (open a run)": (
        "The latest evaluations labelled fail, in the evaluated run's own trace (TraceQL on Tempo): "
        "click the trace id to read the run and the evaluation's explanation."),
    'Runs': (
        'Team, workflow and lone-agent runs that finished in the time range (every family). Zero while '
        "agents should be working: check 'Runs in flight' and the AutoGenTelemetryAbsent alert."),
    'Failed or cancelled runs': (
        "Runs that ended with an exception or were cancelled. Above zero: open 'Failed runs' on the "
        'Conversation waterfall dashboard for their traces.'),
    'Model call p95': (
        '95th percentile of model-call latency over all models. A rise with no change in tokens per call '
        'points at the provider: compare models on the Latency dashboard.'),
    'Runs in flight': (
        'Runs started and not yet finished. Growing without finished runs means runs hang or loop: see '
        'the stalled-run and runaway alerts.'),
    'Tokens per hour': (
        'Input and output tokens per hour across every model call. A step up without more runs means '
        'longer conversations or loops.'),
    'Cost per hour (USD)': (
        "Spend per hour by team, priced with autogen-otel's price table. A team climbing far above its "
        'usual rate is what the cost alerts page on.'),
    'Top models by cost': (
        'The five models that cost the most in the time range. An unexpected expensive model usually '
        'means a configuration change.'),
    'Top agents by cost': (
        'The five agents that cost the most in the time range. One agent far ahead of the rest: check it '
        'for loops or oversized prompts.'),
    'Top tools by calls': (
        'The five most-called tools. A tool called far more than usual is often one an agent keeps '
        'retrying: see loop detections.'),
    'Runs (agents taking turns in them)': (
        'Recent runs of the selected services and teams with their agent turns (TraceQL on Tempo). Click '
        'a trace id to open its waterfall.'),
    'Failed runs': (
        'Runs whose workflow span ended in error. Open one to see which model call or tool failed first.'),
    'Runs with loop detections': (
        'Runs where an agent repeated the same message, or a tool was called with the same arguments, '
        'AUTOGEN_OTEL_LOOP_THRESHOLD times. Usually a prompt or termination problem.'),
    'Slow model calls (> 10s)': (
        'Model calls over 10 s inside the selected runs. Many at once: provider trouble; one model only: '
        'try another deployment or region.'),
    'Failed tool calls': (
        "Tool calls that raised inside the selected runs. The span's exception event says why; a tool "
        'failing every time needs fixing, not retries.'),
    "Run totals across processes (the trace id above; footer: the run's sum)": (
        "For the trace id typed above: each process's run root with what it spent; the footer sums them "
        '(a distributed run crosses processes). Empty until a trace id is typed.'),
    'Model call latency by model': (
        "Median and 95th percentile model-call latency by model; dots are exemplars that open the call's "
        'trace. A p95 far above the p50 means a few very slow calls.'),
    'Time to first chunk (streaming) p95': (
        'How long streamed model calls take to send their first chunk (p95). Empty when no agent streams. '
        'Rising: the provider is queueing requests.'),
    'Conversation of the run (the trace id above)': (
        'What the agents said, thought and called, in order: each model call (agent, output messages with '
        'reasoning and tool calls, tokens, cost) and each tool call (arguments, result). Needs content '
        'capture (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true); without it, or with the '
        'redaction overlay on, the content columns say so.'),
    'Runs of the conversation (the conversation id above)': (
        'Every run that carried this gen_ai.conversation.id (an AgentChat team resumed, an Agent Framework '
        'session), in order: what each was asked and answered, how it stopped and what it cost. Open a '
        "run's trace id above for its whole conversation."),
    'Tool latency p95': (
        "95th percentile duration of each tool. A slow tool holds up its whole run: look at the tool's "
        'own dependencies.'),
    'MCP tool calls by tool and outcome': (
        'Calls per second to tools on MCP servers, by tool and error type (empty: succeeded), as the '
        "calling agents saw them. A tool_error share rising: open the server's spans under the agent's "
        'execute_tool in one trace.'),
    'MCP tool latency p95, caller and server': (
        '95th percentile of MCP tools/call durations as the caller saw them (round trip, transport '
        'included) and as the server handled them (select the server services too). A wide gap between '
        'the two: the transport or the server start-up, not the tool.'),
    'Remote agent (A2A) messages by agent and final task state': (
        'Messages per second sent to remote agents over A2A, by remote agent, the task state the '
        "request ended in and error type, as the delegating agents saw them. TASK_STATE_FAILED rising: "
        "open the remote agent's run under the caller's SendMessage span in one trace."),
    'Remote agent (A2A) latency p95, caller and server': (
        '95th percentile duration of A2A messages to remote agents as the caller saw them (the remote '
        'run, network included) and as the remote server handled them (select the server services too).'),
    'Agent turn latency p95': (
        "95th percentile duration of an agent's turn (its model calls and tools). Compare with model "
        'latency to see where a turn spends its time.'),
    'Team run duration p95': (
        '95th percentile duration of whole runs by team; dots open a slow run. Rising while model latency '
        'is flat means more turns per run.'),
    'Tokens by model and type': (
        'Input and output tokens by model. Input growing faster than output: conversations carry ever '
        'longer histories.'),
    'Tokens by agent': (
        'Tokens by agent. One agent dominating: its instructions or tool outputs may be too large.'),
    'Cost by model (USD)': (
        'Spend by model over time. Look here first when the bill changes.'),
    'Cost by team (USD)': (
        'Spend by team (workflow) over time, every family on one axis.'),
    'Cost per run (p50 / p95, USD)': (
        'What one run costs, median and 95th percentile, by team. A p95 many times the p50 means a few '
        'runaway runs: give the team a budget stop.'),
    'Turns per run p95': (
        "Agent turns per run (p95) by team. Close to the team's turn limit: runs end by hitting it rather "
        'than by finishing.'),
    "Spans in and out, per collector": (
        "Spans each collector accepted from apps, refused (apps retry, then drop), exported to Tempo "
        "and failed to export after retrying. Exported below accepted for long: the backend is slow or "
        "down; failed above zero: spans are being lost (AutoGenCollectorExportFailing)."),
    "Metric points in and out, per collector": (
        "The same for metric points (to Prometheus). A gap here shows as a gap in every other "
        "dashboard's graphs."),
    "Data lost in the pipeline": (
        "Spans and metric points a collector dropped in the time range: failed after every retry, or "
        "dropped because the sending queue was full. Anything but zero is a hole in the traces or "
        "metrics; the Tempo and Prometheus panels show which backend."),
    "Exporter queue fill": (
        "How full each exporter's sending queue is. Climbing: the backend takes data slower than it "
        "arrives; at 100% new data is dropped (AutoGenCollectorQueueNearlyFull warns at 80%)."),
    "Tempo ingestion": (
        "Spans Tempo's distributor received and discarded, by reason. Discards mean incomplete traces: "
        "the reason names the limit to raise in deploy/tempo.yaml. Empty: Tempo is not scraped (job tempo)."),
    "Alert notifications": (
        "Notifications Alertmanager sent and failed to send, by integration. A failing integration "
        "means alerts routed there reach nobody (AutoGenAlertNotificationsFailing pages through the "
        "others)."),
    "Stack parts up": (
        "Every part Prometheus scrapes: 1 up, 0 down (AutoGenStackTargetDown after 2m). The scale-out "
        "gateways push their metrics instead and are not listed."),
    "Rule evaluation failures": (
        "Rule groups whose evaluation failed in the time range: their alerts cannot fire. Prometheus's "
        "/rules page shows the error."),
    'Runs kept and dropped (all gateways)': (
        'Tail-sampling decisions of the scale-out gateways. Far fewer kept than your policies lead you to '
        'expect: check the decision wait and the policy settings.'),
    'Runs kept, by the policy that kept them': (
        'Which tail-sampling policy kept each run (errors, loops, cost, slow runs, the random share).'),
    'Runs decided per gateway': (
        "Runs decided by each gateway. Uneven: the agent tier's load balancing is not spreading trace "
        'ids.'),
    'Decisions per second by outcome': (
        'Tail-sampling decisions per second, kept and dropped. Falling to zero while apps run: the '
        'gateways receive nothing.'),
}


def prom(expr: str, legend: str = "", exemplars: bool = False) -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).datasource(PROM)
    if exemplars:  # trace ids recorded with the measurements: a dot on the graph opens the run
        query = query.exemplar(True)
    return query.legend_format(legend) if legend else query


def series(title: str, unit: str, *queries: prometheus.Dataquery, width: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).description(ABOUT[title]).unit(unit).datasource(PROM).height(8).span(width)
    for query in queries:
        panel = panel.with_target(query)
    return panel


def single(title: str, unit: str, expr: str) -> stat.Panel:
    return (stat.Panel().title(title).description(ABOUT[title]).unit(unit).datasource(PROM).height(4).span(6)
            .with_target(prom(expr).instant()))


def top(title: str, unit: str, expr: str) -> table.Panel:
    return (table.Panel().title(title).description(ABOUT[title]).unit(unit).datasource(PROM).height(8).span(8)
            .with_target(prom(expr).instant().format("table")))


def traceql(title: str, query: str, width: int = 24) -> table.Panel:
    return (table.Panel().title(title).description(ABOUT[title]).datasource(TEMPO).height(10).span(width)
            .with_target(tempo.TempoQuery().query_type("traceql").query(query).limit(50).datasource(TEMPO)))


class _SpanRows(tempo_model.TempoQuery):
    """Tempo query options the SDK does not model: one table row per span, every span of a set."""

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "tableType": "spans", "spss": 100}


class _SpanRowsBuilder:
    def __init__(self, query: str) -> None:
        self._query = query

    def build(self) -> _SpanRows:
        return _SpanRows(query_type="traceql", query=self._query, limit=50, datasource=TEMPO)


def span_totals(title: str, query: str) -> table.Panel:
    """Spans as rows with a footer summing every numeric column."""
    return (table.Panel().title(title).description(ABOUT[title]).datasource(TEMPO).height(8).span(24)
            .footer(TableFooterOptions().show(True).reducer(["sum"]))
            .with_target(_SpanRowsBuilder(query)))  # type: ignore[arg-type]


# What a transcript row shows where the span has no content (capture off, or the redaction overlay).
NOT_CAPTURED = "(not captured: content capture is off, or redacted)"


def transcript(title: str, query: str) -> table.Panel:
    """Spans as rows in the order they started: a conversation, read top to bottom."""
    by_start = DataTransformerConfig(id_val="sortBy", options={"sort": [{"field": "Start time", "desc": False}]})
    return (table.Panel().title(title).description(ABOUT[title]).datasource(TEMPO).height(12).span(24)
            .no_value(NOT_CAPTURED).with_transformation(by_start)
            .with_target(_SpanRowsBuilder(query)))  # type: ignore[arg-type]


def quantile(q: float, metric: str, by: str, extra: str = SEL) -> str:
    return f"histogram_quantile({q}, sum by (le, {by}) (rate({metric}_bucket{{{extra}}}[$__rate_interval])))"


def base(uid: str, title: str, description: str, with_tempo: bool = False,
         with_agent: bool = False) -> dashboard.Dashboard:
    board = (dashboard.Dashboard(title).uid(uid).description(description).tags(["autogen", "genai", "autogen-otel"])
             .time("now-6h", "now").refresh("30s").timezone("browser"))
    return variables(board, with_tempo, with_agent)


def overview() -> dashboard.Dashboard:
    return (base("autogen-overview", "AutoGen / Overview", "Runs, errors, latency, tokens and cost of AutoGen teams.")
            .link(dashboard.DashboardLink("Pipeline health: is the stack losing data?").type("link")
                  .url("/d/autogen-pipeline-health").keep_time(True).icon("dashboard"))
            .with_panel(single("Runs", "short", f"sum(increase(autogen_runs_total{{{TEAM}}}[$__range]))"))
            .with_panel(single("Failed or cancelled runs", "short",
                               f"sum(increase({FAILED}[$__range])) or vector(0)"))
            .with_panel(single("Model call p95", "s", quantile(0.95, "gen_ai_client_operation_duration_seconds", "")
                               .replace("by (le, )", "by (le)")))
            .with_panel(single("Runs in flight", "short", f"sum(autogen_run_active{{{TEAM}}})"))
            .with_panel(single("Evaluation pass rate", "percentunit",
                               f'sum(increase(autogen_evaluation_results_total{{{TEAM}, '
                               f'gen_ai_evaluation_score_label="pass"}}[$__range])) / '
                               f"sum(increase(autogen_evaluation_results_total{{{TEAM}}}[$__range]))"))
            .with_panel(series("Tokens per hour", "short",
                               prom(f"sum by (gen_ai_token_type) (rate(gen_ai_client_token_usage_sum{{{SEL}}}"
                                    "[$__rate_interval])) * 3600", "{{gen_ai_token_type}}")))
            .with_panel(series("Cost per hour (USD)", "currencyUSD",
                               prom(f"sum by (gen_ai_workflow_name) (rate({COST}[$__rate_interval])) * 3600",
                                    "{{gen_ai_workflow_name}}")))
            .with_panel(top("Top models by cost", "currencyUSD",
                            f"topk(5, sum by (gen_ai_request_model) (increase({COST}[$__range])))"))
            .with_panel(top("Top agents by cost", "currencyUSD",
                            f"topk(5, sum by (gen_ai_agent_name) (increase({COST}[$__range])))"))
            .with_panel(top("Top tools by calls", "short",
                            "topk(5, sum by (gen_ai_tool_name) "
                            f"(increase(gen_ai_execute_tool_duration_seconds_count{{{TEAM}}}[$__range])))")))


def waterfall() -> dashboard.Dashboard:
    # Model and tool spans carry no team name: they are selected *under* a matching workflow span.
    workflow = '{span.gen_ai.operation.name="invoke_workflow" && resource.service.name=~"${service:regex}" ' \
               '&& span.gen_ai.workflow.name=~"${team:regex}"'
    agent = '{span.gen_ai.operation.name="invoke_agent" && span.gen_ai.agent.name=~"${agent:regex}"}'
    # Each process a run crosses (AutoGen's gRPC runtime) has its own run root carrying what was
    # spent there; in-process runs have exactly one.
    run_roots = ('{trace:id="${trace_id}" && span.autogen.run.stop_category != nil} | select('
                 "resource.service.name, span.gen_ai.agent.name, span.gen_ai.workflow.name, "
                 "span.gen_ai.usage.input_tokens, span.gen_ai.usage.output_tokens, span.autogen.cost.usd, "
                 "span.autogen.run.model_calls, span.autogen.run.turns)")
    board = base("autogen-waterfall", "AutoGen / Conversation waterfall",
                 "Find runs by service, team, agent and status; open one to see its waterfall.", with_tempo=True,
                 with_agent=True)
    board = board.with_variable(dashboard.TextBoxVariable("trace_id").label("Trace ID (run totals, conversation)"))
    board = board.with_variable(dashboard.TextBoxVariable("conversation_id").label("Conversation ID"))
    # Model calls say and think, tools are called and answer: in the order they happened.
    said = ('{trace:id="${trace_id}" && span.gen_ai.operation.name=~"chat|execute_tool"} | select('
            "span.gen_ai.agent.name, span.gen_ai.output.messages, span.gen_ai.tool.name, "
            "span.gen_ai.tool.call.arguments, span.gen_ai.tool.call.result, span.gen_ai.usage.input_tokens, "
            "span.gen_ai.usage.output_tokens, span.autogen.cost.usd)")
    runs = ('{span.gen_ai.conversation.id="${conversation_id}"} | select(span.gen_ai.workflow.name, '
            "span.gen_ai.agent.name, span.gen_ai.input.messages, span.gen_ai.output.messages, "
            "span.autogen.run.stop_category, span.autogen.cost.usd)")
    return (board
            .with_panel(traceql("Runs (agents taking turns in them)", f"{workflow}}} >> {agent}"))
            .with_panel(traceql("Failed runs", workflow + " && status=error}", width=12))
            .with_panel(traceql("Runs with loop detections", workflow + ' && event:name="autogen.loop_detected"}',
                                width=12))
            .with_panel(traceql("Slow model calls (> 10s)",
                                f'{workflow}}} >> {{span.gen_ai.operation.name="chat" && duration > 10s}}', width=12))
            .with_panel(traceql("Failed tool calls",
                                f'{workflow}}} >> {{span.gen_ai.operation.name="execute_tool" && status=error}}',
                                width=12))
            .with_panel(span_totals("Run totals across processes (the trace id above; footer: the run's sum)",
                                    run_roots))
            .with_panel(transcript("Conversation of the run (the trace id above)", said))
            .with_panel(transcript("Runs of the conversation (the conversation id above)", runs)))


def latency() -> dashboard.Dashboard:
    chat = "gen_ai_client_operation_duration_seconds"
    return (base("autogen-latency", "AutoGen / Latency", "Percentiles of model calls, tools, agent turns and runs.")
            .with_panel(series("Model call latency by model", "s",
                               prom(quantile(0.5, chat, "gen_ai_request_model"), "p50 {{gen_ai_request_model}}"),
                               prom(quantile(0.95, chat, "gen_ai_request_model"), "p95 {{gen_ai_request_model}}",
                                    exemplars=True)))
            .with_panel(series("Time to first chunk (streaming) p95", "s",
                               prom(quantile(0.95, "gen_ai_client_operation_time_to_first_chunk_seconds",
                                             "gen_ai_request_model"), "{{gen_ai_request_model}}")))
            .with_panel(series("Tool latency p95", "s",
                               prom(quantile(0.95, "gen_ai_execute_tool_duration_seconds", "gen_ai_tool_name", TEAM),
                                    "{{gen_ai_tool_name}}")))
            .with_panel(series("MCP tool calls by tool and outcome", "reqps",
                               prom(f"sum by (gen_ai_tool_name, error_type) (rate({MCP_CALLS}_count{{{MCP}}}"
                                    "[$__rate_interval]))", "{{gen_ai_tool_name}} {{error_type}}")))
            .with_panel(series("MCP tool latency p95, caller and server", "s",
                               prom(quantile(0.95, MCP_CALLS, "gen_ai_tool_name", MCP), "caller {{gen_ai_tool_name}}"),
                               prom(quantile(0.95, "mcp_server_operation_duration_seconds", "gen_ai_tool_name",
                                             MCP), "server {{gen_ai_tool_name}}")))
            .with_panel(series("Remote agent (A2A) messages by agent and final task state", "reqps",
                               prom(f"sum by (gen_ai_agent_name, a2a_task_state, error_type) (rate({A2A_CALLS}_count"
                                    f"{{{A2A}}}[$__rate_interval]))",
                                    "{{gen_ai_agent_name}} {{a2a_task_state}} {{error_type}}")))
            .with_panel(series("Remote agent (A2A) latency p95, caller and server", "s",
                               prom(quantile(0.95, A2A_CALLS, "gen_ai_agent_name", A2A),
                                    "caller {{gen_ai_agent_name}}"),
                               prom(quantile(0.95, "a2a_server_operation_duration_seconds", "gen_ai_agent_name",
                                             A2A), "server {{gen_ai_agent_name}}")))
            .with_panel(series("Agent turn latency p95", "s",
                               prom(quantile(0.95, "gen_ai_invoke_agent_duration_seconds", "gen_ai_agent_name", TEAM),
                                    "{{gen_ai_agent_name}}")))
            .with_panel(series("Team run duration p95", "s",
                               prom(quantile(0.95, "gen_ai_invoke_workflow_duration_seconds", "gen_ai_workflow_name",
                                             TEAM), "{{gen_ai_workflow_name}}", exemplars=True), width=24)))


def tokens_and_cost() -> dashboard.Dashboard:
    tokens = "gen_ai_client_token_usage_sum"
    return (base("autogen-tokens-cost", "AutoGen / Tokens & cost", "Tokens and dollars by model, agent, team.")
            .with_panel(series("Tokens by model and type", "short",
                               prom(f"sum by (gen_ai_request_model, gen_ai_token_type) "
                                    f"(increase({tokens}{{{TEAM}}}[$__rate_interval]))",
                                    "{{gen_ai_request_model}} {{gen_ai_token_type}}")))
            .with_panel(series("Tokens by agent", "short",
                               prom(f"sum by (gen_ai_agent_name) (increase({tokens}{{{TEAM}}}[$__rate_interval]))",
                                    "{{gen_ai_agent_name}}")))
            .with_panel(series("Cost by model (USD)", "currencyUSD",
                               prom("sum by (gen_ai_request_model) "
                                    f"(increase(autogen_cost_total{{{TEAM}}}[$__rate_interval]))",
                                    "{{gen_ai_request_model}}")))
            .with_panel(series("Cost by team (USD)", "currencyUSD",
                               prom("sum by (gen_ai_workflow_name) "
                                    f"(increase(autogen_cost_total{{{TEAM}}}[$__rate_interval]))",
                                    "{{gen_ai_workflow_name}}")))
            .with_panel(series("Cost per run (p50 / p95, USD)", "currencyUSD",
                               prom(quantile(0.5, "autogen_run_cost", "gen_ai_workflow_name", TEAM),
                                    "p50 {{gen_ai_workflow_name}}"),
                               prom(quantile(0.95, "autogen_run_cost", "gen_ai_workflow_name", TEAM),
                                    "p95 {{gen_ai_workflow_name}}")))
            .with_panel(series("Turns per run p95", "short",
                               prom(quantile(0.95, "autogen_run_turns", "gen_ai_workflow_name", TEAM),
                                    "{{gen_ai_workflow_name}}"))))


def quality() -> dashboard.Dashboard:
    """Silent failures: what evaluations say runs achieved (autogen.evaluation.* metrics)."""
    evals = f"autogen_evaluation_results_total{{{TEAM}}}"
    fails = f'autogen_evaluation_results_total{{{TEAM}, gen_ai_evaluation_score_label="fail"}}'
    passes = f'autogen_evaluation_results_total{{{TEAM}, gen_ai_evaluation_score_label="pass"}}'
    by = "gen_ai_workflow_name, gen_ai_agent_name, gen_ai_evaluation_name"
    failed = ('{span.gen_ai.operation.name="evaluation" && span.gen_ai.evaluation.score.label="fail" '
              '&& resource.service.name=~"${service:regex}"} | select(span.gen_ai.evaluation.name, '
              "span.gen_ai.evaluation.explanation, span.gen_ai.workflow.name, span.gen_ai.agent.name)")
    board = base("autogen-quality", "AutoGen / Run quality",
                 "What runs achieved: evaluations recorded with record_evaluation or by evaluators at run end.",
                 with_tempo=True)
    return (board
            .with_panel(single("Evaluation pass rate", "percentunit",
                               f"sum(increase({passes}[$__range])) / sum(increase({evals}[$__range]))"))
            .with_panel(series("Pass rate by team and evaluation", "percentunit",
                               prom(f"sum by ({by}) (rate({passes}[$__rate_interval])) / "
                                    f"sum by ({by}) (rate({evals}[$__rate_interval]))",
                                    "{{gen_ai_workflow_name}}{{gen_ai_agent_name}} {{gen_ai_evaluation_name}}"),
                               width=18))
            .with_panel(series("Evaluations by label", "short",
                               prom("sum by (gen_ai_evaluation_score_label) "
                                    f"(rate({evals}[$__rate_interval])) * 3600",
                                    "{{gen_ai_evaluation_score_label}}")))
            .with_panel(series("Score distribution (p10 / p50 by evaluation)", "short",
                               prom(quantile(0.1, "autogen_evaluation_score", "gen_ai_evaluation_name", TEAM),
                                    "p10 {{gen_ai_evaluation_name}}"),
                               prom(quantile(0.5, "autogen_evaluation_score", "gen_ai_evaluation_name", TEAM),
                                    "p50 {{gen_ai_evaluation_name}}", exemplars=True)))
            .with_panel(top("Failing evaluations", "short",
                            f"topk(10, sum by ({by}) (increase({fails}[$__range])))"))
            .with_panel(traceql("Failed evaluations (open a run)", failed, width=16)))


def collector_tier() -> dashboard.Dashboard:
    """The scale-out tier's own metrics (deploy/otel-collector.gateway.yaml pushes them). Without the
    profile every panel says so instead of a bare "No data"."""
    sampled = "otelcol_processor_tail_sampling_count_traces_sampled_total"
    decided = "otelcol_processor_tail_sampling_global_count_traces_sampled_total"
    board = (dashboard.Dashboard("AutoGen / Collector tier").uid("autogen-collector-tier")
             .description("Tail sampling in the scale-out gateways (docker compose --profile scale-out): runs kept "
                          "and dropped, by policy. Empty without that profile.")
             .tags(["autogen", "autogen-otel", "collector"]).time("now-6h", "now").refresh("30s")
             .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus")))
    idle = "No gateway data: the scale-out profile is not running (docker compose --profile scale-out up -d)"
    return (board
            .with_panel(top("Runs kept and dropped (all gateways)", "short",
                            f"sum by (decision) (increase({decided}[$__range]))").no_value(idle))
            .with_panel(top("Runs kept, by the policy that kept them", "short",
                            f'sum by (policy) (increase({sampled}{{sampled="true"}}[$__range]))').no_value(idle))
            .with_panel(top("Runs decided per gateway", "short",
                            f"sum by (instance) (increase({decided}[$__range]))").no_value(idle))
            .with_panel(series("Decisions per second by outcome", "short",
                               prom(f"sum by (decision) (rate({decided}[$__rate_interval]))", "{{decision}}"),
                               width=24).no_value(idle)))


def pipeline_health() -> dashboard.Dashboard:
    """The stack's own metrics: the collector(s), Tempo, Alertmanager, Prometheus (deploy/prometheus.yaml
    scrapes them; the scale-out gateways push theirs)."""
    def flow(signal: str) -> list[prometheus.Dataquery]:
        by = "job, instance"
        return [prom(f"sum by ({by}) (rate(otelcol_receiver_accepted_{signal}_total[$__rate_interval]))",
                     "accepted {{instance}}"),
                prom(f"sum by ({by}) (rate(otelcol_receiver_refused_{signal}_total[$__rate_interval]))",
                     "refused {{instance}}"),
                prom(f"sum by ({by}, exporter) (rate(otelcol_exporter_sent_{signal}_total[$__rate_interval]))",
                     "exported {{instance}} {{exporter}}"),
                prom(f"sum by ({by}, exporter) (rate(otelcol_exporter_send_failed_{signal}_total[$__rate_interval]))",
                     "failed {{instance}} {{exporter}}")]

    def born_or_increased(metric: str) -> str:  # a loss counter often first appears above 0
        return f"(({metric} unless {metric} offset $__range) or increase({metric}[$__range]))"

    lost = " or ".join(
        f"label_replace(sum by (job, instance, exporter) "
        f"{born_or_increased(f'otelcol_exporter_{kind}_{signal}_total')}, "
        f'"lost", "{signal.replace("_", " ")} {why}", "", "")'
        for signal in ("spans", "metric_points")
        for kind, why in (("send_failed", "failed"), ("enqueue_failed", "queue full")))
    board = (dashboard.Dashboard("AutoGen / Pipeline health").uid("autogen-pipeline-health")
             .description("The stack watching itself: data accepted, refused, exported and lost per collector, "
                          "queue fill, Tempo ingestion, alert delivery.")
             .tags(["autogen", "autogen-otel", "stack"]).time("now-6h", "now").refresh("30s")
             .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus")))
    return (board
            .with_panel(series("Spans in and out, per collector", "short", *flow("spans")))
            .with_panel(series("Metric points in and out, per collector", "short", *flow("metric_points")))
            .with_panel(top("Data lost in the pipeline", "short", f"({lost}) > 0"))
            .with_panel(series("Exporter queue fill", "percentunit",
                               prom("max by (job, instance, exporter) "
                                    "(otelcol_exporter_queue_size / otelcol_exporter_queue_capacity)",
                                    "{{instance}} {{exporter}}"), width=16))
            .with_panel(series("Tempo ingestion", "short",
                               prom("sum(rate(tempo_distributor_spans_received_total[$__rate_interval]))", "received"),
                               prom("sum by (reason) (rate(tempo_discarded_spans_total[$__rate_interval]))",
                                    "discarded {{reason}}")))
            .with_panel(series("Alert notifications", "short",
                               prom("sum by (integration) "
                                    "(increase(alertmanager_notifications_total[$__rate_interval]))",
                                    "sent {{integration}}"),
                               prom("sum by (integration) "
                                    "(increase(alertmanager_notifications_failed_total[$__rate_interval]))",
                                    "failed {{integration}}")))
            .with_panel(top("Stack parts up", "short", "max by (job, instance) (up)"))
            .with_panel(top("Rule evaluation failures", "short",
                            "sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total[$__range])) > 0")))


DASHBOARDS = {"autogen-overview.json": overview, "autogen-waterfall.json": waterfall,
              "autogen-latency.json": latency, "autogen-tokens-cost.json": tokens_and_cost,
              "autogen-quality.json": quality, "autogen-collector-tier.json": collector_tier,
              "autogen-pipeline-health.json": pipeline_health}


def render() -> dict[str, str]:
    return {name: JSONEncoder(sort_keys=True, indent=2).encode(build().build()) + "\n"
            for name, build in DASHBOARDS.items()}


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        json.loads(text)
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
