"""The demo conversation for AG2 Classic (``import autogen``): a nightly job where a user proxy and an
assistant work through a task with a registered tool that fails once, against the scripted server."""

from __future__ import annotations

import asyncio

from .llm_server import Reply
from .outcome import Outcome

TITLE = "an AG2 Classic two-agent chat"

SCRIPT = {
    "You analyse sales": [
        Reply(tool_calls=[("quarter_sales", {"quarter": "Q1"}), ("forecast", {"quarter": "Q2"})], delay=0.1),
        Reply(tool_calls=[("quarter_sales", {"quarter": "Q4"})], delay=0.06),
        Reply("Q1 revenue was 1.2M USD, up 8% on Q4; the Q2 forecast service is down. TERMINATE", delay=0.08),
    ],
}


def quarter_sales(quarter: str) -> str:
    """Revenue figures for a quarter."""
    return {"Q1": "Q1: revenue 1.2M USD", "Q4": "Q4: revenue 1.11M USD"}.get(quarter, f"{quarter}: no data")


def forecast(quarter: str) -> str:
    """Revenue forecast for a quarter (the service is down in this demo)."""
    raise ConnectionError(f"forecast service unavailable for {quarter}")


def _chat(base_url: str) -> Outcome:
    import autogen

    config = {"config_list": [{"model": "gpt-4o", "base_url": base_url, "api_key": "offline-demo"}],
              "cache_seed": None}
    assistant = autogen.AssistantAgent(
        name="analyst", llm_config=config,
        system_message="You analyse sales data. Use the tools, then reply TERMINATE when done.")
    user_proxy = autogen.UserProxyAgent(
        name="user_proxy", human_input_mode="NEVER", max_consecutive_auto_reply=10, code_execution_config=False,
        is_termination_msg=lambda message: "TERMINATE" in (message.get("content") or ""))
    for function in (quarter_sales, forecast):
        autogen.register_function(function, caller=assistant, executor=user_proxy,
                                  description=function.__doc__ or function.__name__)
    result = user_proxy.initiate_chat(assistant, message="Analyse Q1 sales against Q4 and the Q2 forecast.",
                                      silent=True)
    return Outcome(len(result.chat_history), "termination message", f"analyst: {result.summary.strip()}")


async def play(base_url: str) -> Outcome:
    return await asyncio.to_thread(_chat, base_url)
