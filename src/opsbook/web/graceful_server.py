"""Uvicorn's server, ending with status 0 after a graceful stop on SIGTERM or SIGINT."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

import uvicorn


class GracefulServer(uvicorn.Server):
    """Stop gracefully on SIGTERM/SIGINT, then exit normally.

    Uvicorn re-raises the signal once it has shut down, so the process would die by it; a
    service manager should see a clean exit after a clean stop.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        wanted = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in wanted}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
