"""Whether a step runs without a person, and why: the one decision the dry run shows,
`inspect --json` reports and the engine enforces.

A runbook written by someone else was written for a person at a terminal, so opsbook does
not do what that person would not: a command that changes things asks first (and never
runs by itself as diagnosis), a command meant for another place is a step for a person to do
there, a step that depends on a condition is a person's decision, and a command that never
ends is not run unattended. `{unattended}` marks a changing step as meant to run by itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from opsbook.runbook.command_reach import elsewhere, endless, enters, ssh_remote, ssh_target
from opsbook.runbook.command_rules import changes, data_change
from opsbook.runbook.durations import parse_duration
from opsbook.runbook.model import Step
from opsbook.runbook.placeholder_forms import PLACEHOLDER, placeholder_name
from opsbook.runbook.problems import ValueProblem
from opsbook.runbook.record import Record
from opsbook.runbook.shell_words import (
    Simple,
    heredoc_bodies,
    logical_lines,
    simple_commands,
    word_set,
)

# Every command stops after this long unless its step or the front matter (`timeout:`) says.
DEFAULT_TIMEOUT = 600.0


class Who(StrEnum):
    """Who a step waits for before it runs."""

    # Nobody: it runs by itself.
    UNATTENDED = "unattended"
    # The runbook asks a person (`{confirm}`, or no command); `--yes` answers for them.
    CONFIRM = "confirm"
    # opsbook asks a person before running it; only a person answers, never `--yes`.
    ASK = "ask"
    # A person does it themselves (elsewhere, or it never ends); opsbook never runs it.
    PERSON = "person"


@dataclass(frozen=True, eq=False, repr=False)
class Attendance(Record):
    """The decision for one step: who it waits for, and why, in words a person reads."""

    who: Who
    why: str

    @property
    def needs_person(self) -> bool:
        return self.who is not Who.UNATTENDED

    @property
    def yes_answers(self) -> bool:
        """Say whether `--yes` may answer for a person (only the runbook's own asks)."""
        return self.who is Who.CONFIRM

    @property
    def runs_here(self) -> bool:
        """Say whether opsbook runs the command once a person says yes."""
        return self.who is not Who.PERSON


# Verbs after which "if" asks a question rather than sets a condition ("check if it runs").
_LOOKING = word_set(
    """
    check see verify confirm determine find test ask know note investigate look inspect
    examine decide validate ensure learn tell show shows print prints report reports
    whether
    """
)
# Nouns after which "when" says which moment, not on which condition ("note the time when").
_MOMENTS = word_set("time moment date day hour minute period point since until")
_IF = re.compile(
    r"\b(only if|only when|unless|in case|provided that|if|when(?:ever)?)\b", re.IGNORECASE
)


def condition(text: str) -> str | None:
    """Return the condition a step's text puts on it ("if the disk is full"), or None."""
    text = " ".join(text.split())
    # Code spans keep their place but cannot hold the "if" (`--if-changed`).
    masked = re.sub(r"`[^`]*`", lambda m: "`" * len(m.group(0)), text)
    for found in _IF.finditer(masked):
        if _asks(masked, found.start(), found.group(1)):
            continue
        end = re.search(r"[,;:.)](?:\s|$)|\)|$", masked[found.start(1) :])
        stop = found.start(1) + (end.start() if end else len(masked))
        clause = text[found.start(1) : stop].strip()
        if clause.lower().endswith(" or not"):
            # "check the nodes if any is NotReady or not": whether, not a condition.
            continue
        return clause if len(clause) <= 80 else clause[:79] + "…"
    return None


def _asks(text: str, at: int, word: str) -> bool:
    """Say whether the "if"/"when" at `at` asks a question rather than sets a condition."""
    before = re.findall(r"[A-Za-z]+", text[:at])
    if not before:
        return False
    last = before[-1].lower()
    if word.lower() in ("if", "when", "whenever") and last in _LOOKING:
        return True
    return word.lower().startswith("when") and last in _MOMENTS


def runnable_command(step: Step) -> str | None:
    """Return what runs for the step: with `{host=…}`, the lines after its `ssh HOST`."""
    command = step.command
    if command is None or not step.attrs.host:
        return command
    lines = logical_lines(command)
    first = simple_commands(lines[0][1]) if lines else []
    if len(first) != 1:
        return command
    if ssh_target(first[0]) is not None:
        rest = [text for _, text in lines[1:]]
        while rest and rest[-1].strip() in ("exit", "logout"):
            rest.pop()
        return "\n".join(rest) if rest else command
    remote = ssh_remote(first[0])
    if remote is not None and len(lines) == 1:
        return remote[1]
    return command


def attendances(steps: Sequence[Step], part: str) -> list[Attendance]:
    """Decide for each step of a part in order: a step after one that opened another place
    (`ssh host`, `oc rsh pod`, `psql`) is typed there, until a step leaves it (`exit`)."""
    decided: list[Attendance] = []
    places: tuple[str, ...] = ()
    for step in steps:
        decided.append(attendance(step, part, places[-1] if places else None))
        places = places_after(step, places)
    return decided


def places_after(step: Step, places: tuple[str, ...]) -> tuple[str, ...]:
    """Return the places a person is in after the step, innermost last (): this machine)."""
    command = runnable_command(step)
    if command is None:
        return places
    for _, line in logical_lines(command):
        if line.strip() in _LEAVING:
            places = places[:-1]
            continue
        for simple in simple_commands(line):
            opened = enters(simple)
            places = (*places, opened) if opened else places
    return places


# What a person types to leave a shell, a console or a prompt.
_LEAVING = frozenset({"exit", "logout", "quit", "\\q", "exit()", "quit()", ".exit", "\\quit"})


def attendance(step: Step, part: str, inside: str | None = None) -> Attendance:
    """Decide whether the step (in `part`: diagnosis, steps, ...) runs without a person.

    `inside`: the other place an earlier step of the part opened and did not leave.
    """
    attrs = step.attrs
    command = runnable_command(step)
    if command is None:
        return Attendance(Who.CONFIRM, "no command: a person does it and confirms")
    if attrs.approvals:
        return Attendance(Who.CONFIRM, f"waits for {attrs.approvals} approvals in the dashboard")
    if inside is not None:
        return Attendance(Who.PERSON, f"it is typed in {inside}, which an earlier step opened")
    # A placeholder is one word, whatever it says (`<value of namespace label>`).
    command = PLACEHOLDER.sub(lambda m: f"<{placeholder_name(m)}>", command)
    commands = simple_commands(command)
    place = _place(commands, command)
    if place is not None:
        hint = "; add {host=NAME} to run it there" if "ssh" in place else ""
        return Attendance(Who.PERSON, place + hint)
    never = next((why for c in commands if (why := endless(c)) is not None), None)
    if never is not None and attrs.timeout is None:
        return Attendance(Who.PERSON, f"{never} (a timeout= on the step bounds it)")
    change = next((what for c in commands if (what := changes(c)) is not None), None)
    change = change or data_change(heredoc_bodies(command))
    if change is not None and part == "diagnosis":
        return Attendance(Who.ASK, f"it changes things ({change}), and diagnosis is for looking")
    when = condition(step.text)
    if when is not None and not attrs.unattended:
        return Attendance(Who.ASK, f'it depends on a condition: "{when}"')
    if change is not None and attrs.confirm:
        return Attendance(Who.CONFIRM, f"it changes things ({change}); the runbook asks first")
    if change is not None and not attrs.unattended:
        return Attendance(
            Who.ASK, f"it changes things ({change}); mark it {{unattended}} to run it unasked"
        )
    if attrs.confirm:
        return Attendance(Who.CONFIRM, "the runbook asks a person first ({confirm})")
    if change is not None:
        return Attendance(Who.UNATTENDED, f"marked {{unattended}}; it changes things ({change})")
    if never is not None:
        return Attendance(Who.UNATTENDED, f"{never}; its timeout stops it")
    return Attendance(Who.UNATTENDED, "nothing in it changes things, goes elsewhere or waits")


def _place(commands: list[Simple], command: str) -> str | None:
    """Say which other place the command's work is meant for, or None for this machine."""
    for simple in commands:
        opened = enters(simple)
        if opened is not None:
            later = any(number > simple.line for number, _ in logical_lines(command))
            typed = "; the lines after it are typed there" if later else ""
            return f"`{simple.text}` opens {opened}{typed}"
        away = elsewhere(simple)
        if away is not None:
            return f"`{simple.text}` runs on {away}, not here"
    return None


def default_timeout(settings: Mapping[str, Any]) -> float:
    """Return the runbook's default command timeout (front matter `timeout:`) in seconds."""
    value = settings.get("timeout")
    if value is None:
        return DEFAULT_TIMEOUT
    return read_timeout(value)


def read_timeout(value: Any) -> float:
    """Read a front-matter timeout: a number of seconds or a duration such as `15m`."""
    if isinstance(value, bool):
        raise ValueProblem(
            f"front matter `timeout: {value}` is not a duration", "e.g. timeout: 15m"
        )
    try:
        seconds = float(value) if isinstance(value, int | float) else parse_duration(str(value))
    except ValueProblem:
        raise ValueProblem(
            f"front matter `timeout: {value}` is not a duration", "e.g. timeout: 15m"
        ) from None
    if not seconds > 0:
        raise ValueProblem(f"front matter `timeout: {value}` must be above zero", "e.g. 15m")
    return seconds
