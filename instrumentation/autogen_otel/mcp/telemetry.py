"""What the MCP client and server spans share: names and attributes by the GenAI conventions' MCP
page, the outcome of a request, content only with capture on, and the two duration histograms."""

from __future__ import annotations

import hashlib
from typing import Any

from ..core import semconv as sc
from ..core.config import Settings
from ..core.content import safe_text
from ..core.protocol import Call as _Call
from ..core.protocol import ProtocolTelemetry


class McpTelemetry(ProtocolTelemetry):
    """Tracer, settings and the client/server operation-duration histograms for the MCP patches."""

    metric_keys = (sc.MCP_METHOD_NAME, sc.GEN_AI_OPERATION_NAME, sc.GEN_AI_TOOL_NAME, sc.GEN_AI_PROMPT_NAME,
                   sc.MCP_PROTOCOL_VERSION, sc.NETWORK_TRANSPORT, sc.NETWORK_PROTOCOL_NAME, sc.SERVER_ADDRESS,
                   sc.SERVER_PORT, sc.ERROR_TYPE)

    def __init__(self, tracer: Any, meter: Any, settings: Settings) -> None:
        super().__init__(tracer, meter, settings, "MCP", sc.METRIC_MCP_CLIENT_DURATION,
                         sc.METRIC_MCP_SERVER_DURATION, sc.MCP_DURATION_BUCKETS)


def request_attributes(method: str, params: Any) -> tuple[str, dict[str, Any]]:
    """The span name (``{method} {target}``) and attributes of a request with these params."""
    attributes: dict[str, Any] = {sc.MCP_METHOD_NAME: method}
    target = getattr(params, "name", None) if params is not None else None
    target = target if isinstance(target, str) else None
    if method == "tools/call":
        attributes[sc.GEN_AI_OPERATION_NAME] = sc.OP_TOOL
        if target:
            attributes[sc.GEN_AI_TOOL_NAME] = target
    elif method == "prompts/get" and target:
        attributes[sc.GEN_AI_PROMPT_NAME] = target
    else:
        target = None
    uri = getattr(params, "uri", None) if params is not None else None
    if uri is not None:
        attributes[sc.MCP_RESOURCE_URI] = safe_text(uri)
    return (f"{method} {target}" if target else method), attributes


def session_id(raw: Any) -> str:
    """A session id as we record it: a digest, since a streamable-HTTP session id lets whoever holds
    it speak in that session; the same session gives the same digest on both sides."""
    return hashlib.sha256(safe_text(raw).encode()).hexdigest()[:16]


def result_error(result: Any) -> str | None:
    """``error.type`` of a response: a JSON-RPC error's code, ``tool_error`` for a tool that reported
    failure (``isError``), else None."""
    root = getattr(result, "root", result)
    if getattr(root, "isError", None) is True:
        return sc.ERROR_TYPE_TOOL
    code = getattr(root, "code", None)
    if isinstance(code, int) and hasattr(root, "message") and not hasattr(root, "content"):
        return str(code)
    return None


def exception_error(exc: BaseException) -> str:
    """``error.type`` of a request that raised: the JSON-RPC code of an ``McpError``, else the class."""
    code = getattr(getattr(exc, "error", None), "code", None)
    return str(code) if isinstance(code, int) else type(exc).__qualname__


def result_content(result: Any) -> Any:
    root = getattr(result, "root", result)
    structured = getattr(root, "structuredContent", None)
    if structured is not None:
        return structured
    return getattr(root, "content", None)


class Call(_Call):
    """An MCP request's span: JSON-RPC errors and tools reporting failure are its errors."""

    __slots__ = ()

    def result(self, result: Any) -> None:
        error = result_error(result)
        if error is not None:
            self.error = error
            code = getattr(getattr(result, "root", result), "code", None)
            if isinstance(code, int):
                self.span.set_attribute(sc.RPC_RESPONSE_STATUS_CODE, str(code))
                self.message = getattr(getattr(result, "root", result), "message", None)
        if self.attributes.get(sc.MCP_METHOD_NAME) == "tools/call":
            self.telemetry.content(self.span, sc.GEN_AI_TOOL_CALL_RESULT, result_content(result))

    def raised(self, exc: BaseException) -> None:
        self.error = exception_error(exc)
        if self.error.lstrip("-").isdigit():
            self.span.set_attribute(sc.RPC_RESPONSE_STATUS_CODE, self.error)
        self.message = safe_text(getattr(getattr(exc, "error", None), "message", None) or exc)
