"""me(): who and where a run is, as the standard library would say it."""

from __future__ import annotations

import getpass
import os
import socket

import psutil
import pytest

from opsbook.cli.who import me
from opsbook.procedures.drive import this_process


def test_me_names_the_user_and_machine_as_getpass_and_socket_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPSBOOK_USER", raising=False)
    found = me()
    assert found.user == getpass.getuser()
    assert found.machine == socket.gethostname()
    assert found.pid == os.getpid() and found.process_started > 0


def test_me_without_login_variables_asks_the_password_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("OPSBOOK_USER", "LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    assert me().user == getpass.getuser()
    monkeypatch.setenv("OPSBOOK_USER", "alice")
    assert me().user == "alice"


def test_every_face_describes_its_process_as_socket_and_psutil_would() -> None:
    # The server, the worker, alert-started and incident runs build Me here too: a later
    # `resume` or the reaper tells a live driver from a dead one by these figures.
    found = this_process("alert #3")
    assert (found.user, found.machine, found.pid) == ("alert #3", socket.gethostname(), os.getpid())
    assert abs(found.process_started - psutil.Process().create_time()) < 0.1
