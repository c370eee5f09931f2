"""Test tiers: a test is `unit` unless it reaches outside the Python process or fuzzes.

The rule (README, Development):
- `e2e`: drives real outside programs (sshd, Chromium, Prometheus, Alertmanager);
- `pg`: talks to the PostgreSQL server;
- `process`: starts a child process (a run's commands, the CLI in a new process,
  `opsbook serve`) or opens a socket (a server, or a client of one);
- `fuzz`: runs Hypothesis (a `@given` test, or Schemathesis inside the test), generating
  its inputs by the hundred; in-process, but slow by design;
- `unit`: everything else: code in this process, SQLite files under tmp_path, the app
  through TestClient. `make unit` runs these; `make test` runs every tier.

A test gets its marks from its directory (tests/e2e), from the fixtures it uses
(FIXTURE_TIERS), from a parameter whose value is "postgresql" (the suite's way of running
one test on both databases), from Hypothesis, or from a mark on the test or its module.
A test without e2e, pg or process is watched while it runs: if it starts a process,
forks, opens a socket or a PostgreSQL schema, or runs Hypothesis without the fuzz mark, it
fails and names the mark it needs, in `make unit` and in CI alike, so the fast tier cannot
fill up with slow tests unnoticed.
"""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest

MARKS = {
    "e2e": "drives real outside programs (sshd, Chromium, Prometheus...)",
    "pg": "talks to the PostgreSQL server",
    "process": "starts a child process or opens a socket",
    "fuzz": "runs Hypothesis (@given, or Schemathesis in the test)",
    "unit": "set by tests/tiers.py on every test with none of the marks above (make unit)",
}
OUTSIDE = ("e2e", "pg", "process")
E2E_DIR = Path(__file__).parent / "e2e"
# Fixtures that reach outside the process, and the tier a test using them is in.
FIXTURE_TIERS = {
    "sshd": "e2e",
    "pg": "pg",
    "pg_url": "pg",
    "smtp": "process",
    "receiver": "process",
}
# The parameter value that runs a test on PostgreSQL: params=["sqlite", "postgresql"].
POSTGRESQL = "postgresql"


@dataclass
class Watch:
    """What one in-process test did that its marks do not allow, from threads it started."""

    fuzz: bool
    # Threads an earlier test left running: what they do is not this test's doing.
    earlier_threads: frozenset[int]
    # What the test did -> the mark that would allow it.
    seen: dict[str, str] = field(default_factory=dict)


_watch: Watch | None = None


def note_outside(what: str, mark: str = "process") -> None:
    """Record that the running test did what only `mark` allows (fails an in-process test)."""
    watch = _watch
    if watch is None or (mark == "fuzz" and watch.fuzz):
        return
    thread = threading.current_thread()
    if thread is not threading.main_thread() and thread.ident in watch.earlier_threads:
        return
    watch.seen.setdefault(what, mark)


def _wrap(owner: Any, name: str, describe: Callable[..., str]) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def watched(*args: Any, **kwargs: Any) -> Any:
        if _watch is not None:
            note_outside(describe(*args, **kwargs))
        return original(*args, **kwargs)

    setattr(owner, name, watched)


def _program(_self: object, args: Any, *_: Any, **__: Any) -> str:
    first = args if isinstance(args, str | bytes | os.PathLike) else next(iter(args), "")
    return f"started a process ({' '.join(os.fsdecode(first).split()[:1])})"


def _socket(verb: str) -> Callable[..., str]:
    return lambda _self, address, *_: f"{verb} a socket ({address!r})"


def _watch_given() -> None:
    """Make every test body Hypothesis drives note that it fuzzes (test modules import later)."""
    given = hypothesis.given

    @functools.wraps(given)
    def watched_given(*args: Any, **kwargs: Any) -> Any:
        decorate = given(*args, **kwargs)

        def decorate_noting(test: Callable[..., Any]) -> Any:
            @functools.wraps(test)
            def noting(*a: Any, **k: Any) -> Any:
                note_outside("ran Hypothesis", "fuzz")
                return test(*a, **k)

            return decorate(noting)

        return decorate_noting

    hypothesis.given = watched_given


def pytest_configure(config: pytest.Config) -> None:
    for mark, meaning in MARKS.items():
        config.addinivalue_line("markers", f"{mark}: {meaning}")
    _wrap(subprocess.Popen, "__init__", _program)
    _wrap(socket.socket, "connect", _socket("connected"))
    _wrap(socket.socket, "connect_ex", _socket("connected"))
    _wrap(socket.socket, "bind", _socket("bound"))
    os.register_at_fork(before=lambda: note_outside("forked"))
    _watch_given()


def _parameters(item: pytest.Item) -> list[object]:
    callspec = getattr(item, "callspec", None)
    return list(callspec.params.values()) if callspec is not None else []


def _in_process(item: pytest.Item) -> bool:
    return not any(item.get_closest_marker(mark) for mark in OUTSIDE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker("e2e")
        for fixture in getattr(item, "fixturenames", ()):
            if fixture in FIXTURE_TIERS:
                item.add_marker(FIXTURE_TIERS[fixture])
        if POSTGRESQL in _parameters(item):
            item.add_marker("pg")
        if hypothesis.is_hypothesis_test(getattr(item, "obj", None)):
            item.add_marker("fuzz")
        if _in_process(item) and not item.get_closest_marker("fuzz"):
            item.add_marker("unit")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    global _watch
    if _in_process(item):
        earlier = frozenset(t.ident for t in threading.enumerate() if t.ident is not None)
        _watch = Watch(bool(item.get_closest_marker("fuzz")), earlier)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    result = yield
    if _watch is not None and _watch.seen:
        needs = "; ".join(f"{what}: needs the {mark} mark" for what, mark in _watch.seen.items())
        pytest.fail(
            f"{item.nodeid}: {needs}. Mark the test or its module, or keep it inside the "
            "process (tests/tiers.py)",
            pytrace=False,
        )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    global _watch
    try:
        return (yield)
    finally:
        _watch = None
