"""Property-based: whatever the messages and tool results contain, the app sees exactly what
it would without us, nothing raises from our code, attributes respect the cap, and with
capture off no content appears."""

from __future__ import annotations

import asyncio
from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_core import CancellationToken
from autogen_core.tools import FunctionTool
from autogen_ext.models.replay import ReplayChatCompletionClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CAP = 256
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CONTENT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.tool.call.arguments",
                "gen_ai.tool.call.result", "gen_ai.system_instructions")


class Hostile:
    # Hostile only while the code under test runs: Hypothesis itself needs repr() to report.
    armed = False

    def __str__(self) -> str:
        if Hostile.armed:
            raise RuntimeError("no str")
        return "Hostile()"

    def __repr__(self) -> str:
        if Hostile.armed:
            raise RuntimeError("no repr")
        return "Hostile()"


class Image:  # named like AutoGen's image type, as a tool might return
    def __init__(self, data: bytes) -> None:
        self.data = data


def cyclic() -> Any:
    a: list[Any] = [1]
    a.append(a)
    d: dict[str, Any] = {"self": None}
    d["self"] = d
    return [a, d]


huge_text = st.text(min_size=1, max_size=20).map(lambda t: t * 1000)
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=50), huge_text,
    st.binary(max_size=64), st.just(b"\xff\xfe\xfa not utf-8"),
    st.builds(Hostile), st.builds(Image, st.binary(max_size=32)), st.builds(cyclic),
)
values = st.recursive(leaves, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4),
    st.tuples(children, children)), max_leaves=12)


def check_spans(spans, capture: bool) -> None:
    for span in spans.get_finished_spans():
        for key, value in span.attributes.items():
            if key in CONTENT_KEYS:
                assert capture, f"{key} recorded with capture off"
                assert len(value) <= CAP


async def run_tool(value: Any) -> tuple[bool, Any]:
    def produce() -> Any:
        return value

    tool = FunctionTool(produce, description="returns the value")
    Hostile.armed = True
    try:
        return True, await tool.run_json({}, CancellationToken())
    except Exception as exc:  # the app's own outcome, compared with and without us
        return False, exc
    finally:
        Hostile.armed = False


@PROPERTY_SETTINGS
@given(value=values, capture=st.booleans())
def test_tool_results_pass_through_untouched(instrument, spans, value, capture):
    instrumentor = instrument(capture_content=capture, max_attribute_length=CAP)
    spans.clear()
    traced_ok, traced = asyncio.run(run_tool(value))
    instrumentor.uninstrument()
    plain_ok, plain = asyncio.run(run_tool(value))
    assert traced_ok == plain_ok
    if plain_ok:
        assert traced is value and plain is value  # the very same object reaches the app
    else:  # AutoGen itself fails (e.g. str() of the result raises): the app sees the same error
        assert type(traced) is type(plain) and str(traced) == str(plain)
    check_spans(spans, capture)


texts = st.one_of(st.text(max_size=200), huge_text,
                  st.text(alphabet=st.characters(min_codepoint=0xD800 - 50, max_codepoint=0x10FFFF), max_size=100))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(task=texts, reply=texts, capture=st.booleans())
def test_agent_output_is_unchanged(instrument, spans, task, reply, capture):
    async def run() -> list[str]:
        agent = AssistantAgent("a", model_client=ReplayChatCompletionClient([reply or "."]))
        result = await agent.run(task=task or ".")
        return [str(m.content) for m in result.messages]

    instrumentor = instrument(capture_content=capture, max_attribute_length=CAP)
    spans.clear()
    traced = asyncio.run(run())
    instrumentor.uninstrument()
    plain = asyncio.run(run())
    assert traced == plain
    check_spans(spans, capture)
    if capture:
        assert any("gen_ai.input.messages" in s.attributes for s in spans.get_finished_spans())
    else:
        text_values = " ".join(str(v) for s in spans.get_finished_spans() for v in s.attributes.values())
        if len(task) > 20:
            assert task not in text_values
