"""The `alert_routes:` front matter: what an alert no threshold row matches does, by severity.

```yaml
alert_routes:
  critical: {notify: Primary On-Call, incident: SEV-2}
  warning: {notify: [Primary On-Call, Operations Lead]}
  default: {notify: Operations Lead}     # any severity not listed
```

Each route takes the actions of an Alert Thresholds row: `notify` (a role or a list of
roles), `run` (a procedure or a list), `incident` (one severity level, SEV-1 .. SEV-N). Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from opsbook.runbook.model import Action, ActionKind
from opsbook.runbook.problems import ValueProblem

FIELD = "alert_routes"
# The route of every severity the front matter does not name.
DEFAULT = "default"
_SEVERITY = re.compile(r"[a-z0-9][a-z0-9_-]{0,19}")
_INCIDENT = re.compile(r"SEV-?\d", re.IGNORECASE)
_KINDS: tuple[ActionKind, ...] = ("notify", "run", "incident")
_MAX_TARGETS = 20
_MAX_TARGET = 200
_HINT = "write it like `alert_routes: {critical: {notify: Primary On-Call, incident: SEV-2}}`"


@dataclass(frozen=True)
class AlertRoute:
    """The actions an unmatched alert of one severity takes."""

    severity: str
    actions: tuple[Action, ...]

    @property
    def text(self) -> str:
        """Return the actions as an Action column would say them."""
        return "; ".join(f"{a.kind}: {a.target}" for a in self.actions)


def alert_routes(settings: dict[str, Any]) -> dict[str, AlertRoute]:
    """Return the routes of the front matter by severity; ValueProblem names a bad field."""
    raw = settings.get(FIELD)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueProblem(
            f"front matter `{FIELD}` must be a mapping of severity to actions", _HINT
        )
    routes: dict[str, AlertRoute] = {}
    for key, value in raw.items():
        severity = str(key).strip().lower()
        if not isinstance(key, str) or not _SEVERITY.fullmatch(severity):
            raise ValueProblem(
                f"front matter `{FIELD}`: {str(key)[:40]!r} is not a severity label",
                f"name a severity label such as critical or warning (up to 20 letters, digits, "
                f"- and _), or `{DEFAULT}`",
            )
        routes[severity] = AlertRoute(severity, _actions(value, f"{FIELD}.{severity}"))
    return routes


def _actions(value: Any, field: str) -> tuple[Action, ...]:
    if not isinstance(value, dict) or not value:
        raise ValueProblem(
            f"front matter `{field}` must map notify, run or incident to their targets", _HINT
        )
    actions: list[Action] = []
    for kind, targets in value.items():
        if kind not in _KINDS:
            raise ValueProblem(
                f"front matter `{field}`: unknown action {str(kind)[:40]!r}",
                "the actions are notify (a role), run (a procedure) and incident (SEV-N)",
            )
        where = f"{field}.{kind}"
        for target in _targets(targets, where):
            if kind == "incident" and not _INCIDENT.fullmatch(target):
                raise ValueProblem(
                    f'front matter `{where}`: "{target[:40]}" is not a severity level',
                    "write incident: SEV-1 .. SEV-4 (a level of the Severity Levels table)",
                )
            actions.append(Action(kind=cast(ActionKind, kind), target=target))
    if sum(a.kind == "incident" for a in actions) > 1:
        raise ValueProblem(f"front matter `{field}.incident` names one severity level, not a list")
    return tuple(actions)


def _targets(value: Any, field: str) -> list[str]:
    listed = value if isinstance(value, list) else [value]
    if not listed or len(listed) > _MAX_TARGETS:
        raise ValueProblem(f"front matter `{field}` needs 1 to {_MAX_TARGETS} targets")
    targets = []
    for item in listed:
        if not isinstance(item, str) or not item.strip() or "\x00" in item:
            raise ValueProblem(
                f"front matter `{field}` must be text (a name), not {type(item).__name__}"
                if not isinstance(item, str)
                else f"front matter `{field}` is empty",
                _HINT,
            )
        if len(item) > _MAX_TARGET:
            raise ValueProblem(f"front matter `{field}` is longer than {_MAX_TARGET} characters")
        targets.append(" ".join(item.split()))
    return targets
