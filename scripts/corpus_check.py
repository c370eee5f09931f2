"""Read a folder of real-world runbooks the way a new user's first `opsbook check` does, and
measure what opsbook made of them. Not a test: the corpus is other people's text and is not
kept in this repository (docs/runbook-format.md says how it was gathered).

    .venv/bin/python scripts/corpus_check.py /path/to/corpus [--show N]

For every Markdown file under the folder it reports:
- tracebacks: a file whose parse raised anything but a RunbookError (a clear refusal);
- unattended steps whose command a blunt, independent word list calls changing, leaving this
  machine, never-ending or conditional (each is printed, to be read by a person);
- commands that begin with a `$ ` prompt or are a bare word from prose (a `#` line in a
  shell block is a comment);
- capture: of the command lines a person sees in the shell fences (lines after a `$ `
  prompt, or every non-comment line of a fence labelled sh/bash/shell/zsh), how many are
  inside some command opsbook read (issues, procedures, DR steps, useful commands).
"""

from __future__ import annotations

import argparse
import re
import sys
import traceback
from collections import Counter
from pathlib import Path

from opsbook.runbook.model import Runbook, Step
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError
from opsbook.runbook.repository import runbook_files
from opsbook.runbook.step_safety import attendances

_FENCE = re.compile(r"^( {0,3}|\s*)(`{3,}|~{3,})\s*([^\s`{]*)[^\n]*\n(.*?)^\s*\2\s*$", re.M | re.S)
_SHELL = {"sh", "bash", "shell", "zsh", "console", "shell-session"}
# Deliberately blunt and separate from opsbook's own rules: a second opinion to read by eye.
_RISKY = re.compile(
    r"\b(rm|delete|drop|truncate|purge|flush|reboot|shutdown|restart|kill|killall|pkill|"
    r"scale|patch|apply|edit|replace|cordon|drain|uncordon|taint|label|annotate|rollout|"
    r"ssh|exec|debug|chroot|su|psql|mysql|redis-cli|console|watch|top|tail|logs|"
    r"systemctl|service|reset|set|create|update|insert|mv|dd|mkfs|chmod|chown)\b"
    r"|\s-(f|it|ti)\b|--follow\b|\bif\b|\bwhen\b",
    re.I,
)


def fence_commands(text: str) -> list[str]:
    """Return the command lines a person sees in the file's shell fences."""
    found: list[str] = []
    for match in _FENCE.finditer(text):
        info, body = match.group(3).lower(), match.group(4)
        lines = [ln.strip() for ln in body.splitlines()]
        if any(ln.startswith("//") for ln in lines):
            continue  # `//` comments: PromQL or code under a shell label, not commands
        prompted = [ln[2:].strip() for ln in lines if ln.startswith("$ ")]
        if prompted:
            found.extend(c for c in prompted if c)
        elif info in _SHELL and info not in ("console", "shell-session"):
            found.extend(ln for ln in lines if ln and not ln.startswith("#"))
    return [c.rstrip("\\").strip() for c in found if c.rstrip("\\").strip()]


def steps_of(runbook: Runbook) -> list[tuple[Step, str]]:
    """Return every step with the part it is in."""
    out: list[tuple[Step, str]] = []
    for proc in runbook.procedures:
        for part in ("prerequisites", "steps", "validation", "rollback"):
            out += [(s, part) for s in getattr(proc, part)]
    for issue in runbook.troubleshooting:
        out += [(s, "diagnosis") for s in issue.diagnosis]
        out += [(s, "resolution") for s in issue.resolution]
    out += [(s, "steps") for s in runbook.disaster_recovery.steps]
    return out


def _squash(text: str) -> str:
    return " ".join(text.split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--show", type=int, default=15, help="examples printed per finding")
    args = parser.parse_args()
    files = runbook_files(args.folder)
    counts: Counter[str] = Counter()
    risky: list[str] = []
    prompts: list[str] = []
    missed: list[str] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        counts["files"] += 1
        try:
            runbook = parse_runbook(text, str(path))
        except RunbookError as exc:
            counts["refused (clear message)"] += 1
            first = exc.problems[0]
            print(f"refused: {first.path}:{first.line}: {first.message}")
            continue
        except Exception:  # noqa: BLE001 - the very thing measured
            counts["tracebacks"] += 1
            print(f"TRACEBACK {path}\n{traceback.format_exc()}")
            continue
        steps = steps_of(runbook)
        fenced = set(fence_commands(text))
        counts["issues"] += len(runbook.troubleshooting)
        counts["procedures"] += len(runbook.procedures)
        counts["steps"] += len(steps)
        by_part: dict[str, list[Step]] = {}
        for step, part in steps:
            by_part.setdefault(part, []).append(step)
        for part, part_steps in by_part.items():
            for step, decided in zip(part_steps, attendances(part_steps, part), strict=True):
                if not step.command:
                    continue
                counts["steps with a command"] += 1
                if decided.needs_person:
                    counts["wait for a person"] += 1
                    continue
                counts["run by themselves"] += 1
                if _RISKY.search(step.command) or _RISKY.search(step.text):
                    risky.append(f"{path.name}:{step.line} [{part}] {step.command!r}")
                bare = len(step.command.split()) == 1 and step.command not in fenced
                if step.command.startswith("$ ") or bare:
                    prompts.append(f"{path.name}:{step.line} {step.command!r}")
        commands = [_squash(s.command) for s, _ in steps if s.command]
        commands += [_squash(c.command) for c in runbook.useful_commands]
        joined = "\n".join(commands)
        for seen in fence_commands(text):
            counts["fence commands"] += 1
            if _squash(seen) in joined:
                counts["fence commands captured"] += 1
            else:
                missed.append(f"{path.name}: {seen[:100]}")
    for name, items in (
        ("unattended steps the blunt list flags (read each)", risky),
        ("commands beginning with a prompt or a bare word from prose", prompts),
        ("fence commands not captured", missed),
    ):
        print(f"\n== {name}: {len(items)}")
        for item in items[: args.show]:
            print("  " + item)
    print()
    for key, value in counts.items():
        print(f"{key:>28}: {value:,}")
    seen, got = counts["fence commands"], counts["fence commands captured"]
    if seen:
        print(f"{'capture':>28}: {got / seen:.1%}")
    return 1 if counts["tracebacks"] else 0


if __name__ == "__main__":
    sys.exit(main())
