"""Details only the OpenAI SDK response carries -- response id, response model, cached input
tokens -- copied onto the ``chat`` span that is current when AutoGen calls the SDK.

It records nothing outside our chat spans, so it never duplicates an OpenAI instrumentation.
"""

from __future__ import annotations

from typing import Any

import wrapt

from ..core.failopen import safely
from ..core.families import AttributePatch, PatchGroup
from ..core.scopes import Scope
from ..core.telemetry import Telemetry
from ..core.wrappers import async_wrapper
from .models import (
    CACHED_TOKENS,
    FINISH_REASONS,
    RESPONSE_ID,
    RESPONSE_MODEL,
    SDK_INPUT_TOKENS,
    SDK_OUTPUT_TOKENS,
)

SITE = "openai response"


def observe(scope: Scope, response: Any) -> None:
    if scope.attrs.get(RESPONSE_ID) is None and getattr(response, "id", None):
        scope.attrs[RESPONSE_ID] = str(response.id)
    if getattr(response, "model", None):
        scope.attrs[RESPONSE_MODEL] = str(response.model)
    for choice in getattr(response, "choices", None) or ():
        reason = getattr(choice, "finish_reason", None)
        if reason:
            scope.attrs.setdefault(FINISH_REASONS, []).append(str(reason))
    usage = getattr(response, "usage", None)
    if usage is not None:
        scope.attrs[SDK_INPUT_TOKENS] = getattr(usage, "prompt_tokens", 0) or 0
        scope.attrs[SDK_OUTPUT_TOKENS] = getattr(usage, "completion_tokens", 0) or 0
        details = getattr(usage, "prompt_tokens_details", None)
        cached = getattr(details, "cached_tokens", None) if details is not None else None
        if cached:
            scope.attrs[CACHED_TOKENS] = int(cached)


class _ObservedStream(wrapt.ObjectProxy):  # type: ignore[misc]
    """The SDK's AsyncStream, reporting each chunk's id/model/usage to our chat scope."""

    def __init__(self, wrapped: Any, scope: Scope) -> None:
        super().__init__(wrapped)
        self._self_scope = scope

    def __aiter__(self) -> _ObservedStream:
        return self

    async def __anext__(self) -> Any:
        chunk = await self.__wrapped__.__anext__()
        safely(SITE, observe, self._self_scope, chunk)
        return chunk

    async def __aenter__(self) -> _ObservedStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        return await self.__wrapped__.__aexit__(*exc)


class OpenAIResponsePatch(PatchGroup):
    def __init__(self, telemetry: Telemetry) -> None:
        from openai.resources.chat import AsyncCompletions

        def current_chat() -> Scope | None:
            scope, _ = telemetry.registry.current()
            return scope if scope is not None and scope.kind == "chat" else None

        @async_wrapper
        async def create(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            scope = safely(SITE, current_chat)
            result = await wrapped(*args, **kwargs)
            if scope is None:
                return result
            if kwargs.get("stream") and hasattr(result, "__anext__"):
                return _ObservedStream(result, scope)
            safely(SITE, observe, scope, result)
            return result

        super().__init__([AttributePatch(AsyncCompletions, "create", create),
                          AttributePatch(AsyncCompletions, "parse", create)])
