"""Which names mark a value as secret: `*_PASSWORD`, `*_TOKEN`, `*_KEY`, `API_KEY`, ...

One rule for the whole product: the runbook's variables table, the redacted views of the
runbook, and the masking of run output all ask `is_secret_name`.
"""

from __future__ import annotations

SECRET_SUFFIXES = ("_PASSWORD", "_TOKEN", "_SECRET", "_KEY", "_PASSWD", "_CREDENTIALS")
SECRET_NAMES = frozenset(
    {"PASSWORD", "TOKEN", "SECRET", "PASSWD", "API_KEY", "KEY", "CREDENTIALS", "AUTHORIZATION"}
)


def is_secret_name(name: str) -> bool:
    """Say whether a variable, parameter or setting name marks its value as a secret."""
    upper = name.upper().replace("-", "_")
    return upper in SECRET_NAMES or upper.endswith(SECRET_SUFFIXES)
