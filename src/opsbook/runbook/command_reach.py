"""Where a simple command runs, and whether it ends: the other place it enters, or never.

`enters` names the place a command opens for the lines after it (a host over `ssh`, a
container shell, a root shell, a database prompt); `elsewhere` names the place a one-line
command runs in (`ssh host cmd`, `oc debug node/x -- cmd`); `endless` says why a command
does not end by itself (`tail -f`, `watch`, `top`). Pure functions of one `Simple`.
"""

from __future__ import annotations

from opsbook.runbook.command_rules import after_global_options
from opsbook.runbook.shell_words import Simple, word_set

# ssh's options that take a value (`ssh -p 2222 -i key host`).
_SSH_VALUED = word_set("-b -c -D -E -e -F -I -i -J -L -l -m -O -o -p -Q -R -S -W -w -B")
# Consoles: the options that hand them their commands (without one, they open a prompt).
CONSOLES: dict[str, tuple[str, ...]] = {
    "psql": ("-c", "--command", "-f", "--file", "-l", "--list", "-V", "--version"),
    "gitlab-psql": ("-c", "--command", "-f", "--file"),
    "mysql": ("-e", "--execute", "-V", "--version"),
    "mariadb": ("-e", "--execute"),
    "mongo": ("--eval",),
    "mongosh": ("--eval", "--file", "-f"),
    "cqlsh": ("-e", "--execute", "-f", "--file"),
    "clickhouse-client": ("-q", "--query"),
    "influx": ("-execute",),
    "sqlplus": (),
    "irb": (),
    "ipython": (),
    "telnet": (),
    "mosh": (),
    "sftp": ("-b",),
    "ftp": (),
    "gdb": ("-batch", "--batch"),
    "toolbox": (),
    "nsenter": (),
}
_REPL_WHEN_BARE = frozenset({"python", "python3", "node", "bash", "sh", "zsh", "sqlite3", "su"})
_RAILS = frozenset({"rails", "gitlab-rails", "gitlab-rake"})
_FULL_SCREEN = word_set(
    """
    watch top htop atop iotop iftop nload nmon glances k9s ctop less more most vi vim
    nvim nano emacs mc tmux screen man
    """
)
_COUNTED = {"ping": ("-c", "-w"), "tcpdump": ("-c",)}
_SAMPLERS = frozenset({"vmstat", "iostat", "mpstat", "pidstat", "sar", "dstat"})


def _ssh_parts(cmd: Simple) -> tuple[str, tuple[str, ...]] | None:
    """Return (target, remote command words) of an `ssh` command."""
    words = list(cmd.args)
    while words and words[0].startswith("-"):
        flag = words.pop(0)
        if flag in _SSH_VALUED and words:
            words.pop(0)
    if not words:
        return None
    return words[0], tuple(words[1:])


def ssh_target(cmd: Simple) -> str | None:
    """Return the host `ssh host` (with no command) opens a shell on, else None."""
    if cmd.program != "ssh":
        return None
    parts = _ssh_parts(cmd)
    return parts[0] if parts is not None and not parts[1] else None


def ssh_remote(cmd: Simple) -> tuple[str, str] | None:
    """Return (host, command) of a one-line `ssh host cmd`, else None."""
    if cmd.program != "ssh":
        return None
    parts = _ssh_parts(cmd)
    if parts is None or not parts[1]:
        return None
    return parts[0], " ".join(parts[1])


def enters(cmd: Simple) -> str | None:
    """Name the place the command opens for the lines typed after it, or None."""
    program, args = cmd.program, cmd.args
    target = ssh_target(cmd)
    if target is not None:
        return f"a shell on {target}"
    if program == "sudo" and args[:1] in (("-i",), ("-s",)):
        return "a root shell"
    as_root = program == "sudo" or (
        program in ("su", "bash", "sh") and cmd.wrappers[:1] == ("sudo",)
    )
    if as_root and (not args or args == ("-",) or (program == "su" and not cmd.has("-c"))):
        return "a root shell"
    if program in ("su",) and not cmd.has("-c", "--command"):
        return "another user's shell"
    if program in ("kubectl", "oc", "docker", "podman"):
        return _container_entry(cmd)
    if program == "chroot" and len(cmd.positionals()) == 1:
        return f"the chroot {cmd.positionals()[0]}"
    if program in _RAILS and cmd.positionals(1) in (("console",), ("c",), ("dbconsole",)):
        return f"the {program} console"
    given = CONSOLES.get(program)
    if given is not None and not (given and cmd.has(*given)) and "<" not in cmd.text:
        return f"the {program} prompt"
    if program == "redis-cli" and not _redis_given(cmd) and "<" not in cmd.text:
        return "the redis-cli prompt"
    if program in _REPL_WHEN_BARE and not args and "<" not in cmd.text:
        return f"the {program} prompt"
    if program == "sqlite3" and len(cmd.positionals()) == 1 and "<" not in cmd.text:
        return "the sqlite3 prompt"
    if program == "virtctl" and cmd.positionals(1) in (("console",), ("ssh",), ("vnc",)):
        return f"the virtual machine's {cmd.positionals(1)[0]}"
    return None


def _redis_given(cmd: Simple) -> bool:
    words = list(cmd.args)
    valued = {"-h", "-p", "-a", "-n", "-u", "-s", "--user", "--pass"}
    while words and words[0].startswith("-"):
        if words.pop(0) in valued and words:
            words.pop(0)
    return bool(words) or cmd.has("--stat", "--bigkeys", "--latency", "--scan", "--memkeys")


def _container_entry(cmd: Simple) -> str | None:
    verbs = after_global_options(cmd)
    verb = verbs[0] if verbs else ""
    interactive = cmd.has("-it", "-ti") or (cmd.has("-i", "--stdin") and cmd.has("-t", "--tty"))
    if verb == "exec" and interactive:
        return "a shell in a container"
    if verb in ("attach", "rsh") or (verb == "debug" and not cmd.after_dashes()):
        return "a shell in a container" if verb != "debug" else "a debug shell"
    return None


def elsewhere(cmd: Simple) -> str | None:
    """Name the place a one-line command runs its work in (not this machine), or None."""
    remote = ssh_remote(cmd)
    if remote is not None:
        return f"{remote[0]} (over ssh)"
    if cmd.program == "oc" and after_global_options(cmd)[:1] == ["debug"] and cmd.after_dashes():
        node = next((w for w in cmd.positionals(3) if w.startswith("node/")), "a debug pod")
        return node
    if cmd.program in ("scp", "rsync") and any(":" in w for w in cmd.positionals()):
        return "another host (copies over ssh)"
    if "ssh" in cmd.positionals(3):
        # `docker-machine ssh m`, `gcloud compute ssh vm`, `vagrant ssh`, `knife ssh role:x`.
        return f"another host ({cmd.program} ssh)"
    return None


def endless(cmd: Simple) -> str | None:
    """Say why the command does not end by itself, or None when it does."""
    if any(w.startswith("timeout") for w in cmd.wrappers):
        return None
    program = cmd.program
    if program == "top" and cmd.has("-n"):
        return None
    editor = _opens_editor(cmd)
    if editor is not None:
        return f"{editor} opens an editor for someone to type in"
    if program in _FULL_SCREEN:
        return f"{program} runs until someone quits it"
    if cmd.has("--follow", "--watch") or (program == "stern"):
        return "it follows new output until stopped"
    if program in ("tail", "journalctl") and cmd.has("-f", "-F"):
        return f"{program} -f follows new output until stopped"
    verbs = cmd.positionals(2)
    if program in ("kubectl", "oc", "docker", "podman", "docker-compose"):
        verbs = tuple(w for w in after_global_options(cmd) if not w.startswith("-"))[:2]
    if program.endswith("ctl") and verbs[:1] == ("tail",):
        return f"{program} tail follows the logs until stopped"
    if program == "heroku" and verbs[:1] == ("logs",) and cmd.has("--tail", "-t"):
        return "heroku logs --tail follows the logs until stopped"
    if program in ("kubectl", "oc", "docker", "podman", "docker-compose") and verbs:
        if "logs" in verbs and cmd.has("-f"):
            return f"{program} logs -f follows new output until stopped"
        if verbs[0] in ("get", "events") and cmd.has("-w"):
            return f"{program} {verbs[0]} -w watches until stopped"
        if verbs[0] in ("port-forward", "proxy", "events"):
            if program in ("kubectl", "oc") and verbs[0] == "events":
                return None
            return f"{program} {verbs[0]} runs until stopped"
        if verbs[0] == "stats" and not cmd.has("--no-stream"):
            return f"{program} stats streams until stopped"
    if program in _COUNTED and not cmd.has(*_COUNTED[program]):
        return f"{program} runs until stopped (give it a count)"
    if program in _SAMPLERS:
        numbers = [w for w in cmd.positionals() if w.isdigit()]
        if len(numbers) == 1:
            return f"{program} {numbers[0]} samples until stopped (give it a count)"
    if program == "redis-cli" and (cmd.has("--stat") or "monitor" in (w.lower() for w in cmd.args)):
        return "redis-cli monitors until stopped"
    if program == "read" and cmd.has("-p") and "<" not in cmd.text:
        return "read -p waits for someone to type"
    if program == "sleep" and cmd.args[:1] == ("infinity",):
        return "sleep infinity never ends"
    return None


def _opens_editor(cmd: Simple) -> str | None:
    """Name the command when it opens an editor (`kubectl edit`, `crontab -e`), else None."""
    program = cmd.program
    if program in ("visudo", "vipw", "vigr", "sudoedit"):
        return program
    if program == "crontab" and cmd.has("-e"):
        return "crontab -e"
    verbs = after_global_options(cmd) if program in ("kubectl", "oc") else list(cmd.positionals(1))
    if program in ("kubectl", "oc", "systemctl") and verbs[:1] == ["edit"]:
        return f"{program} edit"
    return None
