"""Hosts of a fan-out grouped by identical output, biggest group first; names folded."""

from __future__ import annotations

from dataclasses import dataclass

from opsbook.procedures.attempt_groups import grouped, host_list, tries
from opsbook.procedures.executors.protocol import CommandResult
from opsbook.procedures.host_ranges import folded


@dataclass(frozen=True)
class Seen:
    step: str
    attempt: int
    host: str
    status: str
    exit_code: int | None = 0
    stdout: str = ""
    stderr: str = ""
    error: str | None = None


def test_hosts_with_identical_output_form_one_group_failures_first() -> None:
    ok = CommandResult(0, stdout="done\n")
    bad = CommandResult(1, stderr="disk full\n")
    groups = grouped(
        [
            ("web1", "failed", bad),
            ("web2", "passed", ok),
            ("web3", "passed", ok),
            ("web4", "failed", bad),
            ("web5", "passed", ok),
        ]
    )
    assert [(g.status, g.hosts) for g in groups] == [
        ("failed", ("web1", "web4")),
        ("passed", ("web2", "web3", "web5")),
    ]
    assert groups[0].sample.stderr == "disk full\n"


def test_same_output_but_another_status_or_stream_is_another_group() -> None:
    groups = grouped(
        [
            ("a", "passed", CommandResult(0, stdout="x")),
            ("b", "failed", CommandResult(0, stdout="x")),
            ("c", "passed", CommandResult(0, stderr="x")),
            ("d", "passed", CommandResult(2, stdout="x")),
        ]
    )
    assert len(groups) == 4


def test_errors_that_differ_only_in_the_hosts_name_and_address_form_one_group() -> None:
    def refused(host: str, address: str) -> CommandResult:
        return CommandResult(
            None, error=f"cannot connect to {host} ({address}): Connection refused"
        )

    groups = grouped(
        [
            ("web1", "error", refused("web1", "10.0.0.1:22")),
            ("web10", "error", refused("web10", "10.0.0.10:22")),
            (
                "web2",
                "error",
                CommandResult(None, error="cannot connect to web2 (10.0.0.2:22): timeout"),
            ),
            ("db1", "error", refused("db1", "10.0.1.1:2222")),
        ]
    )

    assert [(g.hosts, g.error) for g in groups] == [
        (
            ("web1", "web10", "db1"),
            "cannot connect to <host> (<address>): Connection refused",
        ),
        # Alone in its group: its own words, name and address.
        (("web2",), "cannot connect to web2 (10.0.0.2:22): timeout"),
    ]


def test_an_unknown_host_key_on_a_fleet_is_one_group_with_one_advice() -> None:
    def unknown(host: str, address: str) -> CommandResult:
        return CommandResult(
            None,
            error=f"host key of {host} ({address}:2222) is unknown: it is not in known_hosts; "
            f"add it (ssh-keyscan -p 2222 {address} >> known_hosts) and retry",
        )

    (group,) = grouped([(f"web{i}", "error", unknown(f"web{i}", f"10.0.0.{i}")) for i in (1, 2)])

    assert group.hosts == ("web1", "web2")
    assert group.error == (
        "host key of <host> (<address>) is unknown: it is not in known_hosts; "
        "add it (ssh-keyscan -p 2222 <address> >> known_hosts) and retry"
    )


def test_host_list_names_a_few_and_counts_the_rest() -> None:
    hosts = ["web003", "web017", "web020", "web021", "web044", "web050", "web051"]
    assert host_list(hosts[:2]) == "web003, web017"
    assert host_list(hosts, shown=2) == "web003, web017 (+5 more)"


def test_tries_gather_a_steps_hosts_by_attempt_number() -> None:
    attempts = [
        Seen("steps:1", 1, "local", "passed"),
        Seen("steps:2", 1, "web1", "passed", stdout="ok\n"),
        Seen("steps:2", 1, "web2", "failed", exit_code=1, stdout="no\n"),
        Seen("steps:2", 1, "web3", "passed", stdout="ok\n"),
        Seen("steps:2", 2, "web2", "failed", exit_code=1, stdout="no\n"),
        Seen("steps:2", 1, "web4", "not-run", exit_code=None),
    ]
    found = tries(attempts)
    assert [(t.first.step, t.first.attempt, t.hosts, t.fanned) for t in found] == [
        ("steps:1", 1, 1, False),
        ("steps:2", 1, 4, True),
        ("steps:2", 2, 1, False),
    ]
    fanned = found[1]
    assert [(g.status, g.hosts) for g in fanned.groups] == [
        ("failed", ("web2",)),
        ("passed", ("web1", "web3")),
        ("not-run", ("web4",)),
    ]
    assert fanned.status == "failed"
    assert fanned.counts() == "2 passed, 1 failed, 1 not-run"


def test_folded_names_ranges_of_numbered_hosts_and_keeps_the_others() -> None:
    hosts = ["web001", "web002", "web003", "web017", "db1", "db2", "cache", "web01"]
    assert folded(hosts) == "web[001-003,017],db[1-2],cache,web01"
    assert folded(["web7"]) == "web7"
    assert folded([]) == ""
