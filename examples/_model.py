"""Model client for the examples: OpenAI when OPENAI_API_KEY is set, else a local scripted
OpenAI-compatible server on loopback (so every example runs offline). No tracing code here."""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping, Sequence

from autogen_ext.models.openai import OpenAIChatCompletionClient
from autogen_otel.demo.llm_server import Reply, ScriptedLLMServer

_server: ScriptedLLMServer | None = None


def model_client(offline_script: Mapping[str, Sequence[Reply]], model: str = "gpt-4o-mini",
                 **kwargs: object) -> OpenAIChatCompletionClient:
    global _server
    if os.environ.get("OPENAI_API_KEY"):
        return OpenAIChatCompletionClient(model=model, **kwargs)  # type: ignore[arg-type]
    if _server is None:
        _server = ScriptedLLMServer(offline_script).start()
        atexit.register(_server.stop)
    return OpenAIChatCompletionClient(model=model, base_url=_server.base_url, api_key="offline",  # type: ignore[arg-type]
                                      **kwargs)


__all__ = ["Reply", "model_client"]
