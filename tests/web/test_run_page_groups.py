"""The run page groups a step's hosts by identical output: each group once, failures first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.store.database import Database
from tests.cli.test_fleet_output import broken_book
from tests.procedures.test_rollout_steps import book, run
from tests.web.test_pages import sign_in

pytestmark = pytest.mark.process


def test_run_page_shows_each_output_once_with_its_hosts_folded(
    tmp_path: Path, db: Database, client: TestClient, tokens: dict[str, str]
) -> None:
    run(tmp_path / "ran", broken_book(), db_file=tmp_path / "state" / "opsbook.db")
    sign_in(client, tokens["viewer"])
    page = client.get("/runs/1").text
    fanned = page[page.index('data-hosts="20"') :]
    fanned = fanned[: fanned.index("</ul>")]
    group = r'data-status="([^"]+)">.*?<code class="hosts"[^>]*>([^<]+)</code>'
    groups = re.findall(group, fanned, re.S)
    assert groups == [
        ("failed", "web[03,07,11]"),
        ("failed", "web15"),
        ("passed", "web[01-02,04-06,08-10,12-14,16-20]"),
    ]
    # Each distinct output is on the page once, not once per host.
    assert fanned.count('<pre class="out">disk full: /var\n</pre>') == 1
    assert fanned.count('<pre class="out err">no route to repo\n</pre>') == 1
    assert fanned.count('<pre class="out">ok\n</pre>') == 1
    assert "16 passed, 4 failed" in fanned


def test_a_fleet_failing_every_way_opens_only_the_ten_biggest_failure_groups(
    tmp_path: Path, db: Database, client: TestClient, tokens: dict[str, str]
) -> None:
    text = book("max_fail=100%", []).replace(
        "echo ok", 'echo "broken on $OPSBOOK_TEST_HOST"; exit 1'
    )
    run(tmp_path / "ran", text, db_file=tmp_path / "state" / "opsbook.db")
    sign_in(client, tokens["viewer"])
    page = client.get("/runs/1").text
    fanned = page[page.index('data-hosts="20"') :]
    fanned = fanned[: fanned.index("</ul>")]

    details = re.findall(r'data-status="failed">.*?<details ?(open)?>', fanned, re.S)
    assert details == ["open"] * 10 + [""] * 10
