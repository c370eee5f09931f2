"""The errors every domain raises, by kind; each face maps a kind once (HTTP status, exit code).

A use case raises `NotFound`, `Refused` (or `Forbidden`), `Conflict` or `BadInput` with a
message a person can act on and, where it helps, a hint. The web app turns a kind into its
status in one handler (`web/app.py`), so a route never needs its own `try` for these.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorKind(StrEnum):
    NOT_FOUND = "not-found"
    REFUSED = "refused"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    BAD_INPUT = "bad-input"
    TOO_LARGE = "too-large"


class DomainError(Exception):
    """A use case refused what was asked; `kind` says how, `message` and `hint` say why."""

    kind: ClassVar[ErrorKind] = ErrorKind.REFUSED

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFound(DomainError):
    """What was named does not exist."""

    kind = ErrorKind.NOT_FOUND


class Refused(DomainError):
    """The thing exists but may not do this now (its state, a rule, a guard)."""

    kind = ErrorKind.REFUSED


class Forbidden(Refused):
    """This person may not do this (a rule of who may, such as separation of duties)."""

    kind = ErrorKind.FORBIDDEN


class Conflict(DomainError):
    """Someone else changed the thing first (a lost race); reload and decide again."""

    kind = ErrorKind.CONFLICT


class BadInput(DomainError):
    """A value from outside is not acceptable; nothing was done."""

    kind = ErrorKind.BAD_INPUT


class TooLarge(BadInput):
    """A value from outside is over its stated size limit; nothing was done."""

    kind = ErrorKind.TOO_LARGE


HTTP_STATUS: dict[ErrorKind, int] = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.REFUSED: 409,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.CONFLICT: 409,
    ErrorKind.BAD_INPUT: 422,
    ErrorKind.TOO_LARGE: 413,
}
