"""What the AG2 Classic patches share beyond ``Telemetry``.

AG2 runs the model call of an async reply (``a_generate_oai_reply``) in an executor thread,
which does not inherit the caller's context; the call names its agent, so the open span of that
agent is looked up here. Speaker selection runs an internal two-agent chat: while it runs,
its agents get no spans of their own and its model calls hang under the group's workflow.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from ..core.scopes import Scope

# The group's workflow scope and the internal agents bound to it, while a group chat
# manager selects the next speaker.
_selecting: contextvars.ContextVar[tuple[Scope, list[Any]] | None] = contextvars.ContextVar(
    "autogen_otel_ag2_selecting", default=None)


class AgentScopes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, list[Scope]] = {}

    def push(self, agent: Any, scope: Scope) -> None:
        with self._lock:
            self._open.setdefault(id(agent), []).append(scope)

    def pop(self, agent: Any, scope: Scope) -> None:
        self._forget(id(agent), scope)

    def pop_scope(self, scope: Scope) -> None:
        """Forget ``scope`` under the agent it was pushed for (its ``owner``)."""
        self._forget(scope.owner, scope)

    def _forget(self, key: int, scope: Scope) -> None:
        with self._lock:
            stack = self._open.get(key)
            if not stack:
                return
            self._open[key] = [s for s in stack if s is not scope]
            if not self._open[key]:
                del self._open[key]

    def of(self, agent: Any) -> Scope | None:
        """The innermost open scope of ``agent`` (its reply, or the selection it serves)."""
        if agent is None:
            return None
        with self._lock:
            stack = self._open.get(id(agent))
            return stack[-1] if stack else None



def selecting() -> Scope | None:
    """The workflow whose next speaker is being selected, in this context."""
    current = _selecting.get()
    return current[0] if current is not None else None


def begin_selection(workflow: Scope) -> contextvars.Token[tuple[Scope, list[Any]] | None]:
    return _selecting.set((workflow, []))


def bind_selection_agents(agents: Any, scopes: AgentScopes) -> None:
    """The internal agents of the running selection resolve to the group's workflow."""
    current = _selecting.get()
    if current is None:
        return
    workflow, bound = current
    for agent in agents if isinstance(agents, (tuple, list)) else (agents,):
        scopes.push(agent, workflow)
        bound.append(agent)  # kept alive, so its id stays unique, until the selection ends


def end_selection(token: contextvars.Token[tuple[Scope, list[Any]] | None], scopes: AgentScopes) -> None:
    current = _selecting.get()
    if current is not None:
        workflow, bound = current
        for agent in bound:
            scopes.pop(agent, workflow)
    _selecting.reset(token)
