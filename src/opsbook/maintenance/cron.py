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
import threading
from types import ModuleType

_LOCK = threading.Lock()
_loaded: list[ModuleType] = []


def croniter_module() -> ModuleType:
    """Return the croniter package, imported without running a child process."""
    if _loaded:  # set only once the import is complete; a thread may be midway
        return _loaded[0]
    with _LOCK:
        if not _loaded:
            real = platform.architecture
            bits = f"{struct.calcsize('P') * 8}bit"
            platform.architecture = lambda *_a, **_k: (bits, "")
            try:
                _loaded.append(importlib.import_module("croniter"))
            finally:
                platform.architecture = real
    return _loaded[0]
