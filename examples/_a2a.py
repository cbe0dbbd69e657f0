"""Starts ``a2a_server.py`` for the A2A examples and waits for it. The server inherits this
process's environment: run under opentelemetry-instrument, so is the server (its PYTHONPATH
carries the auto-instrumentation), reporting as a service of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def remote_agent(family: str) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OTEL_SERVICE_NAME": "city-facts"}
    env.pop("OPENAI_BASE_URL", None)
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("a2a_server.py")), family, str(port)],
                              env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the A2A server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()  # uvicorn shuts down cleanly; its exporters flush on the way out
        server.wait(30)
