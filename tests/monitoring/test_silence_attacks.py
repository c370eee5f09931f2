"""Hostile silences: catastrophic regexes. Each is matched in bounded time or refused with a
message, and never holds the webhook (through the real API on SQLite and PostgreSQL).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from opsbook.monitoring import service
from opsbook.monitoring.silences import MatcherError, parse_matcher
from opsbook.monitoring.tables import SilenceRow
from tests.monitoring.conftest import Served, am_alert, am_payload

LABEL = 10_000  # characters of the label each pattern is matched against
# (pattern, the 10 kB label that makes a backtracking engine try every way to match it)
CATASTROPHIC = [
    ("(a+)+$", "a" * LABEL + "b"),  # exponential: nested quantifiers
    ("(a|a)*b", "a" * LABEL),  # exponential: overlapping alternatives under a star
    ("(a|aa)+$", "a" * LABEL + "!"),
    ("((a*)*)*b", "a" * LABEL),
    ("(x+x+)+y", "x" * LABEL),
    (".*-.*-.*x", "-" * LABEL),  # cubic, no nesting at all: 215 s with Python's re
    (".*.*.*.*.*=", "=" * (LABEL - 1) + "-"),
    (r"\w*\d*x", "1" * LABEL),
    (".*prod.*", "prod" * (LABEL // 4) + "\n"),
    ("(?:a?){500}a{500}", "a" * 499),
    ("(.*a){20}", "a" * LABEL + "\n"),
]


@pytest.mark.parametrize(("pattern", "label"), CATASTROPHIC)
def test_a_crafted_regex_matches_a_10kb_label_in_under_100ms(pattern: str, label: str) -> None:
    for op in ("=~", "!~"):
        matcher = parse_matcher(f'host{op}"{pattern}"')
        matcher.matches({"host": "warm up"})
        started = time.perf_counter()
        full = matcher.matches({"host": label})
        assert time.perf_counter() - started < 0.1, pattern
        assert full is (op == "!~")  # none of them matches: each label is built to fail


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=a)a", "(?<=a)b", "(?!x).*", "a{2000}", "("])
def test_a_regex_alertmanager_would_refuse_is_refused_saying_it_is_re2(pattern: str) -> None:
    with pytest.raises(MatcherError, match="RE2 syntax"):
        parse_matcher(f'host=~"{pattern}"')


def test_a_silence_with_a_catastrophic_regex_does_not_hold_the_webhook(served: Served) -> None:
    made = served.client.post(
        "/api/v1/silences",
        json={"matchers": ['instance=~"(a+)+$"', 'alertname=~"(.*a){20}"'], "duration": "2h"},
        headers=served.operator,
    )
    assert made.status_code == 201, made.text
    alerts = [am_alert(i, instance="a" * 1_990 + "!", name="a" * 250 + "!") for i in range(100)]
    started = time.perf_counter()
    answer = served.post(am_payload(alerts))
    assert time.perf_counter() - started < 5  # Python's re: 14 s for one such label
    assert answer["created"] == 100
    muted = am_alert(999, instance="aaaa", name="a" * 25)
    assert served.post(am_payload([muted]))["created"] == 1
    assert [a["fingerprint"] for a in service.list_alerts(db=served.db, state="silenced")] == [
        f"{999:016x}"
    ]


def test_a_stored_silence_that_no_longer_parses_mutes_nothing_and_breaks_nothing(
    served: Served,
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    with served.db.transaction() as session:  # written before matchers were read as RE2
        session.add(
            SilenceRow(
                matchers=['alertname=~"(?=Disk)DiskFull"'],
                starts_at=now.replace(year=now.year - 1),
                ends_at=now.replace(year=now.year + 1),
                created_by="old",
                comment="",
            )
        )
    assert served.post(am_payload([am_alert(1)]))["created"] == 1
    assert service.list_alerts(db=served.db)[0]["state"] == "firing"
