"""The rules of `batch=` and `max_fail=`: batches in host order, the allowance of failures."""

from __future__ import annotations

import pytest

from opsbook.procedures.rollout import allowance, batches_of, rollout_of, tally, within
from opsbook.runbook.host_share import HostShare
from opsbook.runbook.model import Attrs

HOSTS = [f"web{n:02d}" for n in range(1, 31)]


def test_without_batch_every_host_is_one_batch() -> None:
    assert batches_of(HOSTS, None) == [tuple(HOSTS)]


def test_percentage_batches_keep_the_host_order() -> None:
    batches = batches_of(HOSTS, HostShare(10, percent=True))
    assert [len(b) for b in batches] == [3] * 10
    assert [h for b in batches for h in b] == HOSTS


def test_count_batches_leave_the_rest_in_a_last_smaller_batch() -> None:
    assert [len(b) for b in batches_of(HOSTS, HostShare(7))] == [7, 7, 7, 7, 2]


def test_a_percentage_smaller_than_one_host_still_runs_one_host_per_batch() -> None:
    assert batches_of(["a", "b", "c"], HostShare(10, percent=True)) == [("a",), ("b",), ("c",)]


def test_no_hosts_no_batches() -> None:
    assert batches_of([], HostShare(5)) == []


@pytest.mark.parametrize(
    ("share", "hosts", "allowed"),
    [
        (None, 30, 0),
        (HostShare(3), 30, 3),
        (HostShare(50), 30, 30),  # a count over the step's hosts allows all of them
        (HostShare(10, percent=True), 30, 3),
        (HostShare(10, percent=True), 25, 2),  # rounded down
        (HostShare(10, percent=True), 5, 0),
        (HostShare(100, percent=True), 7, 7),
    ],
)
def test_allowance_of_failed_hosts(share: HostShare | None, hosts: int, allowed: int) -> None:
    assert allowance(share, hosts) == allowed


def test_a_step_passes_while_its_failures_stay_within_the_allowance() -> None:
    assert within(0, 0) and within(3, 3)
    assert not within(1, 0) and not within(4, 3)


def test_tally_says_failures_against_the_allowance_and_hosts_not_run() -> None:
    rollout = rollout_of(HOSTS, Attrs(max_fail="10%", batch="5"))
    assert tally(rollout, 0, 0) == ""
    assert tally(rollout, 2, 0) == "2 of 30 hosts failed, within max_fail=10% (3 allowed)"
    assert tally(rollout, 4, 20) == (
        "4 of 30 hosts failed, over max_fail=10% (3 allowed); 20 not run (batch=5)"
    )
    assert tally(rollout_of(HOSTS, Attrs()), 1, 0) == "1 of 30 hosts failed"
