"""Styled lines for the run display: Rich on a terminal, the same characters written plainly off it.

Off a terminal Rich prints no colour, so a short line of plain characters comes out exactly
as it is written. Writing such lines directly spares a piped `opsbook run` the import of
Rich, which costs more than the rest of a one-step run's output. A line Rich would change
(wrapped at the console width, a tab, an `:emoji:` code, a bracket or backslash that markup
reads, a character outside the known set) still goes through Rich, so the output is the same.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from opsbook.cli.output import console

if TYPE_CHECKING:
    from rich.console import Console

# A piece of a line: its text and a Rich style ("" for none).
Piece = tuple[str, str]

# Printable ASCII but for [ and \ (markup), and the one-cell marks the run display uses.
_PLAIN = re.compile(r"[ -Z\]-~✓✗–■…↻│]*")
# What Rich's emoji replacement looks at: `:name:`.
_EMOJI = re.compile(r":\S*:")


def markup(pieces: Iterable[Piece]) -> str:
    """Return the pieces as Rich markup, their text escaped."""
    # lazy: keeps rich off the start-up of a plain `opsbook run`
    from rich.markup import escape

    return "".join(
        f"[{style}]{escape(text)}[/]" if style else escape(text) for text, style in pieces
    )


def rich_is_terminal(stream: TextIO) -> bool:
    """Say whether a Rich console on this stream counts as a terminal (Rich's own rules)."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


def rich_width() -> int:
    """Return the width a Rich console would wrap at (COLUMNS, a terminal on 0-2, else 80)."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    width = 0
    for descriptor in (0, 1, 2):
        try:
            width = os.get_terminal_size(descriptor).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    return width or 80


class Lines:
    """Print lines of pieces to stdout or stderr, through Rich only when Rich would change them."""

    def __init__(self, *, stderr: bool = False) -> None:
        self.stderr = stderr
        self.is_terminal = rich_is_terminal(self.stream)
        # Windows consoles have their own width and rendering rules: leave them to Rich.
        self.plain = os.name == "posix" and not self.is_terminal
        # Off a terminal the width cannot change while we print: read it once.
        self.plain_width = rich_width() if self.plain else 0
        self.quiet = False
        self._console: Console | None = None

    @property
    def stream(self) -> TextIO:
        """Return the stream written to now (tests swap sys.stdout)."""
        return sys.stderr if self.stderr else sys.stdout

    @property
    def console(self) -> Console:
        """Return the Rich console for this stream, made on first use."""
        if self._console is None:
            self._console = console(stderr=self.stderr)
        return self._console

    def print(self, *pieces: Piece) -> None:
        """Print one line made of the pieces."""
        if self.quiet:
            return
        text = "".join(text for text, _ in pieces)
        if self.plain and self._unchanged_by_rich(text):
            try:
                self.stream.write(text + "\n")
                self.stream.flush()
                return
            except BrokenPipeError:
                self.quiet = True
                self.console.on_broken_pipe()  # as Rich does: quiet, stdout to null, exit 1
            except UnicodeEncodeError:
                pass  # Rich raises it with a hint about PYTHONIOENCODING
        self.console.print(markup(pieces), markup=True, highlight=False, overflow="fold")

    def _unchanged_by_rich(self, text: str) -> bool:
        width = self.plain_width
        return (
            width > 0
            and len(text) <= width
            and _PLAIN.fullmatch(text) is not None
            and _EMOJI.search(text) is None
        )
