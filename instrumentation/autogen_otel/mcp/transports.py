"""What a client session cannot tell by itself: the transport under it. The SDK's transport
context managers (stdio, streamable HTTP, SSE) are wrapped to note, per write stream they hand
out, the transport, the server's address and how to read the HTTP session id."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..core import semconv as sc
from ..core.failopen import safely
from .telemetry import session_id

# write stream -> (attributes, the transport's get_session_id or None)
_BY_STREAM: weakref.WeakKeyDictionary[Any, tuple[dict[str, Any], Callable[[], Any] | None]] = (
    weakref.WeakKeyDictionary())


def attributes_of(session: Any) -> dict[str, Any]:
    """network.transport, server.address/port and mcp.session.id of the session's transport, if known."""
    found = _BY_STREAM.get(getattr(session, "_write_stream", None))
    if found is None:
        return {}
    attributes, get_session_id = found
    raw = get_session_id() if get_session_id is not None else None
    return {**attributes, sc.MCP_SESSION_ID: session_id(raw)} if raw else dict(attributes)


def _http_attributes(url: Any) -> dict[str, Any]:
    parts = urlsplit(str(url))
    attributes: dict[str, Any] = {sc.NETWORK_TRANSPORT: "tcp", sc.NETWORK_PROTOCOL_NAME: "http"}
    if parts.hostname:
        attributes[sc.SERVER_ADDRESS] = parts.hostname
        attributes[sc.SERVER_PORT] = parts.port or (443 if parts.scheme == "https" else 80)
    return attributes


class _Noting:
    """The transport's async context manager, noting the streams it yields."""

    def __init__(self, manager: Any, attributes: dict[str, Any]) -> None:
        self._manager, self._attributes = manager, attributes

    async def __aenter__(self) -> Any:
        streams = await self._manager.__aenter__()
        safely("mcp transport", self._note, streams)
        return streams

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._manager.__aexit__(*exc)

    def _note(self, streams: Any) -> None:
        get_session_id = streams[2] if len(streams) > 2 and callable(streams[2]) else None
        _BY_STREAM[streams[1]] = (self._attributes, get_session_id)


def stdio_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return _Noting(wrapped(*args, **kwargs), {sc.NETWORK_TRANSPORT: "pipe"})


def http_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    manager = wrapped(*args, **kwargs)
    attributes = safely("mcp transport", _http_attributes, args[0] if args else kwargs.get("url"))
    return _Noting(manager, attributes) if attributes else manager
