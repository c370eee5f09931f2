"""The built-in certificate check: every target's chain assessed, the worst named first.

Targets: the row's `Targets` column, else front matter `maintenance.certificates` (a list
of PEM files and https URLs). Days: the row's `Warning Days` / `Critical Days`, else front
matter `maintenance.warning_days` / `critical_days`, else 30 and 7. The run fails when any
certificate is within its warning days, expired, or late for renewal.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from opsbook.maintenance.certificate_sources import (
    CertificateError,
    read_endpoint,
    read_pem_file,
)
from opsbook.maintenance.certificates import CertInfo, Finding, Level, assess
from opsbook.maintenance.tasks import TaskSpec
from opsbook.maintenance.views import Outcome

WARNING_DAYS = 30.0
CRITICAL_DAYS = 7.0


def check_certificates(
    spec: TaskSpec, settings: dict[str, Any], folder: Path, now: datetime
) -> Outcome:
    """Check every certificate of the task's targets; fail if any needs attention."""
    targets = list(spec.targets) or _listed(settings)
    if not targets:
        return Outcome(
            False,
            None,
            "no certificates to check: name PEM files or https URLs in the row's Targets "
            "column or in front matter maintenance.certificates",
        )
    warning = _days(spec.options.get("warning days"), WARNING_DAYS)
    critical = _days(spec.options.get("critical days"), CRITICAL_DAYS)
    findings, problems = certificate_findings(
        targets, folder=folder, now=now, warning_days=warning, critical_days=critical
    )
    findings.sort(key=lambda f: (-f.level, f.days_left))
    lines = problems + [f.message for f in findings]
    bad = problems or any(f.level >= Level.RENEWAL_LATE for f in findings)
    return Outcome(not bad, None, "\n".join(lines))


def certificate_findings(
    targets: list[str], *, folder: Path, now: datetime, warning_days: float, critical_days: float
) -> tuple[list[Finding], list[str]]:
    """Assess every certificate of every target; say which targets could not be read."""
    findings: list[Finding] = []
    problems: list[str] = []
    for target in targets:
        try:
            chains = _chains(target, folder)
        except CertificateError as exc:
            problems.append(f"ERROR: {exc}")
            continue
        for chain in chains:
            findings += [
                assess(
                    info,
                    chain_length=len(chain),
                    now=now,
                    warning_days=warning_days,
                    critical_days=critical_days,
                )
                for info in chain
            ]
    return findings, problems


def _chains(target: str, folder: Path) -> list[list[CertInfo]]:
    if target.startswith("https://"):
        return read_endpoint(target)
    path = Path(target).expanduser()
    return [read_pem_file(path if path.is_absolute() else folder / path)]


def _listed(settings: dict[str, Any]) -> list[str]:
    section = settings.get("maintenance") or {}
    listed = section.get("certificates") if isinstance(section, dict) else None
    if isinstance(listed, str):
        return [listed]
    return [str(item) for item in listed] if isinstance(listed, list) else []


def _days(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default
