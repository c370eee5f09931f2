"""The front matter's `ssh:` mapping: how steps with `host=` reach their hosts.

    ssh:
      known_hosts: ~/.ssh/known_hosts.fleet   # the file host keys are checked against
      client_keys: [~/.ssh/deploy_ed25519]    # else the agent and ~/.ssh/config's keys
      connect_timeout: 10s                    # connect, key exchange and authentication
      login: false                            # true: the run's shell is a login shell
      shell: session                          # or per-step: a new remote shell per step
      workers: 0                              # processes for big fan-outs (auto: a core each)

`login`: with `false` (the default) a host's user start-up files run as they do for
`ssh host command` (bash: ~/.bashrc), once per host per run; with `true` the profile
files (/etc/profile, ~/.bash_profile or ~/.profile) run too, once per host per run.

`workers`: how many processes set up connections for a step on many hosts
(`ssh_pool.py`); `auto` is one per core. The default, 0, keeps every connection in the
run's process: on the 2-core machine we measure on, the workers made a 200-host step
slower, not faster (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from opsbook.runbook.durations import parse_duration
from opsbook.runbook.problems import ValueProblem

SESSION, PER_STEP = "session", "per-step"
KEYS = (
    "known_hosts",
    "client_keys",
    "identity_files",
    "connect_timeout",
    "login",
    "shell",
    "workers",
)
AUTO = "auto"
MAX_WORKERS = 64
# A connect timeout shorter than this fails on any real network; longer waits are absurd.
MIN_CONNECT_TIMEOUT, MAX_CONNECT_TIMEOUT = 0.5, 600.0


@dataclass(frozen=True)
class SshSettings:
    """What the front matter says about SSH, checked."""

    known_hosts: str | None = None
    client_keys: tuple[str, ...] | None = None
    connect_timeout: float = 10.0
    login: bool = False
    shell: str = SESSION
    # None: one per core (`auto`).
    workers: int | None = 0


def read_ssh_settings(settings: Mapping[str, object]) -> SshSettings:
    """Read and check the front matter's `ssh:` mapping (absent: the defaults)."""
    raw = settings.get("ssh")
    if raw is None:
        return SshSettings()
    if not isinstance(raw, Mapping):
        raise ValueProblem(
            "front matter `ssh:` must be a mapping",
            "for example `ssh: {known_hosts: ~/.ssh/known_hosts, connect_timeout: 10s}`",
        )
    unknown = [str(key) for key in raw if key not in KEYS]
    if unknown:
        raise ValueProblem(
            f"front matter `ssh:` has an unknown key `{unknown[0]}`",
            f"the keys are {', '.join(KEYS)}",
        )
    known = raw.get("known_hosts")
    if known is not None and not (isinstance(known, str) and known.strip()):
        raise ValueProblem(
            "`ssh: known_hosts` must be a file path", "for example ~/.ssh/known_hosts"
        )
    keys = raw.get("client_keys", raw.get("identity_files"))
    if keys is not None and not (
        isinstance(keys, list) and keys and all(isinstance(k, str) and k.strip() for k in keys)
    ):
        raise ValueProblem(
            "`ssh: client_keys` must be a list of key files", "for example [~/.ssh/id_ed25519]"
        )
    return SshSettings(
        known_hosts=known,
        client_keys=tuple(keys) if keys is not None else None,
        connect_timeout=_connect_timeout(raw.get("connect_timeout", 10.0)),
        login=_flag(raw.get("login", False)),
        shell=_shell(raw.get("shell", SESSION)),
        workers=_workers(raw.get("workers", 0)),
    )


def _connect_timeout(value: object) -> float:
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except ValueProblem:
            seconds = None
    if seconds is None or not MIN_CONNECT_TIMEOUT <= seconds <= MAX_CONNECT_TIMEOUT:
        raise ValueProblem(
            f"`ssh: connect_timeout: {value}` is not a timeout between "
            f"{MIN_CONNECT_TIMEOUT:g} s and {MAX_CONNECT_TIMEOUT:g} s",
            "write seconds or a duration, for example 10 or 10s",
        )
    return seconds


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueProblem(f"`ssh: login: {value}` is not true or false", "write true or false")
    return value


def _shell(value: object) -> str:
    if value not in (SESSION, PER_STEP):
        raise ValueProblem(
            f"`ssh: shell: {value}` is not a shell mode",
            "write `session` (one remote shell per host per run, the default) or `per-step`",
        )
    return str(value)


def _workers(value: object) -> int | None:
    if value == AUTO:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_WORKERS:
        return value
    raise ValueProblem(
        f"`ssh: workers: {value}` is not `auto` or a number from 0 to {MAX_WORKERS}",
        "write `auto` (one per core), or 0 to keep every connection in the run's process",
    )
