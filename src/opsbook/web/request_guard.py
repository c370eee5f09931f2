"""What a request must be before any route sees it: text that is text, and a bounded body.

Pure: the middleware (`web/middleware.py`) passes the request's parts in and answers a refusal
with its kind's status. PostgreSQL refuses NUL in text, a lone surrogate cannot be encoded
as UTF-8, and the session shell's wire ends a field at NUL, so such text is refused at the
edge: in the path, the query string, form fields and JSON strings. Checks cost a scan of
bytes; a JSON body is parsed a second time only when its bytes hold a `\\u0000` or a
surrogate escape (`\\ud800`..`\\udfff`), and then only to tell a lone surrogate from a pair.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from opsbook.errors import BadInput, DomainError, TooLarge
from opsbook.inputs import text_problem

MiB = 1024 * 1024
# Bodies of the API and the dashboard's forms: a runbook's largest form is far below this.
MAX_BODY = 1 * MiB
# Alertmanager sends a group's alerts in one body; bound it with `max_alerts` in its config.
MAX_WEBHOOK_BODY = 8 * MiB
WEBHOOK_PATH = "/api/v1/alertmanager"

_HINT = "send valid UTF-8 text without NUL characters"
_TEXT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def body_limit(path: str) -> int:
    """Return the largest body accepted on this path, in bytes."""
    return MAX_WEBHOOK_BODY if path == WEBHOOK_PATH else MAX_BODY


def too_large(limit: int) -> TooLarge:
    """Return the refusal of a body over `limit` bytes."""
    return TooLarge(
        f"the request body is over the limit of {limit} bytes ({limit // MiB} MiB)",
        "send less: split the work into several requests",
    )


def bytes_problem(data: bytes, where: str) -> DomainError | None:
    """Return why these bytes are not text (a NUL, invalid UTF-8), or None."""
    if b"\0" in data:
        return BadInput(f"{where} contains a NUL character", _HINT)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return BadInput(f"{where} is not valid UTF-8", _HINT)
    return None


def url_problem(raw: bytes, where: str) -> DomainError | None:
    """Return why a percent-encoded path is not text, or None."""
    return bytes_problem(unquote_to_bytes(raw) if b"%" in raw else raw, where)


def pairs_problem(raw: bytes, where: str) -> DomainError | None:
    """Return why a query string or urlencoded form has a field that is not text, or None."""
    if url_problem(raw, where) is None:
        return None  # the common case: one scan of the whole string
    for pair in raw.split(b"&"):
        name = pair.partition(b"=")[0]
        label = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
        if problem := url_problem(pair, f"{where} {label!r}"):
            return problem
    return url_problem(raw, where)


def json_problem(body: bytes) -> DomainError | None:
    """Return why a JSON body holds text that is not text (NUL, lone surrogate), or None."""
    problem = bytes_problem(body, "the request body")
    # A backslash first: one memchr, many times cheaper than the pattern over the body.
    if problem is not None or b"\\" not in body or not _TEXT_ESCAPE.search(body):
        return problem
    try:
        document = json.loads(body)
    except ValueError:
        return None  # not JSON: the route refuses it as such
    return _json_text_problem(document, "body")


def _json_text_problem(node: Any, where: str) -> DomainError | None:
    if isinstance(node, str):
        problem = text_problem(node)
        return BadInput(f"{where} {problem}", _HINT) if problem else None
    if isinstance(node, list):
        for index, item in enumerate(node):
            if found := _json_text_problem(item, f"{where}[{index}]"):
                return found
    elif isinstance(node, dict):
        for key, value in node.items():
            if text_problem(key):
                # Never echo the key itself: it may not even be encodable.
                return BadInput(f"a key in {where} {text_problem(key)}", _HINT)
            if found := _json_text_problem(value, f"{where}.{key}"):
                return found
    return None


def multipart_problem(body: bytes, content_type: str) -> DomainError | None:
    """Return why a multipart form's text fields are not text, or None (files are bytes)."""
    if bytes_problem(body, "") is None:
        return None  # the whole body is text, so every field is
    boundary = _boundary(content_type)
    if boundary is None:
        return None  # malformed: the form parser refuses it
    for part in body.split(b"--" + boundary):
        head, blank, content = part.partition(b"\r\n\r\n")
        if not blank or b"filename=" in head.lower():
            continue
        name = re.search(rb'name="([^"]*)"', head)
        field = name.group(1).decode("utf-8", "replace") if name else "?"
        if problem := bytes_problem(head + content.removesuffix(b"\r\n"), f"form field {field!r}"):
            return problem
    return None


def _boundary(content_type: str) -> bytes | None:
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    return None


def body_problem(body: bytes, content_type: str) -> DomainError | None:
    """Return why a request body carries text that is not text, by its content type."""
    kind = content_type.partition(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return pairs_problem(body, "form field")
    if kind == "multipart/form-data":
        return multipart_problem(body, content_type)
    return json_problem(body)
