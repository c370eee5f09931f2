"""Does a procedure shut the system down? Pure: its name and its commands in, reasons out.

The Security Incident Response section says: DO NOT shut down systems (preserve evidence).
A procedure shuts down when its name says so (shutdown, stop, halt, poweroff), or when a
command runs a program that does (`shutdown`, `poweroff`, `halt`, `kill`...), or passes such
a verb to a control program (`systemctl stop`, `docker stop`, `service web stop`,
`bin/tinyweb stop`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from pathlib import PurePosixPath

NAME_WORDS = ("shutdown", "shut down", "stop", "halt", "poweroff", "power off")
STOPPING_PROGRAMS = frozenset(
    {"shutdown", "poweroff", "halt", "reboot", "kill", "pkill", "killall", "telinit"}
)
STOPPING_VERBS = frozenset({"stop", "shutdown", "halt", "poweroff", "kill"})
# Programs that only print or test words: `echo stop` stops nothing.
HARMLESS = frozenset({"echo", "printf", "grep", "egrep", "test", "[", "true", "false", ":"})
PREFIXES = frozenset({"sudo", "exec", "nohup", "env", "time", "command", "doas"})
_SEPARATORS = re.compile(r"&&|\|\||[;|&\n]")
# Every word shlex makes is made of the command's characters less quotes and backslashes,
# so a command whose text, stripped of those, holds no stopping word needs no parsing.
_STOPPING = re.compile("|".join(sorted(STOPPING_PROGRAMS | STOPPING_VERBS)))
_QUOTING = str.maketrans("", "", "\"'\\")


def _words(part: str) -> list[str]:
    try:
        return shlex.split(part, comments=True)
    except ValueError:
        return part.split()


def command_stops(command: str) -> str | None:
    """Return the piece of the command that shuts something down, or None."""
    if not _STOPPING.search(command.translate(_QUOTING)):
        return None
    for part in _SEPARATORS.split(command):
        words = _words(part)
        while words and (words[0] in PREFIXES or re.fullmatch(r"\w+=.*", words[0])):
            words = words[1:]
        if not words:
            continue
        program = PurePosixPath(words[0]).name
        if program in STOPPING_PROGRAMS:
            return " ".join(words[:3])
        if program in HARMLESS:
            continue
        verb = next((w for w in words[1:] if w in STOPPING_VERBS), None)
        if verb is not None:
            return " ".join(words[: words.index(verb) + 1])
    return None


def shutdown_reasons(name: str, commands: Iterable[tuple[str, str]]) -> list[str]:
    """Return why a procedure counts as a shutdown: its name, or (label, command) pairs."""
    reasons = []
    lowered = name.lower()
    word = next((w for w in NAME_WORDS if w in lowered), None)
    if word:
        reasons.append(f'its name "{name}" says {word}')
    for label, command in commands:
        found = command_stops(command)
        if found:
            reasons.append(f"{label} runs `{found}`")
    return reasons
