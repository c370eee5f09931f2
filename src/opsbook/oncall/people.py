"""People as runbooks write them: `Alice Smith <alice@example.com>`, `bob@example.com`. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping

_ADDRESS = re.compile(r"[^\s<>(),;]+@[^\s<>(),;]+")


def split_person(text: str) -> tuple[str, str]:
    """Split `Sam Okafor (sam@example.com)` into name and address; either may be empty."""
    cleaned = " ".join(text.split())
    match = _ADDRESS.search(cleaned)
    if not match:
        return cleaned, ""
    address = match.group(0)
    name = re.sub(r"[<(]\s*[>)]", "", cleaned.replace(address, "")).strip(" ,;-<>()")
    return name or address, address


def key(name: str) -> str:
    """Return a name as compared: case and spacing ignored."""
    return " ".join(name.lower().split())


def with_address(text: str, directory: Mapping[str, str]) -> tuple[str, str]:
    """Return name and address, the address from `directory` (by name) when none is written."""
    name, address = split_person(text)
    return name, address or directory.get(key(name), "")
