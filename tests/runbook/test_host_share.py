"""`max_fail=` and `batch=` are read when the runbook is: a count or a percentage, else an error."""

from __future__ import annotations

import pytest

from opsbook.runbook.attributes import format_attrs, parse_attrs
from opsbook.runbook.host_share import HostShare
from opsbook.runbook.model import Attrs
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError, ValueProblem


def test_counts_and_percentages_are_read_and_written_back() -> None:
    attrs = parse_attrs("{host=web max_fail=10% batch=5}")
    assert (attrs.max_fail, attrs.batch) == ("10%", "5")
    assert format_attrs(attrs) == "{host=web max_fail=10% batch=5}"
    assert parse_attrs('{"max_fail": 3, "batch": "25%"}') == Attrs(max_fail="3", batch="25%")


def test_a_share_is_a_number_of_hosts_or_a_percentage_of_them() -> None:
    assert HostShare(3).of(30) == 3
    assert HostShare(10, percent=True).of(30) == 3
    assert str(HostShare(10, percent=True)) == "10%"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("max_fail=0%", 'attribute max_fail="0%" is zero'),
        ("batch=0", 'attribute batch="0" is zero'),
        ("batch=150%", 'attribute batch="150%" is over 100%'),
        ("max_fail=-2", 'attribute max_fail="-2" is negative'),
        ("max_fail=some", 'attribute max_fail="some" is not a number of hosts or a percentage'),
        ("batch=2.5%", 'attribute batch="2.5%" is not a number of hosts or a percentage'),
    ],
)
def test_bad_values_are_refused_with_what_to_write(text: str, said: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_attrs("{" + text + "}")
    assert caught.value.message == said
    assert caught.value.hint


def test_a_bad_value_in_a_runbook_names_its_line() -> None:
    text = "### Go Procedure\n\n**Steps**:\n1. Go: `true` {host=all batch=0%}\n"
    with pytest.raises(RunbookError) as caught:
        parse_runbook(text, "bad.md")
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (4, 'attribute batch="0%" is zero')
