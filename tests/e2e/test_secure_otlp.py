"""Exposing OTLP safely, end to end: the real collector with deploy/otel-collector.secure-otlp.yaml
(TLS + bearer token on both OTLP receivers), certificates and a token generated here, and apps
sending the way the README tells them to (OTEL_EXPORTER_OTLP_HEADERS / _CERTIFICATE).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from .otlp_grpc_sink import OTLPGrpcSink
from .test_stack import DEPLOY, binary, collector_env, free_port, stop_all, wait_for

pytestmark = pytest.mark.e2e

APP = """
from opentelemetry import trace
with trace.get_tracer("e2e").start_as_current_span("secure-probe-MODE"):
    pass
"""


def make_certificates(out: Path) -> None:
    """A throwaway CA and a server certificate for localhost / 127.0.0.1 it signed."""
    def openssl(*args: str) -> None:
        done = subprocess.run(["openssl", *args], cwd=out, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=autogen-otel e2e CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tls.key", "-out", "server.csr",
            "-subj", "/CN=localhost")
    (out / "san.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "tls.crt", "-days", "2", "-extfile", "san.cnf")


class Secured:
    def __init__(self, tmp: Path) -> None:
        self.dir = tmp
        make_certificates(tmp)
        self.token = "e2e-" + secrets.token_urlsafe(24)
        (tmp / "token").write_text(self.token + "\n")
        self.sink = OTLPGrpcSink()
        self.http_port, self.grpc_port, self.health_port = free_port(), free_port(), free_port()
        env = collector_env(tmp / "queue", self.sink.port, http=self.http_port, grpc=self.grpc_port,
                            health=self.health_port, OTLP_TOKEN_FILE=str(tmp / "token"),
                            OTLP_TLS_CERT_FILE=str(tmp / "tls.crt"), OTLP_TLS_KEY_FILE=str(tmp / "tls.key"))
        self.log = tmp / "collector.log"
        self.procs = [subprocess.Popen([str(binary("otelcol-autogen")), f"--config={DEPLOY / 'otel-collector.yaml'}",
                                        f"--config={DEPLOY / 'otel-collector.secure-otlp.yaml'}"],
                                       env=env, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)]
        wait_for(f"http://127.0.0.1:{self.health_port}/")

    def send(self, mode: str, endpoint: str, protocol: str, token: str | None) -> subprocess.CompletedProcess[str]:
        """One span from an app under opentelemetry-instrument, configured only by the environment."""
        # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE would replace the CA the exporter is given (requests
        # lets them override a session's verify): a user with them set must unset them too.
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith(("OTEL_", "OPENAI_")) and k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
        environment.update({"OTEL_SERVICE_NAME": "e2e-secure-app", "OTEL_TRACES_EXPORTER": "otlp",
                            "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
                            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
                            "OTEL_EXPORTER_OTLP_CERTIFICATE": str(self.dir / "ca.pem"),
                            "OTEL_EXPORTER_OTLP_TIMEOUT": "5"})
        if token is not None:
            environment["OTEL_EXPORTER_OTLP_HEADERS"] = f"Authorization=Bearer {token}"
        return subprocess.run([str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable, "-c",
                               APP.replace("MODE", mode)], env=environment, capture_output=True, text=True,
                              timeout=120, check=False)

    def received(self, mode: str) -> bool:
        return any(s["name"] == f"secure-probe-{mode}" for s in self.sink.spans)

    def stop(self) -> None:
        stop_all(self.procs)
        self.sink.stop()


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    s = Secured(tmp_path_factory.mktemp("secure"))
    try:
        yield s
    finally:
        s.stop()


def wait_received(secured: Secured, mode: str, timeout: float = 20) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if secured.received(mode):
            return True
        time.sleep(0.3)
    return False


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_with_the_token_over_tls_spans_arrive(secured, protocol):
    port = secured.http_port if protocol == "http/protobuf" else secured.grpc_port
    done = secured.send(f"ok-{protocol}", f"https://localhost:{port}", protocol, secured.token)
    assert wait_received(secured, f"ok-{protocol}"), done.stderr[-2000:]
    assert "Failed to export" not in done.stderr


@pytest.mark.parametrize("protocol,says", [("http/protobuf", "401"), ("grpc", "UNAUTHENTICATED")])
def test_without_the_token_the_app_is_refused_and_says_so(secured, protocol, says):
    port = secured.http_port if protocol == "http/protobuf" else secured.grpc_port
    for mode, token in ((f"none-{protocol}", None), (f"wrong-{protocol}", "not-the-token")):
        done = secured.send(mode, f"https://localhost:{port}", protocol, token)
        assert says in done.stderr, done.stderr[-2000:]
    assert not wait_received(secured, f"none-{protocol}", timeout=3)
    assert not secured.received(f"wrong-{protocol}")


def test_plaintext_is_refused_when_tls_is_on(secured):
    done = secured.send("plain", f"http://localhost:{secured.http_port}", "http/protobuf", secured.token)
    assert "Failed to export" in done.stderr, done.stderr[-2000:]
    assert not wait_received(secured, "plain", timeout=3)


def test_the_token_never_appears_in_logs_or_telemetry(secured):
    secured.send("leak-check", f"https://localhost:{secured.http_port}", "http/protobuf", secured.token)
    assert wait_received(secured, "leak-check")
    assert secured.token not in secured.log.read_text()
    assert not [s for s in secured.sink.spans if secured.token in repr(s)]
