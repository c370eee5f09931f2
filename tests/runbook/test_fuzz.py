"""Random and truncated Markdown never raises anything but a clean RunbookError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError
from tests.runbook.sample import FULL

TEMPLATE = (Path(__file__).parent / "data" / "runbook-template.md").read_text()
PIECES = [
    "# ",
    "## ",
    "### ",
    "#### ",
    "- ",
    "- [ ] ",
    "- [x] ",
    "1. ",
    "**",
    "**Steps**:",
    "**Prerequisites**:",
    "**Rollback**:",
    "`",
    "``",
    "```",
    "```bash",
    "```console",
    "~~~",
    "{",
    "}",
    "{host=",
    "timeout=",
    "=",
    "|",
    "|---|",
    "> ",
    ">= 1",
    "---",
    "\n",
    "\n\n",
    "   ",
    "\t",
    "$ ",
    "\\",
    "<x>",
    "Procedure",
    "Issue: ",
    "SEV-2",
    "run: ",
    "notify: ",
    "host:",
    "http:",
    "cmd:",
    "prom:",
    "5m",
    "Daily",
    '"',
    "'",
    "é",
    "\x00",
    "\r\n",
]
settings.register_profile("fuzz", deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parses_cleanly(text: str) -> None:
    try:
        parse_runbook(text, "fuzz.md")
    except RunbookError as exc:
        assert exc.problems, "a RunbookError must carry at least one problem"
        for problem in exc.problems:
            assert problem.message and problem.line >= 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=80).map("".join))
def test_random_markdown_is_a_runbook_or_a_clean_error(text: str) -> None:
    parses_cleanly(text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([FULL, TEMPLATE]), st.integers(min_value=0, max_value=20000))
def test_truncated_runbooks_are_a_runbook_or_a_clean_error(source: str, cut: int) -> None:
    parses_cleanly(source[: cut % (len(source) + 1)])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([FULL, TEMPLATE]), st.data())
def test_runbooks_with_lines_dropped_or_mangled(source: str, data: st.DataObject) -> None:
    lines = source.splitlines()
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        index = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "dup", "junk"]))
        if action == "drop":
            lines.pop(index)
        elif action == "dup":
            lines.insert(index, lines[index])
        else:
            lines[index] = data.draw(st.sampled_from(PIECES)) + lines[index][::2]
        if not lines:
            break
    parses_cleanly("\n".join(lines))
