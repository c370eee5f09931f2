"""One step on 20 and on 200 hosts: `opsbook run` vs parallel-ssh vs N OpenSSH clients.

Run: .venv/bin/python bench/ssh_fleet.py [--hosts 20,200] [--repeat 5] [--steps 1]
     [--before REF] [--write]

A real OpenSSH sshd on a loopback port (as the test fixtures start it); the N "hosts" are
N inventory names for it. Every round opens fresh connections for every host, for every
contender, with host keys verified. Contenders, alternating round by round:

- opsbook run: the whole `opsbook run RUNBOOK fleet --yes --json` in a new process, one
  step `{host=fleet parallel=N}`: a session per host, all in the run's process.
- opsbook run, workers: auto: the same with a worker process per core from 48 hosts.
- opsbook run, ssh: {shell: per-step}: the same with a new remote shell for every step.
- opsbook before issue 20: the same command run by opsbook as it was at `--before`
  (default 958de7b, the commit before issue 20's work; a shell per step and a connection
  per host, all in one process), taken from this repository with `git archive`.
- parallel-ssh -p N: Debian's pssh (`apt-get install pssh`), the same key and known_hosts.
- N OpenSSH clients: N `ssh` processes at once, with the key exchange asyncssh uses.

--steps N gives the procedure N steps, each `hostname` on every host: opsbook runs them
in one run; parallel-ssh and the OpenSSH clients run N times in a row, as a person would.

--write replaces this benchmark's section of docs/benchmarks.md (between its markers);
with --steps above 1 it is a section of its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from doc_section import markers, replace_section  # noqa: E402
from ssh_fanout import SAME_KEX, machine, openssh_clients, opsbook_cli  # noqa: E402
from tests.e2e.sshd import SshServer, start_server, stop_server  # noqa: E402

# The last commit before issue 20's work (SSH sessions, fleet output, rollouts).
BEFORE = "958de7b"
Round = Callable[[], float]


def opsbook_run(
    server: SshServer,
    hosts: int,
    work: Path,
    ssh_extra: str = "",
    source: Path | None = None,
    steps: int = 1,
) -> Round:
    """Return a round of `opsbook run` over a runbook whose steps run on every host."""
    return opsbook_cli(server, hosts, "hostname", work, ssh_extra, source, steps)


def earlier_source(ref: str, work: Path) -> Path:
    """Unpack the `src` directory of an earlier commit of this repository; return its path."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "src"],
        capture_output=True,
        check=True,
    )
    (work / "before").mkdir()
    subprocess.run(["tar", "-x", "-C", str(work / "before")], input=archive.stdout, check=True)
    return work / "before" / "src"


def parallel_ssh(server: SshServer, hosts: int, work: Path, steps: int = 1) -> Round:
    """Return a round of parallel-ssh -p N over N host names, `steps` times in a row."""
    host_file = work / f"pssh-hosts-{hosts}"
    host_file.write_text(
        "".join(f"{server.user}@{server.address}:{server.port}\n" for _ in range(hosts))
    )
    command = [
        "parallel-ssh",
        "-p",
        str(hosts),
        "-h",
        str(host_file),
        "-x",
        f"-i {server.client_key} -o UserKnownHostsFile={server.known_hosts} "
        f"-o KexAlgorithms={SAME_KEX} -o BatchMode=yes",
        "hostname",
    ]

    def once() -> float:
        started = time.perf_counter()
        for _ in range(steps):
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"parallel-ssh failed:\n{done.stdout[-2000:]}{done.stderr}")
        return time.perf_counter() - started

    return once


def settled(sshd: subprocess.Popen[bytes]) -> None:
    """Wait until the server has ended every session of the round before (up to 30 s).

    A contender that does not wait for the hosts to finish closing (opsbook) would
    otherwise leave that work to be counted against the next contender.
    """
    import psutil

    server = psutil.Process(sshd.pid)
    deadline = time.monotonic() + 30
    while server.children() and time.monotonic() < deadline:
        time.sleep(0.05)


def measure(
    rounds: dict[str, Round], repeat: int, sshd: subprocess.Popen[bytes]
) -> dict[str, list[float]]:
    """Run every contender once to warm up, then `repeat` alternating rounds."""
    for once in rounds.values():
        once()
        settled(sshd)
    times: dict[str, list[float]] = {name: [] for name in rounds}
    for _ in range(repeat):
        for name, once in rounds.items():
            times[name].append(once())
            settled(sshd)
    for name, got in times.items():
        print(f"{name}: median {statistics.median(got):.2f} s {got}", file=sys.stderr)
    return times


def table(hosts: int, times: dict[str, list[float]]) -> list[str]:
    pssh = statistics.median(times["parallel-ssh"])
    lines = [
        f"**{hosts} hosts**",
        "",
        "| what | median | best | runs | / parallel-ssh |",
        "|---|---|---|---|---|",
    ]
    for name, got in times.items():
        med = statistics.median(got)
        runs = ", ".join(f"{t:.2f}" for t in got)
        lines.append(f"| {name} | {med:.2f} s | {min(got):.2f} s | {runs} | {med / pssh:.2f}x |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--hosts", default="20,200")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1, help="steps in the procedure")
    parser.add_argument("--before", default=BEFORE, help="the commit to compare with")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if shutil.which("parallel-ssh") is None:
        raise SystemExit("parallel-ssh is not installed: apt-get install pssh")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    counts = [int(n) for n in args.hosts.split(",")]
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="opsbook-fleet-") as tmp:
        work = Path(tmp)
        (work / "sshd").mkdir()
        before = earlier_source(args.before, work)
        proc, server = start_server(work / "sshd")
        try:
            for hosts in counts:
                steps: int = args.steps
                rounds = {
                    "opsbook run": opsbook_run(server, hosts, work / f"s{hosts}", steps=steps),
                    "opsbook run, workers: auto": opsbook_run(
                        server, hosts, work / f"w{hosts}", "  workers: auto\n", steps=steps
                    ),
                    "opsbook run, ssh: {shell: per-step}": opsbook_run(
                        server, hosts, work / f"p{hosts}", "  shell: per-step\n", steps=steps
                    ),
                    f"opsbook before issue 20 ({args.before})": opsbook_run(
                        server, hosts, work / f"b{hosts}", source=before, steps=steps
                    ),
                    "parallel-ssh": parallel_ssh(server, hosts, work, steps),
                    f"{hosts} OpenSSH clients ({SAME_KEX})": lambda h=hosts, n=steps: sum(
                        openssh_clients(server, h, "hostname", SAME_KEX) for _ in range(n)
                    ),
                }
                lines += table(hosts, measure(rounds, args.repeat, proc))
        finally:
            stop_server(proc)
    end_load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    start, end = markers("ssh_fleet" if args.steps == 1 else "ssh_fleet_steps")
    heading = (
        [
            "## A step on a fleet: 20 and 200 hosts over SSH (issue 20)",
            "",
            "Goal: at 200 hosts no slower than `parallel-ssh`; at 20 no slower than before.",
        ]
        if args.steps == 1
        else [
            f"## A procedure of {args.steps} steps on a fleet over SSH",
            "",
            f"Each step runs `hostname` on every host. opsbook: one run; parallel-ssh and "
            f"the OpenSSH clients: {args.steps} times in a row.",
        ]
    )
    steps_flag = f" --steps {args.steps}" if args.steps != 1 else ""
    section = "\n".join(
        [
            start,
            *heading,
            "",
            f"Command: `.venv/bin/python bench/ssh_fleet.py --hosts {args.hosts} "
            f"--repeat {args.repeat}{steps_flag} --before {args.before}`",
            "",
            f"Machine: {machine()}. Load average (1/5/15 min) at the start: {load}; "
            f"at the end: {end_load}.",
            "",
            "One sshd on 127.0.0.1; every host name points at it, so the server's side of "
            "every key exchange shares the same two cores as the clients'. Wall clock of "
            "the whole command, new process included; contenders alternate round by round "
            "after one warm-up round each, and each starts once the server has ended every "
            "session of the one before.",
            "",
            *lines,
            end,
        ]
    )
    print(section)
    if args.write:
        replace_section(start, end, section)


if __name__ == "__main__":
    main()
