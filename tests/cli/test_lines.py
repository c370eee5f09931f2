from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.process

# Lines as the run display prints them: (text, style) pieces, user text included as is.
SAMPLES: list[list[tuple[str, str]]] = [
    [("Run 12", "bold"), (": Deploy the web app ", ""), ("(RUNBOOK.md, by alice)", "dim")],
    [("Plan: 3 prerequisites, 2 steps, rollback: 1", "dim")],
    [("Steps", "bold"), ("", "")],
    [("  ", ""), ("✓", "green"), (" step 1/2 Restart  ", ""), ("0.01s", "dim")],
    [("  ", ""), ("✗", "bold red"), (" step 2/2 Check it", ""), ("  ", ""), ("exit 1", "dim")],
    [("      ", ""), ("│ trailing spaces   ", "dim")],
    [("    ", ""), ("↻", "yellow"), (" attempt 1 failed (exit 3); retrying in 0.5s", "")],
    [("  ", ""), ("■", "bold magenta"), (" step 1/1 Wait  ", ""), ("1.00s  interrupted", "dim")],
    [("  ", ""), ("…", "dim"), (" step 1/1 On hosts", ""), (" ", ""), ("on web1, web2", "dim")],
    [("x" * 79, "")],
    [("x" * 80, "")],
    [("x" * 81, "")],
    [("word " * 30, "dim")],
    [("a tab\there", "")],
    [("echo a:b: c :smile: done", "")],
    [("markup-like [bold]text[/] and [link=x]", "")],
    [("a backslash at the end \\", ""), ("next", "dim")],
    [("wide 日本語 characters", "")],
    [("", "")],
    [("  ", ""), ("!", "yellow"), (" ignored", "")],
]

LINES = """
import json, sys
from opsbook.cli.lines import Lines
out = Lines()
for line in json.loads(sys.argv[1]):
    out.print(*[tuple(p) for p in line])
print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'), file=sys.stderr)
"""

RICH = """
import json, sys
from opsbook.cli.lines import markup
from opsbook.cli.output import console
out = console()
for line in json.loads(sys.argv[1]):
    out.print(markup([tuple(p) for p in line]), markup=True, highlight=False, overflow="fold")
"""


def _run(code: str, samples: object, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", code, json.dumps(samples)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environ,
        check=True,
    )


@pytest.mark.parametrize("columns", [None, "40", "200"])
def test_off_a_terminal_lines_are_what_rich_prints(columns: str | None) -> None:
    env = {"COLUMNS": columns} if columns else {}
    assert _run(LINES, SAMPLES, **env).stdout == _run(RICH, SAMPLES, **env).stdout


def test_plain_lines_do_not_import_rich() -> None:
    plain = [line for line in SAMPLES[:12] if len("".join(t for t, _ in line)) <= 80]
    assert _run(LINES, plain).stderr.strip() == "[]"


def test_a_line_rich_would_change_goes_through_rich() -> None:
    assert "rich.console" in _run(LINES, [[("a:b: c", "")]]).stderr


def test_forced_colour_goes_through_rich() -> None:
    done = _run(LINES, [[("Run 1", "bold"), (" ok", "")]], FORCE_COLOR="1")
    assert "\x1b[1mRun 1\x1b[0m ok" in done.stdout
