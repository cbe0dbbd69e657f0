"""genai-prices (Pydantic's maintained price database, bundled offline in the package) behind our
``PriceTable``.

It never fetches anything: genai-prices only updates over the network when an ``UpdatePrices``
task is started, which we never do (a user may start one themselves). A model with flat prices
becomes a ``ModelPrice`` once and costs plain arithmetic afterwards, usually answered from a kept
digest of the library's data without loading it; tiered prices (e.g. Gemini's long-context rate)
go through genai-prices' own calculation for each call.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from .price_digest import FORMAT, LIBRARY, Digest, DigestError, build, disagreements, flat_rates, priced_per_call

logger = logging.getLogger(__name__)


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
    """A genai-prices model whose rate depends on the request (its size, its time of day): the
    library prices each call."""

    def __init__(self, provider: Any, model: Any) -> None:
        self._provider, self._model = provider, model

    def cost(self, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0) -> float:
        from genai_prices import Usage

        cached = min(max(cached_input_tokens, 0), max(input_tokens, 0))
        usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens, cache_read_tokens=cached or None)
        return float(self._model.calc_price(usage, self._provider,
                                            genai_request_timestamp=datetime.now(timezone.utc)).total_price)


def cache_dir() -> Path | None:
    """Where the genai-prices digest is kept between processes: AUTOGEN_OTEL_CACHE_DIR (empty: nowhere),
    else $XDG_CACHE_HOME/autogen-otel, else ~/.cache/autogen-otel."""
    configured = os.environ.get("AUTOGEN_OTEL_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "autogen-otel"


class GenAIPrices:
    """Model name -> price from genai-prices, memoised for the day (a miss too).

    Loading genai-prices costs ~50 ms and ~5 MiB in an app that already holds pydantic (~0.2 s and
    ~28 MiB otherwise), so the first process to need a price derives a digest of its data
    (``price_digest``), checks it against the library's own answers and keeps it in the cache
    directory for that genai-prices version: later processes answer every flat price from the digest
    (~2 ms, ~0.5 MiB) without loading the library. Prices the digest cannot express (tiered, time of
    day) and a snapshot the user installed (genai-prices' ``UpdatePrices``) go through the library."""

    def __init__(self, version: str, digest_file: Path | None) -> None:
        self.version = version
        self.digest_file = digest_file
        self._memo: dict[str, Any] = {}
        self._day: date | None = None
        self._lock = threading.Lock()
        self._digest_lock = threading.Lock()
        self._snapshot: Any = None
        self._digest: Digest | None = None
        self._digest_known = False
        self._unusable = False  # a digest of this version was found to disagree: do not derive it again
        self.write_error: OSError | None = None

    @classmethod
    def load(cls) -> GenAIPrices | None:
        import importlib.metadata
        import importlib.util

        if importlib.util.find_spec("genai_prices") is None:
            logger.info("autogen-otel: genai-prices is not installed; using the bundled price table")
            return None
        version = importlib.metadata.version("genai-prices")
        directory = cache_dir()
        return cls(version, directory / f"genai-prices-{version}.json" if directory else None)

    def lookup(self, model: str) -> Any:
        today = datetime.now(timezone.utc).date()
        with self._lock:
            if self._day != today:  # prices carry start dates: answers hold for a day
                self._memo.clear()
                self._day = today
            if model in self._memo:
                return self._memo[model]
        price = self._answer(model, today)
        with self._lock:
            self._memo[model] = price
        return price

    def _answer(self, model: str, today: date) -> Any:
        digest = None if _user_snapshot() else self.digest()
        if digest is not None:
            found = digest.find(model, today)
            if found is None:
                return None
            if found != LIBRARY:
                return ModelPrice(*found)
        return self._resolve(model)

    def digest(self) -> Digest | None:
        """The kept digest, derived (and kept) on first use; None when there is nowhere to keep one
        (deriving it would then cost every process more than the library) or the library's answers
        disagree with it."""
        with self._digest_lock:
            if not self._digest_known:
                self._digest = self._read()
                if self._digest is None and not self._unusable and self._writable():
                    self._digest = self.prepare()
                self._digest_known = True
            return self._digest

    def _writable(self) -> bool:
        if self.digest_file is None:
            return False
        try:
            self.digest_file.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        return os.access(self.digest_file.parent, os.W_OK)

    def _read(self) -> Digest | None:
        if self.digest_file is None:
            return None
        try:
            data = json.loads(self.digest_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(data, dict) and data.get("genai_prices") == self.version and data.get("unusable"):
            self._unusable = True
        return Digest.parse(data, self.version)

    def prepare(self) -> Digest | None:
        """Derive the digest from the library, check it, keep it (fail-open: an unwritable cache
        directory only costs the next process the library again)."""
        snapshot = self._library()()
        digest: Digest | None = None
        try:
            data = build(snapshot, self.version)
            digest = Digest(data)
            wrong = disagreements(digest, snapshot, datetime.now(timezone.utc).date())
        except DigestError as exc:
            wrong = [str(exc)]
        if wrong:
            logger.debug("autogen-otel: genai-prices %s is priced through the library (the digest differs on %s)",
                         self.version, ", ".join(wrong))
            digest, data = None, {"format": FORMAT, "genai_prices": self.version, "unusable": wrong}
        if self.digest_file is not None:
            try:
                self.digest_file.parent.mkdir(parents=True, exist_ok=True)
                partial = self.digest_file.with_name(f"{self.digest_file.name}.{os.getpid()}.tmp")
                partial.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
                partial.replace(self.digest_file)
            except OSError as exc:
                logger.debug("autogen-otel: cannot keep the genai-prices digest in %s: %s", self.digest_file, exc)
                self.write_error = exc
        return digest

    def _library(self) -> Any:
        with self._lock:
            if self._snapshot is None:
                from genai_prices.data_snapshot import get_snapshot

                self._snapshot = get_snapshot
        return self._snapshot

    def _resolve(self, model: str) -> Any:
        try:
            provider, info = self._library()().find_provider_model(model, None, None, None)
        except LookupError:
            return None
        # A time-of-day price is flat at any instant, but must not be kept for the day.
        rates = None if priced_per_call(info) else flat_rates(info.get_prices(datetime.now(timezone.utc)))
        return TieredPrice(provider, info) if rates is None else ModelPrice(*rates)


def _user_snapshot() -> bool:
    """Whether the app installed its own genai-prices snapshot (its network updater, or by hand)."""
    module = sys.modules.get("genai_prices.data_snapshot")
    return module is not None and getattr(module, "_custom_snapshot", None) is not None
