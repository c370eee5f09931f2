"""The tiers hold: an unmarked test that leaves the process fails, and `-m unit` picks the rest.

Each case runs a small suite under tests/tiers.py in a new pytest process, as CI would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.process

SUITE = """
import socket
import subprocess
import threading

import pytest
from hypothesis import given, settings, strategies as st


def test_starts_a_process():
    subprocess.run(["true"], check=True)


def test_binds_a_socket():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))


def test_a_thread_it_started_starts_a_process():
    thread = threading.Thread(target=subprocess.run, args=(["true"],))
    thread.start()
    thread.join()


@pytest.mark.process
def test_marked_process_starts_one():
    subprocess.run(["true"], check=True)


def test_stays_inside():
    assert sorted([3, 1, 2]) == [1, 2, 3]


def test_runs_hypothesis_inside():
    @settings(max_examples=5)
    @given(st.integers())
    def inside(number):
        assert number == number

    inside()


@pytest.mark.fuzz
def test_marked_fuzz_runs_hypothesis_inside():
    test_runs_hypothesis_inside()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_on_both_databases(database):
    assert database


@settings(max_examples=5)
@given(st.integers())
def test_fuzzes(number):
    assert number == number
"""


# Plugins the small suite does not use; Schemathesis alone takes ~1.5 s to load.
QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis")


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest('pytest_plugins = ["tests.tiers"]\n')
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_an_unmarked_test_that_leaves_the_process_fails_saying_what_it_did(
    suite: pytest.Pytester,
) -> None:
    result = suite.runpytest_subprocess(*QUIET, "-rf", "--strict-markers")
    result.assert_outcomes(passed=6, failed=4)
    result.stdout.fnmatch_lines(
        [
            "*test_starts_a_process: started a process (true): needs the process mark*",
            "*test_binds_a_socket: bound a socket*: needs the process mark*",
            "*test_a_thread_it_started_starts_a_process: started a process (true): needs the*",
            "*test_runs_hypothesis_inside: ran Hypothesis: needs the fuzz mark*",
        ],
        consecutive=False,
    )


def test_unit_selects_the_in_process_tests_that_do_not_fuzz_nor_run_on_postgresql(
    suite: pytest.Pytester,
) -> None:
    result = suite.runpytest_subprocess(*QUIET, "-m", "unit", "--co", "-q")
    chosen = {line.split("::")[1] for line in result.outlines if "::" in line}
    assert chosen == {
        "test_starts_a_process",
        "test_binds_a_socket",
        "test_a_thread_it_started_starts_a_process",
        "test_stays_inside",
        "test_runs_hypothesis_inside",
        "test_on_both_databases[sqlite]",
    }
