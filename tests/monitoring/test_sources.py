"""Metric sources against real things: this machine, a local HTTP server, real commands."""

from __future__ import annotations

import asyncio
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsbook.monitoring.sources.base import SourceError
from opsbook.monitoring.sources.build import source_for
from opsbook.monitoring.sources.cmd import CommandSource
from opsbook.monitoring.sources.host import HostSource
from opsbook.monitoring.sources.http import LATENCY, HttpSource
from opsbook.monitoring.sources.prom import PromSource
from opsbook.runbook.model import Attrs, Metric, Runbook


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 503)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def web() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read(source: object) -> object:
    return asyncio.run(source.read())  # type: ignore[attr-defined]


def test_host_figures_are_percentages_of_this_machine(tmp_path: Path) -> None:
    for spec in ("cpu_percent", "memory_percent", f"disk_percent:{tmp_path}"):
        reading = read(HostSource("m", spec))
        assert reading.error is None and 0 <= reading.value <= 100, spec  # type: ignore[attr-defined]
    assert read(HostSource("m", "load1")).value >= 0  # type: ignore[attr-defined]


def test_missing_disk_is_an_error_not_a_zero() -> None:
    reading = read(HostSource("m", "disk_percent:/no/such/dir"))
    assert reading.value is None and "No such file" in reading.error  # type: ignore[attr-defined]


def test_unknown_host_figure_is_refused() -> None:
    with pytest.raises(SourceError, match="cpu_percent"):
        HostSource("m", "gpu_percent")


@pytest.mark.process
def test_http_up_with_latency_and_down_as_zero(web: str) -> None:
    up = read(HttpSource("m", f"{web}/health"))
    assert up.value == 1.0 and up.values[LATENCY] > 0  # type: ignore[attr-defined]
    assert read(HttpSource("m", f"{web}/broken")).value == 0.0  # type: ignore[attr-defined]
    closed = read(HttpSource("m", f"http://127.0.0.1:{free_port()}/", timeout=2))
    assert closed.value == 0.0 and closed.error is None  # type: ignore[attr-defined]


@pytest.mark.process
def test_command_prints_a_number(tmp_path: Path) -> None:
    assert read(CommandSource("m", "echo 'items:'; echo 42", str(tmp_path))).value == 42.0  # type: ignore[attr-defined]
    assert read(CommandSource("m", "pwd >/dev/null; echo 73%", str(tmp_path))).value == 73.0  # type: ignore[attr-defined]


@pytest.mark.process
@pytest.mark.parametrize(
    ("command", "error"),
    [("echo many", 'printed "many"'), ("echo 5; exit 3", "status 3"), ("sleep 5", "timed out")],
)
def test_failing_command_is_an_error_not_a_zero(tmp_path: Path, command: str, error: str) -> None:
    reading = read(CommandSource("m", command, str(tmp_path), timeout=0.5))
    assert reading.value is None and error in reading.error  # type: ignore[attr-defined]


def test_prom_without_an_address_says_what_to_write() -> None:
    with pytest.raises(SourceError, match="prometheus_url"):
        PromSource("m", "up", None)


@pytest.mark.process
def test_prom_that_does_not_answer_is_an_error() -> None:
    reading = read(PromSource("m", "up", f"http://127.0.0.1:{free_port()}", timeout=2))
    assert reading.value is None and "did not answer" in reading.error  # type: ignore[attr-defined]


def test_sources_are_built_from_the_runbook_text(tmp_path: Path) -> None:
    runbook = Runbook(
        path=str(tmp_path / "RUNBOOK.md"), settings={"prometheus_url": "http://p:9090"}
    )
    cmd = source_for(Metric("Items", "cmd:ls | wc -l", "items", attrs=Attrs(timeout=3)), runbook)
    assert isinstance(cmd, CommandSource) and cmd.cwd == str(tmp_path) and cmd.timeout == 3
    prom = source_for(Metric("Rate", "prom:sum(rate(x[5m]))", "rate"), runbook)
    assert isinstance(prom, PromSource) and prom.url == "http://p:9090/api/v1/query"
    with pytest.raises(SourceError, match="source kind"):
        source_for(Metric("X", "snmp:1.3.6", "x"), runbook)
