from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

pytestmark = pytest.mark.process

STYLES = [{"fg": "red", "bold": True}, {"dim": True}, {"fg": "green"}, {"fg": "yellow"}, {}]


def _written(code: str, terminal: bool) -> list[str]:
    """Run code with stdout on a terminal (a pseudo-terminal) or a pipe; return its lines."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if not terminal:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
        return done.stdout.decode().splitlines()
    leader, follower = pty.openpty()
    with subprocess.Popen([sys.executable, "-c", code], env=env, stdout=follower) as proc:
        os.close(follower)
        out = b""
        while chunk := _read(leader):
            out += chunk
    os.close(leader)
    assert proc.returncode == 0
    return out.decode().replace("\r\n", "\n").splitlines()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the terminal's other end closed
        return b""


def test_say_writes_what_typer_wrote_on_a_terminal_and_off_it() -> None:
    text = "a [b] c ✓"
    code = (
        "import typer\n"
        "from opsbook.cli.output import say\n"
        f"for style in {STYLES!r}:\n"
        f"    say({text!r}, **style)\n"
        f"    typer.echo(typer.style({text!r}, **style) if style else {text!r})\n"
    )
    for terminal in (True, False):
        lines = _written(code, terminal)
        assert len(lines) == 2 * len(STYLES)
        assert lines[0::2] == lines[1::2], terminal
    assert "\x1b[31m\x1b[1ma [b] " in _written(code, True)[0]


def test_say_shows_escape_sequences_in_its_text_on_a_terminal_and_off_it() -> None:
    code = "from opsbook.cli.output import say\nsay('a \\x1b[7mc\\x07', fg='red')\n"
    for terminal in (True, False):
        (line,) = _written(code, terminal)
        assert "a \\x1b[7mc\\x07" in line and "\x07" not in line, terminal
        assert ("\x1b[31m" in line) is terminal  # its own colour only on a terminal
