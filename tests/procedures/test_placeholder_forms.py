"""Placeholders in every form people write them become named parameters, never literal text."""

from __future__ import annotations

import subprocess

import pytest

from opsbook.procedures.placeholders import placeholders_as_variables
from opsbook.procedures.plan import PlanError, build_plan
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.placeholder_forms import placeholder_names

ALERT = """\
# TargetDown

## Meaning

A scrape target does not answer.

## Diagnosis

- Look at the pods: `kubectl -n <value of namespace label from alert> get pods`
- Describe the service: `kubectl -n {namespace} describe svc {service}`
- Check the project: `gcloud projects describe YOUR_PROJECT_ID`
- Check the cluster: `kubectl --context your-cluster get nodes`
"""


@pytest.mark.parametrize(
    ("command", "names"),
    [
        ("kubectl -n <namespace> get pods", ("namespace",)),
        ("kubectl -n <value of namespace label> get pods", ("value_of_namespace_label",)),
        ("kubectl -n {namespace} logs {pod}", ("namespace", "pod")),
        ('echo "{name}"', ("name",)),
        ("gcloud config set project YOUR_PROJECT_ID", ("YOUR_PROJECT_ID",)),
        ("kubectl --context your-cluster-name get nodes", ("your-cluster-name",)),
        ("awk '{print $1}' file", ()),
        ("echo ${NAME} {a,b} {} {1..3}", ()),
        ("find . -name '*.log' -exec gzip {} \\;", ()),
        ("sort <in >out", ()),
        ("f() { echo hi; }", ()),
        ("echo MY_YOUR_X yourself", ()),
    ],
)
def test_placeholders_are_found_in_every_form(command: str, names: tuple[str, ...]) -> None:
    assert placeholder_names(command) == names


@pytest.mark.process
@pytest.mark.parametrize(
    "command",
    [
        "printf '[%s]' <pod name>",
        "printf '[%s]' {pod}",
        'printf "[%s]" "{pod}"',
        "printf '[%s]' YOUR_POD",
        "printf '[%s]' your-pod",
        "printf '[%s] {pod}' x",
    ],
)
def test_every_form_reaches_the_command_as_a_variable(command: str) -> None:
    script = placeholders_as_variables(command)
    value = "$(touch /nonexistent/x) two  words"
    env = {"pod_name": value, "pod": value, "YOUR_POD": value, "your_pod": value}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    expected = "[x] {pod}" if command.endswith("x") else f"[{value}]"
    assert done.stdout == expected


def test_an_alert_runbook_s_placeholders_are_parameters_of_its_diagnosis() -> None:
    runbook = parse_runbook(ALERT, "target-down.md")
    with pytest.raises(PlanError) as refused:
        build_plan(runbook, target="targetdown:diagnosis", params={}, environ={})
    assert refused.value.missing == [
        "value_of_namespace_label_from_alert",
        "namespace",
        "service",
        "YOUR_PROJECT_ID",
        "your-cluster",
    ]
    assert all(
        not i.needs_person
        for i in build_plan(
            runbook,
            target="targetdown:diagnosis",
            params=dict.fromkeys(refused.value.missing, "x"),
            environ={},
        ).items
    ), "a placeholder of several words is one word, not a kubectl sub-command"
    plan = build_plan(
        runbook,
        target="targetdown:diagnosis",
        params={
            "value_of_namespace_label_from_alert": "web",
            "namespace": "web",
            "service": "api",
            "YOUR_PROJECT_ID": "p-1",
            "your-cluster": "prod",
        },
        environ={},
    )
    assert [i.command for i in plan.items] == [
        'kubectl -n "${value_of_namespace_label_from_alert}" get pods',
        'kubectl -n "${namespace}" describe svc "${service}"',
        'gcloud projects describe "${YOUR_PROJECT_ID}"',
        'kubectl --context "${your_cluster}" get nodes',
    ]
    assert plan.env["your_cluster"] == "prod"
