"""Fences read as a person reads them: prompts, output, comments, and what is not shell."""

from __future__ import annotations

import pytest

from opsbook.runbook.commands import command_from_fence
from opsbook.runbook.fence_kinds import not_commands, transcript_commands
from opsbook.runbook.parser import parse_runbook

ALERT = """\
# EtcdMembersDown

## Meaning

Members of the etcd cluster are down.

## Diagnosis

Check which members answer:

```
# list the members, then their health
$ etcdctl member list -w table
+------------------+---------+--------+
|        ID        | STATUS  |  NAME  |
+------------------+---------+--------+
$ etcdctl endpoint health \\
>   --cluster
https://10.0.0.1:2379 is healthy
```

The query behind the alert:

```
max without (endpoint) (sum without (instance) (up{job=~".*etcd.*"} == bool 0))
```

What the pods said:

```
NAME          READY   STATUS             RESTARTS
etcd-node-1   0/1     CrashLoopBackOff   12
```

## Mitigation

1. Look at the member's manifest:

   ```
   apiVersion: v1
   kind: Pod
   metadata:
     name: etcd-node-1
   ```

2. Remove the broken member: `etcdctl member remove $MEMBER_ID`
"""


def test_an_alert_runbook_transcript_runs_only_what_follows_the_prompts() -> None:
    issue = parse_runbook(ALERT, "etcd.md").troubleshooting[0]
    assert [s.command for s in issue.diagnosis] == [
        "etcdctl member list -w table\netcdctl endpoint health \\\n  --cluster"
    ]
    assert issue.diagnosis[0].text == "Check which members answer"


def test_unlabelled_queries_manifests_and_output_are_shown_never_run() -> None:
    issue = parse_runbook(ALERT, "etcd.md").troubleshooting[0]
    first, second = issue.resolution
    assert first.manual and first.text == "Look at the member's manifest"
    assert second.command == "etcdctl member remove $MEMBER_ID"


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ('sum(rate(http_requests_total{code=~"5.."}[5m])) by (job)', "promql"),
        ('up{job="node"} == 0', "promql"),
        ("apiVersion: v1\nkind: ConfigMap\ndata:\n  key: value\n", "yaml"),
        ("- name: web\n  image: nginx\n", "yaml"),
        ('{"index": {"number_of_replicas": 0}}', "json"),
        ('[\n  {"op": "remove", "path": "/spec/x"}\n]', "json"),
        ("SELECT pid, state FROM pg_stat_activity;", "sql"),
        ("Sidekiq::Queue.new('default').size", "ruby"),
        ("Feature.enable(:ci_jobs)", "ruby"),
        ("projects.each do |p|\n  puts p.id\nend", "ruby"),
        ("NAME      READY   STATUS\nweb-1     1/1     Running", "output"),
        ("Filesystem      Size  Used Avail Use% Mounted on", "output"),
        ("appdb=# select pg_cancel_backend(<pid>);\n pg_cancel_backend\n t", "console"),
        ("mysql> SHOW PROCESSLIST;", "console"),
        ("redis-main:6379> INFO memory", "console"),
        ("irb(main):001> Project.count", "console"),
        (">>> import sys", "console"),
    ],
)
def test_unlabelled_fences_that_are_not_shell_are_named(content: str, kind: str) -> None:
    assert not_commands(content) == kind
    assert command_from_fence("", content) is None


@pytest.mark.parametrize(
    "content",
    [
        "kubectl get pods -o jsonpath='{.items[*].metadata.name}'",
        "# look at the disk first\ndf -h /var\ndu -sh /var/log/*",
        "sum() { awk '{s+=$1} END {print s}'; }\ncat sizes | sum",
        "export KUBECONFIG=/etc/kubernetes/admin.conf\nkubectl get nodes",
        'for f in *.log; do gzip "$f"; done',
        "echo 'select 1' | psql",
    ],
)
def test_unlabelled_shell_is_a_command(content: str) -> None:
    assert not_commands(content) is None
    fenced = command_from_fence("", content)
    assert fenced is not None and fenced[0] == content


@pytest.mark.parametrize(
    ("content", "commands"),
    [
        ("# first a comment\n$ uptime\n 10:00 up 3 days", "uptime"),
        ("$ df -h\n# then the inodes\n$ df -i\nFilesystem Inodes", "df -h\ndf -i"),
        ("ops@db-1:~$ systemctl status pg\n● pg.service", "systemctl status pg"),
        ("[root@db-1 ~]$ free -m\n              total", "free -m"),
        ("$ ls \\\n> -la\ntotal 0", "ls \\\n-la"),
        ("$\n$ id -u\n1000", "id -u"),
    ],
)
def test_transcripts_keep_what_is_typed_at_a_prompt(content: str, commands: str) -> None:
    assert transcript_commands(content) == commands
    fenced = command_from_fence("", content)
    assert fenced is not None and fenced[0] == commands


def test_root_prompts_count_in_a_console_fence_without_user_prompts() -> None:
    content = "# systemctl restart pg\n# systemctl is-active pg\nactive"
    assert transcript_commands(content, console=True) == (
        "systemctl restart pg\nsystemctl is-active pg"
    )
    fenced = command_from_fence("console", content)
    assert fenced is not None and fenced[0].startswith("systemctl restart pg")
    script = command_from_fence("bash", content)
    assert script is not None and script[0] == content, "in a bash fence `#` is a comment"
