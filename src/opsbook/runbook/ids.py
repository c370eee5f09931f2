"""Stable ids for procedures and issues: `Cache Warmup Procedure` → `cache-warmup`."""

from __future__ import annotations

import re


def slug(text: str) -> str:
    """Lower-case words of the text joined by `-`."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)


def procedure_id(name: str) -> str:
    """Return the id of a procedure: its name without the word Procedure, slugged."""
    words = [w for w in re.findall(r"[a-z0-9]+", name.lower()) if w != "procedure"]
    return "-".join(words) or "procedure"
