"""AG2 Classic group chat: a researcher, a writer and a critic, the next speaker chosen by the
manager's model. No tracing code.

    python examples/ag2_group_chat.py
    opentelemetry-instrument python examples/ag2_group_chat.py
"""

from __future__ import annotations

import autogen
from _model import Reply, llm_config

OFFLINE = {
    # The manager's speaker selection prompt.
    "You are in a role play game": [Reply("researcher"), Reply("writer"), Reply("critic")],
    "You are the researcher": [Reply("Three sources agree: agent loops are the top cost driver.")],
    "You are the writer": [Reply("Draft: Unwatched agent loops are the most expensive failure in production.")],
    "You are the critic": [Reply("Clear and correct. Approved. TERMINATE")],
}


def main() -> None:
    config = llm_config(OFFLINE)
    researcher = autogen.AssistantAgent("researcher", system_message="You are the researcher.", llm_config=config,
                                        description="Finds facts.")
    writer = autogen.AssistantAgent("writer", system_message="You are the writer.", llm_config=config,
                                    description="Writes the text.")
    critic = autogen.AssistantAgent("critic", system_message="You are the critic. Say TERMINATE when it is good.",
                                    llm_config=config, description="Reviews the text.")
    user_proxy = autogen.UserProxyAgent("user_proxy", human_input_mode="NEVER", code_execution_config=False,
                                        default_auto_reply="", max_consecutive_auto_reply=0)
    group = autogen.GroupChat(agents=[user_proxy, researcher, writer, critic], messages=[], max_round=8,
                              speaker_selection_method="auto", allow_repeat_speaker=False)
    manager = autogen.GroupChatManager(
        groupchat=group, name="editorial", llm_config=config,
        is_termination_msg=lambda message: "TERMINATE" in (message.get("content") or ""))

    result = user_proxy.initiate_chat(manager, message="Write one sentence on why agent loops are costly.")
    for message in result.chat_history:
        print(f"{message.get('name', message.get('role'))}: {message.get('content')}")


if __name__ == "__main__":
    main()
