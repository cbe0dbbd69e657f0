"""The A2A patches, built once the app imports a2a-sdk's client, server or telemetry module."""

from __future__ import annotations

from typing import Any

from ..core.config import RuntimeSpans
from ..core.families import AttributePatch, FamilyPatch, PatchGroup
from .telemetry import A2aTelemetry


def client(telemetry: A2aTelemetry) -> PatchGroup:
    from a2a.client.base_client import BaseClient

    from .client import execute_wrapper, stream_wrapper

    return PatchGroup([
        AttributePatch(BaseClient, "_execute_with_interceptors", execute_wrapper(telemetry)),
        AttributePatch(BaseClient, "_execute_stream_with_interceptors", stream_wrapper(telemetry)),
    ])


def server(telemetry: A2aTelemetry) -> FamilyPatch:
    from a2a.server.request_handlers.request_handler import RequestHandler

    from .server import HANDLERS, handler_wrapper

    # Every concrete handler: a2a-sdk's two and an app's own.
    return FamilyPatch(RequestHandler, {name: handler_wrapper(telemetry, name) for name in HANDLERS})


def sdk_spans(telemetry: A2aTelemetry) -> Any:
    from a2a.utils import telemetry as module

    from .sdk_spans import FoldedTrace, ModuleAttribute

    if telemetry.settings.runtime_spans is RuntimeSpans.NESTED:
        return PatchGroup()
    return ModuleAttribute(module, "trace", FoldedTrace)
