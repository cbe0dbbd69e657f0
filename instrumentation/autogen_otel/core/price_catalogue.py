"""genai-prices (Pydantic's maintained price database, bundled offline in the package) behind our
``PriceTable``.

It never fetches anything: genai-prices only updates over the network when an ``UpdatePrices``
task is started, which we never do (a user may start one themselves). A model with flat prices
becomes a ``ModelPrice`` once and costs plain arithmetic afterwards; tiered prices (e.g. Gemini's
long-context rate) go through genai-prices' own calculation for each call.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SOURCE_GENAI_PRICES = "genai-prices"
SOURCE_BUNDLED = "bundled"
SOURCES = (SOURCE_GENAI_PRICES, SOURCE_BUNDLED)


@dataclass(frozen=True)
class ModelPrice:
    input: float
    output: float
    cached_input: float | None = None

    def cost(self, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0) -> float:
        """USD for one call; ``input_tokens`` includes the cached ones, as providers report it."""
        cached = min(max(cached_input_tokens, 0), max(input_tokens, 0))
        cached_rate = self.input if self.cached_input is None else self.cached_input
        return ((input_tokens - cached) * self.input + cached * cached_rate + output_tokens * self.output) / 1e6




class TieredPrice:
    """A genai-prices model whose rate depends on the request's size: priced per call."""

    def __init__(self, provider: Any, model: Any) -> None:
        self._provider, self._model = provider, model

    def cost(self, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0) -> float:
        from genai_prices import Usage

        cached = min(max(cached_input_tokens, 0), max(input_tokens, 0))
        usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens, cache_read_tokens=cached or None)
        return float(self._model.calc_price(usage, self._provider,
                                            genai_request_timestamp=datetime.now(timezone.utc)).total_price)


def cache_dir() -> Path | None:
    """Where looked-up prices are kept between processes: AUTOGEN_OTEL_CACHE_DIR (empty: nowhere),
    else $XDG_CACHE_HOME/autogen-otel, else ~/.cache/autogen-otel."""
    configured = os.environ.get("AUTOGEN_OTEL_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "autogen-otel"


class GenAIPrices:
    """Model name -> price from genai-prices, memoised (a miss is remembered too).

    Loading genai-prices costs ~0.2 s and ~28 MiB, so flat prices (and misses) once looked up are
    also kept on disk, per genai-prices version and day (its prices carry dates): the next process
    answers them without loading the library at all. Tiered prices always go through it."""

    def __init__(self, version: str, memo_file: Path | None) -> None:
        self.version = version
        self._memo: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._snapshot: Any = None
        self._file = memo_file
        self._known: dict[str, Any] = self._read()

    @classmethod
    def load(cls) -> GenAIPrices | None:
        import importlib.metadata
        import importlib.util

        if importlib.util.find_spec("genai_prices") is None:
            logger.info("autogen-otel: genai-prices is not installed; using the bundled price table")
            return None
        version = importlib.metadata.version("genai-prices")
        directory = cache_dir()
        day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        return cls(version, directory / f"genai-prices-{version}-{day}.json" if directory else None)

    def _read(self) -> dict[str, Any]:
        if self._file is None:
            return {}
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _remember(self, model: str, price: Any) -> None:
        """Persist a flat price or a miss (fail-open: an unwritable cache only costs the next process)."""
        if self._file is None or isinstance(price, TieredPrice):
            return
        entry = None if price is None else [price.input, price.output, price.cached_input]
        with self._lock:
            self._known[model] = entry
            known = dict(self._known)
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            partial = self._file.with_name(f"{self._file.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(known, sort_keys=True), encoding="utf-8")
            partial.replace(self._file)
        except OSError as exc:
            logger.debug("autogen-otel: cannot keep looked-up prices in %s: %s", self._file, exc)

    def lookup(self, model: str) -> Any:
        with self._lock:
            if model in self._memo:
                return self._memo[model]
            known = self._known.get(model, "unknown")
        if known != "unknown":
            price = None if known is None else ModelPrice(*known)
        else:
            price = self._resolve(model)
            self._remember(model, price)
        with self._lock:
            self._memo[model] = price
        return price

    def _resolve(self, model: str) -> Any:
        with self._lock:
            if self._snapshot is None:
                from genai_prices.data_snapshot import get_snapshot

                self._snapshot = get_snapshot
        try:
            provider, info = self._snapshot().find_provider_model(model, None, None, None)
            prices = info.get_prices(datetime.now(timezone.utc))
        except LookupError:
            return None
        rates = (prices.input_mtok, prices.output_mtok, prices.cache_read_mtok)
        if all(rate is None or isinstance(rate, Decimal) for rate in rates) and rates[0] is not None:
            return ModelPrice(float(rates[0]), float(rates[1] or 0),
                              None if rates[2] is None else float(rates[2]))
        return TieredPrice(provider, info)
