"""Cost arithmetic, model-name matching and price-file validation."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from autogen_otel.cli import main as cli
from autogen_otel.core.pricing import ModelPrice, PriceFileError, PriceTable, load_file


@pytest.fixture(params=["bundled", "genai-prices"])
def table(request) -> PriceTable:
    """Both sources must agree on the common models' list prices and on the matching rules."""
    return PriceTable.default(source=request.param)


def test_bundled_table_is_dated_and_has_the_common_models(table):
    assert table.as_of
    for model in ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini", "claude-3-5-sonnet", "claude-sonnet-4",
                  "gemini-2.5-pro", "gemini-2.0-flash"):
        assert table.lookup(model) is not None, model


COSTED = [
    ("gpt-4o", 1_000_000, 1_000_000, 0, 2.5 + 10.0),
    ("gpt-4o", 1_000_000, 0, 400_000, 0.6 * 2.5 + 0.4 * 1.25),
    ("gpt-4o-mini", 2000, 500, 0, (2000 * 0.15 + 500 * 0.6) / 1e6),
    ("claude-3-5-sonnet", 10_000, 2_000, 5_000, (5_000 * 3 + 5_000 * 0.3 + 2_000 * 15) / 1e6),
    ("gpt-4", 1000, 1000, 500, (1000 * 30 + 1000 * 60) / 1e6),  # no cached price: cached billed as input
]


@pytest.mark.parametrize("model,input_tokens,output_tokens,cached,expected", COSTED)
def test_cost_arithmetic_of_the_bundled_table(model, input_tokens, output_tokens, cached, expected):
    """Our own table's figures (data/prices.json, dated): they change only when we change them."""
    table = PriceTable.default(source="bundled")
    assert table.cost(model, input_tokens, output_tokens, cached) == pytest.approx(expected)


@pytest.mark.parametrize("model,input_tokens,output_tokens,cached", [case[:4] for case in COSTED])
def test_cost_from_genai_prices_is_the_librarys_own_answer(model, input_tokens, output_tokens, cached):
    """Computed by the library in the test, not copied from today's price list: a new genai-prices
    release with new prices changes both sides."""
    from genai_prices import Usage, calc_price

    expected = calc_price(Usage(input_tokens=input_tokens, cache_read_tokens=cached, output_tokens=output_tokens),
                          model_ref=model).total_price
    table = PriceTable.default(source="genai-prices")
    assert table.cost(model, input_tokens, output_tokens, cached) == pytest.approx(float(expected))


@pytest.mark.parametrize("name,canonical", [
    ("gpt-4o-2024-08-06", "gpt-4o"), ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"), ("claude-3-5-sonnet@20241022", "claude-3-5-sonnet"),
    ("openai/gpt-4.1", "gpt-4.1"), ("models/gemini-2.5-flash", "gemini-2.5-flash"), ("GPT-4O", "gpt-4o"),
    ("claude-3-7-sonnet-latest", "claude-3-7-sonnet"),
])
def test_model_name_matching(table, name, canonical):
    assert table.lookup(name) == table.lookup(canonical) is not None


def test_unknown_model_gets_no_cost_and_one_warning(table, caplog):
    with caplog.at_level(logging.WARNING):
        assert table.cost("my-finetune-v3", 100, 100) is None
        assert table.cost("my-finetune-v3", 100, 100) is None
        assert table.lookup("gpt-4o-ultra") is None  # no prefix guessing
    assert caplog.text.count("my-finetune-v3") == 1


def test_user_file_overrides_and_extends(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"gpt-4o": {"input": 1, "output": 2}, "my-model": {"input": 3, "output": 4,
                                                                                          "cached_input": 1}}}))
    table = PriceTable.default(path, strict=True)
    assert table.lookup("gpt-4o") == ModelPrice(1.0, 2.0)
    assert table.cost("my-model", 1_000_000, 1_000_000, 1_000_000) == pytest.approx(1 + 4)


@pytest.mark.parametrize("body,message", [
    ("not json", "not valid JSON"),
    ("[]", "expected a JSON object with a \"models\" object"),
    ('{"models": {"m": {"input": 1}}}', "missing 'output'"),
    ('{"models": {"m": {"input": -1, "output": 1}}}', "'input' must be a number >= 0"),
    ('{"models": {"m": {"input": 1, "output": 1, "cache": 1}}}', "unknown field(s) ['cache']"),
    ('{"models": {"m": {"input": "1", "output": 1}}}', "'input' must be a number >= 0"),
])
def test_bad_price_file_is_named_with_what_is_accepted(tmp_path, body, message):
    path = tmp_path / "prices.json"
    path.write_text(body)
    with pytest.raises(PriceFileError) as raised:
        load_file(path)
    assert message in str(raised.value)
    assert "AUTOGEN_OTEL_PRICES_FILE" in str(raised.value)


def test_missing_file_and_lenient_mode(tmp_path, caplog):
    with pytest.raises(PriceFileError, match="cannot read it"):
        load_file(tmp_path / "nope.json")
    with caplog.at_level(logging.ERROR):
        table = PriceTable.default(tmp_path / "nope.json")
    assert table.lookup("gpt-4o") is not None
    assert "using the built-in prices only" in caplog.text


def test_check_prices_command(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text('{"models": {"m": {"input": 1, "output": 2}}}')
    assert cli(["check-prices", str(good)]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"models": {"m": {"input": 1}}}')
    assert cli(["check-prices", str(bad)]) == 2
    error = capsys.readouterr().err
    # Named as given on the command line, not as the environment variable it did not come from.
    assert f"error: {str(bad)!r}: model 'm': missing 'output'" in error and "AUTOGEN_OTEL_PRICES_FILE" not in error


def test_genai_prices_is_the_default_source_and_never_goes_online(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("price lookup tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    table = PriceTable.default()
    assert table.catalogue is not None and table.source.startswith("genai-prices ")
    # Known to genai-prices but not to our bundled table; priced with its tiered long-context rate.
    assert PriceTable.default(source="bundled").lookup("gpt-4o-audio-preview") is None
    from genai_prices import Usage, calc_price

    def library(model, input_tokens):
        return float(calc_price(Usage(input_tokens=input_tokens, output_tokens=0), model_ref=model).total_price)

    assert table.cost("gpt-4o-audio-preview", 1_000_000, 0) == pytest.approx(library("gpt-4o-audio-preview", 1_000_000))
    short = table.cost("gemini-2.5-pro", 100_000, 0)
    long = table.cost("gemini-2.5-pro", 300_000, 0)
    assert short == pytest.approx(library("gemini-2.5-pro", 100_000))
    assert long == pytest.approx(library("gemini-2.5-pro", 300_000)) and long / 300_000 > short / 100_000


def test_user_file_wins_over_genai_prices(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"gpt-4o-mini": {"input": 9, "output": 9}}}))
    assert PriceTable.default(path, strict=True).lookup("gpt-4o-mini-2024-07-18") == ModelPrice(9.0, 9.0)


def test_bad_price_source_names_the_setting():
    from autogen_otel.core.config import ENV_PRICE_SOURCE, ConfigError, load_settings

    settings = load_settings({ENV_PRICE_SOURCE: "litellm"})
    assert settings.price_source == "genai-prices"
    assert "AUTOGEN_OTEL_PRICE_SOURCE='litellm' is not valid; accepted values: genai-prices, bundled" \
        in settings.problems[0]
    with pytest.raises(ConfigError, match="price_source='x' is not valid"):
        load_settings({}, price_source="x")


KEPT = """
import sys
from autogen_otel.core.pricing import PriceTable
table = PriceTable.default()
print(table.cost(sys.argv[1], 2000, 500, 100), table.cost("no-such-model-x", 10, 10))
print("genai-prices loaded:", "genai_prices" in sys.modules)
print(table.cost("gemini-2.5-pro", 300_000, 1000))  # tiered by prompt size: the library prices it
print("genai-prices loaded:", "genai_prices" in sys.modules)
"""


def _kept(cache: Path | str, model: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGEN_OTEL_")}
    return subprocess.run([sys.executable, "-c", KEPT, model], capture_output=True, text=True, timeout=120,
                          check=False, env={**env, "AUTOGEN_OTEL_CACHE_DIR": str(cache), "PYTHONWARNINGS": "ignore"})


def test_the_first_process_keeps_a_digest_and_later_ones_price_any_flat_model_without_genai_prices(tmp_path):
    """genai-prices costs ~65 ms and ~5 MiB to load (~28 MiB without pydantic): the first process
    derives a checked digest of its data, kept per version; a later process prices models it never
    looked up without loading the library; a tiered price still goes through it; same figures."""
    first = _kept(tmp_path, "gpt-4o-mini-2024-07-18")
    assert first.returncode == 0, first.stderr
    first_lines = first.stdout.splitlines()
    assert first_lines[1] == first_lines[3] == "genai-prices loaded: True"
    (kept,) = tmp_path.glob("genai-prices-*.json")
    version = importlib.metadata.version("genai-prices")
    assert kept.name == f"genai-prices-{version}.json"
    assert json.loads(kept.read_text())["genai_prices"] == version

    for model in ("gpt-4o-mini-2024-07-18", "claude-3-5-sonnet-20241022", "gpt-4.1-nano"):
        later = _kept(tmp_path, model)
        assert later.returncode == 0, later.stderr
        lines = later.stdout.splitlines()
        assert lines[1] == "genai-prices loaded: False" and lines[3] == "genai-prices loaded: True", model
        cost = float(lines[0].split()[0])
        library = PriceTable.default(source="genai-prices")
        library.catalogue.digest_file = None  # type: ignore[union-attr]  # the library itself
        assert cost == pytest.approx(library.cost(model, 2000, 500, 100)) and cost > 0, model
        assert lines[0].split()[1] == "None" and lines[2] == first_lines[2]


def test_an_unwritable_cache_only_costs_the_next_process(tmp_path):
    """Prices are still right; the next process simply loads genai-prices again."""
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    done = _kept(blocked / "sub", "gpt-4o-mini")
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if "no price for model" not in line] == []  # nothing else said
    assert done.stdout.splitlines()[1] == "genai-prices loaded: True"
    assert float(done.stdout.split()[0]) > 0
