"""Real peers for notification tests: an aiosmtpd SMTP server and an HTTP receiver."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Any] = field(default_factory=list)

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address in m["rcpt"]]


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a free loopback port, keeping what it receives."""
    from email import message_from_bytes

    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", free_port())

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            parsed = message_from_bytes(envelope.content)
            box.messages.append(
                {
                    "rcpt": list(envelope.rcpt_tos),
                    "subject": parsed["Subject"],
                    "body": parsed.get_payload(decode=True).decode(),
                }
            )
            return "250 OK"

    controller = Controller(Keep(), hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()


@dataclass
class Receiver:
    url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    # Status codes to answer with, in order; 200 once they run out.
    answers: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server that records JSON POSTs and answers with scripted statuses."""
    holder: list[Receiver] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            target = holder[0]
            target.bodies.append(json.loads(body))
            status = target.answers.pop(0) if target.answers else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status < 400 else b"try later")

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder[0]
    server.shutdown()
