"""``chat`` spans around every model call (``create`` / ``create_stream``) of any
``ChatCompletionClient``, with usage, finish reasons, cost and time to first chunk."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ..core import content
from ..core import semconv as sc
from ..core.endpoint import host_port
from ..core.families import FamilyPatch
from ..core.hooks import ChatSpanHooks
from ..core.scopes import Scope
from ..core.telemetry import Telemetry
from ..core.wrappers import call_arg, coroutine_wrapper, stream_wrapper

# Client class name -> gen_ai.provider.name (semconv well-known values where one exists).
_PROVIDERS = {
    "AzureOpenAIChatCompletionClient": "azure.ai.openai",
    "OpenAIChatCompletionClient": "openai",
    "AnthropicBedrockChatCompletionClient": "aws.bedrock",
    "AnthropicChatCompletionClient": "anthropic",
    "OllamaChatCompletionClient": "ollama",
    "AzureAIChatCompletionClient": "azure.ai.inference",
    "ReplayChatCompletionClient": "autogen.replay",
    "LlamaCppChatCompletionClient": "llama_cpp",
    "SKChatCompletionAdapter": "semantic_kernel",
}
_SUFFIX = "ChatCompletionClient"

# Keys set by the OpenAI SDK hook (see openai_sdk.py) on the current chat scope.
RESPONSE_ID = "response.id"
RESPONSE_MODEL = "response.model"
CACHED_TOKENS = "usage.cached"
SDK_INPUT_TOKENS = "usage.input"
SDK_OUTPUT_TOKENS = "usage.output"
FINISH_REASONS = "finish_reasons"


def inner_client(client: Any) -> Any:
    """The client a wrapper (e.g. ChatCompletionCache) delegates to, else ``client`` itself."""
    for attr in ("client", "_client"):
        inner = getattr(client, attr, None)
        if inner is not None and hasattr(inner, "create_stream") and hasattr(inner, "model_info"):
            return inner
    return client


def provider_name(client: Any) -> str:
    return _provider_of_class(type(client))


@functools.lru_cache(maxsize=256)  # per client class: asked on every model call and agent turn
def _provider_of_class(client_class: type) -> str:
    for cls in client_class.__mro__:
        if cls.__name__ in _PROVIDERS:
            return _PROVIDERS[cls.__name__]
    name = client_class.__name__
    return (name[: -len(_SUFFIX)] if name.endswith(_SUFFIX) and name != _SUFFIX else name).lower() or "unknown"


def create_args(client: Any) -> Mapping[str, Any]:
    args = getattr(client, "_create_args", None)
    return args if isinstance(args, Mapping) else {}


def request_model(client: Any) -> str | None:
    model = create_args(client).get("model") or getattr(client, "_model", None) or getattr(client, "model", None)
    if isinstance(model, str) and model:
        return model
    info = getattr(client, "_model_info", None)
    family = info.get("family") if isinstance(info, Mapping) else None
    return family if isinstance(family, str) and family and family != "unknown" else None


def server_address(client: Any) -> tuple[str | None, int | None]:
    sdk = getattr(client, "_client", None)
    base_url = getattr(sdk, "base_url", None) or getattr(getattr(sdk, "_client", None), "base_url", None)
    return host_port(base_url)


class ChatHooks(ChatSpanHooks):
    site = "model call"

    def __init__(self, telemetry: Telemetry, streaming: bool) -> None:
        super().__init__(telemetry)
        self.streaming = streaming

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        current, _ = self.t.registry.current()
        if current is not None and current.kind == "chat":
            return None  # a wrapping client (cache, recorder, subclass via super()) already has the span
        client = inner_client(instance)
        provider = provider_name(client)
        model = request_model(client)
        attrs: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT,
            sc.GEN_AI_PROVIDER_NAME: provider,
            sc.AUTOGEN_STREAM: self.streaming,
        }
        if model:
            attrs[sc.GEN_AI_REQUEST_MODEL] = model
        host, port = server_address(client)
        if host:
            attrs[sc.SERVER_ADDRESS] = host
            if port:
                attrs[sc.SERVER_PORT] = port
        params = {**create_args(client), **(call_arg(args, kwargs, 4, "extra_create_args") or {})}
        for key, attr, kind in (("temperature", sc.GEN_AI_REQUEST_TEMPERATURE, float),
                                ("max_tokens", sc.GEN_AI_REQUEST_MAX_TOKENS, int),
                                ("max_completion_tokens", sc.GEN_AI_REQUEST_MAX_TOKENS, int)):
            value = params.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attrs[attr] = kind(value)
        name = f"{sc.OP_CHAT} {model}" if model else sc.OP_CHAT
        scope = self.open_chat(name, attrs, instance, provider, model)
        if self.t.capturing:
            messages = call_arg(args, kwargs, 0, "messages") or ()
            tools = call_arg(args, kwargs, 1, "tools") or ()
            system, others = content.input_messages(messages)
            self.t.record_content(scope, {
                sc.GEN_AI_INPUT_MESSAGES: others,
                sc.GEN_AI_SYSTEM_INSTRUCTIONS: system or None,
                sc.GEN_AI_TOOL_DEFINITIONS: content.tool_definitions(tools) or None,
            })
        return scope

    def finish(self, scope: Scope, result: Any) -> None:
        try:
            result = result if result is not None else scope.last_item
            if type(result).__name__ == "CreateResult":
                self._observe_result(scope, result)
        finally:
            self._end(scope, None)

    def _observe_result(self, scope: Scope, result: Any) -> None:
        usage = getattr(result, "usage", None)
        # The SDK's own numbers win where AutoGen reports 0 (streaming without include_usage is
        # still 0 on both sides: the provider sent none).
        self.record_response(
            scope,
            input_tokens=int(getattr(usage, "prompt_tokens", 0) or scope.attrs.get(SDK_INPUT_TOKENS, 0) or 0),
            output_tokens=int(getattr(usage, "completion_tokens", 0) or scope.attrs.get(SDK_OUTPUT_TOKENS, 0) or 0),
            cached_tokens=int(scope.attrs.get(CACHED_TOKENS, 0) or 0),
            response_model=scope.attrs.get(RESPONSE_MODEL) or None,
            response_id=scope.attrs.get(RESPONSE_ID) or None,
            finish_reasons=scope.attrs.get(FINISH_REASONS)
            or [content.safe_text(getattr(result, "finish_reason", "unknown"))],
            served_from_cache=bool(getattr(result, "cached", False)))
        if self.t.capturing:
            self.t.record_content(scope, {sc.GEN_AI_OUTPUT_MESSAGES: content.output_message(result)})


class ModelPatch:
    def __init__(self, telemetry: Telemetry) -> None:
        from autogen_core.models import ChatCompletionClient

        self._family = FamilyPatch(ChatCompletionClient, {
            "create": coroutine_wrapper(ChatHooks(telemetry, streaming=False)),
            "create_stream": stream_wrapper(ChatHooks(telemetry, streaming=True)),
        })

    def apply(self) -> None:
        self._family.apply()

    def remove(self) -> None:
        self._family.remove()
