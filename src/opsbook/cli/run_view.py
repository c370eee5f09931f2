"""What a person sees while a procedure runs: a live Rich display, or plain lines.

On a terminal the current step shows with a spinner and its elapsed time; finished steps
stay above it with pass/fail and, on failure, the tail of their output. Off a terminal the
same lines are printed one by one, without the spinner (and, mostly, without Rich: see
`lines.py`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opsbook.cli.fleet_view import FleetCounts, failure_lines, is_fleet, live_line
from opsbook.cli.lines import Lines, Piece
from opsbook.cli.output import visible
from opsbook.procedures.attempt_groups import host_list

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.live import Live

    from opsbook.procedures.engine import Outcome, Plan, PlanItem
    from opsbook.procedures.executors.protocol import CommandResult

TAIL_LINES = 12
MARKS: dict[str, Piece] = {
    "passed": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "skipped": ("–", "yellow"),
    "failed-ignored": ("!", "yellow"),
    "aborted": ("■", "bold red"),
}


def _duration(results: Mapping[str, CommandResult]) -> str:
    if not results:
        return ""
    return f"{max(r.duration for r in results.values()):.2f}s"


def _why(result: CommandResult) -> str:
    if result.error:
        return result.error
    return f"exit {result.exit_code}"


def tail(result: CommandResult, lines: int = TAIL_LINES) -> list[str]:
    """Return the last lines of a result's output, stderr after stdout."""
    text = "\n".join(t.rstrip("\n") for t in (result.stdout, result.stderr) if t.strip())
    return text.splitlines()[-lines:]


class _Current:
    """The spinner line of the step running now."""

    def __init__(self) -> None:
        # lazy: keeps rich off the start-up of a plain `opsbook run`
        from rich.spinner import Spinner

        self.spinner = Spinner("dots")
        self.text = ""
        self.started = time.monotonic()
        # The counts of a step on many hosts: it shows as one line with a progress bar.
        self.fleet: FleetCounts | None = None

    def __rich__(self) -> RenderableType:
        # lazy: keeps rich off the start-up of a plain `opsbook run`
        from rich.text import Text

        elapsed = time.monotonic() - self.started
        if self.fleet is not None:
            self.spinner.text = live_line(self.fleet, self.text, elapsed)
            return self.spinner
        self.spinner.text = Text(f"{self.text}  {elapsed:.1f}s")
        return self.spinner


class StepView:
    """Reports a run to stdout; live when stdout is a terminal."""

    def __init__(self, lines: Lines, plan: Plan) -> None:
        self.lines = lines
        self.plan = plan
        self.phase = ""
        self.started = time.monotonic()
        self.running: PlanItem | None = None
        self.counts = FleetCounts(0)
        self.current: _Current | None = None
        self.live: Live | None = None
        if lines.is_terminal:
            # lazy: keeps rich off the start-up of a plain `opsbook run`
            from rich.live import Live

            self.current = _Current()
            self.live = Live(
                self.current, console=lines.console, refresh_per_second=10, transient=True
            )

    def print(self, *pieces: Piece) -> None:
        self.lines.print(*pieces)

    def step_started(self, item: PlanItem) -> None:
        if str(item.phase) != self.phase:
            self.phase = str(item.phase)
            source = f" (from the {item.source} procedure)" if item.source else ""
            self.print((self.phase.capitalize(), "bold"), (source, ""))
        self.running = item
        self.started = time.monotonic()
        self.counts = FleetCounts(len(item.hosts))
        fleet = is_fleet(item)
        if self.live is not None and self.current is not None:
            # One line only: a wrapped spinner line is erased wrongly when the next one starts.
            room = max(self.lines.console.width - 16, 20)
            text = visible(f"{item.label} {item.step.text}")  # a Text: Rich does not escape it
            self.current.text = text if len(text) <= room else text[: room - 1] + "…"
            self.current.started = self.started
            self.current.fleet = self.counts if fleet else None
            self.live.start()
        elif not item.local or item.step.attrs.timeout or item.needs_person:
            # Off a terminal only the slow kinds say they started; the rest print one line.
            where: list[Piece] = []
            if fleet:
                hosts = f"on {len(item.hosts)} hosts: {host_list(item.hosts)}"
                where = [(" ", ""), (hosts, "dim")]
            elif not item.local:
                where = [(" ", ""), (f"on {', '.join(item.hosts) or 'no host'}", "dim")]
            self.print(("  ", ""), ("…", "dim"), (f" {item.label} {item.step.text}", ""), *where)

    def host_finished(self, item: PlanItem, host: str, result: CommandResult, ok: bool) -> None:
        self.counts.ended_on(host, ok)

    def retrying(self, item: PlanItem, attempt: int, failed: Mapping[str, CommandResult]) -> None:
        self.counts.retried(list(failed))
        if is_fleet(item):
            delay = item.step.attrs.delay
            hosts = f"{len(failed)} hosts ({host_list(list(failed))})"
            self.print(
                ("    ", ""),
                ("↻", "yellow"),
                (f" attempt {attempt} failed on {hosts}; retrying in {delay:g}s", ""),
            )
            return
        why = "; ".join(
            f"{h}: {_why(r)}" if len(failed) > 1 else _why(r) for h, r in failed.items()
        )
        delay = item.step.attrs.delay
        self.print(
            ("    ", ""),
            ("↻", "yellow"),
            (f" attempt {attempt} failed ({why}); retrying in {delay:g}s", ""),
        )

    def step_finished(
        self, item: PlanItem, outcome: Outcome, results: Mapping[str, CommandResult], note: str
    ) -> None:
        if self.live is not None:
            self.live.stop()
        self.running = None
        took = _duration(results)
        ended = self.counts.ended
        bad = {
            h: r
            for h, r in results.items()
            if not ended.get(h, r.exit_code == 0 and r.error is None)
        }
        if is_fleet(item):
            self._fleet_finished(item, outcome, results, note)
            return
        detail = note
        if str(outcome) in ("failed", "failed-ignored") and bad:
            detail = "; ".join(
                f"{h}: {_why(r)}" if not item.local else _why(r) for h, r in bad.items()
            ) + (f"; {note}" if note else "")
        line: list[Piece] = [
            ("  ", ""),
            MARKS.get(str(outcome), ("?", "")),
            (f" {item.label} {item.step.text}", ""),
        ]
        if len(results) > 1:
            line += [(" ", ""), (f"({len(results)} hosts)", "dim")]
        for part in (took, detail):
            if part:
                line += [("  ", ""), (part, "dim")]
        self.print(*line)
        # A step may pass with failed hosts (max_fail=): their output shows all the same.
        if bad:
            for host, result in bad.items():
                prefix = "" if item.local else f"{host}: "
                for text in tail(result):
                    self.print(("      ", ""), (f"│ {prefix}{text}", "dim"))

    def _fleet_finished(
        self, item: PlanItem, outcome: Outcome, results: Mapping[str, CommandResult], note: str
    ) -> None:
        counts = self.counts
        said = f"{counts.total} hosts: {counts.ok} ok, {counts.failed} failed"
        if len(counts.ended) < counts.total:
            said += f", {counts.total - len(counts.ended)} not run"
        # The step's own time: its hosts ran side by side, in batches.
        took = f"{time.monotonic() - self.started:.2f}s"
        self.print(
            ("  ", ""),
            MARKS.get(str(outcome), ("?", "")),
            (f" {item.label} {item.step.text}", ""),
            ("  ", ""),
            (f"({said})", "dim"),
            ("  ", ""),
            (took, "dim"),
        )
        if note:
            self.print(("      ", ""), (note, "dim"))
        for pieces in failure_lines(item.hosts, results, counts):
            self.print(*pieces)

    @contextmanager
    def asking(self) -> Iterator[None]:
        if self.live is not None:
            self.live.stop()
        yield

    def close(self) -> None:
        """Stop the spinner and say which step was cut short, if one was running."""
        if self.live is not None:
            self.live.stop()
        if self.running is not None:
            item, self.running = self.running, None
            took = time.monotonic() - self.started
            self.print(
                ("  ", ""),
                ("■", "bold magenta"),
                (f" {item.label} {item.step.text}  ", ""),
                (f"{took:.2f}s  interrupted", "dim"),
            )
