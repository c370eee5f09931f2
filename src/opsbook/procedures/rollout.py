"""How a step goes over its hosts: in batches (`batch=`), and how many may fail (`max_fail=`).

The rules of Ansible's `serial` and `max_fail_percentage`, stated in the runbook: hosts run
batch by batch in the runbook's order; the step stops at the first batch after which more
hosts have failed (counted over the step so far) than `max_fail` allows; a step whose failed
hosts stay within the allowance passes, and the failures stay recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from opsbook.runbook.host_share import HostShare, parse_share
from opsbook.runbook.model import Attrs


def batches_of(hosts: Sequence[str], batch: HostShare | None) -> list[tuple[str, ...]]:
    """Split hosts into batches in their order: all at once without `batch`, at least 1 each."""
    if not hosts:
        return []
    size = len(hosts) if batch is None else max(1, batch.of(len(hosts)))
    return [tuple(hosts[i : i + size]) for i in range(0, len(hosts), size)]


def allowance(max_fail: HostShare | None, host_count: int) -> int:
    """Return how many of host_count hosts may fail while the step still passes."""
    if max_fail is None:
        return 0
    # A count over the step's hosts allows them all to fail, no more.
    return min(max_fail.of(host_count), host_count)


def within(failed: int, allowed: int) -> bool:
    """Say whether a step with `failed` failed hosts so far passes (and its next batch may go)."""
    return failed <= allowed


@dataclass(frozen=True)
class Rollout:
    """A step's batches and its allowance of failed hosts."""

    batches: tuple[tuple[str, ...], ...]
    allowed: int
    max_fail: str | None = None
    batch: str | None = None

    @property
    def hosts(self) -> int:
        """Return how many hosts the step has."""
        return sum(len(b) for b in self.batches)


def rollout_of(hosts: Sequence[str], attrs: Attrs) -> Rollout:
    """Return how a step with these attributes goes over these hosts."""
    batch = parse_share("batch", attrs.batch) if attrs.batch else None
    max_fail = parse_share("max_fail", attrs.max_fail) if attrs.max_fail else None
    return Rollout(
        batches=tuple(batches_of(hosts, batch)),
        allowed=allowance(max_fail, len(hosts)),
        max_fail=attrs.max_fail,
        batch=attrs.batch,
    )


def tally(rollout: Rollout, failed: int, not_run: int) -> str:
    """Say how many hosts failed against the allowance, and how many never ran; "" if none did."""
    if not failed and not not_run:
        return ""
    parts = []
    if failed:
        if rollout.max_fail is None:
            parts.append(f"{failed} of {rollout.hosts} hosts failed")
        else:
            verdict = "within" if within(failed, rollout.allowed) else "over"
            parts.append(
                f"{failed} of {rollout.hosts} hosts failed, {verdict} "
                f"max_fail={rollout.max_fail} ({rollout.allowed} allowed)"
            )
    if not_run:
        parts.append(f"{not_run} not run (batch={rollout.batch})")
    return "; ".join(parts)
