"""Schemathesis over /openapi.json, on SQLite and PostgreSQL: no 5xx, and every response
matches the document. (Hostile values: test_openapi_hostile.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from opsbook.access import service
from opsbook.access.roles import Role
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.server import build_state

pytestmark = pytest.mark.fuzz

EXAMPLES = 25


def test_every_operation_answers_within_its_schema_and_never_5xx(
    runbook_path: Path, database: Database
) -> None:
    state = build_state(runbook_path, database)
    _, token = service.create_token(
        database, name="fuzz", role=Role.ADMIN, created_by="test", now=datetime.now(UTC)
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(state))
    # NUL is refused by design (422, the request guard); test_openapi_hostile sends it.
    schema.config.generation.update(allow_x00=False)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"/api/v1/runs", "/api/v1/procedures/{procedure_id}/runs"} <= {
        op.path for op in operations
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers)

        try:
            call()
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
