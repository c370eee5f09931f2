"""Shapes met in real runbook repositories, written here in our own words: what is an
example rather than a command, what names rather than runs, what a fence holds when it is
output, a search or a sentence, and which commands a person must judge."""

from __future__ import annotations

import pytest

from opsbook.runbook.fence_kinds import not_commands
from opsbook.runbook.inline_commands import split_command
from opsbook.runbook.model import Step
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.step_safety import Who, attendance


@pytest.mark.parametrize(
    "item",
    [
        'Look for lines like `level=warn msg="queue full" code=429`.',
        "The log says something such as `connection reset by peer (os error 104)`",
        "- `node_filesystem_avail_bytes`",
        "`https://status.example.org/health`",
        "Ask in `#db-oncall`",
        "`@storage-team`",
        "Logs are in `/var/log/app/<worker>.log`",
        "`/etc/app/`",
    ],
)
def test_an_example_or_a_name_in_a_code_span_is_not_a_command(item: str) -> None:
    assert split_command(item.removeprefix("- "))[1] is None


def test_a_lone_program_after_a_colon_is_still_a_command() -> None:
    assert split_command("Check the clock: `timedatectl`")[1] == "timedatectl"


def test_a_paragraph_naming_one_word_is_prose_not_a_step() -> None:
    text = "# Pods down\n\n## Diagnosis\n\nYou get the overall picture with `events`.\n"
    [issue] = parse_runbook(text, "pods.md").troubleshooting
    assert issue.diagnosis == ()
    assert "overall picture" in issue.diagnosis_notes


@pytest.mark.parametrize(
    ("fence", "kind"),
    [
        (
            "Jan  7 04:12:33 web-3 app[811]: worker started\nJan  7 04:12:34 web-3 app[811]: ok\n",
            "output",
        ),
        ("2026-01-07T04:12:33Z INFO started\n", "output"),
        ('level=error ts=2026-01-07 msg="write failed"\n', "output"),
        ('jsonPayload.event="evicted"\nresource.labels.zone="eu-west1-b"\n', "a search query"),
        ("A healthy queue drains within a minute of any burst of jobs.\n", "text"),
        ("> Job.where(state: 'stuck').count\n=> 12\n", "console"),
    ],
)
def test_an_unlabelled_fence_of_output_a_search_or_prose_is_not_commands(
    fence: str, kind: str
) -> None:
    assert not_commands(fence) == kind


@pytest.mark.parametrize(
    "fence", ["uptime\n", "FOO=bar ./run.sh\n", "systemctl status app | head\n"]
)
def test_an_unlabelled_fence_of_commands_is_still_commands(fence: str) -> None:
    assert not_commands(fence) is None


@pytest.mark.parametrize(
    ("command", "who"),
    [
        ("rm ~/.config/tool/credentials", Who.ASK),
        ("rm /srv/data/index.db", Who.ASK),
        ("rm prepared", Who.UNATTENDED),
        ("rm -f /tmp/app.sock", Who.UNATTENDED),
        ("docker-machine create -d virtualbox scratch", Who.ASK),
        ("gcloud compute instances create vm-2", Who.ASK),
        ("docker-machine ssh scratch", Who.PERSON),
        ("gcloud compute ssh vm-2", Who.PERSON),
        ("knife ssh 'role:db' 'uptime'", Who.PERSON),
    ],
)
def test_who_a_command_from_someone_elses_runbook_waits_for(command: str, who: Who) -> None:
    assert attendance(Step(text="step", command=command), "steps").who is who


def test_an_emphasised_word_opening_a_sentence_is_not_a_label() -> None:
    text = """# Old machine types

## Mitigation

**Important** plan these updates before the upgrade.

```bash
$ kubectl patch vm <name> --type=json -p '[{"op":"remove","path":"/spec/x"}]'
```
"""
    [issue] = parse_runbook(text, "vm.md").troubleshooting
    [step] = issue.resolution
    assert step.command is not None and step.command.startswith("kubectl patch vm")
    assert attendance(step, "resolution").who is Who.ASK


@pytest.mark.parametrize(
    "item",
    [
        "- environment: `staging`.",
        "`Only {{ $value }} of pods are ready in {{ $labels.namespace }}`",
        "`Clock synchronized: no`",
        '`queue_depth{job="worker"}`',
        "`QueueBacklogGrowing`",
        "`org.example.queue.Dispatcher`",
        "`caller=dispatch.go:120`",
    ],
)
def test_values_templates_and_output_in_code_spans_are_not_commands(item: str) -> None:
    assert split_command(item.removeprefix("- "))[1] is None


@pytest.mark.parametrize(
    "fence",
    [
        "// jobs waiting per queue\nsum by (queue) (jobs_waiting)\n",
        "[Unit]\nDescription=Worker\n\n[Service]\nExecStart=/opt/worker/run\n",
        "client ──▶ proxy ──▶ worker\n",
        '{app="worker"} |= "timeout"\n',
    ],
)
def test_code_config_diagrams_and_log_queries_in_fences_are_not_commands(fence: str) -> None:
    assert not_commands(fence) is not None


def test_after_a_shell_is_opened_elsewhere_root_prompts_are_its_commands() -> None:
    text = """# Stuck updater

## Mitigation

- Restart the updater on the node:

  ```console
    $ oc debug node/<node>
    # chroot /host
    # systemctl restart updater
  ```
"""
    [issue] = parse_runbook(text, "updater.md").troubleshooting
    [step] = issue.resolution
    assert step.command == "oc debug node/<node>\nchroot /host\nsystemctl restart updater"
    assert attendance(step, "resolution").who is Who.PERSON


def test_an_item_with_output_then_commands_runs_the_commands_fence() -> None:
    text = """# Stuck updater

## Mitigation

- When the log shows this error:

  ```console
  error: transaction in progress
  ```

  check the daemon with `systemctl status`:

  ```bash
  systemctl status updater --no-pager
  ```
"""
    [issue] = parse_runbook(text, "updater.md").troubleshooting
    assert [s.command for s in issue.resolution] == ["systemctl status updater --no-pager"]


def test_a_case_label_with_items_under_it_is_not_a_command() -> None:
    text = (
        "# Cache\n\n## Diagnosis\n\n- `timeout`\n"
        "  - Add replicas: `kubectl scale sts cache --replicas=5`\n"
    )
    [issue] = parse_runbook(text, "cache.md").troubleshooting
    assert [s.command for s in issue.diagnosis] == [None, "kubectl scale sts cache --replicas=5"]


def test_a_playbooks_page_of_alert_sections_without_named_parts_is_one_issue_each() -> None:
    text = """# Playbooks

## Alerts

### QueueBacklogGrowing

Jobs pile up. Look at the workers:

```bash
systemctl status queue-worker
```

#### Slow consumers

```bash
journalctl -u queue-worker -n 50
```

### QueueDead

Nothing drains at all.
"""
    issues = parse_runbook(text, "playbooks.md").troubleshooting
    assert [i.title for i in issues] == ["QueueBacklogGrowing", "QueueDead"]
    assert [s.text for s in issues[0].diagnosis] == [
        "Jobs pile up. Look at the workers",
        "Slow consumers",
    ]
    assert "Nothing drains at all." in issues[1].diagnosis_notes


def test_alert_name_headings_of_a_mixin_page_are_issues_named_by_the_alert() -> None:
    text = (
        '# Alert Runbooks\n\n### Group Name: "queues"\n\n'
        '##### Alert Name: "QueueDead"\n\n+ *Message*: nothing drains\n\n'
        '##### Alert Name: "QueueSlow"\n\n+ *Message*: slow\n'
    )
    runbook = parse_runbook(text, "runbook.md")
    assert [i.title for i in runbook.troubleshooting] == ["QueueDead", "QueueSlow"]
    assert runbook.procedures == ()
