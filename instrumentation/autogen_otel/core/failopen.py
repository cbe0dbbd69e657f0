"""Fail-open helpers: our bugs are logged once per site and never reach the app."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger("autogen_otel")

T = TypeVar("T")

_reported: set[str] = set()
_lock = threading.Lock()


def report(site: str, exc: BaseException) -> None:
    """Log an internal error: a full traceback the first time a site fails, debug after."""
    with _lock:
        first = site not in _reported
        _reported.add(site)
    if first:
        logger.warning("autogen-otel: internal error in %s; telemetry for this call is incomplete, "
                       "the application is unaffected", site, exc_info=exc)
    else:
        logger.debug("autogen-otel: internal error in %s: %r", site, exc)


def safely(site: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call ``fn``; on any ``Exception`` report it and return ``None``."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        report(site, exc)
        return None
