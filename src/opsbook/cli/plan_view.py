"""`opsbook run --dry-run`: the plan of a run, resolved, for a person or as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape

from opsbook.cli.output import console, print_json
from opsbook.procedures.plan import plan_data

if TYPE_CHECKING:
    from opsbook.procedures.engine import Plan
    from opsbook.runbook.model import Runbook


# How the dry run names each answer of step_safety.Who.
WHO = {
    "unattended": "runs by itself",
    "confirm": "a person confirms (--yes answers)",
    "ask": "asks a person first (not --yes)",
    "person": "a person does it (never run here)",
}


def print_plan(plan: Plan, runbook: Runbook, as_json: bool) -> None:
    """Print every item with where it runs, its attributes and its command."""
    data = plan_data(plan, runbook)
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(
        f"[bold]Plan[/] for {escape(plan.title)} [dim]({escape(runbook.path)})[/] "
        "— dry run, nothing will run",
        markup=True,
    )
    for title, values in (("Parameters", data["params"]), ("Environment", data["env"])):
        if isinstance(values, dict) and values:
            out.print(f"[bold]{title}[/]", markup=True)
            for name, value in values.items():
                out.print(f"  {escape(name)} = {escape(str(value))}", markup=True)
    phase = ""
    items = data["items"]
    assert isinstance(items, list)
    for item in items:
        if item["phase"] != phase:
            phase = item["phase"]
            source = (
                f" (from the {item['from_procedure']} procedure)" if item["from_procedure"] else ""
            )
            out.print(f"[bold]{phase.capitalize()}[/]{source}", markup=True)
        where = _where(item["hosts"])
        attrs = " ".join(f"{k}={_value(v)}" for k, v in item["attrs"].items())
        out.print(f"  {item['label']} {escape(item['text'])}", markup=True)
        details = " · ".join(t for t in (where, attrs) if t)
        if details:
            out.print(f"      [dim]{escape(details)}[/]", markup=True)
        for line in str(item["command"] or "").splitlines():
            out.print(f"      [cyan]$ {escape(line)}[/]", markup=True)
        colour = "green" if item["who"] == "unattended" else "yellow"
        out.print(f"      [{colour}]{WHO[str(item['who'])]}: {escape(item['why'])}[/]", markup=True)
    if plan.rollback_text:
        out.print(f"[bold]Rollback[/]: {escape(plan.rollback_text)}", markup=True)


def _where(hosts: list[dict[str, Any]]) -> str:
    """Say where an item runs: nothing for this machine, else each host and its address."""
    if not hosts:
        return "no host (left out by --host)"
    if [h["name"] for h in hosts] == ["local"]:
        return ""
    named = []
    for host in hosts:
        if "address" in host:
            user = f"{host['user']}@" if host.get("user") else ""
            named.append(f"{host['name']} ({user}{host['address']}:{host['port']})")
        else:
            named.append(str(host["name"]))
    return "on " + ", ".join(named)


def _value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}s"
    return str(value)
