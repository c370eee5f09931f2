"""`opsbook incidents ...` in a new process, as a user runs it, on the runbook's own database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def cli(book: Path, *args: str, user: str = "ana") -> subprocess.CompletedProcess[str]:
    """Run `opsbook incidents ARGS -f BOOK` as `user`, with the book's own state."""
    env = {
        **os.environ,
        "OPSBOOK_HOME": str(book.parent / ".state"),
        "OPSBOOK_USER": user,
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    env.pop("OPSBOOK_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "opsbook", "incidents", *args, "-f", str(book)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=book.parent,
    )


def cli_json(book: Path, *args: str, user: str = "ana") -> Any:
    """Run it with --json; return what it printed, read."""
    done = cli(book, *args, "--json", user=user)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
