"""Silent failures: evaluations of what a run achieved, on the evaluated run's own trace and in
metrics, for every family; evaluators at run end; bad input never reaches the app."""

from __future__ import annotations

import asyncio
import logging
import threading

import autogen_otel
import pytest
from autogen_otel import Evaluation, final_answer, record_evaluation
from autogen_otel.core import evaluations
from autogen_otel.demo.llm_server import Reply
from helpers import by_name, metric_points, ours, traces
from teams import WEATHER_SCRIPT, weather_team


def _evaluation_spans(spans):
    assert autogen_otel.flush_evaluations(10)  # evaluators run on their own thread, after the run
    return [s for s in spans.get_finished_spans() if s.name.startswith("evaluation ")]


def _root_of(span, finished):
    return next(s for s in finished if s.context.span_id == span.parent.span_id)


@pytest.fixture(autouse=True)
def _fresh_warnings():
    evaluations._warned.clear()
    yield
    for each in evaluations.evaluators():
        evaluations.remove_evaluator(each)


async def test_a_team_result_evaluated_after_the_run_lands_in_its_trace(instrument, spans, metric_reader,
                                                                        llm_server):
    instrument(capture_content=True)  # an explanation may quote the agents: content, opt-in
    result = await weather_team(llm_server(WEATHER_SCRIPT)).run(task="Weather in Paris?")
    before = result.model_dump() if hasattr(result, "model_dump") else repr(result)
    assert record_evaluation(result, "summary_written", label="fail", score=0.0,
                             explanation="summary.json missing; key sk-abcdefghijklmnopqrstuvwx123456 leaked")
    after = result.model_dump() if hasattr(result, "model_dump") else repr(result)
    assert before == after, "the app's result is left as it was"

    finished = spans.get_finished_spans()
    [evaluation] = _evaluation_spans(spans)
    root = _root_of(evaluation, finished)
    assert root.name == "invoke_workflow RoundRobinGroupChat" and root.parent is None
    assert len(traces(ours(finished))) == 1
    a = evaluation.attributes
    assert a["gen_ai.evaluation.name"] == "summary_written" and a["gen_ai.evaluation.score.label"] == "fail"
    assert a["gen_ai.evaluation.score.value"] == 0.0
    assert "summary.json missing" in a["gen_ai.evaluation.explanation"]
    assert "sk-abcdefghijklmnopqrstuvwx123456" not in a["gen_ai.evaluation.explanation"]
    [event] = evaluation.events
    assert event.name == "gen_ai.evaluation.result" and event.attributes["gen_ai.evaluation.name"] == "summary_written"

    [point] = metric_points(metric_reader, "autogen.evaluation.results")
    assert dict(point.attributes) == {"gen_ai.workflow.name": "RoundRobinGroupChat",
                                      "gen_ai.evaluation.name": "summary_written",
                                      "gen_ai.evaluation.score.label": "fail"}
    assert point.value == 1
    assert {e.trace_id for e in point.exemplars} == {root.context.trace_id}
    [score] = metric_points(metric_reader, "autogen.evaluation.score")
    assert score.count == 1 and score.sum == 0.0


async def test_the_last_item_of_run_stream_is_evaluated_too(instrument, spans, llm_server):
    items = [item async for item in weather_team(llm_server(WEATHER_SCRIPT)).run_stream(task="Weather?")]
    assert record_evaluation(items[-1], "answered", label="pass")
    [evaluation] = _evaluation_spans(spans)
    assert _root_of(evaluation, spans.get_finished_spans()).name.startswith("invoke_workflow")


async def test_inside_a_run_the_current_run_is_evaluated(instrument, spans, llm_server):
    async def get_weather(city: str) -> str:  # AgentChat runs a sync tool in a thread, outside the run's context
        """Current weather for a city."""
        record_evaluation(None, "tool_input_valid", label="pass" if city == "Paris" else "fail")
        return f"Sunny in {city}"

    await weather_team(llm_server(WEATHER_SCRIPT), tools=[get_weather]).run(task="Weather in Paris?")
    [evaluation] = _evaluation_spans(spans)
    root = _root_of(evaluation, spans.get_finished_spans())
    assert root.name.startswith("invoke_workflow") and evaluation.attributes["gen_ai.evaluation.score.label"] == "pass"
    # The run was still running: the semconv event is on the evaluated span itself.
    [event] = [e for e in root.events if e.name == "gen_ai.evaluation.result"]
    assert event.attributes["gen_ai.evaluation.name"] == "tool_input_valid" and not evaluation.events


async def test_evaluators_run_at_run_end_contained_and_bounded(instrument, spans, metric_reader, llm_server,
                                                               monkeypatch, caplog):
    monkeypatch.setattr(evaluations, "EVALUATOR_TIMEOUT_S", 0.5)
    release = threading.Event()
    seen = []

    def sees_the_run(view):
        seen.append(view)
        return [Evaluation("turns_ok", label="pass" if view.turns <= 4 else "fail"), Evaluation("costed", score=1.0)]

    def raises(view):
        raise RuntimeError("evaluator bug")

    def hangs(view):
        release.wait(5)
        return Evaluation("late", label="pass")

    for each in (final_answer, sees_the_run, raises, hangs):
        autogen_otel.add_evaluator(each)
    with caplog.at_level(logging.WARNING, logger="autogen_otel"):
        result = await asyncio.wait_for(weather_team(llm_server(WEATHER_SCRIPT)).run(task="Weather?"), timeout=30)
        assert autogen_otel.flush_evaluations(10)
    release.set()
    assert result.stop_reason and "TERMINATE" in result.messages[-1].content

    [view] = seen
    assert view.team == "RoundRobinGroupChat" and view.kind == "workflow" and view.stop_category == "text_mention"
    assert view.turns == 2 and view.model_calls == 3 and view.input_tokens > 0 and view.cost_usd and view.cost_usd > 0
    assert view.final_message is None, "no content without capture" and view.final_message_empty is False
    names = sorted(s.attributes["gen_ai.evaluation.name"] for s in _evaluation_spans(spans))
    assert names == ["costed", "final_answer", "turns_ok"], "the hanging evaluator's result is dropped"
    assert "evaluator 'raises' raised RuntimeError('evaluator bug')" in caplog.text
    assert "left behind" in caplog.text


async def test_a_slow_evaluator_never_holds_up_the_run_or_its_loop(instrument, spans, llm_server, monkeypatch):
    monkeypatch.setattr(evaluations, "EVALUATOR_TIMEOUT_S", 30.0)
    started, release = threading.Event(), threading.Event()

    def slow(view):
        started.set()
        release.wait(30)  # set by this test only once the run has returned and the loop moved on
        return Evaluation("slow", label="pass")

    autogen_otel.add_evaluator(slow)
    ticks = 0

    async def unrelated_task():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(unrelated_task())
    try:
        result = await asyncio.wait_for(weather_team(llm_server(WEATHER_SCRIPT)).run(task="Weather?"), timeout=30)
        assert "TERMINATE" in result.messages[-1].content
        assert await asyncio.to_thread(started.wait, 10), "the evaluator runs, on a thread of its own"
        before = ticks
        for _ in range(20):
            await asyncio.sleep(0)
        assert ticks > before and not release.is_set(), "the loop runs on while the evaluator is blocked"
    finally:
        ticker.cancel()
        release.set()
    [evaluation] = _evaluation_spans(spans)
    assert evaluation.attributes["gen_ai.evaluation.name"] == "slow"
    assert evaluation.parent.trace_id == result_trace(spans)


def result_trace(spans):
    [root] = [s for s in spans.get_finished_spans() if s.parent is None and s.name.startswith("invoke_workflow")]
    return root.context.trace_id


async def test_final_answer_fails_a_run_stopped_by_its_limit(instrument, spans, llm_server):
    instrument(capture_content=True)
    autogen_otel.add_evaluator(final_answer)
    server = llm_server({"You are the planner": [Reply("Still thinking.")], "You are the critic": [Reply("Go on.")]})
    await weather_team(server, max_messages=3).run(task="Weather?")
    [evaluation] = _evaluation_spans(spans)
    assert evaluation.attributes["gen_ai.evaluation.score.label"] == "fail"
    assert "max_messages" in evaluation.attributes["gen_ai.evaluation.explanation"]


async def test_expect_file(instrument, spans, llm_server, tmp_path):
    target = tmp_path / "summary.json"

    def write_summary(city: str) -> str:
        """Write the summary file."""
        target.write_text("{}")
        return "written"

    check = autogen_otel.expect_file(target)
    autogen_otel.add_evaluator(check)
    await weather_team(llm_server(WEATHER_SCRIPT)).run(task="Weather?")
    script = {"You are the planner": [Reply(tool_calls=[("write_summary", {"city": "Paris"})]), Reply("Done.")],
              "You are the critic": [Reply("TERMINATE")]}
    await weather_team(llm_server(script), tools=[write_summary]).run(task="Summarise")
    labels = [s.attributes["gen_ai.evaluation.score.label"]
              for s in sorted(_evaluation_spans(spans), key=lambda s: s.start_time)]
    assert labels == ["fail", "pass"]


async def test_concurrent_runs_never_get_each_others_evaluations(instrument, spans, llm_server):
    def stateless(request):
        messages = request.get("messages") or []
        system = str(messages[0].get("content")) if messages else ""
        if "critic" in system:
            return Reply("TERMINATE")
        return Reply("It is sunny.")

    server = llm_server(stateless)
    results = await asyncio.gather(*(weather_team(server).run(task=f"Weather {i}?") for i in range(8)))
    for i, result in enumerate(results):
        assert record_evaluation(result, "run_index", score=float(i))
    finished = spans.get_finished_spans()
    # Which trace each run is, from the outside: its task text reached the server, whose response
    # id is on that run's chat span.
    trace_of_run = {}
    for exchange in server.exchanges:
        task = next((m["content"] for m in exchange.request["messages"] if "Weather " in str(m.get("content"))), "")
        chat = next(c for c in finished if c.attributes.get("gen_ai.response.id") == exchange.response_id)
        trace_of_run.setdefault(int(task.split()[1].rstrip("?")), chat.context.trace_id)
    evaluated = {int(s.attributes["gen_ai.evaluation.score.value"]): s.context.trace_id
                 for s in _evaluation_spans(spans)}
    assert evaluated == trace_of_run and len(set(evaluated.values())) == 8


async def test_explanations_are_content_and_left_out_with_capture_off(instrument, spans, llm_server):
    result = await weather_team(llm_server(WEATHER_SCRIPT)).run(task="Weather?")
    assert record_evaluation(result, "judged", label="fail", explanation="the agent said Paris is rainy")
    [evaluation] = _evaluation_spans(spans)
    assert evaluation.attributes["gen_ai.evaluation.score.label"] == "fail"
    assert "gen_ai.evaluation.explanation" not in evaluation.attributes
    assert all("gen_ai.evaluation.explanation" not in e.attributes for e in evaluation.events)


@pytest.mark.parametrize("args,kwargs,problem", [
    ((None, "x"), {"label": "pass"}, "no run is in progress here"),
    ((object(), "x"), {"label": "pass"}, "did not come from a run traced by this process"),
    (("result", ""), {"label": "pass"}, "name must be a non-empty string"),
    ((None, "x"), {}, "needs a score and/or a label"),
    ((None, "x"), {"score": float("nan")}, "must be a finite number"),
])
async def test_bad_input_warns_once_and_never_raises(instrument, spans, llm_server, caplog, args, kwargs, problem):
    result = await weather_team(llm_server(WEATHER_SCRIPT)).run(task="Weather?")
    if args[0] == "result":
        args = (result, *args[1:])
    if problem.startswith(("needs", "must")):
        args = (result, *args[1:])
    with caplog.at_level(logging.WARNING, logger="autogen_otel"):
        assert record_evaluation(*args, **kwargs) is False
        assert record_evaluation(*args, **kwargs) is False
    assert caplog.text.count(problem) == 1, caplog.text
    assert not _evaluation_spans(spans)


async def test_with_the_instrumentor_off_it_is_a_no_op(llm_server, caplog):
    result = await weather_team(llm_server(WEATHER_SCRIPT)).run(task="Weather?")
    with caplog.at_level(logging.WARNING, logger="autogen_otel"):
        assert record_evaluation(result, "answered", label="pass") is False
    assert not [r for r in caplog.records if r.name == "autogen_otel"]


def test_ag2_chat_results_are_evaluated_in_their_trace(instrument_ag2, spans, metric_reader, llm_server):
    from ag2_apps import TASK, weather_pair
    from ag2_apps import WEATHER_SCRIPT as AG2_SCRIPT

    user, assistant = weather_pair(llm_server(AG2_SCRIPT))
    result = user.initiate_chat(assistant, message=TASK)
    assert record_evaluation(result, "forecast_given", label="pass", score=1.0)
    [evaluation] = _evaluation_spans(spans)
    root = _root_of(evaluation, spans.get_finished_spans())
    assert root.name == "invoke_workflow user_proxy"
    [point] = metric_points(metric_reader, "autogen.evaluation.results")
    assert point.attributes["gen_ai.workflow.name"] == "user_proxy"
    assert {e.trace_id for e in point.exemplars} == {root.context.trace_id}


async def test_agent_framework_results_are_evaluated_in_their_trace(instrument_maf, spans, llm_server):
    from maf_apps import RESEARCH_SCRIPT, TASK, research_pipeline, researcher

    server = llm_server(RESEARCH_SCRIPT)
    flow = await research_pipeline(server).run(TASK)
    assert record_evaluation(flow, "answered", label="pass")
    lone = await researcher(server).run(TASK)
    assert record_evaluation(lone, "answered", label="fail", score=0.2)
    streamed = research_pipeline(server).run(TASK, stream=True)
    async for _ in streamed:
        pass
    assert record_evaluation(await streamed.get_final_response(), "answered", label="pass")
    finished = spans.get_finished_spans()
    roots = [_root_of(s, finished).name for s in sorted(_evaluation_spans(spans), key=lambda s: s.start_time)]
    assert [r.split()[0] for r in roots] == ["invoke_workflow", "invoke_agent", "invoke_workflow"]
    assert len({s.context.trace_id for s in _evaluation_spans(spans)}) == 3
    assert by_name(finished, "invoke_agent researcher")


def test_finished_runs_keep_nothing_of_the_apps_results():
    """A soak of thousands of runs with large conversations: what is remembered to find each run
    again stays a few bytes per run, whatever the conversations weigh."""
    import gc
    import tracemalloc

    from autogen_agentchat.base import TaskResult
    from autogen_agentchat.messages import TextMessage
    from autogen_otel.core.evaluations import FinishedRuns, RunRecord
    from opentelemetry.trace import INVALID_SPAN_CONTEXT

    runs = FinishedRuns()
    kept = []
    tracemalloc.start()
    try:
        gc.collect()
        baseline = tracemalloc.get_traced_memory()[0]
        for i in range(3000):
            result = TaskResult(messages=[TextMessage(source="a", content=f"{i}" + "x" * 50_000)])
            runs.remember(result, RunRecord(INVALID_SPAN_CONTEXT, {"run": str(i)}))
            if i >= 2990:
                kept.append(result)
            del result
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert grown < 2 * 1024 * 1024, f"{grown / 1024 / 1024:.1f} MiB kept for 3000 runs of ~50 KB each"
    assert [runs.find(r).labels["run"] for r in kept] == [str(i) for i in range(2990, 3000)]
    stranger = TaskResult(messages=[TextMessage(source="a", content="never run")])
    assert runs.find(stranger) is None
