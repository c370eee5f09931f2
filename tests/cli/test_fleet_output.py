"""A step on many hosts reads at a glance: one line with counts, then only the failures,
grouped by identical output; `runs show` groups every try's hosts the same way."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from opsbook.cli.fleet_view import SHOWN_GROUPS, FleetCounts, failure_lines
from opsbook.cli.lines import Lines
from opsbook.cli.run_view import StepView
from opsbook.procedures.engine import Plan, RunStatus
from opsbook.procedures.executors.protocol import CommandResult
from tests.procedures.cli_support import OPSBOOK, cli_env
from tests.procedures.test_rollout_steps import book, run

pytestmark = pytest.mark.process


def broken_book() -> str:
    # web03, web07 and web11 fail alike; web15 fails its own way.
    text = book("max_fail=5", ["web03", "web07", "web11"])
    return text.replace(
        "esac; echo ok",
        'web15) echo "no route to repo" >&2; exit 2;; esac; echo ok',
    ).replace("echo broken; exit 1", 'echo "disk full: /var"; exit 1')


def test_a_fleet_step_prints_one_line_then_only_failures_grouped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def view(plan: Plan) -> StepView:
        return StepView(Lines(), plan)

    status, _, _, _ = run(tmp_path, broken_book(), on_plan=view)
    assert status is RunStatus.SUCCEEDED
    out = capsys.readouterr().out
    lines = [line.rstrip() for line in out.splitlines()]
    assert "  … step 1/2 Deploy on 20 hosts: web01, web02, web03, web04, web05 (+15 more)" in lines
    end = next(i for i, line in enumerate(lines) if line.startswith("  ✓ step 1/2 Deploy"))
    assert lines[end].startswith("  ✓ step 1/2 Deploy  (20 hosts: 16 ok, 4 failed)  ")
    assert lines[end + 1 : end + 6] == [
        "      4 of 20 hosts failed, within max_fail=5 (5 allowed)",
        "      ✗ web03, web07, web11: exit 1",
        "        │ disk full: /var",
        "      ✗ web15: exit 2",
        "        │ no route to repo",
    ]
    assert lines[end + 6].startswith("  ✓ step 2/2 After")
    # The hosts that passed are counted, never listed one by one.
    assert not [line for line in lines if "web01:" in line or line.endswith("ok")]


def test_runs_show_groups_hosts_by_identical_output(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    run(tmp_path, broken_book(), db_file=state / "opsbook.db")
    (tmp_path / "RUNBOOK.md").write_text(broken_book())
    shown = subprocess.run(
        [OPSBOOK, "runs", "show", "1", "--runbook", str(tmp_path / "RUNBOOK.md")],
        env=cli_env(state),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line.rstrip() for line in shown.splitlines()]
    # The step passed (4 failures are within max_fail=5); its hosts did not all pass.
    head = lines.index("       passed step 1 Deploy @20 hosts: 16 passed, 4 failed")
    assert lines[head + 1 : head + 7] == [
        "                  failed    3 hosts  web[03,07,11] exit 1",
        "                  │ disk full: /var",
        "                  failed    1 host   web15 exit 2",
        "                  │ no route to repo",
        "                  passed   16 hosts  web[01-02,04-06,08-10,12-14,16-20]",
        "                  │ ok",
    ]


def test_a_fleet_failing_many_ways_shows_the_biggest_groups_then_counts_the_rest() -> None:
    hosts = [f"web{i:02d}" for i in range(40)]
    results = {h: CommandResult(1, stderr=f"disk {i % 25} full\n") for i, h in enumerate(hosts)}
    counts = FleetCounts(len(hosts))
    for h in hosts:
        counts.ended_on(h, False)

    lines = [
        "".join(text for text, _ in pieces) for pieces in failure_lines(hosts, results, counts)
    ]

    heads = [line for line in lines if line.startswith("      ✗ ")]
    assert len(heads) == SHOWN_GROUPS
    # 25 ways of failing: 15 of them twice (the biggest, shown first), 10 once.
    assert heads[0] == "      ✗ web00, web25: exit 1"
    assert lines[-1] == (
        "      … and 20 more failed hosts in 15 other groups: "
        "`opsbook runs show` has every host's output"
    )
