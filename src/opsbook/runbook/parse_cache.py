"""Parsed runbooks kept on disk: `opsbook run` started again on the same file skips the parse.

A parse needs markdown-it and the parser's modules, imports that are a noticeable part of a
new process's start-up (docs/benchmarks.md), yet its result depends only on the file's text,
its path as given, and the code that parses. An entry is keyed by a SHA-256 of all of them:
the text, the path, the Python version, the source of every module of `opsbook.runbook`, and
the `__init__.py` (which holds the version) of markdown-it, of its plugins package and of
PyYAML. Any change to one of them is a miss, and a miss parses as before. Only a runbook
that parsed without error is kept.

Entries are pickles, so they live in the user's own cache directory ($XDG_CACHE_HOME or
~/.cache, then opsbook/parsed, made 0700), one file per runbook path, replaced atomically,
and a file is read only when the user owns it and nobody else can write it.
OPSBOOK_PARSE_CACHE=0 turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import stat
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from opsbook.runbook.model import Runbook

FORMAT = b"opsbook parsed runbook 1\n"
# The packages besides opsbook.runbook whose code decides what a parse returns (PyYAML
# reads the front matter).
DEPENDENCIES = ("markdown_it", "mdit_py_plugins", "yaml")


def cache_dir(environ: Mapping[str, str]) -> Path | None:
    """Return the directory of parsed runbooks, or None when the cache is off."""
    if environ.get("OPSBOOK_PARSE_CACHE") == "0":
        return None
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset or relative: the XDG default
        base = os.path.expanduser("~/.cache")
    if not os.path.isabs(base):  # no home directory
        return None
    return Path(base) / "opsbook" / "parsed"


def cached_parse(
    text: str, path: str, directory: Path, parse: Callable[[str, str], Runbook]
) -> Runbook:
    """Return `parse(text, path)`, read from the cache when the same text, path and code made it."""
    key = _key(text, path)
    if key is None:
        return parse(text, path)
    name = hashlib.sha256(os.path.abspath(path).encode("utf-8", "surrogateescape"))
    entry = directory / f"{name.hexdigest()[:32]}.pickle"
    found = _read(entry, key)
    if found is not None:
        return found
    runbook = parse(text, path)
    _write(entry, key, runbook)
    return runbook


def _key(text: str, path: str) -> bytes | None:
    digest = hashlib.sha256(FORMAT + sys.version.encode())
    package = Path(__file__).parent
    sources = sorted(package.glob("*.py"))
    for name in DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            return None
        sources.append(Path(spec.origin))
    for source in sources:
        digest.update(str(source).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(source.read_bytes() + b"\0")
    digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.digest()


def _read(entry: Path, key: bytes) -> Runbook | None:
    try:
        with entry.open("rb") as file:
            info = os.fstat(file.fileno())
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            if file.read(len(key)) != key:
                return None
            runbook = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception:  # a torn or foreign file: parse instead, and overwrite it
        return None
    return runbook if isinstance(runbook, Runbook) else None


def _write(entry: Path, key: bytes, runbook: Runbook) -> None:
    temporary = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(key)
            pickle.dump(runbook, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
    except Exception:  # a read-only or full disk, say: the cache must never stop a run
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
