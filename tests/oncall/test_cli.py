"""`opsbook oncall now|next|schedule|override|feed` in a new process, as a person runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.process


def opsbook(book: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSBOOK_USER": "ana", "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("OPSBOOK_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "opsbook", "oncall", *args, "-f", str(book)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=book.parent,
    )


def test_now_says_who_is_on_call_in_each_layer_until_when_and_who_is_next(
    book_path: Path,
) -> None:
    done = opsbook(book_path, "now", "--at", "2026-03-01T03:00", "--json")
    assert done.returncode == 0, done.stderr
    views = json.loads(done.stdout)
    assert [(v["layer"], v["person"], v["next_person"]) for v in views] == [
        ("primary", "Ben Ode", "Cy Park"),
        ("secondary", "Ana Ruiz", "Ben Ode"),
    ]
    # Ana's address comes from the Emergency Contacts row that names her.
    assert views[1]["address"] == "ana.ruiz@example.com"
    assert views[0]["until"] == "2026-03-02T08:00:00+00:00"
    assert "1 week rotation" in views[0]["why"]
    human = opsbook(book_path, "now", "--at", "2026-03-01T03:00")
    assert "Ben Ode <ben@example.com>" in human.stdout and "2026-03-02 08:00 UTC" in human.stdout


def test_rotations_lists_each_rotation_with_its_layers_and_people(book_path: Path) -> None:
    done = opsbook(book_path, "rotations", "--json")
    assert json.loads(done.stdout) == [
        {
            "name": "ops",
            "zone": "Europe/Berlin",
            "layers": ["primary", "secondary"],
            "people": ["Ana Ruiz", "Ben Ode", "Cy Park"],
            "overrides": 0,
        }
    ]


def test_next_and_schedule_list_the_handoffs(book_path: Path) -> None:
    done = opsbook(book_path, "next", "--at", "2026-03-01T03:00", "--json")
    assert [(v["layer"], v["person"], v["start"]) for v in json.loads(done.stdout)] == [
        ("primary", "Cy Park", "2026-03-02T08:00:00+00:00"),
        ("secondary", "Ben Ode", "2026-03-02T08:00:00+00:00"),
    ]
    done = opsbook(book_path, "schedule", "--from", "2026-03-01", "--to", "2026-03-20", "--json")
    shifts = json.loads(done.stdout)
    assert [s["person"] for s in shifts if s["layer"] == "primary"] == [
        "Ben Ode",
        "Cy Park",
        "Ana Ruiz",
        "Ben Ode",
    ]
    mine = opsbook(
        book_path, "schedule", "--from", "2026-03-01", "--to", "2026-03-20", "--person", "cy park"
    )
    assert mine.returncode == 0 and mine.stdout.count("Cy Park") == 2


def test_override_writes_the_front_matter_and_a_version_row_and_is_then_in_force(
    book_path: Path,
) -> None:
    before = book_path.read_text()
    done = opsbook(
        book_path,
        "override",
        "ops",
        "--who",
        "Lee <lee@example.com>",
        "--covers",
        "Ana Ruiz",
        "--from",
        "2026-03-09 09:00",
        "--to",
        "2026-03-12 09:00",
    )
    assert done.returncode == 0, done.stderr
    after = book_path.read_text()
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added[:2] == [
        "    overrides:",
        '      - {who: "Lee <lee@example.com>", covers: "Ana Ruiz", from: "2026-03-09 09:00", '
        'to: "2026-03-12 09:00"}',
    ]
    assert added[2].startswith("| 1.1 | 20") and added[2].endswith(
        "| ana | On-call override ops/primary: Lee <lee@example.com> covering Ana Ruiz "
        "from 2026-03-09 09:00 to 2026-03-12 09:00 |"
    )
    assert len(added) == 3
    now = json.loads(opsbook(book_path, "now", "--at", "2026-03-10T12:00", "--json").stdout)
    assert now[0]["person"] == "Lee" and "override covering Ana Ruiz" in now[0]["why"]
    # A second override goes under the first.
    again = opsbook(
        book_path,
        "override",
        "ops",
        "--who",
        "Max",
        "--from",
        "2026-04-01",
        "--to",
        "2026-04-02",
        "--layer",
        "secondary",
    )
    assert again.returncode == 0, again.stderr
    lines = book_path.read_text().splitlines()
    at = lines.index("    overrides:")
    assert lines[at + 2] == (
        '      - {who: "Max", from: "2026-04-01", to: "2026-04-02", layer: "secondary"}'
    )


def test_a_bad_override_changes_nothing_and_exits_2(book_path: Path) -> None:
    before = book_path.read_text()
    for args in (
        ("ops", "--who", "Lee", "--from", "2026-03-09", "--to", "2026-03-01"),
        ("ops", "--who", "Lee", "--from", "soon", "--to", "2026-03-01"),
        ("ops", "--who", "Lee", "--from", "2026-03-01", "--to", "2026-03-02", "--layer", "x"),
    ):
        done = opsbook(book_path, "override", *args)
        assert done.returncode == 2, (args, done.stderr)
    done = opsbook(
        book_path, "override", "nope", "--who", "L", "--from", "2026-03-01", "--to", "2026-03-02"
    )
    assert done.returncode == 2 and 'no rotation "nope"' in done.stderr
    assert book_path.read_text() == before


def test_a_wrong_rotation_value_names_the_file_line_and_field(book_path: Path) -> None:
    text = book_path.read_text().replace(
        "length: 1 week\n        start: 2026-01-05\n        "
        'handoff: "09:00"\n      - name: secondary',
        "length: 1 week\n        start: 2026-01-05\n        "
        'handoff: "09:00"\n      - name: secondary\n'
        "        lenght: 2 weeks",
    )
    book_path.write_text(text)
    done = opsbook(book_path, "now")
    assert done.returncode == 2
    line = text.splitlines().index("        lenght: 2 weeks") + 1
    assert f"RUNBOOK.md:{line}: front matter `oncall.ops.layers[1].lenght`" in done.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "opsbook", "check", str(book_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 2 and "`oncall.ops.layers[1].lenght`: is not a known key" in (
        checked.stderr
    )


def test_an_override_waits_for_a_runbook_open_in_an_editor(book_path: Path) -> None:
    before = book_path.read_text()
    (book_path.parent / ".RUNBOOK.md.swp").write_text("vim")
    done = opsbook(
        book_path, "override", "ops", "--who", "Lee", "--from", "2026-03-01", "--to", "2026-03-02"
    )
    assert done.returncode != 0 and "unsaved changes in an editor" in done.stderr
    assert book_path.read_text() == before
