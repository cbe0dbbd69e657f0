"""Instrumenting costs nothing for a framework the app does not import: every family's patches
are built when the app imports it -- after instrument(), before it, or from another thread --
and uninstrument() also disarms the ones never triggered. (Start-up cost itself is measured in
benchmarks/startup.py, not here.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHECK = """
import sys, threading
import autogen_otel
from opentelemetry.sdk.trace import TracerProvider
tp = TracerProvider()
instrumentors = [autogen_otel.AgentChatInstrumentor(), autogen_otel.AG2Instrumentor(),
                 autogen_otel.AgentFrameworkInstrumentor()]
for each in instrumentors:
    each.instrument(tracer_provider=tp)
heavy = [m for m in ("autogen_agentchat", "autogen_core", "autogen", "agent_framework", "openai", "genai_prices")
         if m in sys.modules]
print("imported by instrumenting:", heavy)
families = ("autogen_otel.agentchat.", "autogen_otel.ag2.", "autogen_otel.maf.")
ours = sorted(m for m in sys.modules if m.startswith(families)
              or m in ("autogen_otel.core.telemetry", "autogen_otel.core.pricing", "autogen_otel.core.price_catalogue",
                       "autogen_otel.evaluation", "autogen_otel.waterfall"))
print("of ours, imported by instrumenting:", ours)
MODE
def wrapped(cls, name):
    return hasattr(cls.__dict__[name], "__wrapped__")
import autogen_agentchat.teams, autogen.agentchat.conversable_agent, agent_framework
print("teams patched:", wrapped(autogen_agentchat.teams.BaseGroupChat, "run"))
print("ag2 patched:", wrapped(autogen.agentchat.conversable_agent.ConversableAgent, "generate_reply"))
print("maf patched:", wrapped(agent_framework.BaseChatClient, "get_response"))
"""


def _run(mode: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONWARNINGS"] = "ignore"
    done = subprocess.run([sys.executable, "-c", CHECK.replace("MODE", mode)], env=env, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_instrumenting_imports_no_framework_and_patches_on_import():
    out = _run("")
    assert "imported by instrumenting: []" in out
    assert "of ours, imported by instrumenting: []" in out  # patch modules and telemetry wait too
    assert "teams patched: True" in out and "ag2 patched: True" in out and "maf patched: True" in out


def test_a_framework_imported_from_another_thread_is_patched():
    out = _run("t = threading.Thread(target=lambda: __import__('autogen_agentchat.teams')); t.start(); t.join()")
    assert "teams patched: True" in out


@pytest.mark.parametrize("when", ["before", "after"])
def test_uninstrument_disarms_patches_never_triggered(when):
    imports = "import autogen_agentchat.teams, autogen.agentchat.conversable_agent, agent_framework\n"
    undo = "for each in instrumentors:\n    each.uninstrument()\n"
    out = _run(undo if when == "before" else imports + undo)
    assert "teams patched: False" in out and "ag2 patched: False" in out and "maf patched: False" in out
