"""`server.address` / `server.port` of a model endpoint, for every family."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def host_port(url: Any) -> tuple[str | None, int | None]:
    """``server.address`` and ``server.port`` of an endpoint URL: never its path, query or credentials."""
    if not url:
        return None, None
    try:
        parts = urlsplit(str(url))
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return None, None
    return (parts.hostname, port) if parts.hostname else (None, None)
