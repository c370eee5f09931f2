"""The edge checks every face uses on values from outside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from opsbook.errors import BadInput, ErrorKind, TooLarge
from opsbook.inputs import MAX_ID, check_id, check_text, check_time, text_problem


@pytest.mark.parametrize("value", ["a\0b", "\ud800", "x\udfff"])
def test_nul_and_lone_surrogates_are_refused_with_the_field_named(value: str) -> None:
    assert text_problem(value) is not None
    with pytest.raises(BadInput, match=r"^VERSION "):
        check_text(value, field="VERSION", max_length=100)


def test_valid_unicode_passes_unchanged() -> None:
    value = "déploiement 🚀 $(rm -rf /) `x` \n\t"
    assert check_text(value, field="v", max_length=100) == value


def test_text_over_its_bound_is_too_large() -> None:
    with pytest.raises(TooLarge) as raised:
        check_text("x" * 11, field="note", max_length=10)
    assert raised.value.kind is ErrorKind.TOO_LARGE
    assert "at most 10" in str(raised.value)


@pytest.mark.parametrize("value", [0, -1, MAX_ID + 1, 2**63])
def test_ids_outside_the_stored_range_are_bad_input(value: int) -> None:
    with pytest.raises(BadInput):
        check_id(value, field="run id")


def test_zero_and_far_times_are_refused_and_naive_times_are_utc() -> None:
    with pytest.raises(BadInput, match="startsAt"):
        check_time(datetime(1, 1, 1, tzinfo=UTC), field="startsAt")
    with pytest.raises(BadInput):
        check_time(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))), field="t")
    with pytest.raises(BadInput):
        check_time(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), field="t")
    assert check_time(datetime(2026, 1, 2, 3), field="t") == datetime(2026, 1, 2, 3, tzinfo=UTC)
