"""The genai-prices digest answers as the library does, for every model it holds, and is only used
when it does."""

from __future__ import annotations

import importlib.metadata
import json
import re
from datetime import date, datetime, timezone

import pytest
from autogen_otel.cli import main as cli
from autogen_otel.core import price_catalogue
from autogen_otel.core.price_catalogue import GenAIPrices, ModelPrice, TieredPrice
from autogen_otel.core.price_digest import LIBRARY, Digest, build
from genai_prices.data_snapshot import DataSnapshot, get_snapshot, set_custom_snapshot

VERSION = importlib.metadata.version("genai-prices")
DAYS = (date(2023, 1, 1), datetime.now(timezone.utc).date(), date(2031, 1, 1))


def _mini() -> ModelPrice:
    """gpt-4o-mini's price per 1M tokens as genai-prices itself computes it (not today's list copied)."""
    from genai_prices import Usage, calc_price

    def per_million(**usage: int) -> float:
        return float(calc_price(Usage(**usage), model_ref="gpt-4o-mini").total_price)

    return ModelPrice(per_million(input_tokens=1_000_000), per_million(output_tokens=1_000_000),
                      per_million(input_tokens=1_000_000, cache_read_tokens=1_000_000))


def _operands(logic) -> list[str]:
    for key in ("or_", "and_"):
        if hasattr(logic, key):
            return [text for item in getattr(logic, key) for text in _operands(item)]
    return [value for key in ("equals", "starts_with", "ends_with", "contains")
            if isinstance(value := getattr(logic, key, None), str)]


def _names(snapshot) -> set[str]:
    """Every id and alias in the data, prefixes and fragments with something after them, and the
    compact dated forms (``-20241022``) of dashed dates: each as a client could send it."""
    names: set[str] = {"no-such-model-x", "", "gpt", "claude"}
    for provider in snapshot.providers:
        for info in provider.models:
            for text in [info.id, *_operands(info.match)]:
                names.update({text, text.upper(), f"{text}-x", f"x-{text}"})
                names.add(re.sub(r"-(20\d\d)-(\d\d)-(\d\d)", r"-\1\2\3", text))
    return names


def _library(snapshot, name: str, day: date):
    try:
        _, info = snapshot.find_provider_model(name, None, None, None)
    except LookupError:
        return None
    if isinstance(info.prices, list) and any(
            c.constraint is not None and not hasattr(c.constraint, "start_date") for c in info.prices):
        return LIBRARY
    prices = info.get_prices(datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc))
    rates = (prices.input_mtok, prices.output_mtok, prices.cache_read_mtok)
    if rates[0] is None or not all(r is None or type(r).__name__ == "Decimal" for r in rates):
        return LIBRARY
    return [float(rates[0]), float(rates[1] or 0), None if rates[2] is None else float(rates[2])]


def test_the_digest_answers_every_name_as_the_library_does_on_any_day():
    snapshot = get_snapshot()
    digest = Digest(json.loads(json.dumps(build(snapshot, VERSION))))  # as kept on disk
    names = _names(snapshot)
    assert len(names) > 5_000
    for day in DAYS:
        wrong = [(name, digest.find(name, day), _library(snapshot, name, day)) for name in sorted(names)
                 if digest.find(name, day) != _library(snapshot, name, day)]
        assert wrong[:5] == [], f"{len(wrong)} names priced differently on {day}"
    held = [periods for provider in digest._providers for _, periods in provider[3]]
    flat = [periods for periods in held if periods != LIBRARY and all(isinstance(p[1], list) for p in periods)]
    assert len(flat) > 0.8 * len(held) > 300  # most models are flat-priced: the digest holds their prices
    assert all(isinstance(digest.find(name, DAYS[1]), list) for name in ("gpt-4o-mini", "claude-3-5-sonnet-20241022"))
    # Prices that start on a later date are held with their dates, not only today's.
    assert any(isinstance(periods, list) and len(periods) > 1 and periods[-1][0]
               for provider in digest._providers for _, periods in provider[3])


def test_a_kept_digest_of_another_version_or_a_broken_one_is_derived_again(tmp_path):
    kept = tmp_path / "digest.json"
    for content in ('{"format": 1, "genai_prices": "0.0.1", "providers": []}', "{not json", "[]"):
        kept.write_text(content)
        prices = GenAIPrices(VERSION, kept)
        assert prices.lookup("gpt-4o-mini") == _mini()
        assert json.loads(kept.read_text())["genai_prices"] == VERSION
        assert Digest.parse(json.loads(kept.read_text()), VERSION) is not None


def test_a_digest_that_disagrees_with_the_library_is_not_used_nor_derived_again(tmp_path, monkeypatch):
    kept = tmp_path / "digest.json"
    monkeypatch.setattr(price_catalogue, "disagreements", lambda *args: ["gpt-4o-mini"])
    prices = GenAIPrices(VERSION, kept)
    assert prices.digest() is None
    assert prices.lookup("gpt-4o-mini") == _mini()  # the library answers
    assert json.loads(kept.read_text())["unusable"] == ["gpt-4o-mini"]

    def derive(*args):
        raise AssertionError("derived again")

    monkeypatch.setattr(price_catalogue, "build", derive)
    later = GenAIPrices(VERSION, kept)
    assert later.digest() is None and later.lookup("gpt-4o-mini") == _mini()


def test_tiered_and_time_of_day_prices_go_through_the_library(tmp_path):
    prices = GenAIPrices(VERSION, tmp_path / "digest.json")
    digest = prices.digest()
    assert digest is not None
    today = datetime.now(timezone.utc).date()
    assert digest.find("gemini-2.5-pro", today) == LIBRARY
    assert isinstance(prices.lookup("gemini-2.5-pro"), TieredPrice)
    off_peak = [info.id for provider in get_snapshot().providers for info in provider.models
                if isinstance(info.prices, list) and any(hasattr(c.constraint, "start_time") for c in info.prices)]
    if not off_peak:
        pytest.skip(f"genai-prices {VERSION} has no time-of-day prices")
    assert digest.find(off_peak[0], today) == LIBRARY
    # Priced per call at the call's time, never frozen at the first lookup's rate for the day.
    for kept in (prices, GenAIPrices(VERSION, None)):
        price = kept.lookup(off_peak[0])
        assert isinstance(price, TieredPrice), off_peak[0]
        assert price.cost(1_000_000, 1_000_000) > 0


def test_a_snapshot_the_app_installed_wins_over_the_kept_digest(tmp_path):
    prices = GenAIPrices(VERSION, tmp_path / "digest.json")
    assert prices.lookup("gpt-4o-mini") is not None
    set_custom_snapshot(DataSnapshot(providers=[], from_auto_update=True))
    try:
        later = GenAIPrices(VERSION, tmp_path / "digest.json")
        assert later.lookup("gpt-4o-mini") is None  # the app's (empty) data, not the digest's
    finally:
        set_custom_snapshot(None)


def test_prepare_prices_command_keeps_the_digest_ahead_of_the_first_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUTOGEN_OTEL_CACHE_DIR", str(tmp_path / "cache"))
    assert cli(["prepare-prices"]) == 0
    out = capsys.readouterr().out
    kept = tmp_path / "cache" / f"genai-prices-{VERSION}.json"
    assert str(kept) in out and f"genai-prices {VERSION}" in out
    assert Digest.parse(json.loads(kept.read_text()), VERSION) is not None

    monkeypatch.setenv("AUTOGEN_OTEL_CACHE_DIR", "")
    assert cli(["prepare-prices"]) == 2
    assert "AUTOGEN_OTEL_CACHE_DIR" in capsys.readouterr().err
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("AUTOGEN_OTEL_CACHE_DIR", str(blocked))
    assert cli(["prepare-prices"]) == 2
    assert str(blocked) in capsys.readouterr().err


def test_a_read_only_cache_directory_without_a_digest_uses_the_library_without_deriving(tmp_path, monkeypatch):
    """Deriving costs more than loading genai-prices: only worth it when the digest can be kept."""
    def derive(*args):
        raise AssertionError("derived a digest it cannot keep")

    monkeypatch.setattr(price_catalogue, "build", derive)
    monkeypatch.setattr(price_catalogue.os, "access", lambda path, mode: False)
    prices = GenAIPrices(VERSION, tmp_path / "cache" / "digest.json")
    assert prices.digest() is None
    assert prices.lookup("gpt-4o-mini") == _mini()


def test_data_the_digest_cannot_express_leaves_pricing_to_the_library(tmp_path, monkeypatch):
    """A later genai-prices with a match clause we do not know: no digest, the library answers."""
    class ClauseFuzzy:
        fuzzy = "gpt"

    snapshot = get_snapshot()
    monkeypatch.setattr(snapshot.providers[0], "model_match", ClauseFuzzy())
    prices = GenAIPrices(VERSION, tmp_path / "digest.json")
    assert prices.digest() is None
    assert "unknown match clause ClauseFuzzy" in json.loads((tmp_path / "digest.json").read_text())["unusable"][0]
    monkeypatch.undo()
    assert prices.lookup("gpt-4o-mini") == _mini()
