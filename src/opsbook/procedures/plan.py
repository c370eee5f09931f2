"""Build the plan of a run from the runbook: what runs, where, with which values.

Everything that could stop a run for bad input is found here, before anything runs: an
unknown procedure or host, a missing parameter, placeholder or required environment
variable, a `$VAR` nothing declares, an `expect` that is not a valid pattern.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from opsbook.errors import BadInput
from opsbook.inputs import check_text, text_problem
from opsbook.procedures.engine import LOCAL, Phase, Plan, PlanItem
from opsbook.procedures.placeholders import placeholders_as_variables
from opsbook.procedures.secrets import Masker
from opsbook.procedures.shellvars import assigned, env_name, undeclared
from opsbook.runbook.model import Parameter, Procedure, Runbook, Step
from opsbook.runbook.record import Record
from opsbook.runbook.secret_names import is_secret_name
from opsbook.runbook.step_safety import default_timeout, places_after, runnable_command


class PlanError(Exception):
    """The run cannot start; every reason is listed, nothing has run."""

    def __init__(
        self, problems: Sequence[str], hint: str = "", missing: Sequence[str] = ()
    ) -> None:
        self.problems = list(problems)
        self.hint = hint
        # Parameters and placeholders with no value (a terminal can ask for them).
        self.missing = list(missing)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, eq=False, repr=False)
class Target(Record):
    """What `opsbook run` was asked to run, read from the runbook."""

    id: str
    title: str
    kind: str
    phases: tuple[tuple[Phase, tuple[Step, ...]], ...]
    procedure: Procedure | None = None


DR_IDS = ("disaster-recovery", "dr")
# What people write in a Default cell to say there is none.
EMPTY_DEFAULTS = ("", "-", "\u2014", "none", "n/a", "(none)")
# A value travels as one environment string, which Linux bounds at 128 KiB (MAX_ARG_STRLEN):
# 16 Ki characters stay under it in any encoding, and hold a certificate or a query.
MAX_VALUE = 16 * 1024
MAX_NAME = 200


def known_targets(runbook: Runbook) -> list[str]:
    """Return every id `opsbook run` accepts for this runbook."""
    ids = [p.id for p in runbook.procedures]
    for issue in runbook.troubleshooting:
        ids += [issue.id, f"{issue.id}:diagnosis", f"{issue.id}:resolution"]
    if runbook.disaster_recovery.steps:
        ids.append("disaster-recovery")
    return ids


def find_target(runbook: Runbook, ident: str) -> Target:
    """Resolve a procedure, issue (`ID`, `ID:diagnosis`, `ID:resolution`) or DR id."""
    proc = runbook.procedure(ident)
    if proc is not None:
        phases = (
            (Phase.PREREQUISITES, proc.prerequisites),
            (Phase.STEPS, proc.steps),
            (Phase.VALIDATION, proc.validation),
        )
        return Target(proc.id, proc.name, "procedure", phases, proc)
    if ident.lower() in DR_IDS and runbook.disaster_recovery.steps:
        steps = ((Phase.STEPS, runbook.disaster_recovery.steps),)
        return Target("disaster-recovery", "Disaster Recovery", "disaster-recovery", steps)
    base, _, part = ident.partition(":")
    issue = runbook.issue(base)
    if issue is not None and part.lower() in ("", "diagnosis", "resolution"):
        chosen = {
            "": ((Phase.DIAGNOSIS, issue.diagnosis), (Phase.RESOLUTION, issue.resolution)),
            "diagnosis": ((Phase.DIAGNOSIS, issue.diagnosis),),
            "resolution": ((Phase.RESOLUTION, issue.resolution),),
        }[part.lower()]
        suffix = f":{part.lower()}" if part else ""
        return Target(issue.id + suffix, f"Issue: {issue.title}", "issue", chosen)
    raise PlanError(
        [f'{runbook.path}: nothing named "{ident}" to run'],
        "known ids: "
        + (", ".join(known_targets(runbook)) or "none (the runbook has no procedures)"),
    )


def build_plan(
    runbook: Runbook,
    *,
    target: str,
    params: Mapping[str, str],
    environ: Mapping[str, str],
    host: str | None = None,
) -> Plan:
    """Resolve the target into a plan, or raise PlanError listing every problem."""
    problems = _text_problems(target, params, host)
    if problems:
        # Nothing else is looked at: later messages would quote the text that is refused.
        raise PlanError(problems, "nothing was run")
    chosen = find_target(runbook, target)
    if host is not None and not runbook.hosts_for(host):
        known = ", ".join([*runbook.hosts, *runbook.groups, "all"])
        problems.append(
            f'--host "{host}" is not a host or group of {runbook.path} (known: {known})'
        )
    rollback_proc = _rollback_procedure(runbook, chosen)
    phases = list(chosen.phases)
    if chosen.procedure is not None:
        phases.append((Phase.ROLLBACK, chosen.procedure.rollback))
    # Steps run beside the runbook; a served folder of runbooks (`serve DIR`) in that folder.
    where = Path(runbook.path).resolve()
    base_dir = str(where if where.is_dir() else where.parent)
    items: list[PlanItem] = []
    for phase, steps in phases:
        items += _items(runbook, phase, steps, host, base_dir, "")
    if rollback_proc is not None:
        steps = (*rollback_proc.steps, *rollback_proc.validation)
        offset = sum(1 for i in items if i.phase is Phase.ROLLBACK)
        extra = _items(runbook, Phase.ROLLBACK, steps, host, base_dir, rollback_proc.id, offset)
        items = [i for i in items if i.phase is not Phase.ROLLBACK] + _renumber(
            [i for i in items if i.phase is Phase.ROLLBACK] + extra
        )
    missing: list[str] = []
    implied = _implied(runbook, chosen, rollback_proc, items, environ)
    values = _values(runbook, chosen, rollback_proc, items, params, problems, missing, implied)
    env = _environment(runbook, {**environ, **params}, problems, missing)
    problems += _value_problems(runbook, env, items)
    for item in items:
        expect = item.step.attrs.expect
        if expect and not re.fullmatch(r"-?\d+", expect.strip()):
            try:
                re.compile(expect)
            except re.error as exc:
                problems.append(
                    f"{runbook.path}:{item.step.line}: expect={expect!r} is not a "
                    f"valid pattern ({exc})"
                )
    if problems:
        raise PlanError(
            problems,
            "give parameters with --param NAME=VALUE and set variables "
            "in the environment; nothing was run",
            missing,
        )
    secret_names = {n for n in values if is_secret_name(n)}
    secret_names |= {v.name for v in runbook.env_vars if v.secret or is_secret_name(v.name)}
    return Plan(
        target=chosen.id,
        title=chosen.title,
        kind=chosen.kind,
        runbook_path=str(Path(runbook.path).resolve()),
        items=tuple(items),
        params=values,
        env={**env, **{env_name(k): v for k, v in values.items()}},
        secret_names=frozenset(secret_names),
        rollback_text=chosen.procedure.rollback_text if chosen.procedure else "",
        host_filter=host,
    )


def _text_problems(target: str, params: Mapping[str, str], host: str | None) -> list[str]:
    """Say which given names and values are not text a shell can receive (NUL, lone surrogate).

    Every way into a run (CLI, API, form, resume, alert) passes here, so a value that the
    session shell's wire or an environment string cannot carry never reaches either.
    """
    problems: list[str] = []
    checks: list[tuple[str, str, int]] = [(target, "what to run", MAX_NAME)]
    for name, value in params.items():
        shown = name if text_problem(name) is None else ascii(name)
        checks += [
            (name, f"parameter name {shown}", MAX_NAME),
            (value, f"parameter {shown}", MAX_VALUE),
        ]
    if host is not None:
        checks.append((host, "--host", MAX_NAME))
    for value, field, limit in checks:
        try:
            check_text(value, field=field, max_length=limit)
        except BadInput as exc:
            problems.append(str(exc))
    return problems


def _value_problems(
    runbook: Runbook, env: Mapping[str, str], items: Sequence[PlanItem]
) -> list[str]:
    """Say which values from the runbook or the environment a shell cannot receive."""
    problems: list[str] = []
    for name, value in env.items():
        problem = text_problem(value)
        if problem is not None:
            problems.append(f"environment variable {name} {problem}")
    for item in items:
        for what, text in (("command", item.command), ("cwd", item.cwd)):
            problem = text_problem(text) if text else None
            if problem is not None:
                problems.append(f"{runbook.path}:{item.step.line}: {item.label}'s {what} {problem}")
    return problems


def _rollback_procedure(runbook: Runbook, chosen: Target) -> Procedure | None:
    proc = chosen.procedure
    if proc is None or not proc.rollback_procedure:
        return None
    other = runbook.procedure(proc.rollback_procedure)
    return other if other is not None and other.id != proc.id else None


def _items(
    runbook: Runbook,
    phase: Phase,
    steps: Sequence[Step],
    host: str | None,
    base_dir: str,
    source: str,
    offset: int = 0,
) -> list[PlanItem]:
    out: list[PlanItem] = []
    timeout = default_timeout(runbook.settings)
    places: tuple[str, ...] = ()
    for number, step in enumerate(steps, start=1 + offset):
        hosts = _hosts(runbook, step.attrs.host, host)
        cwd = step.attrs.cwd
        if hosts == (LOCAL,):
            cwd = str(Path(base_dir, cwd)) if cwd else base_dir
        key = f"{phase}:{source}:{number}" if source else f"{phase}:{number}"
        runnable = runnable_command(step)
        command = placeholders_as_variables(runnable) if runnable else None
        limit = step.attrs.timeout if step.attrs.timeout is not None else timeout
        of = len(steps) + offset
        inside = places[-1] if places else None
        out.append(
            PlanItem(key, phase, number, of, step, command, hosts, cwd, source, limit, inside)
        )
        places = places_after(step, places)
    return out


def _renumber(items: list[PlanItem]) -> list[PlanItem]:
    return [replace(item, number=n, of=len(items)) for n, item in enumerate(items, start=1)]


def _hosts(runbook: Runbook, wanted: str | None, chosen: str | None) -> tuple[str, ...]:
    """Where a step runs: its `host=`, narrowed by --host; no host means here (or --host)."""
    if wanted in (None, "", LOCAL, "localhost"):
        return runbook.hosts_for(chosen) if chosen else (LOCAL,)
    names = runbook.hosts_for(wanted or "")
    if chosen:
        allowed = set(runbook.hosts_for(chosen))
        names = tuple(n for n in names if n in allowed)
    return names


def _declared(chosen: Target, rollback: Procedure | None) -> list[Parameter]:
    """Return the parameters the procedure (and the one its rollback runs) declare."""
    own = chosen.procedure.parameters if chosen.procedure else ()
    return [*own, *(rollback.parameters if rollback else ())]


def _implied(
    runbook: Runbook,
    chosen: Target,
    rollback: Procedure | None,
    items: Sequence[PlanItem],
    environ: Mapping[str, str],
) -> dict[str, PlanItem]:
    """Return the `$VAR`s nothing sets, each with the first item that reads it.

    Each becomes a parameter of the run (`--param VAR=VALUE`), as a person reading the
    runbook would fill it in. A variable an earlier local step assigns or exports is set
    when the run shares one shell (front matter `shell: session`, the default).
    """
    known = {p.name for p in _declared(chosen, rollback)} | {v.name for v in runbook.env_vars}
    for item in items:
        known |= {env_name(n) for n in item.step.placeholders}
    shared = runbook.settings.get("shell", "session") == "session"
    carried: set[str] = set()
    implied: dict[str, PlanItem] = {}
    for item in items:
        if item.command is None:
            continue
        for name in undeclared(item.command, known | carried, environ):
            implied.setdefault(name, item)
        if shared and item.local:
            carried |= assigned(item.command)
    return implied


def _values(
    runbook: Runbook,
    chosen: Target,
    rollback: Procedure | None,
    items: list[PlanItem],
    given: Mapping[str, str],
    problems: list[str],
    missing: list[str],
    implied: Mapping[str, PlanItem],
) -> dict[str, str]:
    """Check the given parameters against the declared ones, placeholders and variables."""
    declared = _declared(chosen, rollback)
    names = {p.name for p in declared}
    placeholder_names: dict[str, PlanItem] = {}
    for item in items:
        for name in item.step.placeholders:
            placeholder_names.setdefault(name, item)
    names |= {v.name for v in runbook.env_vars}
    for name in given:
        if name not in names and name not in placeholder_names and name not in implied:
            takes = ", ".join(sorted(names | set(placeholder_names) | set(implied))) or "none"
            problems.append(f'{chosen.title} has no parameter "{name}" (it takes: {takes})')
    values: dict[str, str] = {}
    for param in declared:
        if param.name in given:
            values[param.name] = given[param.name]
        elif param.default is not None:
            values[param.name] = param.default
        elif param.required:
            missing.append(param.name)
            problems.append(
                f"{runbook.path}:{param.line}: parameter {param.name} is required: "
                f"give --param {param.name}=VALUE"
            )
    wanted = [(name, item, f"needs <{name}>") for name, item in placeholder_names.items()]
    wanted += [(name, item, f"uses ${name}, which nothing sets") for name, item in implied.items()]
    for name, item, why in wanted:
        if name in given:
            values[name] = given[name]
        elif name not in values:
            missing.append(name)
            problems.append(
                f"{runbook.path}:{item.step.line}: {item.label} {why}: give --param {name}=VALUE"
            )
    return values


def _environment(
    runbook: Runbook, environ: Mapping[str, str], problems: list[str], missing: list[str]
) -> dict[str, str]:
    """Values of the runbook's variables tables: --param, else the environment, else default."""
    env: dict[str, str] = {}
    for var in runbook.env_vars:
        default = "" if var.default.strip().lower() in EMPTY_DEFAULTS else var.default
        value = environ.get(var.name) or default
        if value:
            env[var.name] = value
        elif var.required:
            missing.append(var.name)
            problems.append(
                f"{runbook.path}:{var.line}: environment variable {var.name} is "
                f"required and not set: set it or give --param {var.name}=VALUE"
            )
    return env


def masker_for(plan: Plan) -> Masker:
    """Return the masker that hides this plan's secret values."""
    secrets = [v for k, v in plan.env.items() if k in plan.secret_names or is_secret_name(k)]
    secrets += [v for k, v in plan.params.items() if k in plan.secret_names or is_secret_name(k)]
    return Masker.of(secrets)


def plan_data(plan: Plan, runbook: Runbook) -> dict[str, object]:
    """Return the plan as JSON-ready data with secrets masked (`run --dry-run --json`)."""
    masker = masker_for(plan)

    def where(name: str) -> dict[str, object]:
        host = runbook.hosts.get(name)
        if host is None:
            return {"name": name}
        return {"name": name, "address": host.address, "user": host.user, "port": host.port}

    return {
        "target": plan.target,
        "title": plan.title,
        "kind": plan.kind,
        "runbook": plan.runbook_path,
        "host_filter": plan.host_filter,
        "params": masker.mask_values(plan.params, plan.secret_names),
        "env": masker.mask_values(
            {v.name: plan.env[v.name] for v in runbook.env_vars if v.name in plan.env},
            plan.secret_names,
        ),
        "rollback": plan.rollback_text,
        "items": [
            {
                "key": i.key,
                "phase": str(i.phase),
                "number": i.number,
                "of": i.of,
                "label": i.label,
                "text": masker.mask(i.step.text),
                "command": i.command,
                "line": i.step.line,
                "hosts": [where(h) for h in i.hosts],
                "cwd": i.cwd,
                "attrs": i.step.attrs.written(),
                "needs_person": i.needs_person,
                "who": str(i.decision.who),
                "why": i.decision.why,
                "timeout": i.timeout,
                "from_procedure": i.source or None,
            }
            for i in plan.items
        ],
    }
