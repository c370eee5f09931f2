"""The runbook as an HTML page: the document helper's renderer when present, else Markdown."""

from __future__ import annotations

import importlib
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

from opsbook.web.runbook_source import RunbookSource


def runbook_html(source: RunbookSource) -> Markup:
    """Return the body HTML of the rendered runbook."""
    try:
        module: Any = importlib.import_module("opsbook.runbook.render_html")
    except ImportError:
        module = None
    if module is not None and hasattr(module, "render_body"):
        return Markup(module.render_body(source.runbook))
    return Markup(_markdown(source))


def _markdown(source: RunbookSource) -> str:
    text = source.path.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            text = text[end + 4 :]
    # html=False: raw HTML in the runbook is shown as text, never injected into the page.
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    return str(md.render(text))
