"""opsbook runs opsbook: the built wheel installs into a fresh virtual environment and works
alone, and RUNBOOK.md's own procedures operate that install end to end: startup, health,
backup, a restore proven equal, an upgrade from the previous schema that fails on purpose
and rolls back, the upgrade done right, and shutdown."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.dashboard_server import free_port

pytestmark = pytest.mark.process

REPO = Path(__file__).resolve().parents[2]
VERSIONS = REPO / "src/opsbook/store/migrations/versions"


def _version() -> str:
    found = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M)
    assert found is not None
    return found.group(1)


def _build_wheel(source: Path, out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(out)],
        check=True,
        timeout=300,
    )
    return next(out.glob("opsbook-*.whl"))


def _previous_release(tmp: Path) -> Path:
    """Build the release before this one: this source without its newest migration."""
    source = tmp / "previous-source"
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "README.md", source)
    version = _version()
    pyproject = (REPO / "pyproject.toml").read_text()
    (source / "pyproject.toml").write_text(pyproject.replace(version, "0.0.1", 1))
    init = source / "src/opsbook/__init__.py"
    init.write_text(init.read_text().replace(version, "0.0.1"))
    newest = max(VERSIONS.glob("0*.py"), key=lambda p: p.name)
    (source / "src/opsbook/store/migrations/versions" / newest.name).unlink()
    return _build_wheel(source, tmp / "previous-dist")


def _venv(where: Path, wheel: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    subprocess.run(
        [str(where / "bin/python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        timeout=600,
    )
    return where / "bin"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("wheels")
    return _build_wheel(REPO, tmp / "dist"), _previous_release(tmp)


def _env(bin_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOOK_")}
    env.pop("VIRTUAL_ENV", None)
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1", **extra)
    return env


def test_the_wheel_installs_alone_and_reads_runbooks_outside_the_repository(
    wheels: tuple[Path, Path], tmp_path: Path
) -> None:
    bin_dir = _venv(tmp_path / "venv", wheels[0])
    env = _env(bin_dir)
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    def opsbook(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir / "opsbook"), *args],
            cwd=outside,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert opsbook("--version").stdout.strip() == f"opsbook {_version()}"
    shutil.copy(REPO / "RUNBOOK.md", outside / "RUNBOOK.md")
    checked = opsbook("check", "RUNBOOK.md", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["warnings"] == []
    started = opsbook("init", "starter/RUNBOOK.md")  # the packaged starter
    assert started.returncode == 0, started.stderr
    assert opsbook("check", "starter/RUNBOOK.md").returncode == 0
    # Templates, static files and migrations came with the wheel, not from the checkout.
    package = next((tmp_path / "venv/lib").glob("python3*/site-packages/opsbook"))
    for packaged in (
        "web/templates/base.html",
        "web/static/app.css",
        "web/static/favicon.svg",
        "store/migrations/script.py.mako",
        "runbook/starter.md",
    ):
        assert (package / packaged).is_file(), packaged
    assert len(list((package / "store/migrations/versions").glob("0*.py"))) == len(
        list(VERSIONS.glob("0*.py"))
    )


def test_runbook_procedures_operate_an_installed_opsbook_end_to_end(
    wheels: tuple[Path, Path], tmp_path: Path
) -> None:
    current, previous = wheels
    bin_dir = _venv(tmp_path / "venv", previous)
    ops = tmp_path / "ops"
    ops.mkdir()
    shutil.copy(REPO / "RUNBOOK.md", ops)
    shutil.copytree(REPO / "deploy", ops / "deploy")
    served = ops / "served"
    served.mkdir()
    (served / "RUNBOOK.md").write_text(
        "# Served\n\n## Hello Procedure\n\n**Steps**:\n1. Greet: `echo hello`\n"
    )
    state = tmp_path / "state"
    port = free_port()
    env = _env(
        bin_dir,
        OPSBOOK_STATE=str(state),
        OPSBOOK_RUNBOOKS=str(served),
        OPSBOOK_PORT=str(port),
        OPSBOOK_BACKUP_DIR=str(tmp_path / "backups"),
        OPSBOOK_RESTORE_DIR=str(tmp_path / "restore-test"),
        OPSBOOK_VENV=str(tmp_path / "venv"),
        OPSBOOK_SERVICE="plain",
    )

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir / "opsbook"), *args],
            cwd=ops,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )

    def ctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ops / "deploy/opsbookctl"), *args],
            cwd=ops,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def procedure(name: str, *params: str) -> subprocess.CompletedProcess[str]:
        argv = ["run", "RUNBOOK.md", name, "--yes"]
        for param in params:
            argv += ["--param", param]
        return run(*argv)

    def health() -> dict[str, object]:
        answer = ctl("health")
        assert answer.returncode == 0, answer.stdout + answer.stderr
        data: dict[str, object] = json.loads(answer.stdout)
        return data

    def token_names() -> set[str]:
        listed = run("token", "list", "--json", "-f", str(served), OPSBOOK_HOME=str(state))
        assert listed.returncode == 0, listed.stderr
        return {t["name"] for t in json.loads(listed.stdout)}

    try:
        started = procedure("startup")
        assert started.returncode == 0, started.stdout + started.stderr
        assert health()["version"] == "0.0.1"
        # Something of value in the server's database, to find again after each operation.
        made = run(
            "token", "create", "--name", "probe", "--role", "viewer", "-f", str(served),
            OPSBOOK_HOME=str(state),
        )  # fmt: skip
        assert made.returncode == 0, made.stderr

        backed_up = procedure("backup")
        assert backed_up.returncode == 0, backed_up.stdout + backed_up.stderr
        restored = procedure("restore-test")
        assert restored.returncode == 0, restored.stdout + restored.stderr
        latest = ctl("latest").stdout.strip()
        proof = ctl("compare", latest, str(tmp_path / "restore-test/opsbook.db"))
        assert proof.returncode == 0 and json.loads(proof.stdout)["differ"] == []
        assert json.loads(proof.stdout)["rows"] > 0
        # The same copy in opsbook's own backup catalogue, proven by a restore drill.
        catalogue = json.loads(run("backup", "list", "opsbook-db", "--json").stdout)
        assert [(b["state"], b["drilled"]) for b in catalogue] == [("ok", "passed")]

        # The previous release runs the previous schema: the newest migration is pending.
        assert ctl("schema", "--at-heads").returncode == 0
        assert f"{max(p.stem for p in VERSIONS.glob('0*.py'))}" not in ctl("schema").stdout

        failed = procedure(
            "upgrade",
            "OPSBOOK_PACKAGE=" + str(tmp_path / "missing/opsbook-9.9.9-py3-none-any.whl"),
            f"OPSBOOK_PREVIOUS_PACKAGE={previous}",
        )
        assert failed.returncode != 0
        assert "rolled back" in failed.stdout, failed.stdout
        assert health()["version"] == "0.0.1"
        assert "probe" in token_names()

        upgraded = procedure(
            "upgrade", f"OPSBOOK_PACKAGE={current}", f"OPSBOOK_PREVIOUS_PACKAGE={previous}"
        )
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
        assert health()["version"] == _version()
        schema = json.loads(ctl("schema", "--at-heads").stdout)
        assert schema["applied"] == schema["heads"]
        assert max(p.stem for p in VERSIONS.glob("0*.py")) in schema["applied"]
        assert "probe" in token_names()

        # The live database put back from a backup of the previous release, migrated at start.
        put_back = procedure("restore")
        assert put_back.returncode == 0, put_back.stdout + put_back.stderr
        assert "probe" in token_names()

        # Token rotation: the new token is active, the old one revoked.
        old = run(
            "token", "create", "--name", "alertmanager", "--role", "ingest", "-f", str(served),
            "--json", OPSBOOK_HOME=str(state),
        )  # fmt: skip
        old_id = json.loads(old.stdout)["id"]
        rotated = procedure("token-rotation", "TOKEN_NAME=alertmanager", f"OLD_TOKEN_ID={old_id}")
        assert rotated.returncode == 0, rotated.stdout + rotated.stderr
        listed = run(
            "token", "list", "--all", "--json", "-f", str(served), OPSBOOK_HOME=str(state)
        )  # fmt: skip
        webhook = [t for t in json.loads(listed.stdout) if t["name"] == "alertmanager"]
        assert sorted((t["id"] == old_id, t["active"]) for t in webhook) == [
            (False, True),
            (True, False),
        ]

        # Each troubleshooting issue's diagnosis only looks, and runs by itself.
        for issue in (
            "database-is-locked",
            "migrations-pending",
            "a-worker-is-stuck",
            "alertmanager-posts-with-a-wrong-token",
            "smtp-server-refuses-mail",
        ):
            looked = procedure(f"{issue}:diagnosis")
            assert looked.returncode == 0, looked.stdout + looked.stderr

        stopped = procedure("shutdown")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert ctl("status", "--stopped").returncode == 0
    finally:
        ctl("stop", "--timeout", "20")


def test_the_shipped_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is missing (apt-get install systemd)")
        pytest.skip("systemd-analyze is not installed")
    # The unit as installed by the RUNBOOK's Installation notes, its venv this one.
    unit = (REPO / "deploy/opsbook.service").read_text()
    venv = Path(sys.executable).parent.parent
    assert "ExecStart=/opt/opsbook/venv/bin/opsbook serve" in unit
    (tmp_path / "opsbook.service").write_text(unit.replace("/opt/opsbook/venv", str(venv)))
    done = subprocess.run(
        [analyze, "verify", str(tmp_path / "opsbook.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "KillSignal=SIGTERM" in unit
