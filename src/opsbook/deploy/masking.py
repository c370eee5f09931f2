"""Mask secrets in the copy of a configuration file that the baseline keeps.

A value is masked when its key is a variable the Environment Variables table marks secret
(or is named like one, `*_PASSWORD`, `*_TOKEN`, ...), in the forms config files use:
`NAME=value`, `export NAME=value`, `name: value`, `"name": "value"`; and wherever the
value of such a variable, as set in the environment, appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from opsbook.runbook.model import Runbook
from opsbook.runbook.secret_names import is_secret_name

MASK = "********"
# key, then = or :, then the value up to the end of the line (a trailing comma kept).
_ASSIGN = re.compile(
    r"""^(?P<head>\s*(?:export\s+)?["']?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[:=]\s*)"""
    r"""(?P<value>.*?)(?P<tail>\s*,?\s*)$"""
)
# The shortest environment value masked where it appears: shorter ones match too much.
MIN_VALUE = 4
# Files that are secrets whole (keys, keystores): no copy is kept, only hash, mode, owner.
SECRET_SUFFIXES = (".key", ".pem", ".p12", ".pfx", ".jks", ".keystore", ".kdbx", ".gpg")
SECRET_WORDS = ("secret", "password", "passwd", "token", "credential", "id_rsa", "id_ed25519")


def copy_allowed(path: str) -> bool:
    """Say whether a copy of this file may be kept (not for keys and secret stores)."""
    name = path.rsplit("/", 1)[-1].lower()
    return not name.endswith(SECRET_SUFFIXES) and not any(w in name for w in SECRET_WORDS)


class Masker:
    """Masks the secrets of one runbook's environment table in file texts."""

    def __init__(self, names: Iterable[str], values: Iterable[str] = ()) -> None:
        self.names = frozenset(n.upper() for n in names)
        self.values = sorted({v for v in values if len(v) >= MIN_VALUE}, key=len, reverse=True)

    def secret(self, key: str) -> bool:
        """Say whether a key's value is a secret."""
        upper = key.upper().replace("-", "_").replace(".", "_")
        return upper in self.names or is_secret_name(upper)

    def mask(self, text: str) -> str:
        """Return the text with every secret value replaced by the mask."""
        lines = []
        for line in text.splitlines(keepends=True):
            body = line.rstrip("\r\n")
            end = line[len(body) :]
            match = _ASSIGN.match(body)
            if match and match.group("value") and self.secret(match.group("key")):
                value = match.group("value")
                quote = value[0] if value[0] in "\"'" and value.endswith(value[0]) else ""
                body = f"{match.group('head')}{quote}{MASK}{quote}{match.group('tail')}"
            for secret in self.values:
                body = body.replace(secret, MASK)
            lines.append(body + end)
        return "".join(lines)


def masker_for(runbook: Runbook, environ: Mapping[str, str]) -> Masker:
    """Return the masker of a runbook: its secret variables, and their values in `environ`."""
    names = [v.name for v in runbook.env_vars if v.secret]
    values = [environ[n] for n in names if environ.get(n)]
    return Masker(names, values)
