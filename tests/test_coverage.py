"""Every kind of team, agent and model client the issue names produces the same span shape."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from autogen_agentchat.agents import AssistantAgent, BaseChatAgent, CodeExecutorAgent, UserProxyAgent
from autogen_agentchat.base import Response
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.messages import TextMessage
from autogen_agentchat.teams import MagenticOneGroupChat, RoundRobinGroupChat, Swarm
from autogen_core import CancellationToken
from autogen_ext.models.replay import ReplayChatCompletionClient
from autogen_otel.demo.llm_server import Reply
from helpers import by_name, openai_client, parent_of, traces, tree


def one_trace(spans) -> list:
    finished = spans.get_finished_spans()
    assert len(traces(finished)) == 1, tree(finished)
    return list(finished)


async def test_swarm_handoffs_are_visible(instrument, spans, llm_server):
    server = llm_server({
        "You triage": [Reply(tool_calls=[("transfer_to_billing", {})])],
        "You bill": [Reply("Refund issued. TERMINATE")],
    })
    triage = AssistantAgent("triage", model_client=openai_client(server), handoffs=["billing"],
                            system_message="You triage.")
    billing = AssistantAgent("billing", model_client=openai_client(server), system_message="You bill.")
    await Swarm([triage, billing], termination_condition=TextMentionTermination("TERMINATE")).run(task="refund")
    finished = one_trace(spans)
    agent = by_name(finished, "invoke_agent triage")[0]
    assert agent.attributes["autogen.handoff.target"] == "billing"
    assert any(e.name == "autogen.handoff" and e.attributes["autogen.handoff.target"] == "billing"
               for e in agent.events)
    workflow = by_name(finished, "invoke_workflow Swarm")[0]
    assert any(e.name == "autogen.handoff" for e in workflow.events)
    assert [s.name for s in by_name(finished, "invoke_agent")] == ["invoke_agent triage", "invoke_agent billing"]


async def test_magentic_one_orchestrator_calls_are_chat_spans_under_the_workflow(instrument, spans, llm_server):
    def orchestrator_or_agent(request):
        text = json.dumps(request["messages"])
        if "is_request_satisfied" in text:
            ledger = {key: {"reason": "ok", "answer": value} for key, value in {
                "is_request_satisfied": True, "is_in_loop": False, "is_progress_being_made": True,
                "next_speaker": "helper", "instruction_or_question": "answer"}.items()}
            return Reply(json.dumps(ledger))
        return Reply("The answer is 42.")

    server = llm_server(orchestrator_or_agent)
    helper = AssistantAgent("helper", model_client=openai_client(server))
    team = MagenticOneGroupChat([helper], model_client=openai_client(server), max_turns=3)
    await team.run(task="What is 6 x 7?")
    finished = one_trace(spans)
    workflow = by_name(finished, "invoke_workflow MagenticOneGroupChat")[0]
    orchestrator_calls = [s for s in by_name(finished, "chat") if parent_of(s, finished) is workflow]
    assert len(orchestrator_calls) >= 2
    assert len(orchestrator_calls) == len(server.exchanges) - len(by_name(finished, "invoke_agent helper"))


async def test_graph_flow(instrument, spans, llm_server):
    pytest.importorskip("autogen_agentchat.teams._group_chat._graph")
    from autogen_agentchat.teams import DiGraphBuilder, GraphFlow

    server = llm_server({"You draft": [Reply("draft")], "You edit": [Reply("edited")]})
    a = AssistantAgent("drafter", model_client=openai_client(server), system_message="You draft.")
    b = AssistantAgent("editor", model_client=openai_client(server), system_message="You edit.")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_edge(a, b)
    await GraphFlow(participants=[a, b], graph=builder.build()).run(task="write")
    finished = one_trace(spans)
    assert [s.name for s in by_name(finished, "invoke_agent")] == ["invoke_agent drafter", "invoke_agent editor"]
    assert by_name(finished, "invoke_workflow GraphFlow")[0].attributes["autogen.run.stop_category"] == "completed"


async def test_society_of_mind_nests_the_inner_team(instrument, spans, llm_server):
    from autogen_agentchat.agents import SocietyOfMindAgent

    server = llm_server({"You think": [Reply("inner thought")], "*": [Reply("summary")]})
    inner = RoundRobinGroupChat([AssistantAgent("thinker", model_client=openai_client(server),
                                                system_message="You think.")],
                                termination_condition=MaxMessageTermination(2))
    som = SocietyOfMindAgent("som", team=inner, model_client=openai_client(server))
    outer = RoundRobinGroupChat([som], termination_condition=MaxMessageTermination(2))
    await outer.run(task="ponder")
    finished = one_trace(spans)
    som_span = by_name(finished, "invoke_agent som")[0]
    inner_workflow = by_name(finished, "invoke_workflow RoundRobinGroupChat")
    assert len(inner_workflow) == 2
    nested = next(w for w in inner_workflow if w.parent is not None)
    assert parent_of(nested, finished) is som_span
    thinker = by_name(finished, "invoke_agent thinker")[0]
    assert parent_of(thinker, finished) is nested
    outer_workflow = next(w for w in inner_workflow if w.parent is None)
    assert outer_workflow.attributes["gen_ai.usage.input_tokens"] == sum(e.prompt_tokens for e in server.exchanges)


async def test_code_executor_and_user_proxy_agents(instrument, spans, llm_server, tmp_path):
    from autogen_ext.code_executors.local import LocalCommandLineCodeExecutor

    server = llm_server({"*": [Reply("```python\nprint(6 * 7)\n```")]})
    writer = AssistantAgent("writer", model_client=openai_client(server))
    executor = CodeExecutorAgent("executor", code_executor=LocalCommandLineCodeExecutor(work_dir=tmp_path))
    user = UserProxyAgent("user_proxy", input_func=lambda prompt: "APPROVE")
    team = RoundRobinGroupChat([writer, executor, user], termination_condition=TextMentionTermination("APPROVE"))
    result = await team.run(task="compute")
    assert "42" in str(result.messages[2].content)
    finished = one_trace(spans)
    names = [s.name for s in by_name(finished, "invoke_agent")]
    assert names == ["invoke_agent writer", "invoke_agent executor", "invoke_agent user_proxy"]
    types = {s.attributes["gen_ai.agent.name"]: s.attributes["autogen.agent.type"] for s in by_name(finished, "invoke")
             if "gen_ai.agent.name" in s.attributes}
    assert types["executor"] == "CodeExecutorAgent" and types["user_proxy"] == "UserProxyAgent"


async def test_custom_agent_defined_after_instrumenting(instrument, spans):
    class Echo(BaseChatAgent):
        @property
        def produced_message_types(self):
            return (TextMessage,)

        async def on_messages(self, messages: Sequence, cancellation_token: CancellationToken) -> Response:
            return Response(chat_message=TextMessage(content="echo", source=self.name))

        async def on_reset(self, cancellation_token: CancellationToken) -> None:
            pass

    team = RoundRobinGroupChat([Echo("echo", "echoes")], termination_condition=MaxMessageTermination(3))
    await team.run(task="hi")
    finished = one_trace(spans)
    assert [s.name for s in by_name(finished, "invoke_agent")] == ["invoke_agent echo", "invoke_agent echo"]


async def test_replay_client(instrument, spans):
    client = ReplayChatCompletionClient(["first", "second"])
    await AssistantAgent("a", model_client=client).run(task="hi")
    chat = by_name(one_trace(spans), "chat")[0]
    assert chat.attributes["gen_ai.provider.name"] == "autogen.replay"
    assert chat.attributes["gen_ai.usage.output_tokens"] > 0


async def test_uninstrument_restores_and_double_instrument_does_not_double(instrument, spans):
    from autogen_core.models import ChatCompletionClient

    instrumentor = instrument()
    instrumentor.instrument()  # a second call is ignored by BaseInstrumentor
    await AssistantAgent("a", model_client=ReplayChatCompletionClient(["x"])).run(task="hi")
    assert tree(spans.get_finished_spans()) == ["invoke_agent a", "  chat"]

    original_create = vars(ReplayChatCompletionClient)["create"]
    assert hasattr(original_create, "__wrapped__")
    instrumentor.uninstrument()
    spans.clear()
    assert not hasattr(vars(ReplayChatCompletionClient)["create"], "__wrapped__")
    assert not hasattr(vars(AssistantAgent)["on_messages_stream"], "__wrapped__")
    assert "__init_subclass__" not in vars(ChatCompletionClient)
    await AssistantAgent("a", model_client=ReplayChatCompletionClient(["x"])).run(task="hi")
    assert [s for s in spans.get_finished_spans() if s.instrumentation_scope.name == "autogen_otel.instrumentor"] == []
    for _ in range(3):
        instrument()
    spans.clear()
    await AssistantAgent("a", model_client=ReplayChatCompletionClient(["x"])).run(task="hi")
    assert tree(spans.get_finished_spans()) == ["invoke_agent a", "  chat"]


async def test_instrumenting_after_agents_exist(spans, instrument):
    instrumentor = instrument()
    instrumentor.uninstrument()
    agent = AssistantAgent("early", model_client=ReplayChatCompletionClient(["x"]))
    instrument()
    spans.clear()  # AutoGen's own create_agent span, emitted while we were not instrumenting
    await agent.run(task="hi")
    assert tree(spans.get_finished_spans()) == ["invoke_agent early", "  chat"]


async def test_azure_openai_client_reports_its_provider(instrument, spans, llm_server):
    from autogen_ext.models.openai import AzureOpenAIChatCompletionClient

    server = llm_server({"*": [Reply("from azure")]})
    root = server.base_url.removesuffix("/v1")
    client = AzureOpenAIChatCompletionClient(azure_endpoint=root, azure_deployment="prod-gpt4o", model="gpt-4o",
                                             api_version="2024-06-01", api_key="azure-key-not-recorded")
    result = await AssistantAgent("a", model_client=client).run(task="hi")
    assert result.messages[-1].content == "from azure"
    chat = by_name(one_trace(spans), "chat")[0]
    assert chat.attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert chat.attributes["gen_ai.request.model"] == "gpt-4o"
    assert chat.attributes["server.address"] == "127.0.0.1"
    assert "azure-key-not-recorded" not in str(dict(chat.attributes))


async def test_reasoning_is_captured_as_a_reasoning_part(instrument, spans):
    from autogen_core.models import CreateResult, RequestUsage

    instrument(capture_content=True)
    thought = CreateResult(finish_reason="stop", content="42", thought="six times seven",
                           usage=RequestUsage(prompt_tokens=3, completion_tokens=2), cached=False)
    await AssistantAgent("a", model_client=ReplayChatCompletionClient([thought])).run(task="6x7?")
    chat = by_name(one_trace(spans), "chat")[0]
    output = json.loads(chat.attributes["gen_ai.output.messages"])
    assert output[0]["parts"][0] == {"type": "reasoning", "content": "six times seven"}
    assert output[0]["parts"][1] == {"type": "text", "content": "42"}
