"""AutoGen's own test suites, plain and with autogen-otel on: any difference fails.

    python tests/upstream/run.py --end latest|min

For one supported AutoGen end: builds a virtualenv with that AutoGen, autogen-otel and the test
dependencies AutoGen's tests import (``.venv/upstream-<end>``, reused), fetches the sdists of
autogen-core, autogen-agentchat and autogen-ext from the package index (they ship ``tests/``;
cached in ``~/.cache/autogen-otel/upstream``) and runs each suite three times: plain, instrumented
(real SDK tracer and meter providers) and instrumented with content capture. It fails on any test
whose outcome differs, any test raising a different number of warnings, and any internal error
logged by ``autogen_otel``. Tests that fail or skip in every mode (API keys, downloads, Docker,
AutoGen's monorepo-only helpers) are listed with their reason. A test that differs once is rerun
in both modes; only a difference that repeats counts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "autogen-otel" / "upstream"
MODES = ("on", "content")

_TEST_DEPS = ["pytest", "pytest-asyncio", "pytest-mock", "pytest-timeout", "asyncio_atexit", "pandas",
              "email-validator", "ollama"]
ENDS: dict[str, dict[str, Any]] = {
    "latest": {
        "version": "0.7.5",
        # mcp 1.13 imports pydantic's eval_type_backport, gone after pydantic 2.11.
        "requirements": ["autogen-agentchat==0.7.5", "autogen-core==0.7.5",
                         "autogen-ext[openai,anthropic,mcp]==0.7.5", "mcp<1.14", "pydantic>=2.11,<2.12",
                         *_TEST_DEPS],
    },
    "min": {
        "version": "0.4.9",
        # SDKs of AutoGen 0.4.9's time: its OpenAI tests import openai.resources.beta.chat (gone in
        # later majors), its MCP adapter reads Tool.inputSchema (renamed in mcp 2; mcp 1.x needs a
        # pydantic before 2.12), its Anthropic client predates the anthropic extra.
        "requirements": ["autogen-agentchat==0.4.9", "autogen-core==0.4.9", "autogen-ext[openai,mcp]==0.4.9",
                         "openai>=1.52.2,<1.70", "mcp>=1.1.3,<1.6", "pydantic>=2.10,<2.12", "anthropic>=0.48,<0.50",
                         *_TEST_DEPS],
    },
}
# (distribution, test paths, paths not run with the reason). Only what runs offline is asked for.
SUITES: list[tuple[str, list[str], dict[str, str]]] = [
    ("autogen-core", ["tests"], {}),
    ("autogen-agentchat", ["tests"], {}),
    ("autogen-ext", ["tests/models", "tests/tools"], {
        "tests/tools/azure": "Azure AI Search SDK not installed (cloud service)",
        "tests/tools/graphrag": "graphrag not installed (downloads models)",
        "tests/tools/http": "HTTP tool tests need fastapi servers beyond model/tool scope",
        "tests/tools/test_langchain_tools.py": "langchain not installed",
        "tests/models/test_azure_ai_model_client.py": "Azure AI inference SDK not installed (cloud service)",
        "tests/models/test_llama_cpp_model_client.py": "llama-cpp needs a native build and model downloads",
        "tests/models/test_sk_chat_completion_adapter.py": "semantic-kernel not installed",
    }),
]


def venv(end: str) -> Path:
    path = ROOT / ".venv" / f"upstream-{end}"
    python = path / "bin" / "python"
    stamp = path / ".requirements"
    wanted = "\n".join(ENDS[end]["requirements"])
    if not (python.exists() and stamp.exists() and stamp.read_text() == wanted):
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", str(ROOT), *ENDS[end]["requirements"]],
                       check=True)
        stamp.write_text(wanted)
    return python


def sources(distribution: str, version: str, python: Path) -> Path:
    """The sdist's extracted tree (with its tests/)."""
    name = distribution.replace("-", "_")
    target = CACHE / f"{name}-{version}"
    if not (target / "tests").is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([str(python), "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                            "-d", tmp, f"{distribution}=={version}"], check=True)
            (archive,) = Path(tmp).glob("*.tar.gz")
            with tarfile.open(archive) as tar:
                try:
                    tar.extractall(CACHE, filter="data")
                except TypeError:  # Python without extraction filters (before 3.10.12 / 3.11.4)
                    tar.extractall(CACHE)  # an sdist from the package index
    return target


def run_suite(python: Path, tree: Path, paths: list[str], ignored: dict[str, str], mode: str,
              only: list[str] | None = None) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as report:
        report_path = report.name
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith("OTEL_")}
    env.update({"AUTOGEN_OTEL_GUARD": mode, "AUTOGEN_OTEL_GUARD_REPORT": report_path,
                "PYTHONPATH": str(HERE), "PYTHONHASHSEED": "0"})
    targets = only if only is not None else paths
    command = [str(python), "-m", "pytest", "-q", "-p", "guard_plugin", "-p", "no:cacheprovider",
               "--continue-on-collection-errors", "--timeout", "120", "-o", "addopts=", *targets,
               *(f"--ignore={path}" for path in ignored)]
    subprocess.run(command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False, timeout=1800)
    try:
        return json.loads(Path(report_path).read_text())
    finally:
        os.unlink(report_path)


def internal_errors(report: dict[str, Any]) -> list[dict[str, str]]:
    """What autogen_otel logged that is not a user-facing notice (e.g. a model without a price)."""
    return [r for r in report["logged"] if r["level"] in ("ERROR", "CRITICAL") or "internal error" in r["message"]]


def differences(plain: dict[str, Any], traced: dict[str, Any]) -> dict[str, str]:
    found = {}
    for test in set(plain["outcomes"]) | set(traced["outcomes"]):
        a, b = plain["outcomes"].get(test), traced["outcomes"].get(test)
        if a != b:
            found[test] = f"outcome {a} -> {b} ({traced['reasons'].get(test, '')})"
    for test in set(plain["warnings"]) | set(traced["warnings"]):
        a, b = plain["warnings"].get(test, 0), traced["warnings"].get(test, 0)
        if a != b and test not in found:
            found[test] = f"warnings {a} -> {b}"
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--end", choices=sorted(ENDS), required=True)
    args = parser.parse_args()
    started = time.monotonic()
    python = venv(args.end)
    version = ENDS[args.end]["version"]
    failed = False
    for distribution, paths, ignored in SUITES:
        tree = sources(distribution, version, python)
        plain = run_suite(python, tree, paths, ignored, "off")
        counts = Counter(plain["outcomes"].values())
        print(f"== {distribution} {version}: {len(plain['outcomes'])} tests plain: "
              + ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())))
        for path, reason in ignored.items():
            print(f"   not run: {path} ({reason})")
        not_passing: dict[str, list[str]] = defaultdict(list)
        for test, outcome in plain["outcomes"].items():
            if outcome not in ("passed", "xfailed"):
                not_passing[f"{outcome}: {plain['reasons'].get(test, '?')}"].append(test)
        for reason, tests in sorted(not_passing.items()):
            print(f"   same in every mode or a difference below -- {len(tests)} x {reason}")
            for test in sorted(tests)[:4]:
                print(f"      {test}")
            if len(tests) > 4:
                print(f"      ... and {len(tests) - 4} more")
        for mode in MODES:
            traced = run_suite(python, tree, paths, ignored, mode)
            found = differences(plain, traced)
            if found:  # rerun just those, in both modes: a flaky test must differ again to count
                again_plain = run_suite(python, tree, paths, ignored, "off", only=sorted(found))
                again = run_suite(python, tree, paths, ignored, mode, only=sorted(found))
                repeated = differences(again_plain, again)
                for test in sorted(set(found) - set(repeated)):
                    print(f"   [{mode}] flaky, not counted: {test}: {found[test]}")
                found = {test: found[test] for test in repeated if test in found}
            errors = internal_errors(traced)
            spans = traced.get("spans", 0)
            status = "OK" if not found and not errors else "DIFFERENT"
            print(f"   [{mode}] {status}: {len(traced['outcomes'])} tests, {spans} spans emitted, "
                  f"{len(found)} differences, {len(errors)} internal errors logged")
            for test, what in sorted(found.items()):
                print(f"      DIFFERENT {test}: {what}")
            for error in errors:
                print(f"      LOGGED in {error['test']}: {error['message']}")
            failed = failed or bool(found or errors)
    print(f"== AutoGen {version} suites: {'DIFFERENCES FOUND' if failed else 'no difference'} "
          f"({time.monotonic() - started:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
