"""Optional YAML front matter: hosts, groups and settings the template has no place for."""

from __future__ import annotations

from functools import cache
from typing import Any

from opsbook.runbook.alert_routes import alert_routes
from opsbook.runbook.model import Host
from opsbook.runbook.problems import ValueProblem
from opsbook.runbook.ssh_settings import read_ssh_settings

# Front matter `shell:` values: the run's local steps in one bash (the default), or a bash
# for every step.
SESSION_SHELL, PER_STEP_SHELL = "session", "per-step"
SHELL_MODES = (SESSION_SHELL, PER_STEP_SHELL)
_HOST_HINT = "write hosts as `NAME: {address: 10.0.0.5, user: ops, port: 22}`"


def read_front_matter(
    text: str | None, first_line: int
) -> tuple[dict[str, Any], dict[str, Host], dict[str, tuple[str, ...]]]:
    """Return (settings, hosts, groups) from the YAML between the `---` lines."""
    if text is None or not text.strip():
        return {}, {}, {}
    # lazy: keeps yaml off the start-up of a plain `opsbook run`
    import yaml

    try:
        data = yaml.load(text, Loader=_loader_class())
    except AliasRefused as exc:
        raise ValueProblem(
            f"front matter uses the YAML alias *{exc.anchor}; aliases are not accepted",
            "write the value out in full where the alias stands",
            line=first_line + 1 + exc.line,
        ) from None
    except RecursionError:
        raise ValueProblem(
            "front matter is nested too deeply to read",
            "write hosts and settings a few levels deep, as the examples do",
            line=first_line,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + 1 + (mark.line if mark is not None else 0)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValueProblem(
            f"front matter is not valid YAML: {problem}",
            "check indentation and `key: value` pairs between the two `---` lines",
            line=line,
        ) from None
    if data is None:
        return {}, {}, {}
    if not isinstance(data, dict):
        raise ValueProblem(
            "front matter must be a mapping of `key: value` pairs",
            "for example `hosts:` then the host names indented under it",
            line=first_line,
        )
    hosts = _hosts(data.get("hosts") or {}, first_line)
    groups = _groups(data.get("groups") or {}, hosts, first_line)
    settings = {k: v for k, v in data.items() if k not in ("hosts", "groups")}
    if settings.get("shell", SESSION_SHELL) not in SHELL_MODES:
        raise ValueProblem(
            f"front matter `shell: {settings['shell']}` is not a shell mode",
            "write `shell: session` (the run's local steps share one bash, the default) or "
            "`shell: per-step` (a new bash for every step)",
            line=first_line,
        )
    if "timeout" in settings:
        # lazy: step_safety is only needed by a front matter that sets a timeout
        from opsbook.runbook.step_safety import read_timeout

        try:
            read_timeout(settings["timeout"])
        except ValueProblem as exc:
            exc.line = exc.line or first_line
            raise
    try:
        alert_routes(settings)
        read_ssh_settings(settings)
    except ValueProblem as exc:
        raise ValueProblem(exc.message, exc.hint, line=first_line) from None
    return settings, hosts, groups


class AliasRefused(Exception):
    """The front matter holds an alias; `line` counts from its first line (0)."""

    def __init__(self, anchor: str, line: int) -> None:
        super().__init__(anchor)
        self.anchor = anchor
        self.line = line


@cache
def _loader_class() -> type[Any]:
    """Return a SafeLoader that refuses aliases (`*name`), so a "billion laughs" never expands.

    An alias stands for a whole earlier node; nested, a few lines of them stand for billions
    of values. Front matter needs none of that, so an alias is refused where it is written.
    """
    # lazy: keeps yaml off the start-up of a plain `opsbook run`
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event: Any = self.peek_event()  # type: ignore[no-untyped-call]
                raise AliasRefused(str(event.anchor), event.start_mark.line)
            return super().compose_node(parent, index)

    return NoAliasLoader


def _hosts(raw: Any, line: int) -> dict[str, Host]:
    if not isinstance(raw, dict):
        raise ValueProblem("front matter `hosts` must be a mapping", _HOST_HINT, line=line)
    hosts: dict[str, Host] = {}
    for name, spec in raw.items():
        if isinstance(spec, str):
            spec = _parse_target(spec)
        if not isinstance(spec, dict) or not (spec.get("address") or spec.get("host")):
            raise ValueProblem(f'host "{name}" has no address', _HOST_HINT, line=line)
        port = spec.get("port", 22)
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValueProblem(f'host "{name}" port "{port}" is not a port number', line=line)
        hosts[str(name)] = Host(
            name=str(name),
            address=str(spec.get("address") or spec.get("host")),
            user=str(spec["user"]) if spec.get("user") else None,
            port=port,
        )
    return hosts


def _parse_target(text: str) -> dict[str, Any]:
    """Read `user@address:port` shorthand."""
    user, _, rest = text.rpartition("@")
    address, _, port = rest.partition(":")
    spec: dict[str, Any] = {"address": address}
    if user:
        spec["user"] = user
    if port:
        spec["port"] = int(port) if port.isdigit() else port
    return spec


def _groups(raw: Any, hosts: dict[str, Host], line: int) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise ValueProblem("front matter `groups` must map a group name to host names", line=line)
    groups: dict[str, tuple[str, ...]] = {}
    for name, members in raw.items():
        names = [members] if isinstance(members, str) else list(members or [])
        for member in names:
            if str(member) not in hosts:
                raise ValueProblem(
                    f'group "{name}" names host "{member}", which `hosts` does not define',
                    "add it under `hosts:` or remove it from the group",
                    line=line,
                )
        groups[str(name)] = tuple(str(m) for m in names)
    return groups
