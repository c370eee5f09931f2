"""A one-alert runbook page with no `#` title of its own is one troubleshooting issue: its
title from front matter (or the file's name), its top sections the issue's parts."""

from __future__ import annotations

from opsbook.runbook.parser import parse_runbook

PAGE = """---
title: Disk Full
---
## Meaning

The root volume of a node is over 90% full.

## Diagnosis

```shell
$ df -h /
```

## Mitigation

1. Clear the journal: `journalctl --vacuum-size=500M`
"""


def test_a_page_titled_in_front_matter_is_one_issue_with_its_sections_as_parts() -> None:
    runbook = parse_runbook(PAGE, "alerts/disk-full.md")
    [issue] = runbook.troubleshooting
    assert (issue.id, issue.title, runbook.title) == ("disk-full", "Disk Full", "Disk Full")
    assert issue.symptoms == ("The root volume of a node is over 90% full.",)
    assert [s.command for s in issue.diagnosis] == ["df -h /"]
    assert [s.command for s in issue.resolution] == ["journalctl --vacuum-size=500M"]


def test_a_page_that_starts_at_diagnosis_is_named_by_its_file() -> None:
    text = "## Diagnosis\n\n1. Look: `uptime`\n"
    [issue] = parse_runbook(text, "runbooks/node_load_high.md").troubleshooting
    assert issue.title == "node load high" and len(issue.diagnosis) == 1


def test_a_bom_and_crlf_do_not_hide_the_front_matter() -> None:
    text = "\ufeff" + PAGE.replace("\n", "\r\n")
    [issue] = parse_runbook(text, "disk.md").troubleshooting
    assert issue.title == "Disk Full" and len(issue.resolution) == 1


def test_sections_that_are_not_an_alerts_parts_make_no_issue() -> None:
    text = "## Overview\n\nWhat the service does.\n\n## Contacts\n\nAna.\n"
    assert parse_runbook(text, "service.md").troubleshooting == ()
