"""Bad runbooks are refused with `FILE:LINE: message`, every problem at once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import Problem, RunbookError


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(RunbookError) as caught:
        parse_runbook(text, "bad.md")
    return caught.value.problems


def only_problem(text: str) -> Problem:
    (problem,) = problems_of(text)
    return problem


def test_malformed_front_matter_names_its_line() -> None:
    problem = only_problem("---\nhosts:\n  web: {address: 1\n  db: [\n---\n# X\n")
    assert problem.line in (3, 4, 5)
    assert "front matter is not valid YAML" in problem.message
    assert str(problem).startswith(f"bad.md:{problem.line}: ")


def test_front_matter_host_without_address() -> None:
    problem = only_problem("---\nhosts:\n  web: {user: ops}\n---\n# X\n")
    assert 'host "web" has no address' in problem.message


def test_threshold_that_is_not_a_comparison_with_a_number() -> None:
    text = (
        "**Key Metrics to Monitor**:\n- CPU: `host:cpu_percent`\n\n**Alert Thresholds**:\n\n"
        "| Metric | Warning | Critical | Action |\n|---|---|---|---|\n"
        "| CPU | > abc | > 90 | notify: Owner |\n"
    )
    problem = only_problem(text)
    assert problem.line == 8
    assert problem.message == 'threshold "> abc" is not a comparison with a number'
    assert "> 80" in problem.hint


def test_unknown_attribute_key() -> None:
    text = "### Go Procedure\n\n**Steps**:\n1. Go: `true` {hots=web}\n\n**Validation**:\n- [ ] ok\n"
    problem = only_problem(text)
    assert (problem.line, problem.message) == (4, 'unknown attribute "hots"')
    assert "host" in problem.hint


def test_unknown_attribute_in_a_fence_names_the_fence_line() -> None:
    text = "### Go Procedure\n\n**Steps**:\n1. Go\n\n   ```bash {colour=red}\n   true\n   ```\n"
    assert only_problem(text).line == 6


def test_step_naming_a_host_the_front_matter_does_not_define() -> None:
    text = (
        "---\nhosts:\n  web1: {address: 127.0.0.1}\n---\n"
        "### Go Procedure\n\n**Steps**:\n1. Go: `true` {host=db}\n"
    )
    problem = only_problem(text)
    assert problem.line == 8
    assert problem.message == 'step names host "db", which the front matter does not define'
    assert "web1" in problem.hint


def test_threshold_on_a_metric_that_is_not_defined() -> None:
    text = (
        "## Monitoring\n\n**Key Metrics to Monitor**:\n- CPU: `host:cpu_percent`\n\n"
        "### Alert Thresholds\n\n"
        "| Metric | Warning | Critical | Action |\n|---|---|---|---|\n"
        "| Memory | > 80 | > 90 | |\n"
    )
    problem = only_problem(text)
    assert problem.line == 10
    assert '"Memory"' in problem.message and "Key Metrics" in problem.message


def test_two_procedures_with_the_same_name() -> None:
    text = "### Deploy Procedure\n\nfirst\n\n## Later\n\n### Deploy procedure\n\nsecond\n"
    problem = only_problem(text)
    assert problem.line == 7
    assert "defined twice (first at line 1)" in problem.message


def test_a_duration_that_cannot_be_read() -> None:
    text = "### Go Procedure\n\n**Steps**:\n1. Go: `true` {timeout=soon}\n"
    problem = only_problem(text)
    assert problem.line == 4 and 'cannot read "soon" as a duration' in problem.message


def test_a_frequency_that_cannot_be_read() -> None:
    text = (
        "### Regular Maintenance Tasks\n\n"
        "| Task | Frequency | Owner | Last Completed | Next Due |\n|---|---|---|---|---|\n"
        "| Patch | whenever it rains | ops | | |\n"
    )
    problem = only_problem(text)
    assert problem.line == 5 and "frequency" in problem.message


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = (
        "---\nhosts:\n  web1: {address: 127.0.0.1}\n---\n"
        "### Go Procedure\n\n**Steps**:\n1. A: `true` {host=db}\n2. B: `true` {bogus=1}\n"
        "3. C: `true` {timeout=later}\n"
    )
    lines = [p.line for p in problems_of(text)]
    assert lines == [8, 9, 10]


def test_rollback_naming_an_unknown_procedure() -> None:
    text = "### Go Procedure\n\n**Steps**:\n1. A: `true`\n\n**Rollback**: Run the Undo Procedure\n"
    assert 'unknown procedure "undo"' in only_problem(text).message


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opsbook", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


@pytest.mark.process
def test_check_exits_2_and_prints_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "RUNBOOK.md"
    bad.write_text("### Go Procedure\n\n**Steps**:\n1. Go: `true` {hots=web}\n")
    result = run_cli("check", str(bad))
    assert result.returncode == 2
    assert f'{bad}:4: unknown attribute "hots"' in result.stderr
    assert "nothing was run or written" in result.stderr


@pytest.mark.process
def test_check_json_reports_problems_with_lines(tmp_path: Path) -> None:
    bad = tmp_path / "RUNBOOK.md"
    bad.write_text("### Go Procedure\n\n**Steps**:\n1. Go: `true` {timeout=later}\n")
    result = run_cli("check", str(bad), "--json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["problems"][0]["line"] == 4


@pytest.mark.process
def test_missing_runbook_is_bad_input(tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "RUNBOOK.md: no such file" in result.stderr


@pytest.mark.process
def test_render_of_a_bad_runbook_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "RUNBOOK.md"
    bad.write_text("### Go Procedure\n\n**Steps**:\n1. Go: `true` {hots=web}\n")
    out = tmp_path / "out.html"
    result = run_cli("render", str(bad), "--format", "html", "-o", str(out))
    assert result.returncode == 2 and not out.exists()


@pytest.mark.process
def test_messages_with_brackets_are_printed_as_written(tmp_path: Path) -> None:
    bad = tmp_path / "RUNBOOK.md"
    bad.write_text("### Go Procedure\n\n**Steps**:\n1. Go: `true` {[x]=1}\n")
    result = run_cli("check", str(bad))
    assert result.returncode == 2
    assert f'{bad}:4: unknown attribute "[x]"' in result.stderr


def test_a_yaml_alias_bomb_in_front_matter_is_refused_at_once() -> None:
    laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        laughs.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    started = time.monotonic()
    problem = only_problem("---\n" + "\n".join(laughs) + "\n---\n# Bomb\n")
    assert time.monotonic() - started < 1
    assert problem.line == 3
    assert "alias *a" in problem.message and "not accepted" in problem.message


def test_a_merge_key_alias_is_refused_too() -> None:
    problem = only_problem("---\nbase: &base {user: ops}\nhosts:\n  web: {<<: *base}\n---\n# X\n")
    assert problem.line == 4 and "alias *base" in problem.message


def test_front_matter_nested_beyond_reason_is_refused() -> None:
    problem = only_problem("---\nx: " + "[" * 50_000 + "\n---\n# X\n")
    assert "nested too deeply" in problem.message
