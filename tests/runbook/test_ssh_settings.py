"""The front matter's `ssh:` mapping: defaults, each key checked, problems named."""

from __future__ import annotations

import pytest

from opsbook.runbook.problems import ValueProblem
from opsbook.runbook.ssh_settings import SshSettings, read_ssh_settings


def test_no_ssh_mapping_means_one_session_per_host_no_login_ten_seconds_no_workers() -> None:
    assert read_ssh_settings({}) == SshSettings(
        connect_timeout=10.0, login=False, shell="session", workers=0
    )
    assert read_ssh_settings({"ssh": {"workers": "auto"}}).workers is None


def test_every_key_is_read() -> None:
    settings = read_ssh_settings(
        {
            "ssh": {
                "known_hosts": "~/.ssh/fleet_hosts",
                "client_keys": ["~/.ssh/deploy"],
                "connect_timeout": "30s",
                "login": True,
                "shell": "per-step",
                "workers": 0,
            }
        }
    )

    assert settings == SshSettings(
        "~/.ssh/fleet_hosts", ("~/.ssh/deploy",), 30.0, True, "per-step", workers=0
    )


@pytest.mark.parametrize(
    ("ssh", "says"),
    [
        ("fast", "must be a mapping"),
        ({"timeout": 5}, "unknown key `timeout`"),
        ({"connect_timeout": 0}, "between 0.5 s and 600 s"),
        ({"connect_timeout": "2h"}, "between 0.5 s and 600 s"),
        ({"connect_timeout": "soon"}, "not a timeout"),
        ({"login": "yes please"}, "not true or false"),
        ({"shell": "tmux"}, "not a shell mode"),
        ({"client_keys": "~/.ssh/id"}, "list of key files"),
        ({"known_hosts": ""}, "must be a file path"),
        ({"workers": -1}, "`auto` or a number from 0 to 64"),
        ({"workers": "many"}, "`auto` or a number from 0 to 64"),
    ],
)
def test_a_bad_value_is_refused_with_what_to_write(ssh: object, says: str) -> None:
    with pytest.raises(ValueProblem, match=says) as caught:
        read_ssh_settings({"ssh": ssh})

    assert caught.value.hint
