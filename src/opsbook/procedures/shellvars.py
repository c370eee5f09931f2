"""What a shell command reads from its environment (placeholders: `placeholders.py`).

A small quote-aware scanner, not a shell parser: it finds `$NAME` / `${NAME}` outside single
quotes, and the names a command assigns itself (`X=1`, `for X in`, `read X`), so an
undeclared variable is reported before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from opsbook.runbook.shell_words import WORD_BREAK as WORD_BREAK
from opsbook.runbook.shell_words import read_quoted

# Variables every shell sets by itself.
SHELL_NAMES = frozenset(
    {
        "RANDOM",
        "SECONDS",
        "LINENO",
        "PPID",
        "UID",
        "EUID",
        "GROUPS",
        "BASHPID",
        "BASH",
        "BASH_SOURCE",
        "BASH_REMATCH",
        "BASH_VERSION",
        "HOSTNAME",
        "HOSTTYPE",
        "IFS",
        "OLDPWD",
        "PWD",
        "OPTARG",
        "OPTIND",
        "REPLY",
        "PIPESTATUS",
        "FUNCNAME",
        "SHLVL",
        "HOME",
        "PATH",
        "USER",
        "LOGNAME",
        "SHELL",
        "TERM",
        "LANG",
        "TMPDIR",
        "OSTYPE",
        "MACHTYPE",
        "EPOCHSECONDS",
    }
)
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ASSIGN = re.compile(
    rf"(?:^|[\s;&|(`])(?:(?:export|local|declare|typeset|readonly)\s+(?:-\w+\s+)*)?({_NAME})\+?="
)
_DECLARE = re.compile(
    rf"\b(?:export|local|declare|typeset|readonly|unset)\s+((?:-\w+\s+)*{_NAME}(?:\s+{_NAME})*)"
)
_FOR = re.compile(rf"\b(?:for|select)\s+({_NAME})\s+in\b")
_READ = re.compile(r"\b(?:read|mapfile|readarray|getopts)\b([^;&|\n)]*)")
# `${NAME:-x}`, `${NAME-x}`, `${NAME:=x}`, `${NAME+x}`, `${#NAME}` cope with an unset NAME.
_GUARDED = re.compile(rf"^\{{#?({_NAME})(:?[-=+])")


def is_variable_name(name: str) -> bool:
    """Say whether `name` is a shell variable name (so `export` cannot read it as code)."""
    return re.fullmatch(_NAME, name) is not None


def env_name(placeholder: str) -> str:
    """Return the variable a `<placeholder>` travels in: `<pod-name>` -> `pod_name`."""
    return re.sub(r"[^A-Za-z0-9_]", "_", placeholder)


def _unquoted_dollars(command: str) -> Iterator[str]:
    """Yield the text right after each `$` that the shell would expand."""
    for i, single in read_quoted(command):
        if command[i] == "$" and not single:
            yield command[i + 1 : i + 80]


def referenced(command: str) -> set[str]:
    """Return the variables a command expands without a fallback value."""
    names: set[str] = set()
    for after in _unquoted_dollars(command):
        if after.startswith("{"):
            if _GUARDED.match(after):
                continue
            match = re.match(rf"\{{({_NAME})", after)
        else:
            match = re.match(f"({_NAME})", after)
        if match:
            names.add(match.group(1))
    return names


def assigned(command: str) -> set[str]:
    """Return the variables a command sets itself (so they are not undeclared)."""
    names = set(_ASSIGN.findall(command)) | set(_FOR.findall(command))
    for group in _DECLARE.findall(command):
        names.update(w for w in group.split() if not w.startswith("-"))
    for rest in _READ.findall(command):
        words = rest.split()
        names.update(w for w in words if re.fullmatch(_NAME, w))
    return names


def undeclared(command: str, known: set[str], environ: Mapping[str, str]) -> list[str]:
    """Return the variables a command reads that nothing declares, in name order."""
    missing = referenced(command) - assigned(command) - known - SHELL_NAMES
    return sorted(n for n in missing if n not in environ and not n.startswith("OPSBOOK_"))
