"""A folder of runbooks served as one: every file's issues and procedures, each naming its
file; ids two files share made unique; a file that cannot be read is left out and said."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.monitoring.linking import link_alert
from opsbook.runbook.combined import combine
from opsbook.runbook.loader import load_folder
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError

ALERT = "---\ntitle: {title}\n---\n## Meaning\n\nIt broke.\n\n## Diagnosis\n\n1. Look: `uptime`\n"


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_every_files_issues_are_served_each_naming_its_file(tmp_path: Path) -> None:
    _write(tmp_path, "alerts/KubeNodeNotReady.md", ALERT.format(title="Node not ready"))
    _write(tmp_path, "alerts/DiskFull.md", ALERT.format(title="Disk full"))
    _write(tmp_path, "manual/reload.md", "# Reload\n\n## Steps\n\n1. Go: `nginx -s reload`\n")
    runbook, skipped = load_folder(tmp_path)
    assert skipped == []
    assert sorted((i.id, i.source) for i in runbook.troubleshooting) == [
        ("disk-full", "alerts/DiskFull.md"),
        ("node-not-ready", "alerts/KubeNodeNotReady.md"),
    ]
    assert [p.id for p in runbook.procedures] == ["reload"]
    assert runbook.title == tmp_path.name


def test_an_id_two_files_share_is_made_unique_by_the_second_files_path() -> None:
    first = parse_runbook(ALERT.format(title="Disk full"), "a.md")
    second = parse_runbook(ALERT.format(title="Disk full"), "db/disk.md")
    combined = combine("/srv/runbooks", [("a.md", first), ("db/disk.md", second)])
    assert [i.id for i in combined.troubleshooting] == ["disk-full", "db-disk-disk-full"]


def test_a_file_that_cannot_be_read_is_left_out_with_its_line(tmp_path: Path) -> None:
    _write(tmp_path, "good.md", ALERT.format(title="Fine"))
    _write(tmp_path, "bad.md", "# Bad\n\n## Startup Procedure\n\n**Steps**:\n1. Go: `true` {x=1}\n")
    runbook, skipped = load_folder(tmp_path)
    assert [i.id for i in runbook.troubleshooting] == ["fine"]
    assert [(Path(p.path).name, p.line) for p in skipped] == [("bad.md", 6)]


def test_a_folder_with_nothing_readable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="holds no Markdown files"):
        load_folder(tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/runbooks/blob/main/alerts/KubeNodeNotReady.md",
        "https://runbooks.example.org/runbooks/node/kubenodenotready",
        "https://runbooks.example.org/runbooks/node/KubeNodeNotReady.md?plain=1#diagnosis",
    ],
)
def test_an_alert_links_to_its_file_by_runbook_url(tmp_path: Path, url: str) -> None:
    _write(tmp_path, "alerts/KubeNodeNotReady.md", ALERT.format(title="Node not ready"))
    runbook, _ = load_folder(tmp_path)
    link = link_alert(runbook, {"alertname": "NodeProblem"}, {"runbook_url": url})
    assert link.issue == "node-not-ready"


def test_an_alert_links_to_its_file_by_alert_name(tmp_path: Path) -> None:
    _write(tmp_path, "alerts/KubeNodeNotReady.md", ALERT.format(title="Node not ready"))
    runbook, _ = load_folder(tmp_path)
    assert link_alert(runbook, {"alertname": "KubeNodeNotReady"}, {}).issue == "node-not-ready"
