"""A pytest plugin for running AutoGen's own test suites with autogen-otel on (``-p guard_plugin``).

``AUTOGEN_OTEL_GUARD``: ``off`` (plain), ``on`` (instrumented with real SDK tracer and meter
providers, passed to ``instrument()`` so the global providers -- which AutoGen's tests may set
themselves -- stay untouched) or ``content`` (the same with content capture on).
``AUTOGEN_OTEL_GUARD_REPORT``: where to write, as JSON, every test's outcome, the number of warnings
it raised and every record the ``autogen_otel`` logger emitted at WARNING or above (our fail-open
path logs there: an internal error we swallowed is still a finding).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from typing import Any

import pytest

_outcomes: dict[str, str] = {}
_reasons: dict[str, str] = {}
_warnings: Counter[str] = Counter()
_logged: list[dict[str, str]] = []
_state: dict[str, Any] = {}


class _Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _logged.append({"test": os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0],
                        "message": record.getMessage(), "level": record.levelname})


def pytest_configure(config: pytest.Config) -> None:
    mode = os.environ.get("AUTOGEN_OTEL_GUARD", "off")
    if mode not in ("off", "on", "content"):
        raise pytest.UsageError(f"AUTOGEN_OTEL_GUARD={mode!r}: accepted values are off, on, content")
    logging.getLogger("autogen_otel").addHandler(_Collect(logging.WARNING))
    if mode == "off":
        return
    from autogen_otel import AgentChatInstrumentor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            _state["spans"] = _state.get("spans", 0) + len(spans)
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(Discard()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    instrumentor = AgentChatInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider,
                            capture_content=mode == "content")
    _state.update(instrumentor=instrumentor, meter_provider=meter_provider)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # A test's outcome: the first phase that did not pass, else its call.
    if report.nodeid in _outcomes and _outcomes[report.nodeid] != "passed":
        return
    if report.when == "call" or report.outcome != "passed":
        outcome = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
        if report.failed and report.when != "call":
            outcome = "error"
        _outcomes[report.nodeid] = outcome
        if report.outcome != "passed" and report.longrepr is not None:
            _reasons[report.nodeid] = _first_line(report)


def _first_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).splitlines()[0][:200]
    if isinstance(report.longrepr, tuple):  # skips: (file, line, reason)
        return str(report.longrepr[2])[:200]
    return str(report.longrepr).splitlines()[-1][:200]


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _outcomes[report.nodeid] = "collection error"
        _reasons[report.nodeid] = str(report.longrepr).strip().splitlines()[-1][:200]


def pytest_warning_recorded(warning_message: Any, when: str, nodeid: str, location: Any) -> None:
    _warnings[nodeid or f"<{when}>"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    instrumentor = _state.get("instrumentor")
    if instrumentor is not None:
        instrumentor.uninstrument()
        _state["meter_provider"].shutdown()
    path = os.environ.get("AUTOGEN_OTEL_GUARD_REPORT")
    if path:
        with open(path, "w") as out:
            json.dump({"outcomes": _outcomes, "reasons": _reasons, "warnings": dict(_warnings),
                       "logged": _logged, "spans": _state.get("spans", 0)}, out, indent=1)
