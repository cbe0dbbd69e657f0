"""Provider names as the GenAI conventions spell them (``gen_ai.provider.name``), from the names
the families' clients and configs use for them."""

from __future__ import annotations

_SEMCONV = {
    "openai": "openai", "responses": "openai",
    "azure": "azure.ai.openai", "azure_openai": "azure.ai.openai", "azure.openai": "azure.ai.openai",
    "azure_ai": "azure.ai.inference", "anthropic": "anthropic",
    "google": "gcp.gemini", "gemini": "gcp.gemini", "vertex_ai": "gcp.vertex_ai", "bedrock": "aws.bedrock",
    "mistral": "mistral_ai", "groq": "groq", "cohere": "cohere", "deepseek": "deepseek", "ollama": "ollama",
    "together": "together", "cerebras": "cerebras",
}


def semconv_provider(name: str) -> str:
    """``name`` (lower case) as the conventions spell it; a name they do not list stays as it is."""
    return _SEMCONV.get(name, name)
