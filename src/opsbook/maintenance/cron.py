"""Load croniter without the `file` program it runs on import.

croniter asks `platform.architecture()` whether Python is 32-bit, once, at import; that
runs `file` on the interpreter: a child process on every start-up of a command or server
that reads a schedule (and a process the in-process test tier forbids). The pointer size
answers the same question; it stands in for that one call.
"""

from __future__ import annotations

import importlib
import platform
import struct
import sys
import threading
from types import ModuleType

_LOCK = threading.Lock()


def croniter_module() -> ModuleType:
    """Return the croniter package, imported without running a child process."""
    loaded = sys.modules.get("croniter")
    if loaded is not None:
        return loaded
    with _LOCK:
        real = platform.architecture
        bits = f"{struct.calcsize('P') * 8}bit"
        platform.architecture = lambda *_a, **_k: (bits, "")
        try:
            module = importlib.import_module("croniter")
        finally:
            platform.architecture = real
    return module
