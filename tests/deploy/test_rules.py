"""The pure rules of deploy: targets, masking, drift, attribution, environment, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsbook.deploy.attribution import StepTouch, cause_of, changed_since
from opsbook.deploy.config_targets import LOCAL, config_targets, find_targets
from opsbook.deploy.drift_rules import changes, unified_diff
from opsbook.deploy.environment import check_environment
from opsbook.deploy.file_state import FileState
from opsbook.deploy.history import version_history
from opsbook.deploy.masking import MASK, Masker, copy_allowed
from opsbook.errors import BadInput
from opsbook.runbook.parser import parse_runbook

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BOOK = r"""---
hosts:
  web1: {address: 127.0.0.1}
  web2: {address: 127.0.0.2}
groups:
  web: [web1, web2]
---
# Demo

## Configuration Management

### Configuration Files

| File | Location | Purpose | Backup |
|------|----------|---------|--------|
| app.env | `etc/app.env` | Settings | Git |
| nginx.conf | `web:/etc/nginx/nginx.conf` | Proxy | Git |
| abs | `/etc/hostname` | Name | - |

### Environment Variables

| Variable | Required | Default | Secret | Description |
|----------|----------|---------|--------|-------------|
| APP_PORT | No | 8080 | No | Port (format: port) |
| APP_URL | Yes | | No | Where it answers, format: url |
| DB_PASSWORD | Yes | | Yes | The database password |
| APP_MODE | No | | No | format: `/(dev\|prod)/` |
| SIGNING | No | | Yes | Signing material |

## Version History

| Version | Date | Author | Changes |
|---------|------|--------|---------|
| 1.0 | 2026-01-01 | ana | Initial runbook |
| 1.1 | 2026-02-01 | opsbook | Added troubleshooting issue "x" from the post-mortem of incident 7 |
| 1.2 | 2026-03-01 | sam | Marked Log rotation done (run #12) |
"""


def test_targets_resolve_local_paths_beside_the_runbook_and_expand_host_groups() -> None:
    targets = config_targets(parse_runbook(BOOK, "/srv/demo/RUNBOOK.md"))
    assert [(t.file, t.host, t.path) for t in targets] == [
        ("app.env", LOCAL, "/srv/demo/etc/app.env"),
        ("nginx.conf", "web1", "/etc/nginx/nginx.conf"),
        ("nginx.conf", "web2", "/etc/nginx/nginx.conf"),
        ("abs", LOCAL, "/etc/hostname"),
    ]
    assert [t.host for t in find_targets(targets, ("nginx.conf",))] == ["web1", "web2"]
    with pytest.raises(BadInput, match='no configuration file "nope"'):
        find_targets(targets, ("nope",))


def test_a_location_naming_an_unknown_host_is_bad_input() -> None:
    text = BOOK.replace("web:/etc/nginx", "db9:/etc/nginx")
    with pytest.raises(BadInput, match='"db9" is not a host or group'):
        config_targets(parse_runbook(text, "/srv/demo/RUNBOOK.md"))


def test_masking_hides_secret_keys_in_every_form_and_known_secret_values() -> None:
    masker = Masker(["DB_PASSWORD"], ["hunter22"])
    text = (
        "DB_PASSWORD=hunter22\n"
        "export API_TOKEN='abc'\n"
        'db_password: "s3cret"\n'
        '  "signing_key": "zzz",\n'
        "URL=postgres://app:hunter22@db/app\n"
        "PORT=5432\n"
    )
    masked = masker.mask(text)
    assert "hunter22" not in masked and "s3cret" not in masked and "zzz" not in masked
    assert "'abc'" not in masked
    assert masked.splitlines() == [
        f"DB_PASSWORD={MASK}",
        f"export API_TOKEN='{MASK}'",
        f'db_password: "{MASK}"',
        f'  "signing_key": "{MASK}",',
        f"URL=postgres://app:{MASK}@db/app",
        "PORT=5432",
    ]


def test_no_copy_is_kept_of_keys_and_secret_stores() -> None:
    assert copy_allowed("/etc/nginx/nginx.conf") and copy_allowed("etc/app.env")
    for path in ("/etc/ssl/site.key", "/etc/ssl/site.PEM", "/home/a/.ssh/id_ed25519",
                 "/etc/app/db_password.txt", "/srv/secrets.yml"):  # fmt: skip
        assert not copy_allowed(path), path


def test_changes_name_content_mode_owner_and_missing() -> None:
    base = FileState(True, "a" * 64, 0o644, "root", "root", 3)
    assert changes(base, base) == []
    edited = FileState(True, "b" * 64, 0o600, "nobody", "root", 3)
    assert [(c.kind, c.before, c.after) for c in changes(base, edited)] == [
        ("content", "a" * 64, "b" * 64),
        ("mode", "0644", "0600"),
        ("owner", "root:root", "nobody:root"),
    ]
    assert [c.kind for c in changes(base, FileState(False))] == ["missing"]
    assert [c.kind for c in changes(FileState(False), base)] == ["appeared"]
    diff = unified_diff("a\nb\n", "a\nc\n", "/x")
    assert "-b\n+c\n" in diff and "/x (baseline)" in diff
    assert unified_diff(None, "a\n", "/x") == ""


def _touch(run: int, host: str, start: int, end: int | None, command: str) -> StepTouch:
    return StepTouch(
        run,
        "deploy",
        f"steps:{run}",
        "a step",
        command,
        host,
        T0 + timedelta(seconds=start),
        None if end is None else T0 + timedelta(seconds=end),
    )


def test_cause_is_the_step_running_on_the_host_when_the_file_changed() -> None:
    touches = [
        _touch(1, "local", 0, 10, "bin/app release set 2"),
        _touch(2, "local", 5, 8, "sed -i s/a/b/ /etc/app/app.conf"),
        _touch(3, "web1", 0, 10, "write /etc/app/app.conf"),
    ]

    def cause(at: int, host: str = "local") -> int | None:
        found = cause_of(
            host=host,
            path="/etc/app/app.conf",
            changed_at=T0 + timedelta(seconds=at),
            touches=touches,
            now=T0 + timedelta(hours=1),
        )
        return found.run_id if found else None

    assert cause(6) == 2  # both ran; the one naming the file wins
    assert cause(2) == 1
    assert cause(9, "web1") == 3
    assert cause(60) is None  # after every step: by hand
    assert cause(-30) is None


def test_a_change_read_in_whole_seconds_still_counts_after_its_baseline() -> None:
    baseline = T0 + timedelta(seconds=5, milliseconds=300)
    # Written at 5.8 s, read over SSH as 5 s (stat %Z): still after the baseline.
    assert changed_since(T0 + timedelta(seconds=5), baseline)
    assert changed_since(T0 + timedelta(seconds=6), baseline)
    assert not changed_since(T0 + timedelta(seconds=4), baseline)


def test_environment_check_reports_missing_defaults_formats_and_never_a_secret() -> None:
    book = parse_runbook(BOOK, "/srv/demo/RUNBOOK.md")
    env = {"APP_URL": "not a url", "DB_PASSWORD": "hunter22", "APP_MODE": "staging"}
    report = check_environment(book, env, "local")
    got = {v.name: (v.status, v.value) for v in report.variables}
    assert got == {
        "APP_PORT": ("default", None),
        "APP_URL": ("bad format", "not a url"),
        "DB_PASSWORD": ("ok", None),
        "APP_MODE": ("bad format", "staging"),
        "SIGNING": ("unset", None),
    }
    assert not report.ok
    assert "hunter22" not in repr(report)
    good = check_environment(
        book, {"APP_URL": "https://x.example", "DB_PASSWORD": "p", "APP_PORT": "443"}, "local"
    )
    assert good.ok
    missing = check_environment(book, {"APP_URL": "https://x.example"}, "local")
    assert {v.name: v.status for v in missing.variables}["DB_PASSWORD"] == "missing"
    bad_port = check_environment(
        book, {"APP_URL": "https://x", "DB_PASSWORD": "p", "APP_PORT": "99999"}, "local"
    )
    assert {v.name: v.status for v in bad_port.variables}["APP_PORT"] == "bad format"


def test_history_lists_rows_with_the_run_or_incident_they_name() -> None:
    rows = version_history(parse_runbook(BOOK, "/srv/demo/RUNBOOK.md"))
    assert [(r.version, r.author, r.run_id, r.incident_id) for r in rows] == [
        ("1.0", "ana", None, None),
        ("1.1", "opsbook", None, 7),
        ("1.2", "sam", 12, None),
    ]
