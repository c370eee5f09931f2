"""The runbook document as typed, immutable data.

Plain dataclasses rather than pydantic models: the document is parsed on every CLI call
(`opsbook check` on a 5,000-line runbook must finish in well under half a second), and
stdlib dataclasses import fast. Their equality, hash and repr come from `Record`, written
once, rather than compiled for each class at import (see record.py). API schemas in `web/`
use pydantic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from opsbook.runbook.record import Record

Op = Literal[">", ">=", "<", "<=", "==", "!="]
ActionKind = Literal["run", "notify", "incident", "text"]


@dataclass(frozen=True, eq=False, repr=False)
class Attrs(Record):
    """Attributes written in braces after a command: `{host=db timeout=5m}`."""

    host: str | None = None
    timeout: float | None = None
    retries: int = 0
    delay: float = 0.0
    cwd: str | None = None
    confirm: bool = False
    approvals: int = 0
    expect: str | None = None
    name: str | None = None
    continue_on_error: bool = False
    parallel: int | None = None
    # How many of the step's hosts may fail while it still passes: "3" or "10%" (host_share).
    max_fail: str | None = None
    # Run the step's hosts a batch at a time, in the runbook's order: "5" or "10%".
    batch: str | None = None
    # The runbook means this step to run without a person although it changes things.
    unattended: bool = False

    def written(self) -> dict[str, Any]:
        """Return only the attributes that differ from their defaults."""
        defaults = Attrs()
        return {k: v for k, v in asdict(self).items() if v != getattr(defaults, k)}


@dataclass(frozen=True, eq=False, repr=False)
class Step(Record):
    """A check or a step: what a person reads, and the command that does it (None: manual)."""

    text: str
    command: str | None = None
    attrs: Attrs = field(default_factory=Attrs)
    line: int = 0
    # Parameters the command needs that appear as `<placeholder>` in the command text.
    placeholders: tuple[str, ...] = ()

    @property
    def manual(self) -> bool:
        """Say whether a person, not a command, performs this step."""
        return self.command is None


@dataclass(frozen=True, eq=False, repr=False)
class Parameter(Record):
    """A value a procedure takes (`--param NAME=VALUE`), required or with a default."""

    name: str
    required: bool = False
    description: str = ""
    default: str | None = None
    line: int = 0


@dataclass(frozen=True, eq=False, repr=False)
class Schedule(Record):
    """How often something happens: a fixed interval, a cron expression, or as needed."""

    text: str
    every_seconds: float | None = None
    cron: str | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Procedure(Record):
    """A standard operating procedure: prerequisites, steps, validation and rollback."""

    name: str
    id: str
    line: int = 0
    objective: str = ""
    frequency: Schedule | None = None
    parameters: tuple[Parameter, ...] = ()
    prerequisites: tuple[Step, ...] = ()
    steps: tuple[Step, ...] = ()
    validation: tuple[Step, ...] = ()
    rollback: tuple[Step, ...] = ()
    # "Run the Shutdown Procedure" as a rollback names another procedure by id.
    rollback_procedure: str | None = None
    rollback_text: str = ""
    restore_test_schedule: Schedule | None = None
    notes: str = ""


@dataclass(frozen=True, eq=False, repr=False)
class Contact(Record):
    """A row of the contacts table: a role, who holds it, how to reach them, the backup."""

    role: str
    name: str = ""
    contact: str = ""
    backup: str = ""
    line: int = 0


@dataclass(frozen=True, eq=False, repr=False)
class Host(Record):
    """A machine of the front matter that steps reach over SSH (`host=`)."""

    name: str
    address: str
    user: str | None = None
    port: int = 22


@dataclass(frozen=True, eq=False, repr=False)
class Metric(Record):
    """A key metric: what is measured and where it comes from (`host:`, `http:`, ...)."""

    name: str
    source: str
    id: str = ""
    description: str = ""
    line: int = 0
    attrs: Attrs = field(default_factory=Attrs)

    @property
    def kind(self) -> str:
        """Return the source kind: host, http, prom or cmd."""
        return self.source.split(":", 1)[0]


@dataclass(frozen=True, eq=False, repr=False)
class Threshold(Record):
    """A comparison of a metric's value: `> 90`, `<= 0.5`."""

    op: Op
    value: float


@dataclass(frozen=True, eq=False, repr=False)
class Action(Record):
    """What an alert rule does when it fires: run, notify, incident, or text for a person."""

    kind: ActionKind
    target: str


@dataclass(frozen=True, eq=False, repr=False)
class AlertRule(Record):
    """A row of the alert rules: a metric's warning and critical thresholds and actions."""

    metric: str
    warning: Threshold | None = None
    critical: Threshold | None = None
    action: str = ""
    actions: tuple[Action, ...] = ()
    for_seconds: float = 0.0
    line: int = 0
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class ResponseTimes(Record):
    """How soon each severity must be acknowledged, in seconds."""

    critical: float | None = None
    high: float | None = None
    medium: float | None = None
    low: float | None = None


@dataclass(frozen=True, eq=False, repr=False)
class TroubleshootingIssue(Record):
    """A known problem: its symptoms, diagnosis and resolution steps, prevention."""

    title: str
    id: str
    line: int = 0
    symptoms: tuple[str, ...] = ()
    diagnosis: tuple[Step, ...] = ()
    resolution: tuple[Step, ...] = ()
    prevention: tuple[str, ...] = ()
    # The Markdown of the diagnosis and resolution as written, where it says more than its
    # steps (paragraphs, sub-headings, a PromQL query, nested notes); "" when the steps are all.
    diagnosis_notes: str = ""
    resolution_notes: str = ""
    # The file it was read from, relative to the folder served (`opsbook serve DIR`); "" for
    # a runbook served on its own.
    source: str = ""


@dataclass(frozen=True, eq=False, repr=False)
class SeverityLevel(Record):
    """A severity of the incident response table, with its response time."""

    level: str
    description: str = ""
    response_seconds: float | None = None
    example: str = ""
    response_text: str = ""


@dataclass(frozen=True, eq=False, repr=False)
class ProcessPhase(Record):
    """A phase of the incident response process and what is done in it."""

    name: str
    actions: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class MaintenanceTask(Record):
    """A recurring maintenance task: how often, who owns it, when it is due."""

    task: str
    frequency: Schedule | None = None
    owner: str = ""
    last_completed: str = ""
    next_due: str = ""
    line: int = 0
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class ConfigFile(Record):
    """A configuration file the runbook names: where it is, what it is for, its backup."""

    file: str
    location: str = ""
    purpose: str = ""
    backup: str = ""
    line: int = 0


@dataclass(frozen=True, eq=False, repr=False)
class EnvVar(Record):
    """An environment variable steps need: required or defaulted, secret or not."""

    name: str
    required: bool = False
    default: str = ""
    description: str = ""
    secret: bool = False
    line: int = 0


@dataclass(frozen=True, eq=False, repr=False)
class DisasterRecovery(Record):
    """The recovery objectives (RTO, RPO) and the steps that restore service."""

    rto_seconds: float | None = None
    rpo_seconds: float | None = None
    rto_text: str = ""
    rpo_text: str = ""
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class UsefulCommand(Record):
    """A named command of the quick reference."""

    name: str
    command: str
    line: int = 0


@dataclass(frozen=True, eq=False, repr=False)
class VersionEntry(Record):
    """A row of the runbook's version history."""

    version: str
    date: str = ""
    author: str = ""
    changes: str = ""


@dataclass(frozen=True, eq=False, repr=False)
class SystemInfo(Record):
    """The runbook's header: the system's name and version, its owner, on-call."""

    name: str = ""
    version: str = ""
    owner: str = ""
    last_updated: str = ""
    on_call: str = ""


@dataclass(frozen=True, eq=False, repr=False)
class SecurityResponse(Record):
    """What to do in a security incident, and which evidence to keep."""

    steps: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class Section(Record):
    """Prose under a heading that opsbook keeps but does not interpret."""

    title: str
    level: int
    body: str
    line: int = 0


@dataclass(frozen=True, eq=False, repr=False)
class Runbook(Record):
    """A whole runbook: every section of the template, parsed."""

    path: str = "RUNBOOK.md"
    title: str = ""
    purpose: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    system: SystemInfo = field(default_factory=SystemInfo)
    contacts: tuple[Contact, ...] = ()
    hosts: dict[str, Host] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dashboard: str = ""
    procedures: tuple[Procedure, ...] = ()
    metrics: tuple[Metric, ...] = ()
    alert_rules: tuple[AlertRule, ...] = ()
    response_times: ResponseTimes = field(default_factory=ResponseTimes)
    troubleshooting: tuple[TroubleshootingIssue, ...] = ()
    severity_levels: tuple[SeverityLevel, ...] = ()
    incident_process: tuple[ProcessPhase, ...] = ()
    security_response: SecurityResponse = field(default_factory=SecurityResponse)
    maintenance_tasks: tuple[MaintenanceTask, ...] = ()
    config_files: tuple[ConfigFile, ...] = ()
    env_vars: tuple[EnvVar, ...] = ()
    disaster_recovery: DisasterRecovery = field(default_factory=DisasterRecovery)
    useful_commands: tuple[UsefulCommand, ...] = ()
    log_locations: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    version_history: tuple[VersionEntry, ...] = ()
    extra_sections: tuple[Section, ...] = ()

    def procedure(self, ident: str) -> Procedure | None:
        """Find a procedure by id or by name, ignoring case."""
        wanted = ident.strip().lower()
        for proc in self.procedures:
            if proc.id == wanted or proc.name.lower() == wanted:
                return proc
        return None

    def issue(self, ident: str) -> TroubleshootingIssue | None:
        """Find a troubleshooting issue by id or title, ignoring case."""
        wanted = ident.strip().lower()
        for item in self.troubleshooting:
            if item.id == wanted or item.title.lower() == wanted:
                return item
        return None

    def hosts_for(self, target: str) -> tuple[str, ...]:
        """Resolve a host, a group or `all` to host names; unknown names resolve to ()."""
        if target == "all":
            return tuple(self.hosts)
        if target in self.groups:
            return self.groups[target]
        if target in self.hosts or target in ("local", "localhost"):
            return (target,)
        return ()
