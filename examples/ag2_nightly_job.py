"""AG2 Classic (``pip install autogen``), the way the AutoGen 0.2 guides write it: a nightly job
where a UserProxyAgent and an AssistantAgent work through a task with a registered tool, then
print what it cost. No tracing code.

    python examples/ag2_nightly_job.py
    opentelemetry-instrument python examples/ag2_nightly_job.py
"""

from __future__ import annotations

import autogen
from _model import Reply, llm_config

OFFLINE = {
    "You analyse sales": [Reply(tool_calls=[("quarter_sales", {"quarter": "Q1"})]),
                          Reply("Q1 revenue was 1.2M USD, up 8% on Q4. Summary written. TERMINATE")],
}


def quarter_sales(quarter: str) -> str:
    """Revenue figures for a quarter."""
    return f"{quarter}: revenue 1.2M USD (Q4: 1.11M USD)"


def main() -> None:
    assistant = autogen.AssistantAgent(
        name="assistant",
        system_message="You analyse sales data. Use the tools, then reply TERMINATE when done.",
        llm_config=llm_config(OFFLINE, model="gpt-4o"),
    )
    user_proxy = autogen.UserProxyAgent(
        name="user_proxy",
        human_input_mode="NEVER",
        max_consecutive_auto_reply=10,
        code_execution_config=False,
        is_termination_msg=lambda message: "TERMINATE" in (message.get("content") or ""),
    )
    autogen.register_function(quarter_sales, caller=assistant, executor=user_proxy,
                              description="Revenue figures for a quarter.")

    chat_result = user_proxy.initiate_chat(assistant, message="Analyze Q1 sales data and summarise it.")

    usage = chat_result.cost.get("usage_including_cached_inference", {})
    print(f"summary: {chat_result.summary.strip()}")
    print(f"messages: {len(chat_result.chat_history)}; AG2's cost figure: ${usage.get('total_cost', 0.0):.6f}")


if __name__ == "__main__":
    main()
