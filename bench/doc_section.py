"""Each benchmark's own section of docs/benchmarks.md, between its two marker comments."""

from __future__ import annotations

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def markers(bench: str) -> tuple[str, str]:
    """Return the start and end comments around a benchmark's section."""
    return f"<!-- bench:{bench}:start -->", f"<!-- bench:{bench}:end -->"


def replace_section(start: str, end: str, text: str, path: Path = BENCHMARKS) -> None:
    """Put `text` (markers included) where the section was, or at the end the first time."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        current = before + text + rest.split(end, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(current, encoding="utf-8")
