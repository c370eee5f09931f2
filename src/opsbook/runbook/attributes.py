"""Attributes in braces after a command: `{host=db timeout=5m}` or JSON `{"host": "db"}`."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from opsbook.runbook.durations import format_duration, parse_duration
from opsbook.runbook.host_share import parse_share
from opsbook.runbook.model import Attrs
from opsbook.runbook.problems import ValueProblem

KNOWN_KEYS = (
    "host",
    "timeout",
    "retries",
    "delay",
    "cwd",
    "confirm",
    "approvals",
    "expect",
    "name",
    "continue_on_error",
    "parallel",
    "max_fail",
    "batch",
    "unattended",
)
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def parse_attrs(text: str) -> Attrs:
    """Read the inside of the braces (with or without them) into typed attributes."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1].strip()
    if not body:
        return Attrs()
    raw = _read_json(body) if body.startswith('"') else _read_pairs(body)
    return _typed(raw)


def _read_json(body: str) -> dict[str, Any]:
    try:
        value = json.loads("{" + body + "}")
    except json.JSONDecodeError as exc:
        raise ValueProblem(f"attributes are not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise ValueProblem("attributes must be an object")
    return value


def _read_pairs(body: str) -> dict[str, Any]:
    # Commas separate pairs like spaces do, but not inside quotes: {expect="a,b"}.
    lexer = shlex.shlex(body, posix=True)
    lexer.whitespace += ","
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        words = list(lexer)
    except ValueError as exc:
        raise ValueProblem(
            f"cannot read attributes: {exc}", 'quote values with spaces: "a b"'
        ) from None
    pairs: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            # A bare word is a flag: `{confirm}` means confirm=true.
            pairs[key] = "true"
        else:
            pairs[key.strip()] = value
    return pairs


def _typed(raw: dict[str, Any]) -> Attrs:
    unknown = [k for k in raw if k not in KNOWN_KEYS]
    if unknown:
        raise ValueProblem(
            f'unknown attribute "{unknown[0]}"',
            "known attributes: " + ", ".join(KNOWN_KEYS),
        )
    values: dict[str, Any] = {}
    for key, value in raw.items():
        text = str(value).strip()
        if key in ("timeout", "delay"):
            values[key] = float(value) if isinstance(value, int | float) else parse_duration(text)
        elif key in ("retries", "approvals", "parallel"):
            values[key] = _integer(key, text)
        elif key in ("max_fail", "batch"):
            values[key] = str(parse_share(key, text))
        elif key in ("confirm", "continue_on_error", "unattended"):
            values[key] = _boolean(key, value)
        else:
            values[key] = text
    return Attrs(**values)


def _integer(key: str, text: str) -> int:
    if not re.fullmatch(r"\d+", text):
        raise ValueProblem(f'attribute {key}="{text}" is not a whole number', f"e.g. {key}=2")
    return int(text)


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueProblem(f'attribute {key}="{value}" is not true or false', f"e.g. {key}=true")


def format_attrs(attrs: Attrs) -> str:
    """Write attributes back as `{key=value ...}`, or "" when all are defaults."""
    parts = []
    for key, value in attrs.written().items():
        if key in ("timeout", "delay"):
            text = format_duration(float(value))
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        if not re.fullmatch(r"[^\s\"'{}=,\\]+", text):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return "{" + " ".join(parts) + "}" if parts else ""
