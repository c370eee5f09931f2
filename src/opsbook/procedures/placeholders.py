"""`<placeholder>` in a command turned into a reference to the variable its value travels in.

Values never become shell text: `<pod-name>` becomes a reference to `$pod_name`, quoted as
the place it stands in needs, so that bash expands it to exactly the value (one word, no
globbing, no further expansion):

| where                                          | becomes              |
|------------------------------------------------|----------------------|
| unquoted, in `$(...)` or backticks             | `"${pod_name}"`      |
| inside `"..."`, `$((...))`, an unquoted heredoc | `${pod_name}`        |
| inside `'...'`                                 | `'"${pod_name}"'`    |
| inside `$'...'`                                | `'"${pod_name}"$'`   |
| a comment, a heredoc with a quoted delimiter   | left as written      |

A small lexer, not a shell parser: it follows quotes, `$(...)`, backticks, arithmetic,
comments and heredocs, which is what decides the quoting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from opsbook.procedures.shellvars import WORD_BREAK, env_name
from opsbook.runbook.placeholder_forms import placeholder_at, placeholder_name, placeholder_names

_DELIMITER_END = " \t\n;&|<>()"


@dataclass
class _Heredoc:
    delimiter: str
    quoted: bool
    strip_tabs: bool


@dataclass
class _Lexer:
    text: str
    out: list[str] = field(default_factory=list)
    i: int = 0
    heredocs: list[_Heredoc] = field(default_factory=list)

    def placeholder(self, quoting: str) -> bool:
        """Replace a placeholder at the cursor (quoting: "{}" with the reference); say if so."""
        single = quoting.startswith("'")
        match = placeholder_at(self.text, self.i, single_quoted=single)
        if match is None:
            return False
        name = env_name(placeholder_name(match))
        self.out.append(quoting.replace("{}", "${" + name + "}"))
        self.i = match.end()
        return True

    def take(self, count: int = 1) -> None:
        self.out.append(self.text[self.i : self.i + count])
        self.i += count

    def code(self, closer: str = "") -> None:
        """Lex unquoted shell code up to `closer` (")" of `$(`, "`"), or to the end."""
        depth = 0
        while self.i < len(self.text):
            char = self.text[self.i]
            if closer == ")" and char == ")" and depth == 0:
                return
            if closer == "`" and char == "`":
                return
            if char == "\\":
                self.take(2)
            elif char == "'":
                self.quoted("'", "'\"{}\"'")
            elif self.at("$'"):
                self.take()
                self.quoted("'", "'\"{}\"$'", escapes=True)
            elif char == '"':
                self.take()
                self.double()
            elif self.at("$((") or (self.at("((") and self._word_start()):
                self.arithmetic()
            elif self.at("$("):
                self.nested("$(", ")")
            elif char == "`":
                self.nested("`", "`")
            elif char == "#" and self._word_start():
                end = self.text.find("\n", self.i)
                self.take((len(self.text) if end == -1 else end) - self.i)
            elif self.at("<<") and not self.at("<<<"):
                self.heredoc_operator()
            elif char == "\n":
                self.take()
                self.heredoc_bodies()
            elif not self.placeholder('"{}"'):
                depth += char == "("
                depth -= char == ")"
                self.take()

    def at(self, prefix: str) -> bool:
        return self.text.startswith(prefix, self.i)

    def _word_start(self) -> bool:
        return self.i == 0 or self.text[self.i - 1] in WORD_BREAK

    def nested(self, opener: str, closer: str) -> None:
        self.take(len(opener))
        self.code(closer)
        self.take(len(closer))

    def quoted(self, end: str, quoting: str, *, escapes: bool = False) -> None:
        """Copy a '...' or $'...' string (cursor on its opening quote)."""
        self.take()
        while self.i < len(self.text) and self.text[self.i] != end:
            if escapes and self.text[self.i] == "\\":
                self.take(2)
            elif not self.placeholder(quoting):
                self.take()
        self.take()

    def double(self) -> None:
        """Copy the inside of "..." and its closing quote."""
        while self.i < len(self.text) and self.text[self.i] != '"':
            if self.text[self.i] == "\\":
                self.take(2)
            elif self.at("$(("):
                self.arithmetic()
            elif self.at("$("):
                self.nested("$(", ")")
            elif self.text[self.i] == "`":
                self.nested("`", "`")
            elif not self.placeholder("{}"):
                self.take()
        self.take()

    def arithmetic(self) -> None:
        """Copy `$((...))` or `((...))`: placeholders unquoted, as arithmetic needs."""
        depth = 0
        while self.i < len(self.text):
            char = self.text[self.i]
            depth += char == "("
            depth -= char == ")"
            if not self.placeholder("{}"):
                self.take()
            if depth == 0 and char == ")":
                return

    def heredoc_operator(self) -> None:
        """Copy `<<WORD` / `<<-WORD` and remember the heredoc it opens."""
        self.take(2)
        strip_tabs = self.at("-")
        if strip_tabs:
            self.take()
        while self.text.startswith((" ", "\t"), self.i):
            self.take()
        start = self.i
        while self.i < len(self.text) and self.text[self.i] not in _DELIMITER_END:
            if self.text[self.i] in "'\"":
                close = self.text.find(self.text[self.i], self.i + 1)
                self.i = len(self.text) if close == -1 else close + 1
            else:
                self.i += 1 + (self.text[self.i] == "\\")
        word = self.text[start : self.i]
        self.out.append(word)
        if word:
            plain = re.sub(r"""['"\\]""", "", word)
            self.heredocs.append(_Heredoc(plain, plain != word, strip_tabs))

    def heredoc_bodies(self) -> None:
        """Copy the bodies of the heredocs opened on the line that just ended."""
        pending, self.heredocs = self.heredocs, []
        for doc in pending:
            while self.i < len(self.text):
                end = self.text.find("\n", self.i)
                end = len(self.text) if end == -1 else end + 1
                line = self.text[self.i : end]
                shown = line.rstrip("\n").lstrip("\t") if doc.strip_tabs else line.rstrip("\n")
                if shown == doc.delimiter or doc.quoted:
                    self.take(end - self.i)
                    if shown == doc.delimiter:
                        break
                    continue
                while self.i < end:
                    if self.text[self.i] == "\\":
                        self.take(2)
                    elif self.at("$("):
                        self.nested("$(", ")")
                    elif not self.placeholder("{}"):
                        self.take()


def placeholders_as_variables(command: str) -> str:
    """Replace each placeholder with a reference to `$name`, quoted right for where it stands."""
    if not placeholder_names(command):
        return command
    lexer = _Lexer(command)
    lexer.code()
    return "".join(lexer.out)
