"""A real OpenSSH sshd on a loopback port, for tests that run commands over SSH.

The server runs as the current user with a throw-away host key and an authorized_keys
file holding a freshly generated client key; it is stopped after the test session.
Where sshd is missing the tests are skipped, except under CI (CI=true) where they fail:
`make test` installs it (scripts/system-deps.sh).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
# sshd refuses to start as root without its privilege separation directory.
PRIVSEP_DIR = Path("/run/sshd")


@dataclass(frozen=True)
class SshServer:
    """Where the test sshd listens and the files a client needs to trust and reach it."""

    address: str
    port: int
    user: str
    known_hosts: Path
    client_key: Path
    host_key_line: str
    log: Path

    def known_hosts_line(self) -> str:
        """Return this server's line for a known_hosts file."""
        return f"[{self.address}]:{self.port} {self.host_key_line}\n"


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true, so this fails instead of skipping; run make test)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def generate_key(path: Path) -> str:
    """Generate an ed25519 key pair at path; return the public key line (type and key)."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "opsbook-test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    kind, key = path.with_suffix(".pub").read_text().split()[:2]
    return f"{kind} {key}"


def _config(directory: Path, port: int, setenv: str) -> Path:
    config = directory / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {directory / 'host_ed25519'}",
                f"AuthorizedKeysFile {directory / 'authorized_keys'}",
                f"PidFile {directory / 'sshd.pid'}",
                "PermitRootLogin yes",
                "UsePAM no",
                "StrictModes no",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                # Benchmarks and fan-out tests open many connections at once.
                "MaxStartups 200",
                "MaxSessions 50",
                "LogLevel VERBOSE",
                # bash sources ~/.bashrc for commands run by sshd unless it is a nested
                # shell; a developer's .bashrc (pyenv init...) would add ~0.6 s per session.
                # (A test of start-up files sets HOME instead, to a home of its own.)
                f"SetEnv {setenv}",
                "",
            ]
        )
    )
    return config


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sshd did not listen on port {port} within 10 s: {log.read_text()}")


def _start(directory: Path, setenv: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start sshd on a free port; retry if another process took the port meanwhile."""
    problem: Exception | None = None
    for _ in range(5):
        port = _free_port()
        config = _config(directory, port, setenv)
        log = directory / "sshd.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            _wait_listening(proc, port, log)
        except RuntimeError as exc:
            problem = exc
            proc.kill()
            proc.wait()
            continue
        return proc, port
    raise RuntimeError(f"could not start sshd: {problem}")


def start_server(
    directory: Path, setenv: str = "SHLVL=1"
) -> tuple[subprocess.Popen[bytes], SshServer]:
    """Start sshd with fresh keys kept in directory; return its process and how to reach it.

    `setenv`: the environment sshd gives every session (`SetEnv`), as NAME=VALUE words.
    """
    if os.getuid() == 0 and not PRIVSEP_DIR.is_dir():
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    host_key_line = generate_key(directory / "host_ed25519")
    client_key = directory / "client_ed25519"
    (directory / "authorized_keys").write_text(generate_key(client_key) + "\n")
    proc, port = _start(directory, setenv)
    server = SshServer(
        address="127.0.0.1",
        port=port,
        user=pwd.getpwuid(os.getuid()).pw_name,
        known_hosts=directory / "known_hosts",
        client_key=client_key,
        host_key_line=host_key_line,
        log=directory / "sshd.log",
    )
    server.known_hosts.write_text(server.known_hosts_line())
    return proc, server


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop sshd (TERM, then KILL if it lingers)."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """Run a real OpenSSH server on 127.0.0.1 for the whole test session."""
    if not os.access(SSHD, os.X_OK):
        _missing(f"{SSHD} not found; install openssh-server (scripts/system-deps.sh)")
    if shutil.which("ssh-keygen") is None:
        _missing("ssh-keygen not found; install openssh-client (scripts/system-deps.sh)")
    proc, server = start_server(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        stop_server(proc)
