"""The parse cache: a hit is the parse's own result, any change to text, path or code a miss."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from opsbook.runbook import parse_cache
from opsbook.runbook.loader import load_runbook
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError

TEMPLATE = Path(__file__).parent / "data" / "runbook-template.md"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tinyweb" / "RUNBOOK.md"


class CountingParse:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str, path: str) -> object:
        self.calls += 1
        return parse_runbook(text, path)


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.pickle"))


@pytest.mark.parametrize("source", [TEMPLATE, EXAMPLE])
def test_a_hit_is_what_the_parse_returns(source: Path, tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    shutil.copy(source, book)
    cache = tmp_path / "cache"
    first = load_runbook(book, cache=cache)
    assert len(_entries(cache)) == 1
    again = load_runbook(book, cache=cache)
    assert again == first == load_runbook(book)
    assert again is not first


def test_changed_text_or_path_is_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    cache = tmp_path / "cache"
    parse = CountingParse()
    text = book.read_text(encoding="utf-8")
    parse_cache.cached_parse(text, str(book), cache, parse)  # type: ignore[arg-type]
    parse_cache.cached_parse(text, str(book), cache, parse)  # type: ignore[arg-type]
    assert parse.calls == 1
    changed = text.replace("# ", "# Renamed ", 1)
    renamed = parse_cache.cached_parse(changed, str(book), cache, parse)  # type: ignore[arg-type]
    assert parse.calls == 2 and renamed.title.startswith("Renamed ")
    monkeypatch.chdir(tmp_path)
    relative = parse_cache.cached_parse(changed, "RUNBOOK.md", cache, parse)  # type: ignore[arg-type]
    assert parse.calls == 3 and relative.path == "RUNBOOK.md"
    assert len(_entries(cache)) == 1, "one entry per runbook file, replaced"


def test_changed_parser_code_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "runbook"
    shutil.copytree(Path(parse_cache.__file__).parent, package)
    monkeypatch.setattr(parse_cache, "__file__", str(package / "parse_cache.py"))
    before = parse_cache._key("text", "RUNBOOK.md")
    with (package / "blocks.py").open("a") as code:
        code.write("\n# changed\n")
    assert parse_cache._key("text", "RUNBOOK.md") != before
    monkeypatch.setattr(parse_cache, "DEPENDENCIES", ("markdown_it", "no_such_package_here"))
    assert parse_cache._key("text", "RUNBOOK.md") is None, "a missing dependency: no caching"


@pytest.mark.process
def test_the_parser_uses_no_opsbook_code_outside_the_fingerprinted_package() -> None:
    code = (
        "import json, sys; from pathlib import Path\n"
        "from opsbook.runbook.parser import parse_runbook\n"
        f"parse_runbook(Path({str(EXAMPLE)!r}).read_text(), 'RUNBOOK.md')\n"
        "print(json.dumps([m for m in sys.modules if m.startswith('opsbook')]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = json.loads(done.stdout)
    outside = [m for m in modules if m not in ("opsbook", "opsbook.runbook")]
    assert outside and all(m.startswith("opsbook.runbook.") for m in outside)


def test_a_bad_runbook_is_not_kept(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(
        "# T\n\n## Standard Operating Procedures\n\n### A Procedure\n\n"
        "**Steps**:\n1. x: `a` {timeout=soon}\n"
    )
    with pytest.raises(RunbookError):
        load_runbook(book, cache=tmp_path / "cache")
    assert not _entries(tmp_path / "cache")


def test_a_torn_or_foreign_entry_is_parsed_again_and_replaced(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    shutil.copy(TEMPLATE, book)
    cache = tmp_path / "cache"
    parse = CountingParse()
    text = book.read_text(encoding="utf-8")
    parse_cache.cached_parse(text, str(book), cache, parse)  # type: ignore[arg-type]
    (entry,) = _entries(cache)
    entry.write_bytes(entry.read_bytes()[:-10])
    parse_cache.cached_parse(text, str(book), cache, parse)  # type: ignore[arg-type]
    assert parse.calls == 2
    entry.chmod(0o620)  # someone else may write it: not read
    parse_cache.cached_parse(text, str(book), cache, parse)  # type: ignore[arg-type]
    assert parse.calls == 3 and entry.stat().st_mode & 0o777 == 0o600
    parse_cache.cached_parse(text, str(book), cache, parse)  # type: ignore[arg-type]
    assert parse.calls == 3


def test_an_unwritable_cache_only_parses(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    shutil.copy(TEMPLATE, book)
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    assert load_runbook(book, cache=blocked / "cache") == load_runbook(book)


def test_cache_dir_follows_xdg_and_can_be_turned_off() -> None:
    assert parse_cache.cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/opsbook/parsed")
    assert parse_cache.cache_dir({"XDG_CACHE_HOME": "/c", "OPSBOOK_PARSE_CACHE": "0"}) is None
    home = Path(os.path.expanduser("~/.cache/opsbook/parsed"))
    assert parse_cache.cache_dir({"XDG_CACHE_HOME": "relative"}) == home
    assert parse_cache.cache_dir({}) == home
