"""Model prices and cost arithmetic.

Where a price comes from, first match wins: a user file named in ``AUTOGEN_OTEL_PRICES_FILE``;
genai-prices (Pydantic's maintained, offline price database: see ``price_catalogue``); our
bundled, dated table (``data/prices.json``) for what neither knows. Names are matched after
dropping a provider prefix (``openai/``, ``models/``) and a release-date suffix (``-2024-08-06``,
``-20241022``, ``@20241022``, ``-latest``): a model with no price gets no cost, never a guess.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from .config import SOURCE_GENAI_PRICES
from .price_catalogue import GenAIPrices, ModelPrice

__all__ = ["ModelPrice", "PriceFileError", "PriceTable", "load_bundled", "load_file"]

logger = logging.getLogger(__name__)

_FIELDS = ("input", "output", "cached_input")
_DATE_SUFFIX = re.compile(r"(-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-latest|-preview)$")
_PROVIDER_PREFIX = re.compile(r"^[a-z0-9_.-]+/")


class PriceFileError(ValueError):
    """The prices file is unreadable or malformed; the message says where and what is accepted."""


def normalise(model: str) -> str:
    return _PROVIDER_PREFIX.sub("", model.strip().lower())


def _parse_models(data: Any, origin: str) -> dict[str, ModelPrice]:
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise PriceFileError(f"{origin}: expected a JSON object with a \"models\" object, "
                             "e.g. {\"models\": {\"my-model\": {\"input\": 1.0, \"output\": 2.0}}}")
    table: dict[str, ModelPrice] = {}
    for name, entry in data["models"].items():
        where = f"{origin}: model {name!r}"
        if not isinstance(entry, dict):
            raise PriceFileError(f"{where}: expected an object with input, output and optional cached_input")
        unknown = set(entry) - set(_FIELDS)
        if unknown:
            raise PriceFileError(f"{where}: unknown field(s) {sorted(unknown)}; accepted: {', '.join(_FIELDS)}")
        for required in ("input", "output"):
            if required not in entry:
                raise PriceFileError(f"{where}: missing {required!r} (USD per 1M tokens)")
        values: dict[str, float] = {}
        for key, value in entry.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise PriceFileError(f"{where}: {key!r} must be a number >= 0 (USD per 1M tokens), got {value!r}")
            values[key] = float(value)
        table[normalise(name)] = ModelPrice(**values)
    return table


def load_bundled() -> tuple[str, dict[str, ModelPrice]]:
    text = resources.files("autogen_otel").joinpath("data/prices.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return str(data.get("as_of", "")), _parse_models(data, "bundled prices.json")


def load_file(path: str | Path, named: str = "") -> dict[str, ModelPrice]:
    """The prices in ``path``; errors name it as ``named`` (default: the setting that names it)."""
    where = named or f"AUTOGEN_OTEL_PRICES_FILE={str(path)!r}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PriceFileError(f"{where}: cannot read it ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PriceFileError(f"{where}: not valid JSON ({exc})") from None
    return _parse_models(data, where)


class PriceTable:
    def __init__(self, prices: dict[str, ModelPrice], as_of: str = "", user: dict[str, ModelPrice] | None = None,
                 catalogue: GenAIPrices | None = None, load_catalogue: bool = False) -> None:
        self.as_of = as_of
        self._prices = dict(prices)
        self._user = dict(user or {})
        self._catalogue = catalogue
        # genai-prices is loaded on the first price looked up, not when instrumenting: an app that
        # never calls a model never pays for its import (~0.3 s) and data.
        self._load_catalogue = load_catalogue and catalogue is None
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    @property
    def catalogue(self) -> GenAIPrices | None:
        if self._load_catalogue:
            with self._lock:
                if self._load_catalogue:
                    self._catalogue = GenAIPrices.load()
                    self._load_catalogue = False
        return self._catalogue

    @property
    def source(self) -> str:
        bundled = f"bundled table of {self.as_of}"
        catalogue = self.catalogue
        return f"genai-prices {catalogue.version}, then the {bundled}" if catalogue else bundled

    @classmethod
    def default(cls, user_file: str | Path | None = None, strict: bool = False,
                source: str = SOURCE_GENAI_PRICES) -> PriceTable:
        """User file, then ``source`` (genai-prices, else only the bundled table); a bad file raises if
        ``strict``, else is logged."""
        as_of, prices = load_bundled()
        user: dict[str, ModelPrice] = {}
        if user_file:
            try:
                user = load_file(user_file)
            except PriceFileError as exc:
                if strict:
                    raise
                logger.error("autogen-otel: %s; using the built-in prices only", exc)
        return cls(prices, as_of, user, load_catalogue=source == SOURCE_GENAI_PRICES)

    def _find(self, table: dict[str, ModelPrice], name: str) -> ModelPrice | None:
        price = table.get(name)
        return price if price is not None else table.get(_DATE_SUFFIX.sub("", name))

    def lookup(self, model: str | None) -> Any:
        """The price of ``model`` (anything with ``cost(input, output, cached)``), or None."""
        if not model:
            return None
        name = normalise(model)
        price: Any = self._find(self._user, name)
        catalogue = self.catalogue
        if price is None and catalogue is not None:
            price = catalogue.lookup(name)
        if price is None:
            price = self._find(self._prices, name)
        if price is None:
            with self._lock:
                first = name not in self._warned
                self._warned.add(name)
            if first:
                logger.warning("autogen-otel: no price for model %r; its calls get no cost "
                               "(add it to a file named by AUTOGEN_OTEL_PRICES_FILE)", model)
        return price

    def cost(self, model: str | None, input_tokens: int, output_tokens: int,
             cached_input_tokens: int = 0) -> float | None:
        price = self.lookup(model)
        if price is None:
            return None
        return price.cost(input_tokens, output_tokens, cached_input_tokens)


@functools.cache
def default_prices() -> PriceTable:
    """The default table, built once per process: for budgets used without the instrumentor."""
    return PriceTable.default()
