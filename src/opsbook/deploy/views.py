"""What the deploy use cases return: frozen views, the same for `--json` and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BaselineView:
    """One accepted version of a configuration file: its hash, mode and owner."""

    key: str
    host: str
    path: str
    version: int
    exists: bool
    sha256: str
    mode: str  # octal, "0644"
    owner: str
    group: str
    copy_kept: bool
    recorded_at: datetime
    recorded_by: str
    reason: str


@dataclass(frozen=True)
class ChangeView:
    """One way a file differs from its baseline."""

    kind: str  # content, mode, owner, missing, appeared
    before: str
    after: str


@dataclass(frozen=True)
class CauseView:
    """The opsbook run and step that changed a file."""

    run_id: int
    procedure: str
    step: str
    text: str
    names_file: bool


@dataclass(frozen=True)
class DriftView:
    """A configuration file against its baseline: unchanged, drifted, or no baseline yet."""

    key: str
    file: str
    host: str
    path: str
    status: str  # unchanged, drifted, no baseline
    baseline_version: int | None
    changes: tuple[ChangeView, ...]
    diff: str
    changed_at: datetime | None
    cause: CauseView | None  # None on a drift: changed by hand, outside opsbook

    @property
    def explained(self) -> bool:
        """Say whether an opsbook run made the change."""
        return self.cause is not None


@dataclass(frozen=True)
class DriftReport:
    """Every configuration file checked, and the alerts the check raised and resolved."""

    files: tuple[DriftView, ...]
    drifted: int
    unexplained: int
    alerts_raised: tuple[str, ...]
    alerts_resolved: tuple[str, ...]


@dataclass(frozen=True)
class EnvCheckView:
    """One variable of the Environment Variables table against the real environment."""

    name: str
    status: str  # ok, default, missing, bad format, unset
    required: bool
    secret: bool
    value: str | None  # None for a secret or an unset variable
    default: str
    format: str
    message: str


@dataclass(frozen=True)
class EnvReport:
    """The environment checked: each variable, and whether all required ones hold."""

    host: str
    variables: tuple[EnvCheckView, ...]
    ok: bool


@dataclass(frozen=True)
class HistoryView:
    """A row of the runbook's Version History, and the run or incident that caused it."""

    version: str
    date: str
    author: str
    changes: str
    run_id: int | None
    incident_id: int | None


@dataclass(frozen=True)
class DeployedView:
    """A deployment target (a procedure with a VERSION, on its hosts): what is live."""

    target: str  # the procedure's id, and `@host` when the run was narrowed to one
    procedure: str
    current: str | None  # the version of the newest run that succeeded
    previous: str | None  # the version live before it
    current_run: int | None
    current_at: datetime | None
    last_version: str  # the newest run's version, whatever its end
    last_status: str
    last_run: int


@dataclass(frozen=True)
class DecisionView:
    """An inconclusive gate's question to a person, and the answer."""

    id: int
    run_id: int | None
    step: str
    gate: str
    reason: str
    state: str  # open, passed, stopped, expired
    asked_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str
    needed: int = 1  # distinct people who must let it pass
    role: str = ""  # of the Emergency Contacts table; empty: anyone
    approved_by: tuple[str, ...] = ()
