"""Write a `Runbook` as one self-contained, printable HTML page for the person on call.

Everything from the document is escaped (Jinja2 autoescape; prose goes through markdown-it
with raw HTML off). The page shows the redacted runbook (`redact.public_runbook`): secret
values and credentials in URLs are hidden, and the front matter's settings are not shown at all.
"""

from __future__ import annotations

import re
import shlex
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from opsbook.runbook.durations import format_duration
from opsbook.runbook.markdown_pieces import duration_words, threshold
from opsbook.runbook.model import Attrs, Runbook, Section, Step
from opsbook.runbook.redact import public_runbook
from opsbook.runbook.secret_names import is_secret_name

TEMPLATES = Path(__file__).parent / "templates"
# The page's styles, every rule scoped to `.opsbook-runbook`: inlined in the standalone page,
# linked as a stylesheet by a page that embeds the body (a CSP without inline styles).
STYLESHEET = TEMPLATES / "runbook.css"


def render_html(runbook: Runbook) -> str:
    """Render the runbook as a standalone HTML page."""
    return _render("runbook.html", runbook)


def render_body(runbook: Runbook) -> str:
    """Render the runbook as a fragment for another page, which links STYLESHEET."""
    return _render("runbook_body.html", runbook)


def _render(template: str, runbook: Runbook) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        md=block_markdown,
        inline=inline_markdown,
        duration=lambda s: "—" if s is None else duration_words(s),
        threshold=lambda v: "—" if v is None else threshold(v),
        shquote=shlex.quote,
    )
    runbook = public_runbook(runbook)
    secrets = {v.name for v in runbook.env_vars if v.secret}
    env.globals.update(
        badges=attr_badges,
        reach=reach_link,
        secret=lambda name: name in secrets or is_secret_name(name),
    )
    intro, notes = prose(runbook)
    toc = contents(runbook, bool(intro), bool(notes))
    return env.get_template(template).render(rb=runbook, toc=toc, intro=intro, notes=notes)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def block_markdown(text: str) -> Markup:
    """Render prose from the runbook as HTML; raw HTML in it is escaped, not passed through."""
    # Safe to mark: with html off, markdown-it escapes any raw HTML in the text.
    return Markup(_markdown().render(text))


def inline_markdown(text: str) -> Markup:
    """Render one line of text (code spans, emphasis, links) as inline HTML."""
    return Markup(_markdown().renderInline(text))


def attr_badges(step: Step) -> list[tuple[str, str]]:
    """Describe a step's attributes as short (text, kind) badges for people."""
    a: Attrs = step.attrs
    out: list[tuple[str, str]] = []
    if step.command is None:
        out.append(("by hand", "manual"))
    if a.host:
        out.append((f"on {a.host}", "host"))
    if a.confirm:
        out.append(("asks to confirm", "warn"))
    if a.approvals:
        out.append((f"needs {a.approvals} approval{'s' if a.approvals > 1 else ''}", "warn"))
    if a.timeout is not None:
        out.append((f"timeout {format_duration(a.timeout)}", ""))
    if a.retries:
        delay = f" every {format_duration(a.delay)}" if a.delay else ""
        out.append((f"retries {a.retries}{delay}", ""))
    elif a.delay:
        out.append((f"delay {format_duration(a.delay)}", ""))
    if a.cwd:
        out.append((f"in {a.cwd}", ""))
    if a.expect is not None:
        out.append((f"expects {a.expect}", ""))
    if a.continue_on_error:
        out.append(("continues on error", ""))
    if a.parallel:
        out.append((f"{a.parallel} at a time", ""))
    if a.batch:
        out.append((f"in batches of {a.batch}", ""))
    if a.max_fail:
        out.append((f"{a.max_fail} {'of hosts' if '%' in a.max_fail else 'hosts'} may fail", ""))
    if a.name:
        out.append((f"“{a.name}”", ""))
    out.extend((f"needs <{p}>", "param") for p in step.placeholders)
    return out


def reach_link(contact: str) -> str | None:
    """Return a mailto: or tel: link for an e-mail address or a phone number, else None."""
    text = contact.strip()
    if re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[A-Za-z]{2,}", text):
        return f"mailto:{text}"
    phone = re.match(r"^\+?[\d\s().-]{6,}\d", text)
    if phone:
        return "tel:" + re.sub(r"[^\d+]", "", phone.group(0))
    return None


def prose(rb: Runbook) -> tuple[list[Section], list[tuple[str, list[str]]]]:
    """Split kept prose into the intro (before and under the title) and titled notes."""
    intro = [s for s in rb.extra_sections if s.level == 0 or (s.level == 1 and s.title == rb.title)]
    notes: list[tuple[str, list[str]]] = []
    for section in rb.extra_sections:
        if section in intro:
            continue
        if notes and notes[-1][0] == section.title:
            notes[-1][1].append(section.body)
        else:
            notes.append((section.title, [section.body]))
    return intro, notes


def contents(rb: Runbook, intro: bool = False, notes: bool = False) -> list[dict[str, Any]]:
    """Return the table of contents: (anchor, title, children) for sections with content."""
    dr = rb.disaster_recovery
    sections: list[tuple[str, str, bool, list[tuple[str, str]]]] = [
        ("contacts", "Emergency contacts", bool(rb.contacts), []),
        ("overview", "Overview", bool(intro or rb.purpose or rb.dashboard or rb.hosts), []),
        (
            "procedures",
            "Procedures",
            bool(rb.procedures),
            [(f"proc-{p.id}", p.name) for p in rb.procedures],
        ),
        (
            "monitoring",
            "Monitoring & alerting",
            bool(rb.metrics or rb.alert_rules or _any_time(rb)),
            [],
        ),
        (
            "troubleshooting",
            "Troubleshooting",
            bool(rb.troubleshooting),
            [(f"issue-{i.id}", i.title) for i in rb.troubleshooting],
        ),
        (
            "incidents",
            "Incident response",
            bool(
                rb.severity_levels
                or rb.incident_process
                or rb.security_response.steps
                or rb.security_response.evidence
            ),
            [],
        ),
        ("maintenance", "Maintenance", bool(rb.maintenance_tasks), []),
        ("configuration", "Configuration", bool(rb.config_files or rb.env_vars), []),
        (
            "disaster-recovery",
            "Disaster recovery",
            bool(dr.rto_text or dr.rpo_text or dr.steps),
            [],
        ),
        ("appendix", "Appendix", bool(rb.useful_commands or rb.log_locations or rb.references), []),
        ("notes", "Notes", notes, []),
        ("versions", "Version history", bool(rb.version_history), []),
    ]
    return [
        {"anchor": anchor, "title": title, "children": children}
        for anchor, title, shown, children in sections
        if shown
    ]


def _any_time(rb: Runbook) -> bool:
    t = rb.response_times
    return any(v is not None for v in (t.critical, t.high, t.medium, t.low))
