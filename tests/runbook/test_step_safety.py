"""What runs without a person: every rule, read from runbooks in the styles teams write.

The runbooks here are written for these tests in the shapes of public runbook repositories
(one alert per file with Meaning / Impact / Diagnosis / Mitigation, GitLab-style service
pages with Possible checks / Resolution, GOV.UK-style manual pages of numbered steps with
shell fences); none of their text is copied.
"""

from __future__ import annotations

import pytest

from opsbook.runbook.model import Attrs, Runbook, Step
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError
from opsbook.runbook.serialize import runbook_data
from opsbook.runbook.step_safety import (
    DEFAULT_TIMEOUT,
    Who,
    attendance,
    attendances,
    condition,
    default_timeout,
    runnable_command,
)

ALERT_RUNBOOK = """\
# ReplicaSetPodsCrashing

## Meaning

Pods of a replica set restart again and again.

## Impact

Requests fail while fewer replicas serve them.

## Diagnosis

- List the pods of the namespace: `kubectl -n $NAMESPACE get pods -o wide`
- Read the last log lines of the pod: `kubectl -n $NAMESPACE logs --tail=200 $POD`
- Watch the pods come and go: `kubectl -n $NAMESPACE get pods -w`
- Restart the pod to see whether it recovers: `kubectl -n $NAMESPACE delete pod $POD`
- Open a shell in the pod and look at its disk:

  ```bash
  kubectl -n $NAMESPACE exec -it $POD -- sh
  df -h /data
  ```

## Mitigation

1. Roll the deployment: `kubectl -n $NAMESPACE rollout restart deployment/$DEPLOYMENT`
2. If the node is out of memory, drain it: `kubectl drain $NODE --ignore-daemonsets`
3. Scale the consumer down while the queue drains: `kubectl scale deploy/consumer --replicas=0`
4. Check the rollout: `kubectl -n $NAMESPACE rollout status deployment/$DEPLOYMENT`
"""

GITLAB_PAGE = """\
# Background jobs

## Troubleshooting Guide

### Issue: The job queue keeps growing

#### Symptoms

- Jobs wait for minutes before they start.

#### Possible checks

1. Count the jobs by queue:

   ```shell
   sudo jobctl queues --json
   ```

2. Look at the busy workers from a console on the node:

   ```shell
   sudo gitlab-rails console
   Workers.busy.count
   ```

3. Read the database's long queries:

   ```shell
   sudo gitlab-psql
   SELECT pid, query FROM pg_stat_activity WHERE state = 'active';
   ```

4. Follow the worker log: `sudo gitlab-ctl tail workers`

#### Resolution

1. Only if the queue keeps growing, restart the workers: `sudo gitlab-ctl restart workers`
2. Stop the stuck queries:

   ```shell
   sudo gitlab-psql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
   ```

3. Clear the dead set: `redis-cli -h redis.internal DEL dead` {unattended}
"""

MANUAL_PAGE = """\
---
title: Replace the edge certificate
timeout: 2m
hosts:
  edge-1: 10.0.0.9
---

## Standard Operating Procedures

### Replace the edge certificate Procedure

1. Log in to the edge machine:

   ```sh
   ssh edge-1
   sudo ls -l /etc/edge/certs
   ```

2. Copy the new certificate onto the machine: `scp new.pem edge-1:/etc/edge/certs/`

3. Reload the edge proxy on the machine {host=edge-1}

   ```sh
   ssh edge-1
   sudo systemctl reload edge
   exit
   ```

4. Check the certificate it serves: `curl -sv https://edge.example.org 2>&1 | grep expire`

5. Become root on this machine and tidy the old files:

   ```sh
   sudo -i
   rm -rf /var/tmp/edge-old
   ```

6. Watch the error rate for a while: `watch -n 5 edge-stats errors`
7. Sample the load for a minute: `vmstat 5 12`
8. Bounded follow of the access log: `tail -f /var/log/edge/access.log` {timeout=30s}
"""


def parsed(text: str) -> Runbook:
    return parse_runbook(text, "runbook.md")


def decisions(steps: tuple[Step, ...], part: str) -> list[tuple[str, Who]]:
    return [(step.text, attendance(step, part).who) for step in steps]


@pytest.fixture(scope="module")
def alert() -> Runbook:
    return parsed(ALERT_RUNBOOK)


def test_alert_runbook_diagnosis_looks_and_never_changes_or_leaves(alert: Runbook) -> None:
    issue = alert.troubleshooting[0]
    assert decisions(issue.diagnosis, "diagnosis") == [
        ("List the pods of the namespace", Who.UNATTENDED),
        ("Read the last log lines of the pod", Who.UNATTENDED),
        ("Watch the pods come and go", Who.PERSON),
        ("Restart the pod to see whether it recovers", Who.ASK),
        ("Open a shell in the pod and look at its disk", Who.PERSON),
    ]


def test_a_changing_diagnosis_step_asks_even_when_marked_unattended() -> None:
    step = Step("Delete it", "kubectl delete pod web-1", Attrs(unattended=True))
    decided = attendance(step, "diagnosis")
    assert decided.who is Who.ASK
    assert "diagnosis is for looking" in decided.why and "kubectl delete" in decided.why


def test_alert_runbook_mitigation_asks_before_each_change(alert: Runbook) -> None:
    issue = alert.troubleshooting[0]
    said = [attendance(s, "resolution") for s in issue.resolution]
    assert [d.who for d in said] == [Who.ASK, Who.ASK, Who.ASK, Who.UNATTENDED]
    assert "kubectl rollout restart" in said[0].why
    assert 'condition: "If the node is out of memory"' in said[1].why
    assert "scales to zero" in said[2].why


def test_gitlab_page_consoles_are_done_by_a_person_there() -> None:
    issue = parsed(GITLAB_PAGE).troubleshooting[0]
    said = [attendance(s, "diagnosis") for s in issue.diagnosis]
    assert [d.who for d in said] == [Who.UNATTENDED, Who.PERSON, Who.PERSON, Who.PERSON]
    assert "opens the gitlab-rails console; the lines after it are typed there" in said[1].why
    assert "opens the gitlab-psql prompt" in said[2].why
    assert "gitlab-ctl tail follows the logs" in said[3].why


def test_gitlab_page_resolution_asks_and_runs_what_the_runbook_marks() -> None:
    issue = parsed(GITLAB_PAGE).troubleshooting[0]
    said = [attendance(s, "resolution") for s in issue.resolution]
    assert [d.who for d in said] == [Who.ASK, Who.ASK, Who.UNATTENDED]
    assert "Only if the queue keeps growing" in said[0].why
    assert "pg_terminate_backend" in said[1].why
    assert said[2].why.startswith("marked {unattended}") and "redis-cli del" in said[2].why


@pytest.fixture(scope="module")
def manual() -> Runbook:
    return parsed(MANUAL_PAGE)


def test_manual_page_commands_for_another_host_are_a_person_s(manual: Runbook) -> None:
    steps = manual.procedures[0].steps
    said = [attendance(s, "steps") for s in steps]
    assert said[0].who is Who.PERSON
    assert "`ssh edge-1` opens a shell on edge-1" in said[0].why and "{host=NAME}" in said[0].why
    assert said[1].who is Who.PERSON and "edge-1" in said[1].why
    assert said[3].who is Who.UNATTENDED
    assert said[4].who is Who.PERSON and "opens a root shell" in said[4].why


def test_host_attribute_runs_the_lines_after_ssh_on_that_host(manual: Runbook) -> None:
    reload = manual.procedures[0].steps[2]
    assert reload.attrs.host == "edge-1"
    assert runnable_command(reload) == "sudo systemctl reload edge"
    decided = attendance(reload, "steps")
    assert decided.who is Who.ASK and "systemctl reload" in decided.why
    one_line = Step("Uptime", "ssh -p 2222 edge-1 uptime", Attrs(host="edge-1"))
    assert runnable_command(one_line) == "uptime"
    assert attendance(one_line, "diagnosis").who is Who.UNATTENDED


def test_never_ending_commands_wait_for_a_person_unless_bounded(manual: Runbook) -> None:
    steps = manual.procedures[0].steps
    watch, sample, follow = (attendance(s, "steps") for s in steps[5:8])
    assert watch.who is Who.PERSON and "watch runs until someone quits it" in watch.why
    assert sample.who is Who.UNATTENDED, "vmstat with a count ends"
    assert follow.who is Who.UNATTENDED and "its timeout stops it" in follow.why


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("tail -f /var/log/syslog", "tail -f"),
        ("journalctl -fu nginx", "journalctl -f"),
        ("kubectl logs -f deploy/web", "logs -f"),
        ("docker compose logs -f web", "logs -f"),
        ("kubectl get pods --watch", "follows"),
        ("kubectl port-forward svc/web 8080", "port-forward"),
        ("top", "top runs until"),
        ("ping db.internal", "give it a count"),
        ("tcpdump -i eth0 port 5432", "give it a count"),
        ("iostat -x 2", "samples until stopped"),
        ("redis-cli -h cache monitor", "monitors"),
        ("read -p 'Continue? ' answer", "waits for someone"),
        ("heroku logs --tail -a app", "follows the logs"),
        ("kubectl -n web edit pvc data-0", "kubectl edit opens an editor"),
        ("sudo systemctl edit nginx", "systemctl edit opens an editor"),
        ("crontab -e", "crontab -e opens an editor"),
    ],
)
def test_commands_that_never_end_are_not_run_unattended(command: str, why: str) -> None:
    decided = attendance(Step("Look", command), "diagnosis")
    assert decided.who is Who.PERSON and why in decided.why


@pytest.mark.parametrize(
    "command",
    [
        "ping -c 3 db.internal",
        "top -b -n 1",
        "timeout 20 tail -f /var/log/syslog",
        "kubectl logs --tail=50 web-1",
        "vmstat 1 5",
        "docker stats --no-stream",
    ],
)
def test_commands_that_end_by_themselves_run_unattended(command: str) -> None:
    assert attendance(Step("Look", command), "diagnosis").who is Who.UNATTENDED


@pytest.mark.parametrize(
    ("command", "what"),
    [
        ("sudo reboot", "reboot"),
        ("shutdown -r now", "shutdown"),
        ("systemctl restart nginx", "systemctl restart"),
        ("service nginx stop", "service nginx"),
        ("kill -9 1234", "kill"),
        ("pkill -f worker", "pkill"),
        ("rm -rf /var/cache/app", "rm -r"),
        ("rm /var/log/app/*.gz", "wildcard"),
        ("kubectl -n web delete pod web-1", "kubectl delete"),
        ("kubectl patch deploy web -p '{}'", "kubectl patch"),
        ("kubectl apply -f fix.yaml", "kubectl apply"),
        ("oc adm cordon node-1", "oc adm cordon"),
        ("kubectl scale sts/db --replicas 0", "scales to zero"),
        ("helm uninstall web", "helm uninstall"),
        ("docker rm -f web", "docker rm"),
        ("docker system prune -af", "docker system prune"),
        ("psql -c 'DROP TABLE sessions'", "DROP TABLE"),
        ("mysql -e 'TRUNCATE TABLE cache'", "TRUNCATE TABLE cache"),
        ('psql -c "DELETE FROM jobs WHERE done"', "DELETE FROM"),
        ("redis-cli -h cache FLUSHALL", "FLUSHALL"),
        ("curl -X POST http://localhost:9090/-/reload", "curl -X POST"),
        ("curl -XDELETE http://es:9200/old-index", "curl -X DELETE"),
        ("aws ec2 terminate-instances --instance-ids i-1", "terminate-instances"),
        ("gitlab-ctl restart", "gitlab-ctl restart"),
        ("patronictl failover --force", "patronictl failover"),
        ("echo 3 | sudo tee /proc/sys/vm/drop_caches", "kernel setting"),
        ("echo 1 > /proc/sys/net/ipv4/ip_forward", "kernel setting"),
        ("iptables -F", "iptables -F"),
        ("find /tmp -name '*.tmp' -delete", "find -delete"),
        ("sed -i 's/a/b/' /etc/app.conf", "sed -i"),
        ("kubectl get pods -o name | xargs kubectl delete", "kubectl delete"),
        ("for n in a b; do systemctl stop $n; done", "systemctl stop"),
        ("kubectl exec web-1 -- rm -rf /data/tmp", "rm -r"),
        ("psql <<SQL\nDELETE FROM jobs;\nSQL", "DELETE FROM"),
        ("sysctl -w vm.swappiness=10", "sysctl -w"),
    ],
)
def test_commands_that_change_things_ask_first(command: str, what: str) -> None:
    decided = attendance(Step("Fix it", command), "resolution")
    assert decided.who is Who.ASK, decided.why
    assert what in decided.why and "{unattended}" in decided.why


@pytest.mark.parametrize(
    "command",
    [
        "kubectl -n web get pods -o wide",
        "kubectl describe node node-1",
        "kubectl rollout status deploy/web",
        "kubectl exec web-1 -- cat /etc/resolv.conf",
        "systemctl status nginx",
        "journalctl -u nginx --since '1 hour ago' | grep -i restart",
        "grep -c 'kill' /var/log/kern.log",
        "docker ps -a",
        "helm status web",
        "psql -c 'SELECT count(*) FROM jobs'",
        "redis-cli -h cache info memory",
        "curl -s http://localhost:9090/-/healthy",
        "kill -0 $(cat /run/app.pid)",
        "rm /tmp/opsbook-marker",
        "df -h /var",
        "echo restart the service by hand",
    ],
)
def test_commands_that_only_look_run_unattended(command: str) -> None:
    assert attendance(Step("Look", command), "diagnosis").who is Who.UNATTENDED


@pytest.mark.parametrize(
    ("command", "place"),
    [
        ("ssh db-1", "a shell on db-1"),
        ("ssh -i key -p 2222 ops@db-1\nuptime", "a shell on ops@db-1"),
        ("kubectl exec -ti web-1 -- bash", "a shell in a container"),
        ("kubectl exec -i -t web-1 -- bash", "a shell in a container"),
        ("docker exec -it web sh", "a shell in a container"),
        ("oc rsh web-1", "a shell in a container"),
        ("oc debug node/worker-1", "a debug shell"),
        ("chroot /host", "the chroot /host"),
        ("sudo -i", "a root shell"),
        ("sudo su -", "a root shell"),
        ("su postgres", "another user's shell"),
        ("bin/rails console", "the rails console"),
        ("psql -U postgres", "the psql prompt"),
        ("mysql -u root -p", "the mysql prompt"),
        ("redis-cli -h cache", "the redis-cli prompt"),
        ("mongosh mongodb://db", "the mongosh prompt"),
        ("python3", "the python3 prompt"),
        ("virtctl console vm-1", "the virtual machine's console"),
    ],
)
def test_commands_that_open_another_place_are_a_person_s_there(command: str, place: str) -> None:
    decided = attendance(Step("Go there", command), "diagnosis")
    assert decided.who is Who.PERSON
    assert f"opens {place}" in decided.why


@pytest.mark.parametrize(
    ("command", "place"),
    [
        ("ssh db-1 'systemctl status postgresql'", "db-1 (over ssh)"),
        ("oc debug node/worker-1 -- chroot /host crictl ps", "node/worker-1"),
        ("rsync -a backup-1:/srv/dump .", "another host"),
    ],
)
def test_one_line_commands_that_run_elsewhere_are_a_person_s(command: str, place: str) -> None:
    decided = attendance(Step("There", command), "diagnosis")
    assert decided.who is Who.PERSON and f"runs on {place}" in decided.why


@pytest.mark.parametrize(
    "command",
    [
        "psql -U postgres -c 'SELECT 1'",
        "psql -tAc 'SELECT 1'",
        "mysql -e 'SHOW PROCESSLIST'",
        "mysql db < report.sql",
        "python3 scripts/report.py",
        "sudo -u postgres psql -f report.sql",
        "bash -c 'echo hi'",
    ],
)
def test_consoles_given_their_commands_run_here(command: str) -> None:
    assert attendance(Step("Ask the database", command), "diagnosis").who is Who.UNATTENDED


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("If the disk is full, delete old logs", "If the disk is full"),
        ("Restart the pod when it is stuck", "when it is stuck"),
        ("When the queue drains, resume the consumers", "When the queue drains"),
        ("Restart it only if needed", "only if needed"),
        ("Remove the lock file (if required)", "if required"),
        ("Fail over unless the replica lags", "unless the replica lags"),
        ("In case the primary is gone, promote the replica", "In case the primary is gone"),
    ],
)
def test_conditions_are_read_from_the_step_text(text: str, clause: str) -> None:
    assert condition(text) == clause


@pytest.mark.parametrize(
    "text",
    [
        "Check if the service is running",
        "Determine if the node is ready",
        "See whether the replica caught up",
        "Note the time when the errors started",
        "Restart the service `if-up` helper",
    ],
)
def test_questions_and_moments_are_not_conditions(text: str) -> None:
    assert condition(text) is None


def test_a_conditional_step_asks_a_person_showing_the_condition() -> None:
    step = Step("If the replica lags, look at its log", "tail -n 100 /var/log/pg.log")
    decided = attendance(step, "diagnosis")
    assert decided.who is Who.ASK
    assert decided.why == 'it depends on a condition: "If the replica lags"'


def test_confirm_declared_by_the_runbook_is_answered_by_yes_and_inferred_asks_are_not() -> None:
    declared = attendance(Step("Restart", "systemctl restart web", Attrs(confirm=True)), "steps")
    inferred = attendance(Step("Restart", "systemctl restart web"), "steps")
    manual = attendance(Step("Tell the team"), "steps")
    assert (declared.who, declared.yes_answers, declared.runs_here) == (Who.CONFIRM, True, True)
    assert (inferred.who, inferred.yes_answers, inferred.runs_here) == (Who.ASK, False, True)
    assert (manual.who, manual.yes_answers) == (Who.CONFIRM, True)
    there = attendance(Step("Go", "ssh db-1"), "steps")
    assert (there.yes_answers, there.runs_here, there.needs_person) == (False, False, True)


def test_unattended_mark_runs_a_changing_step_and_a_conditional_one() -> None:
    restart = Step("Restart", "systemctl restart web", Attrs(unattended=True))
    assert attendance(restart, "resolution").who is Who.UNATTENDED
    when = Step("If it is down, start it", "systemctl start web", Attrs(unattended=True))
    assert attendance(when, "steps").who is Who.UNATTENDED


def test_unattended_never_makes_a_step_for_another_place_run_here() -> None:
    step = Step("Console", "sudo gitlab-rails console", Attrs(unattended=True))
    assert attendance(step, "steps").who is Who.PERSON


@pytest.mark.parametrize(
    ("written", "unattended"),
    [
        ("1. Restart: `systemctl restart web` {unattended}\n", True),
        ("1. Restart: `systemctl restart web` {unattended=true timeout=1m}\n", True),
        ("1. Restart it {unattended}\n\n   ```sh\n   systemctl restart web\n   ```\n", True),
        ("1. Restart:\n\n   ```sh {unattended}\n   systemctl restart web\n   ```\n", True),
        ("1. Restart: `systemctl restart web` {unattended=false}\n", False),
    ],
)
def test_unattended_attribute_is_read_where_other_attributes_are(
    written: str, unattended: bool
) -> None:
    book = parsed("## Standard Operating Procedures\n\n### Web Procedure\n\n**Steps**:\n" + written)
    step = book.procedures[0].steps[0]
    assert step.attrs.unattended is unattended
    expected = Who.UNATTENDED if unattended else Who.ASK
    assert attendance(step, "steps").who is expected


def test_default_timeout_is_ten_minutes_and_front_matter_changes_it(manual: Runbook) -> None:
    assert default_timeout({}) == DEFAULT_TIMEOUT == 600
    assert default_timeout(manual.settings) == 120


@pytest.mark.parametrize("value", ["soon", "0s", "true"])
def test_a_front_matter_timeout_that_is_not_a_duration_is_refused(value: str) -> None:
    with pytest.raises(RunbookError) as caught:
        parsed(f"---\ntimeout: {value}\n---\n# Web\n")
    assert "timeout" in str(caught.value)


def test_inspect_json_says_for_every_step_who_and_why(alert: Runbook) -> None:
    data = runbook_data(alert)
    diagnosis = data["troubleshooting"][0]["diagnosis"]
    assert [s["who"] for s in diagnosis] == ["unattended", "unattended", "person", "ask", "person"]
    assert all(s["why"] for s in diagnosis)
    mitigation = data["troubleshooting"][0]["resolution"]
    assert mitigation[0]["who"] == "ask" and "kubectl rollout restart" in mitigation[0]["why"]


SESSION_PAGE = """\
# Cache nodes

## Troubleshooting Guide

### Issue: A cache node stops answering

#### Possible checks

1. Log in to the node: `ssh cache-1`
2. Look at its memory: `free -m`
3. Open the cache's prompt: `redis-cli`
4. Ask it for its memory: `INFO memory`
5. Leave the prompt: `quit`
6. Leave the node: `exit`
7. Check the proxy from here: `curl -s http://proxy.internal/health`
"""


def test_steps_after_one_that_opened_another_place_are_typed_there() -> None:
    issue = parsed(SESSION_PAGE).troubleshooting[0]
    said = attendances(issue.diagnosis, "diagnosis")
    assert [d.who for d in said] == [Who.PERSON] * 6 + [Who.UNATTENDED]
    assert said[1].why == "it is typed in a shell on cache-1, which an earlier step opened"
    assert said[3].why == "it is typed in the redis-cli prompt, which an earlier step opened"
    data = runbook_data(parsed(SESSION_PAGE))["troubleshooting"][0]["diagnosis"]
    assert [s["who"] for s in data] == ["person"] * 6 + ["unattended"]


def test_the_plan_carries_the_place_an_earlier_step_opened() -> None:
    # lazy: the plan is procedures' (the runbook domain's tests reach it only here)
    from opsbook.procedures.plan import build_plan

    plan = build_plan(
        parsed(SESSION_PAGE), target="a-cache-node-stops-answering", params={}, environ={}
    )
    assert [i.decision.who for i in plan.items] == [Who.PERSON] * 6 + [Who.UNATTENDED]
    assert plan.items[1].inside == "a shell on cache-1"
