"""asyncssh is imported asking only the loader's cache for optional libraries."""

from __future__ import annotations

import ctypes.util

import pytest

from opsbook.procedures.executors.asyncssh_loaded import asyncssh, loader_cache_only


def test_the_real_asyncssh_is_loaded_and_find_library_is_given_back() -> None:
    assert asyncssh.__name__ == "asyncssh" and hasattr(asyncssh, "connect")
    assert ctypes.util.find_library.__name__ == "find_library"


@pytest.mark.process
def test_meanwhile_find_library_asks_the_loader_cache_and_never_compiles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def compiler(name: str) -> None:
        raise AssertionError(f"gcc was run to look for {name}")

    monkeypatch.setattr(ctypes.util, "_findLib_gcc", compiler)
    with loader_cache_only():
        assert ctypes.util.find_library("c") is not None  # libc is in every loader cache
        assert ctypes.util.find_library("opsbook-no-such-library") is None
    with pytest.raises(AssertionError, match="gcc was run"):
        ctypes.util.find_library("opsbook-no-such-library")
