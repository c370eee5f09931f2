"""The CLI's start-up stays light: `opsbook --help` loads none of the heavy libraries.

Lint, format and type checks run from `make lint` (and in CI), not from pytest.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.process


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from opsbook.cli.app import app\n"
        "heavy = {'sqlalchemy', 'fastapi', 'asyncssh', 'pydantic', 'jinja2', 'psutil', 'httpx'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
