"""Pure access rules: role order, password hashing, the failed-login limiter."""

from __future__ import annotations

import pytest

from opsbook.access.credentials import check_password, hash_password, new_token, token_hash
from opsbook.access.ratelimit import FailureLimiter
from opsbook.access.roles import Role, allows, parse_role


def test_roles_are_ordered_viewer_operator_admin() -> None:
    assert allows(Role.ADMIN, Role.OPERATOR) and allows(Role.OPERATOR, Role.VIEWER)
    assert not allows(Role.VIEWER, Role.OPERATOR)
    assert not allows(Role.OPERATOR, Role.ADMIN)


def test_ingest_role_reads_nothing_and_only_admin_shares_it() -> None:
    assert not allows(Role.INGEST, Role.VIEWER)
    assert allows(Role.INGEST, Role.INGEST) and allows(Role.ADMIN, Role.INGEST)
    assert not allows(Role.OPERATOR, Role.INGEST)


def test_unknown_role_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="viewer, operator, admin, ingest"):
        parse_role("root")


def test_tokens_are_random_and_only_their_hash_is_kept() -> None:
    a, b = new_token(), new_token()
    assert a != b and a.startswith("opsb_") and len(a) > 40
    assert token_hash(a) != token_hash(b) and a not in token_hash(a)


def test_password_hash_checks_the_password_and_nothing_else() -> None:
    stored = hash_password("correct horse")
    assert check_password("correct horse", stored)
    assert not check_password("correct horsf", stored)
    assert not check_password("correct horse", "garbage")


def test_limiter_refuses_after_the_limit_and_forgets_after_the_window() -> None:
    limiter = FailureLimiter(limit=3, window=60)
    for t in (0.0, 1.0, 2.0):
        assert limiter.retry_after("ip:1", t) == 0
        limiter.record_failure("ip:1", t)
    assert limiter.retry_after("ip:1", 3.0) == pytest.approx(57.0)
    assert limiter.retry_after("ip:2", 3.0) == 0
    assert limiter.retry_after("ip:1", 60.5) == 0


def test_limiter_reset_clears_a_key() -> None:
    limiter = FailureLimiter(limit=1, window=60)
    limiter.record_failure("k", 0.0)
    limiter.reset("k")
    assert limiter.retry_after("k", 1.0) == 0


def test_ttl_cache_recomputes_only_after_its_ttl() -> None:
    from opsbook.web.ttl_cache import TtlCache

    now = [0.0]
    calls: list[int] = []
    cache = TtlCache(1.0, lambda: now[0])

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("k", compute) == 1
    now[0] = 0.9
    assert cache.get("k", compute) == 1
    now[0] = 1.0
    assert cache.get("k", compute) == 2
    cache.clear()
    assert cache.get("k", compute) == 3


def test_login_limiter_locks_the_guessing_pair_and_never_the_account() -> None:
    from opsbook.access.ratelimit import LoginLimiter

    limiter = LoginLimiter()
    for t in range(5):
        limiter.failed(source="attacker", account="ann", now=float(t))
    locked = limiter.wait(source="attacker", account="ann", now=5.0)
    assert locked.seconds == pytest.approx(295.0) and "this account" in locked.reason
    assert limiter.wait(source="desk", account="ann", now=5.0).seconds == 0
    assert limiter.wait(source="attacker", account="ann", now=301.0).seconds == 0


def test_login_limiter_paces_an_account_for_addresses_that_failed_before() -> None:
    from opsbook.access.ratelimit import LoginLimiter

    limiter = LoginLimiter(account_pace=30.0)
    for n in range(5):
        limiter.failed(source=f"bot{n}", account="ann", now=10.0)
    assert limiter.wait(source="bot0", account="ann", now=20.0).seconds == pytest.approx(20.0)
    assert limiter.wait(source="bot0", account="ann", now=40.0).seconds == 0
    assert limiter.wait(source="desk", account="ann", now=20.0).seconds == 0
    limiter.succeeded(source="desk", account="ann")
    assert limiter.wait(source="bot0", account="ann", now=20.0).seconds == 0


def test_login_limiter_locks_an_address_spraying_many_accounts() -> None:
    from opsbook.access.ratelimit import LoginLimiter

    limiter = LoginLimiter()
    for n in range(20):
        limiter.failed(source="sprayer", account=f"user{n}", now=0.0)
    limiter.succeeded(source="sprayer", account="own")  # its own account resets nothing
    assert limiter.wait(source="sprayer", account="fresh", now=1.0).seconds > 0
    assert limiter.wait(source="elsewhere", account="fresh", now=1.0).seconds == 0
