"""A workflow that asks a person before it publishes: the run stops with a pending request, the
next run (``run(responses={request_id: answer})``) finishes it.

No ``from __future__ import annotations`` here: Agent Framework 1.9 validates handler signatures
from the evaluated annotations.
"""

import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from agent_framework import Executor, WorkflowBuilder, WorkflowContext, handler, response_handler


class Publisher(Executor):
    @handler
    async def draft(self, text: str, ctx: WorkflowContext[str, str]) -> None:
        await ctx.request_info(f"Publish '{text}'?", str)

    @response_handler
    async def decided(self, question: str, answer: str, ctx: WorkflowContext[str, str]) -> None:
        await ctx.yield_output("published" if answer == "yes" else "dropped")


def approval_workflow() -> Any:
    return WorkflowBuilder(start_executor=Publisher(id="publisher"), name="approval").build()
