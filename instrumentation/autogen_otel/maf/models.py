"""``chat`` CLIENT spans around every model call of any Agent Framework chat client.

``BaseChatClient.get_response`` is hooked on the base class only: the layers a client stacks
on it (function invocation, middleware, MAF's own telemetry) reach it through ``super()``, so
the span is one actual model call -- each round of a tool loop gets its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import content
from ..core import semconv as sc
from ..core.endpoint import host_port
from ..core.hooks import ChatSpanHooks
from ..core.providers import semconv_provider
from ..core.scopes import Scope
from . import messages as maf_messages
from . import native


def provider_of(client: Any) -> str:
    name = getattr(client, "otel_provider_name", None) or getattr(type(client), "OTEL_PROVIDER_NAME", None)
    name = content.safe_text(name).lower() if name and name != "unknown" else ""
    if not name:
        module = type(client).__module__
        name = "azure.ai.openai" if "azure" in module else ("openai" if "openai" in module else "unknown")
    return semconv_provider(name)


def model_of(client: Any, kwargs: Mapping[str, Any]) -> str | None:
    options = kwargs.get("options") if isinstance(kwargs.get("options"), Mapping) else {}
    extra = kwargs.get("client_kwargs") if isinstance(kwargs.get("client_kwargs"), Mapping) else {}
    model = (options or {}).get("model") or (extra or {}).get("model") or (options or {}).get("model_id")
    model = model or getattr(client, "model", None) or getattr(client, "model_id", None)
    return content.safe_text(model) if isinstance(model, str) and model else None


def endpoint_of(client: Any) -> tuple[str | None, int | None]:
    service_url = getattr(client, "service_url", None)
    try:
        url = service_url() if callable(service_url) else None
    except Exception:
        url = None
    if not isinstance(url, str) or "://" not in url:
        url = getattr(getattr(client, "client", None), "base_url", None)  # the OpenAI SDK client underneath
    return host_port(url) if url and "://" in str(url) else (None, None)


class MAFChatHooks(ChatSpanHooks):
    site = "agent framework model call"
    framework_metrics = True

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        current, _ = self.t.registry.current()
        if current is not None and current.kind == "chat":
            return None
        # Agent Framework's own telemetry, when on, opens its chat span in a layer above this call
        # (current here, or -- streaming, before 1.15 -- only while the stream is pulled).
        borrow = native.current_span(self.t.registry, sc.OP_CHAT) if native.active() else None
        later = borrow is None and native.active() and native.has_layer(instance, "ChatTelemetryLayer")
        model = model_of(instance, kwargs)
        provider = provider_of(instance)
        attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT, sc.GEN_AI_PROVIDER_NAME: provider,
                                 sc.AUTOGEN_STREAM: bool(kwargs.get("stream"))}
        if model:
            attrs[sc.GEN_AI_REQUEST_MODEL] = model
        options = kwargs.get("options") if isinstance(kwargs.get("options"), Mapping) else {}
        for key, attr in (("temperature", sc.GEN_AI_REQUEST_TEMPERATURE), ("max_tokens", sc.GEN_AI_REQUEST_MAX_TOKENS)):
            value = (options or {}).get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attrs[attr] = value
        host, port = endpoint_of(instance)
        if host:
            attrs[sc.SERVER_ADDRESS] = host
            if port:
                attrs[sc.SERVER_PORT] = port
        scope = self.open_chat(f"{sc.OP_CHAT} {model}" if model else sc.OP_CHAT, attrs, instance, provider, model,
                               borrow=borrow, spanless=later)
        if self.t.capturing:
            system, others = content.input_messages(list(args[0] if args else kwargs.get("messages") or ()),
                                                    maf_messages.message)
            instructions = (options or {}).get("instructions")
            if isinstance(instructions, str) and instructions:
                system = [{"type": "text", "content": instructions}, *system]
            tools = [{"name": getattr(t, "name", None), "description": getattr(t, "description", None)}
                     for t in (options or {}).get("tools") or () if getattr(t, "name", None)]
            self.t.record_content(scope, {sc.GEN_AI_INPUT_MESSAGES: others,
                                          sc.GEN_AI_SYSTEM_INSTRUCTIONS: system or None,
                                          sc.GEN_AI_TOOL_DEFINITIONS: tools or None})
        return scope

    def adopt(self, scope: Scope) -> None:
        """A stream being pulled: Agent Framework's chat span, current now, is the call's span."""
        span = native.current_span(self.t.registry, sc.OP_CHAT)
        if span is not None:
            self.t.take_span(scope, span)

    def finish(self, scope: Scope, result: Any) -> None:
        try:
            if result is not None:
                input_tokens, output_tokens, cached = maf_messages.usage(result)
                model = getattr(result, "model", None) or getattr(result, "model_id", None)
                response_id = getattr(result, "response_id", None)
                self.record_response(
                    scope, input_tokens=input_tokens, output_tokens=output_tokens, cached_tokens=cached,
                    response_model=content.safe_text(model) if isinstance(model, str) and model else None,
                    response_id=content.safe_text(response_id) if response_id else None,
                    finish_reasons=[maf_messages.finish_reason(result) or "unknown"], served_from_cache=False)
                if self.t.capturing:
                    output = maf_messages.messages(getattr(result, "messages", None))
                    reason = maf_messages.finish_reason(result)
                    for message in output:
                        if reason:
                            message["finish_reason"] = reason
                    self.t.record_content(scope, {sc.GEN_AI_OUTPUT_MESSAGES: output})
        finally:
            self._end(scope, None)
