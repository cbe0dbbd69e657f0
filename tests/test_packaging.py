"""What ``python -m build`` makes is what a user installs: every module, the price data, the
licence and the entry points of the three families and the waterfall exporter."""

from __future__ import annotations

import configparser
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "instrumentation" / "autogen_otel"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheel = next(out.glob("autogen_otel-*.whl"))
    sdist = next(out.glob("autogen_otel-*.tar.gz"))
    return wheel, sdist


def test_the_wheel_holds_every_module_the_data_and_the_licence(built):
    wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {f"autogen_otel/{p.relative_to(PACKAGE).as_posix()}" for p in PACKAGE.rglob("*.py")}
    assert sources <= names, sorted(sources - names)
    assert {"autogen_otel/data/prices.json", "autogen_otel/py.typed"} <= names
    info = next(n for n in names if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
    assert f"{info}/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata
    for extra in ("otlp", "demo", "ag2", "maf", "instruments-any"):
        assert f"Provides-Extra: {extra}" in metadata
    entry_points = configparser.ConfigParser()
    entry_points.read_string(zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode())
    assert dict(entry_points["opentelemetry_instrumentor"]) == {
        "autogen_agentchat": "autogen_otel:AgentChatInstrumentor", "autogen": "autogen_otel:AG2Instrumentor",
        "agent_framework": "autogen_otel:AgentFrameworkInstrumentor", "mcp": "autogen_otel:MCPInstrumentor",
        "a2a": "autogen_otel:A2AInstrumentor"}
    assert dict(entry_points["opentelemetry_traces_exporter"]) == {
        "autogen_waterfall": "autogen_otel.waterfall:WaterfallExporter"}


def test_the_sdist_builds_the_same_package_and_carries_the_licence(built):
    _, sdist = built
    names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    assert {"LICENSE", "pyproject.toml", "README.md", "instrumentation/autogen_otel/maf/budget.py",
            "instrumentation/autogen_otel/data/prices.json"} <= names


def test_the_installed_wheel_imports_from_where_it_was_installed(built, tmp_path):
    wheel, _ = built
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import autogen_otel, autogen_otel.maf.workflows; "
            "from autogen_otel.core.pricing import PriceTable; "
            "print(autogen_otel.__file__.startswith(sys.argv[1]), PriceTable.default(source='bundled').cost("
            "'gpt-4o-mini', 1000, 1000) > 0)")
    done = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


def test_the_declared_pythons_are_the_ones_scripts_test_runs(built):
    """Classifiers name only what is tested: the default Python (3.11 on our machines) plus the
    interpreters scripts/test looks up, oldest and newest; the floor matches requires-python."""
    import re

    wheel, _ = built
    names = zipfile.ZipFile(wheel).namelist()
    info = next(n for n in names if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    declared = set(re.findall(r"Classifier: Programming Language :: Python :: (3\.\d+)$", metadata, re.M))
    script = (ROOT / "scripts" / "test").read_text()
    looked_up = set(re.findall(r"find_python (3\.\d+) ", script))
    assert looked_up == {"3.10", "3.13"}
    assert declared == looked_up | {f"{sys.version_info[0]}.{sys.version_info[1]}"} | {"3.11"}
    assert "Requires-Python: >=3.10" in metadata
