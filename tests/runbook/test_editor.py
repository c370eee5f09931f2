"""In-place runbook edits: only insertions, byte-identical elsewhere, atomic, still parsing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsbook.runbook.editor import (
    EditRefused,
    NewIssue,
    NewStep,
    VersionRow,
    add_troubleshooting_issue,
)
from opsbook.runbook.loader import load_runbook

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "tinyweb" / "RUNBOOK.md"
TEMPLATE = Path("/work/shared/seed/runbook-template.md")
ROW = VersionRow(date="2026-11-27", author="opsbook (incident 7)", changes="Added issue | pipes")
ISSUE = NewIssue(
    title="Request flood from one client",
    symptoms=("The Request rate alert fires", "The log shows one address in most lines"),
    diagnosis=(
        NewStep("Count requests per address", "bin/tinyweb logs -n 500 | sort | uniq -c"),
        NewStep("Decide whether the traffic is legitimate"),
    ),
    resolution=(
        NewStep("Block the address at the proxy"),
        NewStep("Check it answers", "bin/tinyweb health"),
    ),
    prevention=("Rate-limit per client at the proxy",),
)


def _without(updated: bytes, insertions: tuple[tuple[int, bytes], ...]) -> bytes:
    """Remove the inserted chunks (offsets refer to the original file)."""
    placed, shift = [], 0
    for offset, chunk in sorted(insertions, key=lambda pair: pair[0]):
        placed.append((offset + shift, chunk))
        shift += len(chunk)
    out = updated
    for start, chunk in reversed(placed):
        assert out[start : start + len(chunk)] == chunk
        out = out[:start] + out[start + len(chunk) :]
    return out


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "RUNBOOK.md"
    shutil.copy(source, target)
    return target


def test_adding_an_issue_changes_nothing_outside_the_insertions(tmp_path: Path) -> None:
    path = _copy(EXAMPLE, tmp_path)
    original = path.read_bytes()
    edit = add_troubleshooting_issue(path, ISSUE, ROW)
    updated = path.read_bytes()
    assert len(edit.insertions) == 2
    assert _without(updated, edit.insertions) == original
    book = load_runbook(path)
    issue = book.issue("request-flood-from-one-client")
    assert issue is not None
    assert issue.symptoms[0] == "The Request rate alert fires"
    assert issue.diagnosis[0].command == "bin/tinyweb logs -n 500 | sort | uniq -c"
    assert issue.diagnosis[1].manual and issue.resolution[1].command == "bin/tinyweb health"
    assert [i.id for i in book.troubleshooting][-1] == "request-flood-from-one-client"
    assert book.version_history[-1].version == "1.1"
    assert book.version_history[-1].changes == "Added issue | pipes"  # escaped in the cell
    text = updated.decode()
    # The new issue sits after the last issue and before the rule that closes the guide.
    assert text.index("#### Issue: Request flood") > text.index("#### Issue: Disk filling up")
    assert text.index("#### Issue: Request flood") < text.index("### Incident Response")


def test_crlf_files_keep_their_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "RUNBOOK.md"
    original = EXAMPLE.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(original)
    edit = add_troubleshooting_issue(path, ISSUE, ROW)
    updated = path.read_bytes()
    assert _without(updated, edit.insertions) == original
    assert b"\n" not in updated.replace(b"\r\n", b"")
    assert load_runbook(path).issue("request-flood-from-one-client") is not None


def test_the_bare_template_gets_the_issue_after_its_placeholder(tmp_path: Path) -> None:
    if not TEMPLATE.exists():
        pytest.skip("the seed template is not in this checkout")
    path = _copy(TEMPLATE, tmp_path)
    original = path.read_bytes()
    edit = add_troubleshooting_issue(path, ISSUE, ROW)
    assert _without(path.read_bytes(), edit.insertions) == original
    book = load_runbook(path)
    assert book.issue("request-flood-from-one-client") is not None
    assert book.version_history[-1].version == "1.1"


def test_a_runbook_without_guide_or_history_gets_both_sections(tmp_path: Path) -> None:
    path = tmp_path / "RUNBOOK.md"
    original = b"# tiny\n\n## Purpose\n\nA small thing.\n"
    path.write_bytes(original)
    edit = add_troubleshooting_issue(path, ISSUE, VersionRow("2026-11-27", "me", "first"))
    assert _without(path.read_bytes(), edit.insertions) == original
    book = load_runbook(path)
    assert book.issue("request-flood-from-one-client") is not None
    assert [v.version for v in book.version_history] == ["1.0"]


def test_a_duplicate_title_is_refused_and_the_file_is_untouched(tmp_path: Path) -> None:
    path = _copy(EXAMPLE, tmp_path)
    original = path.read_bytes()
    with pytest.raises(EditRefused, match="already has an issue"):
        add_troubleshooting_issue(path, NewIssue(title="Disk filling up"), ROW)
    with pytest.raises(EditRefused, match="one non-empty line"):
        add_troubleshooting_issue(path, NewIssue(title="two\nlines"), ROW)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["RUNBOOK.md"]  # no temp file left


def test_a_command_with_backticks_survives_the_round_trip(tmp_path: Path) -> None:
    path = _copy(EXAMPLE, tmp_path)
    issue = NewIssue(title="Odd quoting", diagnosis=(NewStep("Show it", "echo `date`"),))
    add_troubleshooting_issue(path, issue, ROW)
    found = load_runbook(path).issue("odd-quoting")
    assert found is not None and found.diagnosis[0].command == "echo `date`"


_LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda t: t.strip() != "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=_LINE,
    symptoms=st.lists(_LINE, max_size=3),
    commands=st.lists(st.tuples(_LINE, st.one_of(st.none(), _LINE)), max_size=3),
    changes=_LINE,
)
def test_any_issue_is_an_insertion_or_a_refusal_that_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    title: str,
    symptoms: list[str],
    commands: list[tuple[str, str | None]],
    changes: str,
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "RUNBOOK.md"
    shutil.copy(EXAMPLE, path)
    original = path.read_bytes()
    issue = NewIssue(
        title=title,
        symptoms=tuple(symptoms),
        diagnosis=tuple(NewStep(text, command) for text, command in commands),
    )
    try:
        edit = add_troubleshooting_issue(path, issue, VersionRow("2026-11-27", "fuzz", changes))
    except EditRefused:
        assert path.read_bytes() == original
        return
    assert _without(path.read_bytes(), edit.insertions) == original
    load_runbook(path)  # still parses
