"""Settings read from environment variables (or passed to ``instrument()``).

A bad value never stops the app: we log a warning naming the variable and the accepted
values, then use the default.
"""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

SOURCE_GENAI_PRICES = "genai-prices"
SOURCE_BUNDLED = "bundled"
SOURCES = (SOURCE_GENAI_PRICES, SOURCE_BUNDLED)  # AUTOGEN_OTEL_PRICE_SOURCE


logger = logging.getLogger(__name__)

ENV_CAPTURE_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
ENV_MAX_LENGTH = "AUTOGEN_OTEL_MAX_ATTRIBUTE_LENGTH"
ENV_RUNTIME_SPANS = "AUTOGEN_OTEL_RUNTIME_SPANS"
ENV_LOOP_THRESHOLD = "AUTOGEN_OTEL_LOOP_THRESHOLD"
ENV_PRICES_FILE = "AUTOGEN_OTEL_PRICES_FILE"
ENV_PRICE_SOURCE = "AUTOGEN_OTEL_PRICE_SOURCE"

DEFAULT_MAX_LENGTH = 8192
DEFAULT_LOOP_THRESHOLD = 3


class ContentCapture(enum.Enum):
    NO_CONTENT = "NO_CONTENT"
    SPAN_ONLY = "SPAN_ONLY"
    EVENT_ONLY = "EVENT_ONLY"
    SPAN_AND_EVENT = "SPAN_AND_EVENT"

    @property
    def on_span(self) -> bool:
        return self in (ContentCapture.SPAN_ONLY, ContentCapture.SPAN_AND_EVENT)

    @property
    def on_event(self) -> bool:
        return self in (ContentCapture.EVENT_ONLY, ContentCapture.SPAN_AND_EVENT)

    @property
    def enabled(self) -> bool:
        return self is not ContentCapture.NO_CONTENT


class RuntimeSpans(enum.Enum):
    SUPPRESS = "suppress"
    NESTED = "nested"


_CAPTURE_ALIASES = {"TRUE": ContentCapture.SPAN_ONLY, "FALSE": ContentCapture.NO_CONTENT}
_CAPTURE_ACCEPTED = "true, false, NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT"


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the setting and what it accepts."""


def parse_capture(raw: str | bool | ContentCapture | None, setting: str = ENV_CAPTURE_CONTENT) -> ContentCapture:
    if raw is None:
        return ContentCapture.NO_CONTENT
    if isinstance(raw, ContentCapture):
        return raw
    if isinstance(raw, bool):
        return ContentCapture.SPAN_ONLY if raw else ContentCapture.NO_CONTENT
    text = raw.strip().upper()
    if not text:
        return ContentCapture.NO_CONTENT
    if text in _CAPTURE_ALIASES:
        return _CAPTURE_ALIASES[text]
    try:
        return ContentCapture(text)
    except ValueError:
        raise ConfigError(f"{setting}={raw!r} is not valid; accepted values: {_CAPTURE_ACCEPTED}") from None


def parse_runtime_spans(raw: str | RuntimeSpans | None, setting: str = ENV_RUNTIME_SPANS) -> RuntimeSpans:
    if raw is None or raw == "":
        return RuntimeSpans.SUPPRESS
    if isinstance(raw, RuntimeSpans):
        return raw
    try:
        return RuntimeSpans(raw.strip().lower())
    except ValueError:
        raise ConfigError(f"{setting}={raw!r} is not valid; accepted values: suppress, nested") from None


def parse_price_source(raw: str | None, setting: str = ENV_PRICE_SOURCE) -> str:
    if raw is None or raw == "":
        return SOURCE_GENAI_PRICES
    value = raw.strip().lower()
    if value not in SOURCES:
        raise ConfigError(f"{setting}={raw!r} is not valid; accepted values: {', '.join(SOURCES)}")
    return value


def parse_int(raw: str | int | None, setting: str, default: int, minimum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = minimum - 1
    if value < minimum:
        raise ConfigError(f"{setting}={raw!r} is not valid; accepted values: an integer >= {minimum}")
    return value


@dataclass(frozen=True)
class Settings:
    capture: ContentCapture = ContentCapture.NO_CONTENT
    max_attribute_length: int = DEFAULT_MAX_LENGTH
    runtime_spans: RuntimeSpans = RuntimeSpans.SUPPRESS
    loop_threshold: int = DEFAULT_LOOP_THRESHOLD
    prices_file: str | None = None
    price_source: str = SOURCE_GENAI_PRICES
    problems: tuple[str, ...] = field(default=(), compare=False)


def _lenient(parse, raw, default, problems: list[str], *args):  # type: ignore[no-untyped-def]
    try:
        return parse(raw, *args)
    except ConfigError as exc:
        problems.append(str(exc))
        return default


_WARNED: set[str] = set()


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read settings from ``env`` (default ``os.environ``); keyword overrides win.

    Invalid environment values are reported (logged) and replaced by defaults; invalid
    keyword overrides raise ``ConfigError`` because they come from code the user controls.
    """
    env = os.environ if env is None else env
    problems: list[str] = []
    capture = _lenient(parse_capture, env.get(ENV_CAPTURE_CONTENT), ContentCapture.NO_CONTENT, problems)
    max_len = _lenient(parse_int, env.get(ENV_MAX_LENGTH), DEFAULT_MAX_LENGTH, problems,
                       ENV_MAX_LENGTH, DEFAULT_MAX_LENGTH, 64)
    runtime = _lenient(parse_runtime_spans, env.get(ENV_RUNTIME_SPANS), RuntimeSpans.SUPPRESS, problems)
    loops = _lenient(parse_int, env.get(ENV_LOOP_THRESHOLD), DEFAULT_LOOP_THRESHOLD, problems,
                     ENV_LOOP_THRESHOLD, DEFAULT_LOOP_THRESHOLD, 2)
    prices = env.get(ENV_PRICES_FILE) or None
    price_source = _lenient(parse_price_source, env.get(ENV_PRICE_SOURCE), SOURCE_GENAI_PRICES, problems)

    if "capture_content" in overrides and overrides["capture_content"] is not None:
        capture = parse_capture(overrides["capture_content"], "capture_content")  # type: ignore[arg-type]
    if overrides.get("max_attribute_length") is not None:
        max_len = parse_int(overrides["max_attribute_length"], "max_attribute_length",  # type: ignore[arg-type]
                            DEFAULT_MAX_LENGTH, 64)
    if overrides.get("runtime_spans") is not None:
        runtime = parse_runtime_spans(overrides["runtime_spans"], "runtime_spans")  # type: ignore[arg-type]
    if overrides.get("loop_threshold") is not None:
        loops = parse_int(overrides["loop_threshold"], "loop_threshold", DEFAULT_LOOP_THRESHOLD, 2)  # type: ignore[arg-type]
    if overrides.get("prices_file") is not None:
        prices = str(overrides["prices_file"])
    if overrides.get("price_source") is not None:
        price_source = parse_price_source(str(overrides["price_source"]), "price_source")
    for problem in problems:
        if problem not in _WARNED:  # each instrumentor reads the environment: say it once
            _WARNED.add(problem)
            logger.warning("autogen-otel: %s; using the default", problem)
    return Settings(capture, max_len, runtime, loops, prices, price_source, tuple(problems))
