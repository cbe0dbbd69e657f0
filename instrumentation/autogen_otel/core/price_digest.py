"""A compact digest of genai-prices' data: how a model name is matched and its flat prices over
time, ~50 KiB of plain JSON (~0.5 MiB once read) instead of the library's ~2,300 pydantic objects.

genai-prices stays the source of truth: a digest is derived from its bundled snapshot, checked
against the library's own answers before it is kept, and stored per genai-prices version. A model
whose price the digest cannot express (tiered by request size, priced by time of day) is marked
for the library, which then prices it itself.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

FORMAT = 1
LIBRARY = "library"  # the answer for a model the library has to price itself

# genai-prices' match clauses by the attribute that holds their operand.
_CLAUSES = ("equals", "starts_with", "ends_with", "contains", "regex")
_COMPACT_DATE = re.compile(r"(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)")


class DigestError(ValueError):
    """The snapshot holds something the digest cannot express faithfully."""


def _clause(logic: Any) -> list[Any]:
    for key in ("or_", "and_"):
        if hasattr(logic, key):
            return [key[:-1], [_clause(item) for item in getattr(logic, key)]]
    for key in _CLAUSES:
        if isinstance(getattr(logic, key, None), str):
            return [key, getattr(logic, key)]
    raise DigestError(f"unknown match clause {type(logic).__name__}")


def flat_rates(prices: Any) -> list[float | None] | None:
    """[input, output, cached input] in USD per 1M tokens of a genai-prices ``ModelPrice`` when all
    are flat, else None."""
    from decimal import Decimal

    rates = (prices.input_mtok, prices.output_mtok, prices.cache_read_mtok)
    if rates[0] is None or not all(rate is None or isinstance(rate, Decimal) for rate in rates):
        return None
    return [float(rates[0]), float(rates[1] or 0), None if rates[2] is None else float(rates[2])]


def priced_per_call(info: Any) -> bool:
    """Whether a genai-prices model's price depends on something other than the day of the call
    (e.g. off-peak hours), so that only the library can price each call."""
    return isinstance(info.prices, list) and any(
        conditional.constraint is not None and not isinstance(getattr(conditional.constraint, "start_date", None), date)
        for conditional in info.prices)


def _periods(info: Any) -> list[Any] | str:
    """[[start date or None, rates or LIBRARY], ...] in the library's order, or LIBRARY."""
    if priced_per_call(info):
        return LIBRARY
    if not isinstance(info.prices, list):
        return [[None, flat_rates(info.prices) or LIBRARY]]
    return [[None if conditional.constraint is None else conditional.constraint.start_date.isoformat(),
             flat_rates(conditional.prices) or LIBRARY] for conditional in info.prices]


def build(snapshot: Any, version: str) -> dict[str, Any]:
    """Only what a lookup by model name alone can reach: providers recognised from the name (about
    a fifth of the models) and those they fall back to."""
    named = [provider for provider in snapshot.providers if provider.model_match is not None]
    fallbacks = {provider_id for provider in named for provider_id in provider.fallback_model_providers or ()}
    providers = []
    for provider in snapshot.providers:
        if provider.model_match is None and provider.id not in fallbacks:
            continue
        providers.append([
            provider.id,
            None if provider.model_match is None else _clause(provider.model_match),
            list(provider.fallback_model_providers or ()),
            [[_clause(info.match), _periods(info)] for info in provider.models],
        ])
    return {"format": FORMAT, "genai_prices": version, "providers": providers}


class Digest:
    def __init__(self, data: dict[str, Any]) -> None:
        self.version = str(data["genai_prices"])
        self._providers: list[list[Any]] = data["providers"]
        self._by_id = {entry[0]: entry for entry in self._providers}
        self._patterns: dict[str, re.Pattern[str]] = {}
        self.models = sum(len(entry[3]) for entry in self._providers)

    @classmethod
    def parse(cls, data: Any, version: str) -> Digest | None:
        """A digest of ``version``, or None when ``data`` is one of another version or format."""
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("genai_prices") != version:
            return None
        if not isinstance(data.get("providers"), list):
            return None
        return cls(data)

    def _matches(self, clause: list[Any], text: str) -> bool:
        kind, operand = clause
        if kind == "equals":
            return text == operand.lower()
        if kind == "starts_with":
            return text.startswith(operand.lower())
        if kind == "ends_with":
            return text.endswith(operand.lower())
        if kind == "contains":
            return operand.lower() in text
        if kind == "regex":
            pattern = self._patterns.get(operand)
            if pattern is None:
                pattern = self._patterns[operand] = re.compile(operand)
            return pattern.search(text) is not None
        if kind == "or":
            return any(self._matches(item, text) for item in operand)
        return all(self._matches(item, text) for item in operand)

    def _model(self, provider: list[Any], ref: str, fallback: bool) -> Any:
        for match, periods in provider[3]:
            if self._matches(match, ref):
                return periods
        for provider_id in provider[2] if fallback else ():
            other = self._by_id.get(provider_id)
            if other is not None and (periods := self._model(other, ref, fallback=False)) is not None:
                return periods
        return None

    def find(self, model: str, today: date) -> list[float | None] | str | None:
        """The flat rates of ``model`` on ``today``, LIBRARY, or None when genai-prices has no price."""
        ref = model.lower()
        provider = next((p for p in self._providers if p[1] is not None and self._matches(p[1], ref)), None)
        if provider is None:
            return None
        periods = self._model(provider, ref, fallback=True)
        if periods is None:
            dashed = _COMPACT_DATE.sub(_dashed_date, ref)  # the library's retry for `-20251211`
            periods = self._model(provider, dashed, fallback=True) if dashed != ref else None
        if periods is None or periods == LIBRARY:
            return periods
        chosen = periods[0]
        for period in reversed(periods):  # the last period already started wins
            if period[0] is None or date.fromisoformat(period[0]) <= today:
                chosen = period
                break
        return chosen[1]


def _dashed_date(match: re.Match[str]) -> str:
    year, month, day = (int(match.group(index)) for index in range(2, 5))
    try:
        date(year, month, day)
    except ValueError:
        return match.group(0)
    return f"-{year:04d}-{month:02d}-{day:02d}"


def disagreements(digest: Digest, snapshot: Any, today: date, limit: int = 5) -> list[str]:
    """Model ids the digest prices differently from the library (up to ``limit``): empty when the
    digest may stand in for it."""
    from datetime import datetime, timezone

    now = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc)
    wrong: list[str] = []
    for provider in snapshot.providers:
        for info in provider.models:
            ref = info.id.lower()
            try:
                _, found = snapshot.find_provider_model(ref, None, None, None)
                expected: Any = LIBRARY if priced_per_call(found) else flat_rates(found.get_prices(now)) or LIBRARY
            except LookupError:
                expected = None
            if digest.find(ref, today) != expected:
                wrong.append(ref)
                if len(wrong) >= limit:
                    return wrong
    return wrong
