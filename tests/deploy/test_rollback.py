"""A deployment of tinyweb whose post-deployment check fails rolls back by itself.

The example system, copied: a good release deploys through its gates; a planted bad
release (its /items answers 500) passes the restart, breaks the post-deployment gate held
for a few seconds, and the Rollback Plan runs at once: the old code answers again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.monitoring.live import free_port
from tests.procedures.cli_support import cli_env, opsbook

pytestmark = pytest.mark.process

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tinyweb"
BOOK = """# tinyweb deploys

## Quick Reference

### Key Metrics

- Service health: `http:http://127.0.0.1:{port}/health`
- Items answer: `http:http://127.0.0.1:{port}/items`

## Standard Operating Procedures

### Deployment Procedure

**Parameters**:
- `VERSION` (required): the release to put live

**Prerequisites**:
- [ ] The release compiles: `python3 -m py_compile "releases/$VERSION/tinyweb.py"`
- [ ] Healthy before we start: `opsbook gate metric "Service health" ">= 1" --for 1s --every 1s`

**Steps**:
1. Keep the running code: `cp tinyweb.py var/tinyweb.py.previous` {{unattended}}
2. Put the release in place: `cp "releases/$VERSION/tinyweb.py" tinyweb.py` {{unattended}}
3. Set its label: `bin/tinyweb release set "$VERSION"` {{unattended}}
4. Restart onto it: `bin/tinyweb restart` {{timeout=1m unattended}}

**Validation**:
- [ ] Items answer for 3 seconds: `opsbook gate metric "Items answer" ">= 1" --for 3s --every 1s`

**Rollback Plan**:
1. Put the previous code back: `cp var/tinyweb.py.previous tinyweb.py` {{unattended}}
2. Put the previous label back: `bin/tinyweb release rollback --from "$VERSION"` {{unattended}}
3. Restart onto it: `bin/tinyweb restart` {{timeout=1m unattended}}
"""
GOOD_ITEMS = "self.reply_json(200, self.server.cache.get(self.server.store))"


def _health(port: int) -> dict[str, object]:
    answer: dict[str, object] = httpx.get(f"http://127.0.0.1:{port}/health").json()
    return answer


def test_a_bad_release_fails_its_held_check_and_rolls_back_to_the_old_one(
    tmp_path: Path,
) -> None:
    home = tmp_path / "tinyweb"
    shutil.copytree(EXAMPLE, home, ignore=shutil.ignore_patterns("var", "*.md"))
    code = (home / "tinyweb.py").read_text()
    assert GOOD_ITEMS in code
    for version, text in (
        ("1.1.0", code),
        ("1.2.0", code.replace(GOOD_ITEMS, 'self.error(500, "planted bug")')),
    ):
        (home / "releases" / version).mkdir(parents=True)
        (home / "releases" / version / "tinyweb.py").write_text(text)
    port = free_port()
    (home / "RUNBOOK.md").write_text(BOOK.format(port=port))
    env = cli_env(tmp_path / "state", TINYWEB_PORT=str(port))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    tinyweb = str(home / "bin" / "tinyweb")
    subprocess.run([tinyweb, "start"], env=env, cwd=home, check=True, capture_output=True)
    try:
        assert _health(port)["version"] == "1.0.0"
        good = opsbook("run", str(home / "RUNBOOK.md"), "deployment", "-p", "VERSION=1.1.0",
                       env=env, timeout=120)  # fmt: skip
        assert good.returncode == 0, good.stdout + good.stderr
        assert _health(port)["version"] == "1.1.0"

        bad = opsbook("run", str(home / "RUNBOOK.md"), "deployment", "-p", "VERSION=1.2.0",
                      env=env, timeout=120)  # fmt: skip
        assert bad.returncode == 1, bad.stdout + bad.stderr
        assert 'validation 1/1 "Items answer for 3 seconds" failed; rolled back' in bad.stdout
        assert _health(port)["version"] == "1.1.0"  # the old release answers again
        assert httpx.get(f"http://127.0.0.1:{port}/items").status_code == 200
        shown = opsbook("runs", "show", "2", "--json", env=env)
        attempts = json.loads(shown.stdout)["attempts"]
        check = next(a for a in attempts if a["step"] == "validation:1")
        assert "broken: value 0 at" in check["stdout"] and "is not >= 1" in check["stdout"]
        assert json.loads(shown.stdout)["params"]["VERSION"] == "1.2.0"
        listed = opsbook("deployments", "-f", str(home / "RUNBOOK.md"), "--json", env=env)
        (live,) = json.loads(listed.stdout)
        assert (live["target"], live["current"], live["current_run"]) == ("deployment", "1.1.0", 1)
        assert (live["last_version"], live["last_status"]) == ("1.2.0", "rolled-back")
    finally:
        subprocess.run([tinyweb, "stop"], env=env, cwd=home, check=False, capture_output=True)
