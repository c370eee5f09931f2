"""A command's simple commands, as a person reads them: program, options, arguments.

Not a shell parser: it joins `\\` continuations, drops comments and here-document bodies,
splits lines at `;`, `&&`, `||`, `|` and `&` outside quotes, and unwraps what only runs
another command (`sudo`, `env X=1`, `nohup`, `xargs`, `do`, ...), so the safety rules of
step_safety.py look at the program that does the work.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from opsbook.runbook.record import Record

# Words that only introduce the command after them (shell keywords and plain wrappers).
_KEYWORDS = frozenset(
    {"do", "then", "else", "elif", "if", "while", "until", "!", "{", "(", "time", "exec"}
)
_WRAPPERS = frozenset({"nohup", "nice", "ionice", "command", "builtin", "stdbuf", "chrt"})
# sudo's options that take a value; `-i`, `-s` alone open a root shell (see step_safety).
_SUDO_VALUE = frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


@dataclass(frozen=True, eq=False, repr=False)
class Simple(Record):
    """One simple command: its words after the wrappers, and how it was written."""

    words: tuple[str, ...]
    text: str
    # The wrappers it came in (`sudo`, `timeout 30`), outermost first.
    wrappers: tuple[str, ...] = ()
    # 1-based line of the command text it is on.
    line: int = 1

    @property
    def program(self) -> str:
        """Return the program's name without its directory (`/usr/bin/rm` -> `rm`)."""
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.words[1:]

    def positionals(self, limit: int = 6) -> tuple[str, ...]:
        """Return the first words that are not options."""
        return tuple(w for w in self.args if not w.startswith("-"))[:limit]

    def has(self, *flags: str) -> bool:
        """Say whether any of the flags is given (`-f`, `--follow`, `--follow=name`, `-fn`)."""
        for word in self.args:
            if word == "--":
                return False
            name = word.split("=", 1)[0]
            if name in flags:
                return True
            short = [f[1] for f in flags if len(f) == 2 and f[0] == "-" and f[1] != "-"]
            bundle = word.startswith("-") and not word.startswith("--") and word[1:].isalpha()
            if bundle and len(word) > 2 and any(c in word[1:] for c in short):
                return True
        return False

    def after_dashes(self) -> tuple[str, ...]:
        """Return the words after `--` (what `kubectl exec pod -- cmd` runs), or ()."""
        if "--" not in self.words:
            return ()
        return self.words[self.words.index("--") + 1 :]


# Characters after which a `#` begins a comment (it must begin a word).
WORD_BREAK = " \t\n;&|()"


def read_quoted(command: str) -> Iterator[tuple[int, bool]]:
    """Yield (index, inside single quotes) of each character the shell reads as code or
    in quotes: not escaped, not in a comment, not a quote character itself."""
    single = double = False
    i = 0
    while i < len(command):
        char = command[i]
        if char == "\\" and not single:
            i += 2
            continue
        if char == "#" and not (single or double) and (i == 0 or command[i - 1] in WORD_BREAK):
            # A comment: its quotes and dollars are prose (a "don't" must not open a quote).
            end = command.find("\n", i)
            i = len(command) if end == -1 else end
            continue
        if char == "'" and not double:
            single = not single
        elif char == '"' and not single:
            double = not double
        else:
            yield i, single
        i += 1


def word_set(text: str) -> frozenset[str]:
    """Return the space-separated words of a table row as a set (`"get describe"`)."""
    return frozenset(text.split())


def logical_lines(command: str) -> list[tuple[int, str]]:
    """Return (line number, text) of each line, continuations joined, comments and
    here-document bodies left out."""
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    heredoc: str | None = None
    for number, raw in enumerate(command.splitlines(), start=1):
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
            continue
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        text = (pending + raw).strip()
        pending = ""
        doc = _HEREDOC.search(text)
        if doc is not None:
            heredoc = doc.group(2)
        if text and not text.startswith("#"):
            out.append((start, text))
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def heredoc_bodies(command: str) -> str:
    """Return the text of the command's here-documents (what is fed to `psql <<SQL`)."""
    body: list[str] = []
    heredoc: str | None = None
    for raw in command.splitlines():
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
            else:
                body.append(raw)
            continue
        doc = _HEREDOC.search(raw)
        if doc is not None:
            heredoc = doc.group(2)
    return "\n".join(body)


def simple_commands(command: str) -> list[Simple]:
    """Return every simple command of the command text, wrappers unwrapped."""
    out: list[Simple] = []
    for number, text in logical_lines(command):
        for piece in _pieces(text):
            simple = unwrap(_words(piece), piece, number)
            if simple is not None:
                out.append(simple)
    return out


def _pieces(text: str) -> list[str]:
    """Split a line at `;`, `&&`, `||`, `|`, `&` outside quotes; a `#` word ends it."""
    pieces: list[str] = []
    current: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\" and quote == '"' and i + 1 < len(text):
                current.append(text[i : i + 2])
                i += 2
                continue
            if char == quote:
                quote = ""
            current.append(char)
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        elif char == "#" and (not current or current[-1] in " \t"):
            break
        elif char in ";|&" and not (char == "&" and current and current[-1] in "<>"):
            if char == "&" and text[i + 1 : i + 2] == ">":
                current.append(char)
            else:
                pieces.append("".join(current))
                current = []
                while i + 1 < len(text) and text[i + 1] in "|&":
                    i += 1
        else:
            current.append(char)
        i += 1
    pieces.append("".join(current))
    return [p.strip() for p in pieces if p.strip()]


def _words(piece: str) -> list[str]:
    try:
        return shlex.split(piece, comments=False, posix=True)
    except ValueError:
        return piece.split()


def unwrap(words: list[str], text: str, line: int = 1) -> Simple | None:
    """Drop assignments, keywords and wrappers in front of the program that does the work."""
    wrappers: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if _ASSIGNMENT.match(word) or word in _KEYWORDS or word in _WRAPPERS:
            i += 1
        elif word == "env":
            i += 1
            while i < len(words) and (words[i].startswith("-") or _ASSIGNMENT.match(words[i])):
                i += 1
        elif word == "sudo" or word == "doas":
            j = i + 1
            while j < len(words) and words[j].startswith("-") and words[j] not in ("-i", "-s"):
                j += 2 if words[j] in _SUDO_VALUE else 1
            if j < len(words) and words[j] in ("-i", "-s"):
                if j + 1 == len(words):
                    # `sudo -i` alone opens a root shell: the program is the shell itself.
                    return Simple(("sudo", words[j]), text, tuple(wrappers), line)
                j += 1
            wrappers.append("sudo")
            i = j
        elif word == "timeout":
            j = i + 1
            while j < len(words) and words[j].startswith("-"):
                j += 2 if words[j] in ("-s", "--signal", "-k", "--kill-after") else 1
            wrappers.append(f"timeout {words[j]}" if j < len(words) else "timeout")
            i = j + 1
        elif word == "xargs":
            j = i + 1
            while j < len(words) and words[j].startswith("-"):
                j += 2 if words[j] in ("-n", "-P", "-I", "-d", "-L", "-s", "-E") else 1
            wrappers.append("xargs")
            i = j
        else:
            break
    rest = tuple(words[i:])
    if not rest:
        return None
    return Simple(rest, text, tuple(wrappers), line)
