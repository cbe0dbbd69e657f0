"""genai-prices (Pydantic's maintained price database, bundled offline in the package) behind our
``PriceTable``.

It never fetches anything: genai-prices only updates over the network when an ``UpdatePrices``
task is started, which we never do (a user may start one themselves). A model with flat prices
becomes a ``ModelPrice`` once and costs plain arithmetic afterwards; tiered prices (e.g. Gemini's
long-context rate) go through genai-prices' own calculation for each call.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
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


class GenAIPrices:
    """Model name -> price from genai-prices, memoised (a miss is remembered too)."""

    def __init__(self) -> None:
        import genai_prices
        from genai_prices.data_snapshot import get_snapshot

        self.version = genai_prices.__version__
        self._snapshot = get_snapshot
        self._memo: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls) -> GenAIPrices | None:
        try:
            return cls()
        except ImportError:
            logger.info("autogen-otel: genai-prices is not installed; using the bundled price table")
            return None

    def lookup(self, model: str) -> Any:
        with self._lock:
            if model in self._memo:
                return self._memo[model]
        price = self._resolve(model)
        with self._lock:
            self._memo[model] = price
        return price

    def _resolve(self, model: str) -> Any:
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
