"""A step on many hosts as a person reads it: one line with counts, then only the failures.

While the step runs, a terminal shows one live line (spinner, step, progress bar, counts of
ok / failed / to go); at its end one line says how it went, and the failed hosts follow,
grouped by identical output: the output once, under the hosts that printed it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from opsbook.cli.lines import Piece
from opsbook.procedures.attempt_groups import grouped, host_list

if TYPE_CHECKING:
    from rich.console import RenderableType

    from opsbook.procedures.engine import PlanItem
    from opsbook.procedures.executors.protocol import CommandResult

# A step on more hosts than this shows as one fleet line instead of host by host.
FLEET = 5
# How many lines of a failure group's output to show (the record keeps all of it).
GROUP_TAIL = 8
# How many failure groups to show; past them one line counts the rest. A fleet whose hosts
# fail each their own way would otherwise fill the terminal with one group per host.
SHOWN_GROUPS = 10


def is_fleet(item: PlanItem) -> bool:
    """Say whether a step runs on enough hosts to be shown as a fleet."""
    return not item.local and len(item.hosts) > FLEET


class FleetCounts:
    """How the hosts of one fleet step stand: ended ok, ended failed, still to go."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.ended: dict[str, bool] = {}

    def ended_on(self, host: str, ok: bool) -> None:
        """Count one host's attempt as ended."""
        self.ended[host] = ok

    def retried(self, hosts: list[str]) -> None:
        """Count hosts that are tried again as to go."""
        for host in hosts:
            self.ended.pop(host, None)

    @property
    def ok(self) -> int:
        """Return how many hosts ended ok."""
        return sum(self.ended.values())

    @property
    def failed(self) -> int:
        """Return how many hosts ended failed."""
        return len(self.ended) - self.ok

    def summary(self) -> str:
        """Say the counts: `180 ok, 2 failed, 18 to go`."""
        to_go = self.total - len(self.ended)
        parts = [f"{self.ok} ok", f"{self.failed} failed"]
        if to_go:
            parts.append(f"{to_go} to go")
        return ", ".join(parts)


def live_line(counts: FleetCounts, text: str, elapsed: float) -> RenderableType:
    """Return the one live line of a running fleet step: step, bar, counts, time."""
    # lazy: keeps rich off the start-up of a plain `opsbook run`
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    line = Table.grid(padding=(0, 1))
    line.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
    line.add_column(no_wrap=True, width=24)
    line.add_column(no_wrap=True)
    done = "yellow" if counts.failed else "green"
    bar = ProgressBar(
        total=counts.total,
        completed=len(counts.ended),
        width=24,
        complete_style=done,
        finished_style=done,
    )
    line.add_row(text, bar, f"{counts.summary()}  {elapsed:.1f}s")
    return line


def failure_lines(
    hosts: Sequence[str], results: Mapping[str, CommandResult], counts: FleetCounts
) -> list[list[Piece]]:
    """Return the lines that show a fleet step's failed hosts, grouped by identical output."""
    # In the runbook's host order, not the order the hosts happened to end in.
    failed = [(h, "failed", results[h]) for h in hosts if counts.ended.get(h) is False]
    lines: list[list[Piece]] = []
    groups = grouped(failed)
    for group in groups[:SHOWN_GROUPS]:
        result = group.sample
        why = group.error or ("timed out" if result.timed_out else f"exit {result.exit_code}")
        lines.append([("      ", ""), ("✗", "red"), (f" {host_list(group.hosts)}: {why}", "")])
        text = "\n".join(t.rstrip("\n") for t in (result.stdout, result.stderr) if t.strip())
        lines += [[("        ", ""), (f"│ {t}", "dim")] for t in text.splitlines()[-GROUP_TAIL:]]
    rest = groups[SHOWN_GROUPS:]
    if rest:
        left = sum(len(group.hosts) for group in rest)
        more = (
            f"… and {left} more failed host{'s' if left > 1 else ''} in {len(rest)} other "
            f"group{'s' if len(rest) > 1 else ''}: `opsbook runs show` has every host's output"
        )
        lines.append([("      ", ""), (more, "dim")])
    return lines
