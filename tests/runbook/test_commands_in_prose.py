"""A code span in prose is a command only when the sentence makes it one."""

from __future__ import annotations

import pytest

from opsbook.runbook.inline_commands import split_command
from opsbook.runbook.parser import parse_runbook

GITLAB_STYLE = """\
# Registry

## Troubleshooting Guide

### Issue: Pushes to the registry fail

#### Possible checks

- The registry runs in the namespace `gitlab-registry`.
- Its configuration lives in `/etc/registry/config.yml`
- Look at the pods: `kubectl -n gitlab-registry get pods`
- Check the free space with `df -h /var/lib/registry`
- Check the load: `$ uptime`
- Count the blobs: run `registry-blobs`

#### Resolution

1. Set `REGISTRY_READONLY`
2. Restart the registry with `gitlab-ctl restart registry`
"""


def test_names_and_paths_at_the_end_of_a_sentence_are_not_commands() -> None:
    issue = parse_runbook(GITLAB_STYLE, "registry.md").troubleshooting[0]
    assert [s.command for s in issue.diagnosis] == [
        None,
        None,
        "kubectl -n gitlab-registry get pods",
        "df -h /var/lib/registry",
        "uptime",
        "registry-blobs",
    ]
    assert [s.command for s in issue.resolution] == [None, "gitlab-ctl restart registry"]
    assert issue.resolution[0].text == "Set `REGISTRY_READONLY`"


@pytest.mark.parametrize(
    ("raw", "command"),
    [
        ("Load: `uptime`", "uptime"),
        ("Load - `uptime`", "uptime"),
        ("`uptime`", "uptime"),
        ("Execute `uptime` {timeout=5s}", "uptime"),
        ("**Run** `uptime`", "uptime"),
        ("Open `/var/log/app.log`", None),
        ("The namespace is `monitoring`.", None),
        ("Disk usage: `$ df -h`", "df -h"),
    ],
)
def test_one_word_spans_are_commands_only_when_introduced(raw: str, command: str | None) -> None:
    assert split_command(raw)[1] == command
