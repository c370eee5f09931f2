"""ASGI middleware: the request guard, security headers on every response, and metrics.

Pure ASGI, and cheap: the webhook takes tens of thousands of alerts a second through it. The
guard (rules in `web/request_guard.py`) refuses, before any route runs, a path or query
string that is not text (422), a body over its limit (413: 1 MiB, 8 MiB for the webhook;
Content-Length is checked first, and a streamed body is counted as it arrives), and form
fields or JSON strings that are not text (422). The Alertmanager webhook is exempt from the
text checks only: Alertmanager does not retry a 4xx, so that route cleans what it stores.

An exception no handler took is answered here with a 500 that carries the security headers
too (Starlette's own 500 comes from outside this middleware), then re-raised for the log.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opsbook.errors import HTTP_STATUS, DomainError
from opsbook.web import request_guard as guard
from opsbook.web.metrics import WebMetrics

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
]
# Over https (the connection's scheme, or a trusted proxy's X-Forwarded-Proto): browsers
# should never try plain http on this host again.
HSTS = (b"strict-transport-security", b"max-age=31536000")
# Counted for a client that went away while sending its body (nginx's code for it).
CLIENT_LEFT = 499
INTERNAL_ERROR = "the server failed to answer this request; its log says why"


class ServerMiddleware:
    """Guard requests, add security headers, count every request by route and status."""

    def __init__(self, app: ASGIApp, metrics: WebMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: list[Any] = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS)
                if scope.get("scheme") == "https":
                    headers.append(HSTS)
                message = {**message, "headers": headers}
            await send(message)

        try:
            admitted = await _admit(scope, receive)
            if isinstance(admitted, DomainError):
                await _refuse(send_with_headers, admitted)
            elif admitted is None:
                status = CLIENT_LEFT
            else:
                await self.app(scope, admitted, send_with_headers)
        except Exception:
            if not status:
                await _answer(send_with_headers, 500, INTERNAL_ERROR)
            raise
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            if template.startswith("/static"):
                template = "/static"
            self.metrics.http_requests.labels(scope["method"], template, str(status or 500)).inc()
            self.metrics.http_seconds.labels(template).observe(time.perf_counter() - started)


async def _admit(scope: Scope, receive: Receive) -> Receive | DomainError | None:
    """Return the receive to hand the app, the refusal of the request, or None if it left."""
    path: str = scope["path"]
    exempt = path == guard.WEBHOOK_PATH
    if not exempt:
        raw_path = scope.get("raw_path") or path.encode("utf-8", "surrogatepass")
        problem = guard.url_problem(raw_path, "the URL path") or guard.pairs_problem(
            scope.get("query_string", b""), "query parameter"
        )
        if problem is not None:
            return problem
    length, content_type, has_body = _body_headers(scope)
    if not has_body:
        return receive
    limit = guard.body_limit(path)
    if length is not None and length > limit:
        return guard.too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return guard.too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    if not exempt and body and (problem := guard.body_problem(body, content_type)):
        return problem
    return _replay(body, receive)


def _body_headers(scope: Scope) -> tuple[int | None, str, bool]:
    """Return the declared Content-Length, the Content-Type, and whether a body follows."""
    length: int | None = None
    content_type = ""
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
        elif name == b"content-type":
            content_type = value.decode("latin-1")
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    return length, content_type, chunked or bool(length)


def _replay(body: bytes, receive: Receive) -> Receive:
    """Return a receive that gives the app the body already read, then the client's events."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, error: DomainError) -> None:
    await _answer(send, HTTP_STATUS[error.kind], str(error))


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
