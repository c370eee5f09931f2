"""host: this machine via psutil: cpu_percent, memory_percent, disk_percent:PATH, load1."""

from __future__ import annotations

import asyncio
import os

import psutil

from opsbook.monitoring.sources.base import PRIMARY, Reading, SourceError

NAMES = ("cpu_percent", "memory_percent", "disk_percent", "load1")
# psutil measures CPU between two calls; the first call on its own says nothing.
CPU_SAMPLE = 0.5


class HostSource:
    """A psutil figure of this machine."""

    def __init__(self, metric: str, spec: str) -> None:
        name, _, arg = spec.partition(":")
        if name not in NAMES:
            raise SourceError(
                f'host metric "{name}" is unknown; use one of: {", ".join(NAMES)} '
                "(disk_percent takes a path: host:disk_percent:/var)"
            )
        if name == "disk_percent" and not arg:
            arg = "/"
        self.metric, self.name, self.arg = metric, name, arg

    async def read(self) -> Reading:
        """Read the figure in a thread (psutil blocks for the CPU sample)."""
        try:
            value = await asyncio.to_thread(self._read)
        except OSError as exc:
            return Reading(self.metric, error=f"{self.name} {self.arg}: {exc.strerror or exc}")
        return Reading(self.metric, {PRIMARY: value})

    def _read(self) -> float:
        if self.name == "cpu_percent":
            return float(psutil.cpu_percent(interval=CPU_SAMPLE))
        if self.name == "memory_percent":
            return float(psutil.virtual_memory().percent)
        if self.name == "disk_percent":
            return float(psutil.disk_usage(self.arg).percent)
        return float(os.getloadavg()[0])
