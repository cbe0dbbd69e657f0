"""``autogen-otel`` command line: ``demo``, ``check-prices`` and ``prepare-prices``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import io
import logging
import os
import socket
import sys

from .core.config import ConfigError
from .core.importing import importable
from .core.pricing import PriceFileError, PriceTable, load_file


def _collector_on_localhost(wanted: str | None = None) -> tuple[str, str] | None:
    """(endpoint, protocol) of a collector answering on localhost's OTLP port for ``wanted`` (either
    protocol when None), if any."""
    for port, protocol in ((4318, "http/protobuf"), (4317, "grpc")):
        if wanted is not None and protocol != wanted:
            continue
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return f"http://localhost:{port}", protocol
        except OSError:
            continue
    return None


# --family: (scenario module, what it runs, the extra that installs it, the module it needs)
_FAMILIES = {
    "agentchat": (".demo.scenario", "an AutoGen AgentChat team", "demo", "autogen_agentchat"),
    "ag2": (".demo.ag2_scenario", "an AG2 Classic chat", "ag2", "autogen"),
    "maf": (".demo.maf_scenario", "a Microsoft Agent Framework workflow", "maf", "agent_framework"),
}


def demo(args: argparse.Namespace) -> int:
    from .demo.llm_server import ScriptedLLMServer
    from .setup import configure, validate_protocol

    module, framework, extra, needs = _FAMILIES[args.family]
    if not importable(needs):
        print(f"autogen-otel demo: --family {args.family} runs {framework}, which is not installed: "
              f"install autogen-otel's [{extra}] extra (pip install \".[{extra}]\" in a checkout)", file=sys.stderr)
        return 2
    try:
        scenario = importlib.import_module(module, __package__)
    except ModuleNotFoundError as exc:
        print(f"autogen-otel demo: {exc.name} is not installed: install autogen-otel's [{extra}] extra "
              f"(pip install \".[{extra}]\" in a checkout)", file=sys.stderr)
        return 2

    # None: configure() reads (and validates) OTEL_EXPORTER_OTLP_ENDPOINT; "": no export.
    endpoint: str | None = "" if args.no_export else None
    protocol = None
    try:
        if endpoint is None and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            # The protocol the user asked for, checked as when the endpoint is set: its port only.
            wanted = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            if wanted:
                validate_protocol(wanted, "OTEL_EXPORTER_OTLP_PROTOCOL")
            found = _collector_on_localhost(wanted or None)
            endpoint, protocol = found if found else ("", None)
        configured = configure(service_name="autogen-otel-demo", endpoint=endpoint, protocol=protocol,
                               console=True, capture_content=args.capture_content or None,
                               metric_interval_ms=1000)
    except ConfigError as exc:
        print(f"autogen-otel demo: {exc}", file=sys.stderr)
        return 2
    print(f"autogen-otel demo: {scenario.TITLE} against a local scripted model server (no API key).")
    if configured.endpoint:
        print(f"Exporting traces and metrics over OTLP ({configured.protocol}) to {configured.endpoint}.")
    elif args.no_export:
        print("--no-export: terminal waterfall only.")
    else:
        print("No OTLP endpoint set and no collector on localhost:4317/4318: terminal waterfall only.")
    print()
    # The demo's output is ours: the frameworks' own console prints (AG2's function-call banners) and
    # Agent Framework's note on the tool that fails on purpose stay out of it. Our terminal view
    # writes to the stdout it was given before.
    logging.getLogger("agent_framework").setLevel(logging.ERROR)
    with ScriptedLLMServer(scenario.SCRIPT) as server, contextlib.redirect_stdout(io.StringIO()):
        outcome = asyncio.run(scenario.play(server.base_url))
    configured.shutdown()
    noun = "Team" if args.family == "agentchat" else ("Chat" if args.family == "ag2" else "Workflow")
    plural = "" if outcome.messages == 1 else "s"
    # One duration, the run's: the trace line above (this process also started a model server).
    print(f"{noun} finished after {outcome.messages} message{plural} ({outcome.reason}).")
    print(f"Last message: {outcome.last}")
    return 0


def check_prices(args: argparse.Namespace) -> int:
    try:
        load_file(args.file, named=repr(args.file))  # named as given on the command line
        table = PriceTable.default(args.file, strict=True)
    except PriceFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"ok: {args.file} is valid (it wins over {table.source})")
    return 0


def prepare_prices(args: argparse.Namespace) -> int:
    from .core.price_catalogue import GenAIPrices

    catalogue = GenAIPrices.load()
    if catalogue is None:
        print("error: genai-prices is not installed: costs come from the bundled table, nothing to prepare",
              file=sys.stderr)
        return 2
    if catalogue.digest_file is None:
        print("error: AUTOGEN_OTEL_CACHE_DIR is empty, so there is nowhere to keep the prices; set it to a "
              "directory the app can read", file=sys.stderr)
        return 2
    digest = catalogue.prepare()
    if catalogue.write_error is not None:
        print(f"error: cannot write {catalogue.digest_file}: {catalogue.write_error}", file=sys.stderr)
        return 2
    if digest is None:
        print(f"ok: genai-prices {catalogue.version} cannot be digested faithfully; each process will load it "
              f"(noted in {catalogue.digest_file})")
        return 0
    print(f"ok: genai-prices {catalogue.version} digested ({digest.models} models a bare model name can find, "
          f"their match rules and flat prices) into {catalogue.digest_file}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from .version import __version__

    parser = argparse.ArgumentParser(prog="autogen-otel", description=(
        "OpenTelemetry for AutoGen AgentChat, AG2 Classic and Microsoft Agent Framework"))
    parser.add_argument("--version", action="version", version=f"autogen-otel {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_cmd = commands.add_parser("demo", help="run an instrumented multi-agent team offline and print its waterfall")
    demo_cmd.add_argument("--capture-content", action="store_true",
                          help="record message content on the exported spans (the terminal waterfall shows "
                               "no content either way)")
    demo_cmd.add_argument("--family", choices=sorted(_FAMILIES), default="agentchat",
                          help="which framework's demo: AutoGen AgentChat (default), AG2 Classic, Microsoft Agent "
                               "Framework")
    demo_cmd.add_argument("--no-export", action="store_true",
                          help="never export over OTLP, even if a collector answers")
    demo_cmd.set_defaults(func=demo)
    prices_cmd = commands.add_parser("check-prices", help="validate a file for AUTOGEN_OTEL_PRICES_FILE")
    prices_cmd.add_argument("file")
    prices_cmd.set_defaults(func=check_prices)
    prepare_cmd = commands.add_parser(
        "prepare-prices", help="derive genai-prices' digest into AUTOGEN_OTEL_CACHE_DIR now (e.g. in an image "
                               "build), so no process of the app loads genai-prices for a flat price")
    prepare_cmd.set_defaults(func=prepare_prices)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
