"""Stable ids for procedures and issues (`Cache Warmup Procedure` → `cache-warmup`) and titles
normalised for matching."""

from __future__ import annotations

import re

from opsbook.runbook.blocks import strip_emphasis


def slug(text: str) -> str:
    """Lower-case words of the text joined by `-`."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)


def procedure_id(name: str) -> str:
    """Return the id of a procedure: its name without the word Procedure, slugged."""
    words = [w for w in re.findall(r"[a-z0-9]+", name.lower()) if w != "procedure"]
    return "-".join(words) or "procedure"


def norm(title: str) -> str:
    """Normalise a heading or label: `Monitoring & Alerting` → `monitoring and alerting`."""
    text = strip_emphasis(title).lower().replace("&", " and ")
    return " ".join(re.findall(r"[a-z0-9]+", text))
