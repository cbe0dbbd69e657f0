"""Start-up cost of autogen-otel under ``opentelemetry-instrument``: the same command with our three
instrumentors on and with them disabled, for an app importing no framework and for one importing
each family. Interleaved runs, medians; wall time of the whole process and its peak RSS.

Then what the price data costs when the first cost is computed, in an app that imported AgentChat:
genai-prices itself, its kept digest, and the first process that derives the digest.

    python benchmarks/startup.py [--runs 7] [--out benchmarks/results-startup.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
APPS = {
    "imports no framework (`import json`)": "import json",
    "imports AutoGen AgentChat": "import autogen_agentchat.teams, autogen_ext.models.openai",
    "imports AG2 Classic": "import autogen",
    "imports Agent Framework": "import agent_framework, agent_framework.openai",
    "imports AgentChat and AG2 Classic": "import autogen_agentchat.teams, autogen_ext.models.openai, autogen",
}
PRICED_APP = """
import resource, time
import autogen_agentchat.teams, autogen_ext.models.openai
from autogen_otel.core.pricing import PriceTable
table = PriceTable.default()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
assert table.cost("gpt-4o-mini", 1000, 100)
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""
PRICES = {  # label -> AUTOGEN_OTEL_CACHE_DIR ("" keeps nothing; None: a new empty directory each run)
    "genai-prices loaded (`AUTOGEN_OTEL_CACHE_DIR=` empty)": "",
    "digest kept by an earlier process (the usual case)": "kept",
    "first process: derives, checks and keeps the digest": None,
}
REPORT = "import resource, sys; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"


def once(app: str, ours: bool) -> tuple[float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update({"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
                "PYTHONWARNINGS": "ignore"})
    if not ours:
        env["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] = "autogen_agentchat,autogen,agent_framework"
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "opentelemetry-instrument"), sys.executable, "-c", f"{app}\n{REPORT}"],
                          env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, int(done.stderr.strip().splitlines()[-1])


def priced(cache: str | None, work: Path) -> tuple[float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AUTOGEN_OTEL_"))}
    if cache is None:
        cache = tempfile.mkdtemp(dir=work)
    elif cache:
        cache = str(work / cache)
    env.update({"AUTOGEN_OTEL_CACHE_DIR": cache, "PYTHONWARNINGS": "ignore"})
    done = subprocess.run([sys.executable, "-c", PRICED_APP],
                          env=env, capture_output=True, text=True, check=True)
    elapsed, grown = done.stdout.split()
    return float(elapsed), int(grown)


def price_rows(runs: int) -> list[str]:
    rows = ["| first cost computed, app imported AgentChat | time | peak RSS added |", "|---|---|---|"]
    with tempfile.TemporaryDirectory() as work:
        priced("kept", Path(work))  # derive the digest the "kept" row reads
        for label, cache in PRICES.items():
            samples = [priced(cache, Path(work)) for _ in range(runs)]
            rows.append(f"| {label} | {statistics.median(s[0] for s in samples) * 1000:.0f} ms "
                        f"| +{statistics.median(s[1] for s in samples) / 1024:.1f} MiB |")
            print(rows[-1], flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = ["| app | start-up, ours off | added by ours | peak RSS, ours off | added by ours |",
            "|---|---|---|---|---|"]
    for label, app in APPS.items():
        samples: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
        once(app, True)  # warm the file cache
        for _ in range(args.runs):
            for ours in (False, True):
                samples[ours].append(once(app, ours))
        t_off = statistics.median(s[0] for s in samples[False])
        t_on = statistics.median(s[0] for s in samples[True])
        m_off = statistics.median(s[1] for s in samples[False])
        m_on = statistics.median(s[1] for s in samples[True])
        rows.append(f"| {label} | {t_off * 1000:.0f} ms | {(t_on - t_off) * 1000:+.0f} ms | {m_off / 1024:.1f} MiB "
                    f"| {(m_on - m_off) / 1024:+.1f} MiB |")
        print(rows[-1], flush=True)
    rows += ["", *price_rows(args.runs)]
    if args.out:
        args.out.write_text("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
