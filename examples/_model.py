"""Models for the examples: OpenAI when OPENAI_API_KEY is set, else a local scripted
OpenAI-compatible server on loopback (so every example runs offline). No tracing code here."""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping, Sequence
from typing import Any

from autogen_otel.demo.llm_server import Reply, ScriptedLLMServer

_server: ScriptedLLMServer | None = None


def offline_base_url(offline_script: Mapping[str, Sequence[Reply]]) -> str:
    global _server
    if _server is None:
        _server = ScriptedLLMServer(offline_script).start()
        atexit.register(_server.stop)
    return _server.base_url


def model_client(offline_script: Mapping[str, Sequence[Reply]], model: str = "gpt-4o-mini",
                 **kwargs: object) -> Any:
    """An AgentChat ``OpenAIChatCompletionClient``."""
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    if os.environ.get("OPENAI_API_KEY"):
        return OpenAIChatCompletionClient(model=model, **kwargs)  # type: ignore[arg-type]
    return OpenAIChatCompletionClient(model=model, base_url=offline_base_url(offline_script),  # type: ignore[arg-type]
                                      api_key="offline", **kwargs)


def llm_config(offline_script: Mapping[str, Sequence[Reply]], model: str = "gpt-4o-mini") -> dict[str, Any]:
    """An AG2 Classic ``llm_config`` (``config_list`` with one entry; AG2's disk cache off)."""
    if os.environ.get("OPENAI_API_KEY"):
        entry = {"model": model, "api_key": os.environ["OPENAI_API_KEY"]}
    else:
        entry = {"model": model, "base_url": offline_base_url(offline_script), "api_key": "offline"}
    return {"config_list": [entry], "cache_seed": None}


def maf_chat_client(offline_script: Mapping[str, Sequence[Reply]], model: str = "gpt-4o-mini",
                    responses: bool = False) -> Any:
    """An Agent Framework OpenAI chat client: Chat Completions, or the Responses API."""
    from agent_framework.openai import OpenAIChatClient, OpenAIChatCompletionClient

    cls = OpenAIChatClient if responses else OpenAIChatCompletionClient
    if os.environ.get("OPENAI_API_KEY"):
        return cls(model=model)
    return cls(model=model, base_url=offline_base_url(offline_script), api_key="offline")


__all__ = ["Reply", "llm_config", "maf_chat_client", "model_client"]
