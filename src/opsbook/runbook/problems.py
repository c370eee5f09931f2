"""Problems found in a runbook, reported as `FILE:LINE: message` with a hint."""

from __future__ import annotations

from dataclasses import dataclass

from opsbook.runbook.record import Record


@dataclass(frozen=True, eq=False, repr=False)
class Problem(Record):
    """One thing wrong (or worth a warning) at one line of the runbook."""

    line: int
    message: str
    hint: str = ""
    path: str = "RUNBOOK.md"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class RunbookError(Exception):
    """The runbook cannot be used; carries every problem found, in line order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(str(p) for p in self.problems))


class ValueProblem(ValueError):
    """A value could not be read; the caller adds the file and line."""

    def __init__(self, message: str, hint: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line
