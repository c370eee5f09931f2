"""How a runbook's front matter points a disaster recovery drill at a scratch target. Pure.

```yaml
dr:
  env:                     # set for every Disaster Recovery Step: the scratch target
    TINYWEB_DATA: var/dr/data
    TINYWEB_PORT: "8766"
  canary:
    write: echo "$OPSBOOK_CANARY" > var/data/canary   # live system, before the drill
    read: cat var/dr/data/canary                       # the recovered target, after it
  validate:                # the checks whose passing ends the recovery (RTO)
    - bin/tinyweb health
  cleanup:                 # after the drill, not timed
    - bin/tinyweb stop
  timeout: 10m             # a step's limit when it states none
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opsbook.errors import BadInput
from opsbook.runbook.durations import parse_duration
from opsbook.runbook.problems import ValueProblem

_KNOWN = frozenset({"env", "canary", "validate", "cleanup", "timeout"})
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class DrPlan:
    """The scratch target of a DR drill and how to measure it."""

    env: dict[str, str] = field(default_factory=dict)
    canary_write: str = ""
    canary_read: str = ""
    validate: tuple[str, ...] = ()
    cleanup: tuple[str, ...] = ()
    timeout_seconds: float = 600.0


def dr_plan(settings: Mapping[str, Any]) -> DrPlan:
    """Return the `dr:` front matter as a plan (an empty plan where there is none)."""
    raw = settings.get("dr") or {}
    if not isinstance(raw, dict):
        raise _bad("dr", "must be a mapping with env, canary, validate, cleanup")
    unknown = sorted(set(map(str, raw)) - _KNOWN)
    if unknown:
        raise _bad(f"dr.{unknown[0]}", f"is not a setting (known: {', '.join(sorted(_KNOWN))})")
    env = raw.get("env") or {}
    if not isinstance(env, dict):
        raise _bad("dr.env", "must map variable names to values")
    for name, value in env.items():
        if not str(name) or set(str(name)) - _NAME_CHARS or "\0" in str(value):
            raise _bad(f"dr.env.{name}", "must be a variable name with a text value")
    canary = raw.get("canary") or {}
    if not isinstance(canary, dict) or set(map(str, canary)) - {"write", "read"}:
        raise _bad("dr.canary", "write `{write: COMMAND, read: COMMAND}`")
    timeout = 600.0
    if raw.get("timeout") is not None:
        try:
            timeout = parse_duration(str(raw["timeout"]))
        except ValueProblem as exc:
            raise _bad("dr.timeout", exc.message) from None
    return DrPlan(
        env={str(k): str(v) for k, v in env.items()},
        canary_write=_command(canary.get("write"), "dr.canary.write"),
        canary_read=_command(canary.get("read"), "dr.canary.read"),
        validate=_commands(raw.get("validate"), "dr.validate"),
        cleanup=_commands(raw.get("cleanup"), "dr.cleanup"),
        timeout_seconds=timeout,
    )


def _command(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or "\0" in value or len(value) > 4000:
        raise _bad(where, "must be one command line")
    return value


def _commands(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _bad(where, "must be a list of command lines")
    return tuple(_command(v, where) for v in value)


def _bad(field: str, problem: str) -> BadInput:
    return BadInput(f"front matter `{field}` {problem}", "see docs/backups.md")
