"""Jinja2 templates for the dashboard, with the filters the pages use."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.responses import Response

from opsbook import __version__
from opsbook.access.model import Principal
from opsbook.access.roles import Role, allows
from opsbook.moments import aware, exact, relative
from opsbook.procedures.attempt_groups import tries
from opsbook.procedures.host_ranges import folded
from opsbook.runbook.redact import is_secret_parameter
from opsbook.web.oncall_view import on_call_now
from opsbook.web.state import app_state

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Templates ship with the package and never change under a running server: no stat per render.
TEMPLATES.env.auto_reload = False

TONES = {
    "succeeded": "ok",
    "passed": "ok",
    "done": "ok",
    "confirmed": "ok",
    "approved": "ok",
    "running": "run",
    "waiting": "warn",
    "queued": "run",
    "skipped": "muted",
    "failed": "bad",
    "rolled-back": "bad",
    "interrupted": "warn",
    "aborted": "bad",
    "failed-ignored": "warn",
    "not-run": "muted",
    "timed-out": "bad",
    "error": "bad",
}

# A metric's or an alert's severity by the line crossed: ok, warning, critical.
LEVEL_TONES = {"ok": "ok", "warning": "warn", "critical": "bad"}


@pass_context
def _when(context: Context, value: datetime | str | None, kind: str = "") -> Markup:
    """Show a time as people read it: relative text, the exact time on hover.

    `kind` "due" reads a deadline (`in 11 min`, `overdue by 3 min`). /static/moments.js
    puts the exact time in the reader's own zone and keeps the relative text current.
    """
    if value is None or value == "":
        return Markup("—")
    moment = aware(value).astimezone(UTC)
    now = context.get("now")
    text = relative(moment, now, due=kind == "due") if isinstance(now, datetime) else exact(moment)
    return Markup('<time datetime="{}" data-when="{}" title="{}">{}</time>').format(
        moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        kind or "ago",
        exact(moment),
        text,
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def _attr(name: str, value: object) -> str:
    """Show a step attribute as it would be written: `timeout=1m`, not `timeout=60.0`."""
    if name in ("timeout", "delay") and isinstance(value, int | float):
        seconds = float(value)
        for unit, size in (("h", 3600), ("m", 60)):
            if seconds >= size and seconds % size == 0:
                return f"{name}={int(seconds // size)}{unit}"
        return f"{name}={seconds:g}s"
    if isinstance(value, bool):
        return f"{name}={'true' if value else 'false'}"
    return f"{name}={value}"


def _markdown(text: str) -> Markup:
    # lazy: markdown-it is loaded with the runbook anyway, but not by every page
    from opsbook.runbook.render_html import block_markdown

    return block_markdown(text)


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.globals["attr_text"] = _attr
TEMPLATES.env.filters["duration"] = _duration
TEMPLATES.env.filters["md"] = _markdown
# A run's attempts as tries of a step, hosts grouped by identical output; hosts folded.
TEMPLATES.env.filters["tries"] = tries
TEMPLATES.env.filters["folded"] = folded
TEMPLATES.env.filters["level_tone"] = lambda level: LEVEL_TONES.get(str(level), "muted")
TEMPLATES.env.filters["tone"] = lambda status: TONES.get(str(status), "muted")
TEMPLATES.env.globals["version"] = __version__
TEMPLATES.env.globals["is_secret_parameter"] = is_secret_parameter


def page(
    request: Request,
    name: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """Render a dashboard page with what every page shows (system, user, banner)."""
    state = app_state(request)
    runbook = state.source.runbook
    base = {
        "principal": principal,
        "csrf": principal.csrf if principal else "",
        "can_operate": principal is not None and allows(principal.role, Role.OPERATOR),
        "is_admin": principal is not None and allows(principal.role, Role.ADMIN),
        "system": runbook.system,
        "system_name": runbook.system.name or runbook.title or "opsbook",
        "source": state.source,
        "path": request.url.path,
        "now": state.clock(),
        "on_call_now": on_call_now(state),
    }
    return TEMPLATES.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
