"""asyncssh, imported without its slow search for an optional library.

On import asyncssh asks ctypes whether liboqs (post-quantum key exchange) is installed.
On Linux, for a library that is not there, `ctypes.util.find_library` tries the loader's
cache, then compiles a test program with gcc, then runs ld: about 30 ms per name, and
asyncssh asks for two names, so every `opsbook run` with a remote step paid ~60 ms. While
asyncssh is imported, only the loader's cache is asked: a liboqs the dynamic loader can
load is found as before.
"""

from __future__ import annotations

import ctypes.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Finder = Callable[[str], str | None]


@contextmanager
def loader_cache_only() -> Iterator[None]:
    """Let `ctypes.util.find_library` ask only the loader's cache (ldconfig) meanwhile."""
    module = vars(ctypes.util)
    find: Finder = module["find_library"]
    in_cache: Finder | None = module.get("_findSoname_ldconfig")
    if in_cache is not None:  # Linux; elsewhere find_library is left as it is
        module["find_library"] = in_cache
    try:
        yield
    finally:
        module["find_library"] = find


with loader_cache_only():
    import asyncssh

__all__ = ["asyncssh"]
