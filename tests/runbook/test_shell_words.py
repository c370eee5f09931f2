"""A command's simple commands, as the safety rules see them."""

from __future__ import annotations

from opsbook.runbook.shell_words import heredoc_bodies, logical_lines, simple_commands


def programs(command: str) -> list[str]:
    return [c.program for c in simple_commands(command)]


def test_lines_split_at_separators_outside_quotes() -> None:
    assert programs("a && b || c; d | e & f") == ["a", "b", "c", "d", "e", "f"]
    assert programs("echo 'x; rm -rf /' \"a && b\"") == ["echo"]


def test_continuations_join_and_comments_drop() -> None:
    command = "# look first\nkubectl get pods \\\n  -n web  # the web ones\n\nsystemctl status x"
    assert logical_lines(command) == [
        (2, "kubectl get pods    -n web  # the web ones"),
        (5, "systemctl status x"),
    ]
    assert [c.words for c in simple_commands(command)] == [
        ("kubectl", "get", "pods", "-n", "web"),
        ("systemctl", "status", "x"),
    ]


def test_wrappers_and_keywords_unwrap_to_the_program_that_works() -> None:
    found = simple_commands("FOO=1 sudo -u postgres -E nohup /usr/bin/psql -l")
    assert found[0].program == "psql" and found[0].wrappers == ("sudo",)
    assert programs("for p in a b; do kubectl delete $p; done") == ["for", "kubectl", "done"]
    assert programs("ls | xargs -n1 rm -r") == ["ls", "rm"]
    assert programs("env -i A=1 B=2 printenv") == ["printenv"]
    bounded = simple_commands("timeout -s KILL 30 tail -f log")[0]
    assert bounded.program == "tail" and bounded.wrappers == ("timeout 30",)


def test_sudo_alone_with_a_shell_flag_is_the_root_shell() -> None:
    assert simple_commands("sudo -i")[0].words == ("sudo", "-i")
    assert simple_commands("sudo -i systemctl status x")[0].program == "systemctl"


def test_here_document_bodies_are_not_commands_but_are_kept_for_reading() -> None:
    command = "psql <<'SQL'\nDELETE FROM jobs;\nSQL\necho done"
    assert programs(command) == ["psql", "echo"]
    assert heredoc_bodies(command) == "DELETE FROM jobs;"


def test_flags_are_found_alone_bundled_or_with_values() -> None:
    cmd = simple_commands("tail -fn 100 --retry=yes file")[0]
    assert cmd.has("-f") and cmd.has("--retry") and not cmd.has("-F")
    exec_ = simple_commands("kubectl exec pod -- tail -f x")[0]
    assert not exec_.has("-f"), "flags after -- belong to the inner command"
    assert exec_.after_dashes() == ("tail", "-f", "x")
