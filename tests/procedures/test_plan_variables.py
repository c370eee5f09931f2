"""A `$VAR` nothing sets is a parameter of what runs; one an earlier step sets is not unset."""

from __future__ import annotations

import pytest

from opsbook.procedures.plan import PlanError, build_plan
from opsbook.runbook.parser import parse_runbook

ALERT = """\
# DiskAlmostFull

## Meaning

A volume of the cluster is nearly full.

## Diagnosis

- Find the claim: `kubectl -n $NAMESPACE get pvc $CLAIM`
- Remember the pod that mounts it: `POD=$(kubectl -n $NAMESPACE get pods -o name | head -1)`
- Look at its disk: `kubectl -n $NAMESPACE exec $POD -- df -h`
- Export the node name: `export NODE=$(kubectl get pod -o name | head -1)`
- Look at the node: `kubectl describe $NODE`

## Mitigation

1. Grow the claim: `kubectl -n $NAMESPACE patch pvc $CLAIM -p "$PATCH"` {unattended}
"""


def plan_for(target: str, params: dict[str, str], text: str = ALERT) -> object:
    return build_plan(parse_runbook(text, "alert.md"), target=target, params=params, environ={})


def test_a_variable_nothing_sets_is_a_parameter_of_the_troubleshooting_item() -> None:
    plan = build_plan(
        parse_runbook(ALERT, "alert.md"),
        target="diskalmostfull:diagnosis",
        params={"NAMESPACE": "web", "CLAIM": "data-0"},
        environ={},
    )
    assert plan.params == {"NAMESPACE": "web", "CLAIM": "data-0"}
    assert plan.env["NAMESPACE"] == "web" and plan.env["CLAIM"] == "data-0"


def test_a_missing_variable_is_asked_for_by_name() -> None:
    with pytest.raises(PlanError) as refused:
        plan_for("diskalmostfull", {"NAMESPACE": "web"})
    assert sorted(refused.value.missing) == ["CLAIM", "PATCH"]
    said = "\n".join(refused.value.problems)
    assert "alert.md:9: diagnosis 1/5 uses $CLAIM, which nothing sets" in said
    assert "give --param CLAIM=VALUE" in said
    assert "$POD" not in said and "$NODE" not in said, "earlier steps set them"


def test_the_environment_sets_a_variable_too() -> None:
    plan = build_plan(
        parse_runbook(ALERT, "alert.md"),
        target="diskalmostfull:diagnosis",
        params={},
        environ={"NAMESPACE": "web", "CLAIM": "data-0"},
    )
    assert plan.params == {}


def test_a_variable_set_by_an_earlier_step_is_unset_when_each_step_has_its_own_shell() -> None:
    with pytest.raises(PlanError) as refused:
        plan_for(
            "diskalmostfull:diagnosis",
            {"NAMESPACE": "web", "CLAIM": "data-0"},
            "---\nshell: per-step\n---\n" + ALERT,
        )
    assert sorted(refused.value.missing) == ["NODE", "POD"]


def test_a_parameter_nothing_reads_is_still_refused() -> None:
    with pytest.raises(PlanError) as refused:
        plan_for("diskalmostfull:diagnosis", {"NAMESPACE": "web", "CLAIM": "c", "OTHER": "x"})
    assert 'has no parameter "OTHER" (it takes: CLAIM, NAMESPACE)' in refused.value.problems[0]


DATABASE_RUNBOOK = """\
# Rebuild a replica

## Input

| Variable | Description | Default |
|---|---|---|
| `CLUSTER` | the database cluster, as in the inventory | |
| `REPLICA` | the replica to rebuild | |
| `PORT` | where it listens | 5432 |

## Standard Operating Procedures

### Rebuild Procedure

**Steps**:
1. Look at the replica: `psql -h "$REPLICA.$CLUSTER" -p "$PORT" -c 'SELECT 1'`
"""


def test_an_input_table_supplies_parameters_with_their_descriptions() -> None:
    runbook = parse_runbook(DATABASE_RUNBOOK, "replica.md")
    assert [(v.name, v.required, v.description) for v in runbook.env_vars] == [
        ("CLUSTER", True, "the database cluster, as in the inventory"),
        ("REPLICA", True, "the replica to rebuild"),
        ("PORT", False, "where it listens"),
    ]
    with pytest.raises(PlanError) as refused:
        build_plan(runbook, target="rebuild", params={"CLUSTER": "main"}, environ={})
    assert refused.value.missing == ["REPLICA"]
    assert "give --param REPLICA=VALUE" in refused.value.problems[0]
    plan = build_plan(
        runbook, target="rebuild", params={"CLUSTER": "main", "REPLICA": "r2"}, environ={}
    )
    assert (plan.env["CLUSTER"], plan.env["REPLICA"], plan.env["PORT"]) == ("main", "r2", "5432")


def test_a_step_for_a_named_host_runs_the_lines_after_its_ssh_there() -> None:
    runbook = parse_runbook(
        "---\nhosts:\n  edge-1: 10.0.0.9\n---\n# Edge\n\n## Standard Operating Procedures\n\n"
        "### Reload Procedure\n\n**Steps**:\n1. Reload the proxy {host=edge-1 unattended}\n\n"
        "   ```sh\n   ssh edge-1\n   sudo systemctl reload edge\n   exit\n   ```\n",
        "edge.md",
    )
    (item,) = build_plan(runbook, target="reload", params={}, environ={}).items
    assert (item.command, item.hosts, item.needs_person) == (
        "sudo systemctl reload edge",
        ("edge-1",),
        False,
    )
