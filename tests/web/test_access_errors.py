"""Access refusals are kinds of opsbook/errors.py: the app's one handler answers each with its
kind's status, and the tokens page shows one beside its form (web/forms.py), not a bare error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from opsbook.access import service
from opsbook.access.roles import Role, parse_role
from opsbook.errors import BadInput, Conflict, ErrorKind
from opsbook.store.database import Database
from tests.web.conftest import bearer

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def test_a_bad_name_password_or_role_is_bad_input_and_a_taken_name_a_conflict(
    db: Database,
) -> None:
    with pytest.raises(BadInput, match="a name must be 1 to 100 characters"):
        service.create_token(db, name="   ", role=Role.VIEWER, created_by="t", now=NOW)
    with pytest.raises(BadInput, match="at least 8 characters"):
        service.create_user(db, name="ana", role=Role.VIEWER, password="short", now=NOW)
    with pytest.raises(BadInput, match="say which token"):
        service.revoke_token(db, now=NOW)
    with pytest.raises(BadInput, match="unknown role 'root'") as unknown:
        parse_role("root")
    assert unknown.value.kind is ErrorKind.BAD_INPUT
    service.create_user(db, name="ana", role=Role.VIEWER, password="long enough", now=NOW)
    with pytest.raises(Conflict, match="a user named 'ana' already exists") as taken:
        service.create_user(db, name="ana", role=Role.ADMIN, password="long enough", now=NOW)
    assert taken.value.kind is ErrorKind.CONFLICT
    assert [u.name for u in service.list_users(db)] == ["ana"]


def test_a_taken_user_name_is_409_through_the_one_handler(
    client: TestClient, tokens: dict[str, str]
) -> None:
    body = {"name": "ana", "role": "viewer", "password": "long enough"}
    admin = bearer(tokens["admin"])
    assert client.post("/api/v1/users", headers=admin, json=body).status_code == 201
    again = client.post("/api/v1/users", headers=admin, json=body)
    assert again.status_code == 409
    assert again.json() == {"detail": "a user named 'ana' already exists"}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "grafana", "role": "root"}, "unknown role &#39;root&#39;; use one of"),
        ({"name": "   ", "role": "viewer"}, "a name must be 1 to 100 characters"),
    ],
)
def test_the_tokens_form_shows_a_refusal_on_its_own_page_with_the_kinds_status(
    client: TestClient, tokens: dict[str, str], db: Database, form: dict[str, str], message: str
) -> None:
    before = len(service.list_tokens(db))
    page = client.post(
        "/tokens", headers={**bearer(tokens["admin"]), "Accept": "text/html"}, data=form
    )
    assert page.status_code == 422
    assert f'<div class="banner bad" role="alert">{message}' in page.text
    assert 'name="role"' in page.text  # the form again, to correct, not the error page
    assert page.headers["cache-control"] == "no-store"
    assert len(service.list_tokens(db)) == before
