"""The process phases of the template (Detect & Assess ... Post-Mortem) and where an
incident stands in them."""

from __future__ import annotations

from dataclasses import dataclass

from opsbook.incidents.lifecycle import Status
from opsbook.runbook.model import ProcessPhase, Runbook

DEFAULT_PHASES = (
    ProcessPhase(
        "Detect & Assess", ("Identify the issue", "Determine severity", "Engage appropriate team")
    ),
    ProcessPhase(
        "Respond & Mitigate",
        ("Follow relevant procedure", "Document actions taken", "Communicate status"),
    ),
    ProcessPhase(
        "Resolve & Verify", ("Implement fix", "Validate resolution", "Monitor for recurrence")
    ),
    ProcessPhase(
        "Post-Mortem",
        (
            "Document root cause",
            "Update runbook",
            "Implement preventive measures",
            "Store evidence",
        ),
    ),
)
# Which phase (by index) each status is in.
PHASE_OF = {
    Status.DETECTED: 0,
    Status.ACKNOWLEDGED: 1,
    Status.MITIGATED: 2,
    Status.RESOLVED: 3,
    Status.CLOSED: 3,
}


@dataclass(frozen=True)
class PhaseView:
    name: str
    actions: tuple[str, ...]
    state: str  # done, current, next


def phases(runbook: Runbook) -> tuple[ProcessPhase, ...]:
    """Return the runbook's four process phases, filling gaps from the template."""
    written = runbook.incident_process
    return tuple(
        written[i] if i < len(written) else DEFAULT_PHASES[i] for i in range(len(DEFAULT_PHASES))
    )


def progress(runbook: Runbook, status: Status) -> tuple[PhaseView, ...]:
    """Return every phase marked done, current or next for an incident in `status`."""
    current = PHASE_OF[status]
    out = []
    for index, phase in enumerate(phases(runbook)):
        if status is Status.CLOSED or index < current:
            state = "done"
        else:
            state = "current" if index == current else "next"
        out.append(PhaseView(phase.name, phase.actions, state))
    return tuple(out)


def phase_name(runbook: Runbook, status: Status) -> str:
    """Return the name of the phase an incident in `status` is in."""
    return phases(runbook)[PHASE_OF[status]].name
