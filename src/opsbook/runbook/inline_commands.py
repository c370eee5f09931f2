"""A command written inside a sentence: "Restart it: `systemctl restart app`".

Only the last code span can be the command, and only when the sentence makes it one: a
lone word that names something (a metric, a path, a channel), an example of output ("lines
like `level=error`"), a template or a setting's value is not a command.
"""

from __future__ import annotations

import re

from opsbook.runbook.attributes import parse_attrs
from opsbook.runbook.blocks import strip_emphasis
from opsbook.runbook.model import Attrs


def split_command(raw: str) -> tuple[str, str | None, Attrs]:
    """Split an item such as "Start it: `cmd` {timeout=5s}" into text, command, attributes.

    Only the last code span is the command, and only when nothing but attributes (and a
    full stop) follow it: "Archive `data/` now: `tar czf b.tgz data`" runs the tar. A
    single word ends a sentence as a name more often than as a command ("in the namespace
    `monitoring`"), so it is one only after a colon or a verb such as "run".
    """
    spans = code_spans(raw)
    if not spans:
        return _plain(raw), None, Attrs()
    start, end, code = spans[-1]
    rest = _AFTER_COMMAND.fullmatch(raw[end:])
    if rest is None:
        return _plain(raw), None, Attrs()
    before = raw[:start].rstrip()
    command = _PROMPT.sub("", code.strip())
    one_word = not command.split()[1:]
    if one_word and (
        names_something(command)
        or (before and not _INTRODUCES.search(before))
        or _KEY.fullmatch(strip_emphasis(before))  # "- environment: `gprd`": a key's value
    ):
        return _plain(raw), None, Attrs()
    if _EXAMPLE.search(before) or "{{" in command or _OUTPUT_SPAN.match(command):
        # A Go or Jinja template (`{{ $labels.pod }}`) is an alert's text, not a command.
        # "Look for messages like `level=error msg=...`": what to look for, not what to run.
        return _plain(raw), None, Attrs()
    attrs = parse_attrs(rest.group(1)) if rest.group(1) else Attrs()
    text = before.rstrip(":-–—").rstrip()
    return strip_emphasis(text), command, attrs


# What comes before a one-word command: a colon or dash, or a verb that says "run this".
_INTRODUCES = re.compile(
    r"(?:[:\-–—]|\b(?:run|runs|running|execute|type|enter|use|using|with|via|command|call))"
    r"\**$",
    re.IGNORECASE,
)
# A lone word that names rather than runs: a metric or variable (`node_load1`, `PGHOST`), a
# URL, a channel or handle (`#ops`, `@dba`), a link, a folder or a data file (`/var/log/x.log`).
_NAME = re.compile(
    r"[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*|[A-Z][A-Z0-9_]*|\w+://\S*|[#@\[]\S*|\S*/"
    r"|\S+\.(?:log|conf|cfg|ini|ya?ml|json|toml|txt|md|pem|crt|key|csv|xml|db|sql)"
    # a series selector, a CamelCase alert, a Java or gRPC name, a `key=value`, a `Label:`
    r"|\S*\w\{\S*\}\S*|[A-Z][a-z0-9]+[A-Z]\w*|\S*\.[A-Z]\S*|\w+=\S*|\S+:"
)


def names_something(word: str) -> bool:
    """Say whether a lone word in a code span names a thing rather than runs a program."""
    return _NAME.fullmatch(word) is not None


# What comes before an example of output or text, not a command to run.
_EXAMPLE = re.compile(
    r"\b(?:like|such as|e\.g\.|for example|for instance|similar to|looks like|containing|"
    r"matching|says|shows|reads|output)\W*$",
    re.IGNORECASE,
)
# A lower-case key before its value in a list of settings: `environment:`, `type:`.
_KEY = re.compile(r"[a-z][\w-]*:")
# Output a person looks for (`NTP service: inactive`), written as "Label: value".
_OUTPUT_SPAN = re.compile(r"^[A-Z][A-Za-z]*(?: [A-Za-z]+)*: \S")
# A prompt copied in front of a command (`$ df -h`) is not part of it.
_PROMPT = re.compile(r"^\$\s+(?=\S)")


_AFTER_COMMAND = re.compile(r"\s*(\{[^{}]*\})?\s*[.;]?\s*", re.DOTALL)
_TICKS = re.compile(r"`+")


def code_spans(raw: str) -> list[tuple[int, int, str]]:
    """Return (start, end, code) of each code span, closing runs matched by length."""
    spans: list[tuple[int, int, str]] = []
    pos = 0
    while (opener := _TICKS.search(raw, pos)) is not None:
        ticks = opener.group(0)
        closer = re.compile(rf"(?<!`){ticks}(?!`)").search(raw, opener.end())
        if closer is None:
            pos = opener.end()
            continue
        code = raw[opener.end() : closer.start()]
        if len(ticks) > 1 and code.startswith(" ") and code.endswith(" ") and code.strip():
            code = code[1:-1]
        spans.append((opener.start(), closer.end(), code))
        pos = closer.end()
    return spans


def _plain(raw: str) -> str:
    return strip_emphasis(raw).rstrip(":").rstrip()
