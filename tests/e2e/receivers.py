"""Where the e2e suite's Alertmanager delivers: a webhook receiver and an SMTP sink on loopback."""

from __future__ import annotations

import json
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    """Collects the JSON bodies Alertmanager's webhook integration posts."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with owner._lock:
                    owner.notifications.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def received(self, alertname: str, status: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [n for n in self.notifications if n["commonLabels"].get("alertname") == alertname
                    and (status is None or n["status"] == status)]

    def stop(self) -> None:
        self._server.shutdown()


class SMTPSink:
    """A real SMTP server (aiosmtpd) keeping every message it is sent."""

    def __init__(self, port: int) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        self.raw: list[bytes] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.raw.append(envelope.original_content or envelope.content)
                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.port = port
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
