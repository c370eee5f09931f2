"""Backups against their peers, each pair side by side in one run, on the same mixed data.

1. The archive driver (tar + zstd -1, manifest with every file's SHA-256, fsynced) against
   `tar -cf - DIR | zstd -1 -o OUT` (goal: no slower).
2. The restic driver (restic plus opsbook's own manifest, hashed on a niced thread) against
   `restic backup` alone into a fresh repository each time (goal: within 5%).
3. A restore drill's verification of every restored file (SHA-256 against the manifest)
   against `sha256sum -c` of the same files (and the whole drill, restore included).

The data: GiB of mixed files under a temporary folder: text (compressible: words), random
bytes (incompressible), and many small files of both. The page cache is warmed before each
measurement, so the figures compare the programs, not the disk. Sides alternate, each
`--repeat` times; the median is reported.

    .venv/bin/python bench/backups.py [--gib 1.0] [--repeat 3] [--write] [--keep DIR]

--write replaces this benchmark's section of docs/benchmarks.md (between its markers).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from alert_ingest import machine
from doc_section import markers, replace_section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
START, END = markers("backups")
MIB = 1 << 20


def make_data(base: Path, gib: float) -> tuple[int, int]:
    """Write the mixed files under base/var/data; return (files, bytes)."""
    rng = random.Random(16)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
        for _ in range(5000)
    ]
    corpus = " ".join(rng.choice(words) for _ in range(1_500_000)).encode()  # ~9 MiB of text
    total = int(gib * 1024 * MIB)
    data = base / "var" / "data"
    plan = [
        ("text", 0.35, 256 * 1024, 1024 * 1024),
        ("random", 0.35, 4 * MIB, 16 * MIB),
        ("small", 0.30, 1024, 32 * 1024),
    ]
    files = written = 0
    for kind, share, low, high in plan:
        budget = int(total * share)
        folder = data / kind
        while budget > 0:
            size = min(budget, rng.randint(low, high))
            sub = folder / f"{files % 64:02}"
            sub.mkdir(parents=True, exist_ok=True)
            if kind == "random" or (kind == "small" and files % 2):
                chunk = os.urandom(size)
            else:
                start = rng.randrange(0, len(corpus) - size)
                chunk = corpus[start : start + size]
            (sub / f"f{files:06}.{'txt' if chunk[:1].isalpha() else 'bin'}").write_bytes(chunk)
            files, written, budget = files + 1, written + size, budget - size
    return files, written


def warm(base: Path) -> None:
    """Read every file once, so each side reads from the page cache."""
    subprocess.run(["tar", "-C", str(base), "-cf", "/dev/null", "var/data"], check=True)
    subprocess.run(
        f"find {base}/var/data -type f -print0 | xargs -0 cat > /dev/null", shell=True, check=True
    )


def stamp() -> str:
    """Return a backup's stamp as the service makes it (UTC, to the second)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def pair(
    name_a: str, a: Callable[[], object], name_b: str, b: Callable[[], object], repeat: int
) -> dict[str, list[float]]:
    """Run the two sides alternately, `repeat` times each; return their times."""
    times: dict[str, list[float]] = {name_a: [], name_b: []}
    for _ in range(repeat):
        for name, action in ((name_a, a), (name_b, b)):
            times[name].append(timed(action))
            print(f"  {name}: {times[name][-1]:.2f} s", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--keep", type=Path, help="build the data here and keep it")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]

    from opsbook.backups.drivers.archive import ArchiveDriver
    from opsbook.backups.drivers.base import Stored
    from opsbook.backups.drivers.restic import ResticDriver
    from opsbook.backups.manifest import ManifestEntry
    from opsbook.backups.settings import backup_specs
    from opsbook.backups.verification import verify_files

    base = args.keep or Path(tempfile.mkdtemp(prefix="opsbook-bench-backups-"))
    marker = base / "var" / ".made"
    if marker.exists():
        files, size = (int(x) for x in marker.read_text().split())
    else:
        files, size = make_data(base, args.gib)
        marker.write_text(f"{files} {size}")
    print(f"{files} files, {size / MIB:.0f} MiB under {base}/var/data", flush=True)
    (base / "pw").write_text("bench\n")
    specs = backup_specs(
        {
            "backups": {
                "arch": {"paths": ["var/data"], "repository": "out/arch"},
                "rest": {
                    "driver": "restic",
                    "paths": ["var/data"],
                    "repository": "out/restic",
                    "password_file": "pw",
                },
            }
        },
        base,
    )
    out = base / "out"
    env = {**os.environ, "RESTIC_PASSWORD_FILE": str(base / "pw")}
    env["RESTIC_CACHE_DIR"] = str(base / "restic-cache")
    os.environ["RESTIC_CACHE_DIR"] = env["RESTIC_CACHE_DIR"]
    results: dict[str, dict[str, list[float]]] = {}
    made: dict[str, object] = {}

    def fresh() -> None:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()

    def archive_driver() -> None:
        fresh()
        made["archive"] = ArchiveDriver().back_up(specs["arch"], ident=1, stamp=stamp())

    def tar_zstd() -> None:
        fresh()
        subprocess.run(
            f"tar -C {base} -cf - var/data | zstd -1 -q -o {out}/plain.tar.zst",
            shell=True,
            check=True,
        )

    def tar_zstd_then_sha256sum() -> None:
        tar_zstd()
        subprocess.run(
            f"cd {base} && find var/data -type f -print0 | xargs -0 sha256sum > {out}/SUMS",
            shell=True,
            check=True,
        )

    warm(base)
    print("archive driver vs tar | zstd -1", flush=True)
    results["archive"] = pair(
        "archive driver", archive_driver, "tar | zstd -1", tar_zstd, args.repeat
    )
    print("tar | zstd -1, then sha256sum of every file (a manifest by hand)", flush=True)
    results["by hand"] = {
        "tar | zstd -1, then sha256sum of every file": [
            timed(tar_zstd_then_sha256sum) for _ in range(args.repeat)
        ]
    }
    archive = made["archive"]
    archive_size = getattr(archive, "size", 0)

    def restic_driver() -> None:
        fresh()
        made["restic"] = ResticDriver().back_up(specs["rest"], ident=1, stamp=stamp())

    def restic_alone() -> None:
        fresh()
        repo = str(out / "restic")
        subprocess.run(["restic", "-r", repo, "--quiet", "init"], env=env, check=True)
        subprocess.run(
            ["restic", "-r", repo, "--quiet", "backup", "var/data"], cwd=base, env=env, check=True
        )

    def restic_driver_with_init() -> None:
        restic_driver()  # init included on both sides: each starts from an empty repository

    print("restic driver vs restic alone", flush=True)
    results["restic"] = pair(
        "restic driver", restic_driver_with_init, "restic backup alone", restic_alone, args.repeat
    )

    # Verification: restore the whole archive once, then hash every file against the
    # manifest, in process (as a drill does) and with sha256sum -c.
    archive_driver()
    written = made["archive"]
    manifest: tuple[ManifestEntry, ...] = getattr(written, "manifest", ())
    scratch = base / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    stored = Stored(1, getattr(written, "location", ""), getattr(written, "sha256", ""), 0)
    paths = [e.path for e in manifest]
    restore_times = []
    for _ in range(args.repeat):
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        restore_times.append(
            timed(lambda: ArchiveDriver().restore(specs["arch"], stored, paths, scratch, 0))
        )
    sums = base / "SHA256SUMS"
    sums.write_text("".join(f"{e.sha256}  {e.path}\n" for e in manifest))
    restored = {e.path: scratch / e.path for e in manifest}

    def drill_verify() -> None:
        verdict = verify_files(list(manifest), restored, [])
        assert verdict.passed, verdict.summary()

    def sha256sum_c() -> None:
        subprocess.run(
            ["sha256sum", "--quiet", "-c", str(sums)],
            cwd=scratch,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    warm(scratch.parent)
    print("drill verification vs sha256sum -c", flush=True)
    results["verify"] = pair(
        "drill verification", drill_verify, "sha256sum -c", sha256sum_c, args.repeat
    )
    results["restore"] = {"drill restore (zstd -d, tar, whole archive)": restore_times}

    text = report(files, size, archive_size, results, args, load_at_start)
    print(text)
    if args.write:
        replace_section(START, END, text)
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)


def report(
    files: int,
    size: int,
    archive_size: int,
    results: dict[str, dict[str, list[float]]],
    args: argparse.Namespace,
    load_at_start: float,
) -> str:
    med = {k: {n: statistics.median(v) for n, v in r.items()} for k, r in results.items()}
    best = {k: {n: min(v) for n, v in r.items()} for k, r in results.items()}
    mib = size / MIB

    def row(key: str) -> list[str]:
        lines = []
        for name, value in med[key].items():
            all_times = ", ".join(f"{t:.2f}" for t in results[key][name])
            shown = name.replace("|", "\\|")
            low = best[key][name]
            lines.append(
                f"| {shown} | {value:.2f} s | {low:.2f} s | {mib / value:.0f} MiB/s | {all_times} |"
            )
        return lines

    arch = med["archive"]["archive driver"] / med["archive"]["tar | zstd -1"]
    rest = med["restic"]["restic driver"] / med["restic"]["restic backup alone"]
    arch_best = best["archive"]["archive driver"] / best["archive"]["tar | zstd -1"]
    rest_best = best["restic"]["restic driver"] / best["restic"]["restic backup alone"]
    ver = med["verify"]["drill verification"] / med["verify"]["sha256sum -c"]
    lines = [
        START,
        "## Backups: the archive driver, the restic driver, a drill's verification (issue 16)",
        "",
        "Goals: the archive driver no slower than `tar | zstd -1`; the restic driver within 5% of",
        "restic alone; a drill's verification side by side with `sha256sum -c`.",
        "",
        f"Command: `.venv/bin/python bench/backups.py --gib {args.gib:g} --repeat {args.repeat}`",
        "",
        f"Machine: {machine()}. Data: {files:,} files, {mib:,.0f} MiB (35% text, 35% random,",
        "30% small files of both), read from the page cache; the archive is "
        f"{archive_size / MIB:,.0f} MiB.",
        "Each pair runs alternately in one run; median of the runs, then every run. Load average",
        f"(1 min) at the start: {load_at_start:.1f}, at the end: {os.getloadavg()[0]:.1f} "
        "(the machine is shared).",
        "",
        "| side | median | best | throughput (median) | runs |",
        "|---|---|---|---|---|",
        *row("archive"),
        *row("by hand"),
        *row("restic"),
        *row("verify"),
        *row("restore"),
        "",
        f"- archive driver / `tar | zstd -1`: median {arch:.2f}x, best {arch_best:.2f}x "
        f"(goal ≤ 1.00: {_met(arch <= 1.0)} by the median)",
        f"- restic driver / restic alone: median {rest:.2f}x, best {rest_best:.2f}x "
        f"(goal ≤ 1.05: {_met(rest <= 1.05)} by the median)",
        f"- drill verification / `sha256sum -c`: {ver:.2f}x",
        END,
    ]
    return "\n".join(lines)


def _met(held: bool) -> str:
    return "met" if held else "missed"


if __name__ == "__main__":
    main()
