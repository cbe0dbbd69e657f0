"""``chat`` spans around every model call AG2 Classic makes through ``OpenAIWrapper.create`` (any
``config_list`` entry: OpenAI, Azure OpenAI, ``base_url``-compatible servers, other providers),
with usage, finish reasons, server address and cost from our price table.

The per-provider client's ``create`` (``OpenAIClient.create``) is hooked too: it tells which
endpoint answered after failover, and a call that never reached it was served from AG2's cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import trace

from ..core import content
from ..core import semconv as sc
from ..core.endpoint import host_port
from ..core.failopen import safely
from ..core.hooks import ChatSpanHooks
from ..core.providers import semconv_provider
from ..core.scopes import Scope
from ..core.telemetry import Telemetry
from . import native
from .state import AgentScopes

# AG2 config `api_type` -> gen_ai.provider.name (semconv well-known values where one exists).
_DEFAULT_OPENAI = ("api.openai.com", 443)

# Keys the per-client hook sets on the current chat scope.
ATTEMPTS = "ag2.attempts"
SERVED_BY = "ag2.served_by"


def _get(entry: Any, key: str) -> Any:
    return entry.get(key) if isinstance(entry, Mapping) else getattr(entry, key, None)


def provider_of(entry: Any) -> str:
    api_type = content.safe_text(_get(entry, "api_type") or "openai").lower()
    return semconv_provider(api_type)


def endpoint_of(entry: Any) -> tuple[str | None, int | None]:
    url = _get(entry, "base_url") or _get(entry, "azure_endpoint")
    if url:
        return host_port(url)
    return _DEFAULT_OPENAI if provider_of(entry) == "openai" else (None, None)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class AG2ChatHooks(ChatSpanHooks):
    site = "ag2 model call"

    def __init__(self, telemetry: Telemetry, scopes: AgentScopes) -> None:
        super().__init__(telemetry)
        self.scopes = scopes

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        current, _ = self.t.registry.current()
        if current is not None and current.kind == "chat":
            return None
        parent = None
        if not trace.get_current_span().get_span_context().is_valid:
            # An async reply's model call runs in an executor thread: find its agent's span.
            parent = self.scopes.of(kwargs.get("agent"))
        config_list = getattr(instance, "_config_list", None) or [{}]
        entry = {**(config_list[0] if isinstance(config_list[0], Mapping) else {}), **kwargs}
        model = _get(entry, "model") or _get(config_list[0], "model")
        model = content.safe_text(model) if model else None
        provider = provider_of(config_list[0])
        attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT, sc.GEN_AI_PROVIDER_NAME: provider,
                                 sc.AUTOGEN_STREAM: bool(entry.get("stream"))}
        if model:
            attrs[sc.GEN_AI_REQUEST_MODEL] = model
        host, port = endpoint_of(config_list[0])
        if host:
            attrs[sc.SERVER_ADDRESS] = host
            if port:
                attrs[sc.SERVER_PORT] = port
        for key, attr in (("temperature", sc.GEN_AI_REQUEST_TEMPERATURE), ("max_tokens", sc.GEN_AI_REQUEST_MAX_TOKENS)):
            value = _number(entry.get(key))
            if value is not None:
                attrs[attr] = int(value) if key == "max_tokens" else value
        name = f"{sc.OP_CHAT} {model}" if model else sc.OP_CHAT
        scope = self.open_chat(name, attrs, instance, provider, model, parent=parent,
                               borrow=native.current_span(self.t.registry, native.LLM))
        if self.t.capturing:
            system, others = content.input_messages(kwargs.get("messages") or (), content.openai_message)
            tools = entry.get("tools") or ()
            self.t.record_content(scope, {
                sc.GEN_AI_INPUT_MESSAGES: others,
                sc.GEN_AI_SYSTEM_INSTRUCTIONS: system or None,
                sc.GEN_AI_TOOL_DEFINITIONS: content.tool_definitions(
                    [t.get("function", t) for t in tools if isinstance(t, Mapping)]) or None,
            })
        return scope

    def finish(self, scope: Scope, result: Any) -> None:
        try:
            if result is not None:
                self._observe(scope, result)
        finally:
            self._end(scope, None)

    def _observe(self, scope: Scope, response: Any) -> None:
        served_by = scope.attrs.get(SERVED_BY)
        if served_by is not None and scope.span is not None:
            provider, (host, port) = served_by
            scope.attrs[sc.GEN_AI_PROVIDER_NAME] = provider
            attrs: dict[str, Any] = {sc.GEN_AI_PROVIDER_NAME: provider}
            if host:
                attrs[sc.SERVER_ADDRESS] = host
                if port:
                    attrs[sc.SERVER_PORT] = port
            scope.span.set_attributes(attrs)
        usage = getattr(response, "usage", None)
        details = getattr(usage, "prompt_tokens_details", None)
        reasons = [content.safe_text(getattr(c, "finish_reason", None) or "unknown")
                   for c in getattr(response, "choices", None) or ()]
        response_id = getattr(response, "id", None)
        response_model = getattr(response, "model", None)
        self.record_response(
            scope,
            input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cached_tokens=int(getattr(details, "cached_tokens", 0) or 0) if details is not None else 0,
            response_model=content.safe_text(response_model) if response_model else None,
            response_id=content.safe_text(response_id) if response_id else None,
            finish_reasons=reasons or ["unknown"],
            # Only the OpenAI client reports its attempts; a call it never saw came from AG2's cache.
            served_from_cache=scope.attrs.get(ATTEMPTS, 0) == 0 and served_by is None
            and scope.attrs.get(sc.GEN_AI_PROVIDER_NAME) in ("openai", "azure.ai.openai"))
        if self.t.capturing:
            self.t.record_content(scope, {sc.GEN_AI_OUTPUT_MESSAGES: [
                _choice_message(c) for c in getattr(response, "choices", None) or ()]})


def _choice_message(choice: Any) -> dict[str, Any]:
    message = getattr(choice, "message", None)
    dump = getattr(message, "model_dump", None)
    return content.openai_message(dump() if callable(dump) else message)


def client_attempt_wrapper(telemetry: Telemetry) -> Any:
    """``OpenAIClient.create``: note the endpoint that is about to answer on the current chat scope."""

    def note(instance: Any) -> None:
        scope, _ = telemetry.registry.current()
        if scope is None or scope.kind != "chat":
            return
        scope.attrs[ATTEMPTS] = scope.attrs.get(ATTEMPTS, 0) + 1
        sdk = getattr(instance, "_oai_client", None)
        provider = "azure.ai.openai" if "Azure" in type(sdk).__name__ else "openai"
        scope.attrs[SERVED_BY] = (provider, host_port(getattr(sdk, "base_url", None)))

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        safely("ag2 model client", note, instance)
        return wrapped(*args, **kwargs)

    return wrapper
