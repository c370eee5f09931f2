"""Run one command on many hosts at once, at most `limit` at a time, and report per host."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from opsbook.procedures.executors.protocol import CommandResult, CommandSpec, Executor

# Told of each host's result as it comes, so a person watching sees a fan-out progress.
HostFinished = Callable[[str, CommandResult], None]


async def run_on_hosts(
    executors: Sequence[Executor],
    spec: CommandSpec,
    *,
    limit: int,
    on_result: HostFinished | None = None,
) -> dict[str, CommandResult]:
    """Run spec on every executor's host, `limit` at a time; return results by host name."""
    if limit < 1:
        raise ValueError(f"concurrency limit must be at least 1, not {limit}")
    names = [executor.host for executor in executors]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"host listed more than once: {', '.join(repeated)}")
    gate = asyncio.Semaphore(limit)

    async def one(executor: Executor) -> CommandResult:
        async with gate:
            started = time.monotonic()
            try:
                result = await executor.run(spec)
            except Exception as exc:
                # One broken host must not take the others' results down with it.
                result = CommandResult(
                    exit_code=None,
                    duration=time.monotonic() - started,
                    error=f"{type(exc).__name__}: {exc}",
                )
        if on_result is not None:
            on_result(executor.host, result)
        return result

    results = await asyncio.gather(*(one(executor) for executor in executors))
    return dict(zip(names, results, strict=True))
