"""Check the Environment Variables table against an environment, never showing a secret.

A required variable must be set (non-empty); one with a default that is unset runs with
its default; a format, where the row's Description gives one as `format: <kind>` (integer,
port, number, boolean, url, path, email) or `format: /regex/`, must match the value in use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from opsbook.deploy.views import EnvCheckView, EnvReport
from opsbook.runbook.model import EnvVar, Runbook

_FORMAT = re.compile(r"format:\s*(?:`([^`]+)`|(\S+))", re.IGNORECASE)
_BOOLEANS = {"1", "0", "true", "false", "yes", "no", "on", "off"}


def _is_int(value: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", value) is not None


def _is_port(value: str) -> bool:
    return value.isdigit() and 0 < int(value) < 65536


def _is_number(value: str) -> bool:
    return re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value) is not None


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


KINDS: dict[str, Callable[[str], bool]] = {
    "integer": _is_int,
    "int": _is_int,
    "port": _is_port,
    "number": _is_number,
    "boolean": lambda v: v.lower() in _BOOLEANS,
    "bool": lambda v: v.lower() in _BOOLEANS,
    "url": _is_url,
    "path": lambda v: bool(v) and "\0" not in v,
    "email": lambda v: re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v) is not None,
}


def format_of(var: EnvVar) -> str:
    """Return the format the row gives (`integer`, `/regex/`), or empty."""
    match = _FORMAT.search(var.description)
    if not match:
        return ""
    return (match.group(1) or match.group(2)).rstrip(".,;)")


def matches(fmt: str, value: str) -> bool | None:
    """Say whether the value has the format; None: the format is not one opsbook knows."""
    if len(fmt) >= 2 and fmt.startswith("/") and fmt.endswith("/"):
        try:
            return re.fullmatch(fmt[1:-1], value) is not None
        except re.error:
            return None
    check = KINDS.get(fmt.lower())
    return None if check is None else bool(check(value))


def check_environment(runbook: Runbook, environ: Mapping[str, str], host: str) -> EnvReport:
    """Return each variable of the table as `environ` has it, and whether all hold."""
    out: list[EnvCheckView] = []
    for var in runbook.env_vars:
        out.append(_check(var, environ.get(var.name)))
    return EnvReport(host, tuple(out), all(v.status in ("ok", "default", "unset") for v in out))


def _check(var: EnvVar, value: str | None) -> EnvCheckView:
    fmt = format_of(var)
    shown = None if var.secret else value

    def view(status: str, message: str, value: str | None = shown) -> EnvCheckView:
        return EnvCheckView(
            var.name, status, var.required, var.secret, value, var.default, fmt, message
        )

    if not value:
        if var.required:
            return view("missing", "required, and not set", None)
        if var.default:
            in_use = var.default
            if fmt and matches(fmt, in_use) is False:
                return view("bad format", f"its default does not match {fmt}", None)
            return view("default", f"not set: runs with the default {in_use}", None)
        return view("unset", "not set; optional, no default", None)
    if fmt:
        ok = matches(fmt, value)
        if ok is None:
            return view("ok", f"set; format {fmt!r} is not one opsbook checks")
        if not ok:
            return view("bad format", f"set, but does not match {fmt}")
    return view("ok", "set")
