"""What a simple command does that a person must judge: change things, leave, never end.

Table-driven: each rule is a row (program, the sub-commands that only look, ...), so a new
tool is one more row. Every function takes one `Simple` and returns the reason in words, or
None. Read-only is the exception the tables name; anything else a cluster or service tool
does counts as a change, so a tool's new sub-command is safe by default.
"""

from __future__ import annotations

import re

from opsbook.runbook.shell_words import Simple, unwrap, word_set

# Programs that end the machine's service or destroy data whatever their arguments.
ALWAYS_CHANGES = frozenset(
    {
        "reboot",
        "shutdown",
        "halt",
        "poweroff",
        "telinit",
        "kill",
        "pkill",
        "killall",
        "rm",
        "rmdir",
        "shred",
        "unlink",
        "truncate",
        "dd",
        "wipefs",
        "fdisk",
        "sfdisk",
        "parted",
        "umount",
        "swapoff",
        "ifdown",
        "userdel",
        "groupdel",
        "rmmod",
    }
)
# Tools whose sub-command says whether they change anything: the ones that only look.
LOOKING_SUBCOMMANDS: dict[str, frozenset[str]] = {
    "kubectl": word_set(
        """
    get describe logs top explain api-resources api-versions version cluster-info auth
    config events diff wait completion plugin help exec port-forward proxy attach debug
    rollout
    """
    ),
    "helm": word_set("list ls status get history show search template lint version env"),
    "docker": word_set(
        """
    ps logs inspect images top version info stats events port history diff search exec
    container image volume network system compose context
    """
    ),
    "systemctl": word_set(
        """
    status show list-units list-unit-files list-timers list-sockets list-dependencies
    is-active is-enabled is-failed is-system-running cat get-default help
    """
    ),
    "service": frozenset({"status", "--status-all"}),
    "apt": frozenset({"list", "search", "show", "policy", "depends", "rdepends"}),
    "apt-get": frozenset({"check", "changelog", "download", "source"}),
    "yum": frozenset({"list", "search", "info", "check-update", "history", "repolist"}),
    "dnf": frozenset({"list", "search", "info", "check-update", "history", "repolist"}),
    "virtctl": frozenset({"version", "guestosinfo", "fslist", "userlist"}),
}
LOOKING_SUBCOMMANDS["oc"] = LOOKING_SUBCOMMANDS["kubectl"] | word_set(
    "status whoami projects project observe rsh adm login"
)
LOOKING_SUBCOMMANDS["podman"] = LOOKING_SUBCOMMANDS["docker"]
# Second words of the looking sub-commands above that do change things.
CHANGING_SECOND: dict[tuple[str, str], frozenset[str]] = {
    ("docker", "container"): word_set("rm kill stop restart prune update rename"),
    ("docker", "image"): frozenset({"rm", "prune"}),
    ("docker", "volume"): frozenset({"rm", "prune"}),
    ("docker", "network"): frozenset({"rm", "prune", "disconnect"}),
    ("docker", "system"): frozenset({"prune"}),
    ("docker", "compose"): word_set("down rm stop restart kill up pull"),
    ("kubectl", "rollout"): frozenset({"restart", "undo", "pause", "resume"}),
    ("oc", "rollout"): frozenset({"restart", "undo", "pause", "resume", "latest", "retry"}),
    ("oc", "adm"): word_set(
        """
    drain cordon uncordon taint upgrade prune certificate reboot-machine-config
    """
    ),
}
# Words that say "change or destroy" when a tool's sub-command is one of them.
CHANGING_WORDS = word_set(
    """
    delete del destroy drop purge truncate flush flushall flushdb restart reboot
    shutdown stop kill terminate remove rm wipe reset failover switchover drain
    decommission evict uninstall prune cordon uncordon scale rollback reinit promote
    demote deregister revoke erase evacuate reconfigure poweroff halt suspend pause
    apply patch edit replace start upgrade install down disable mask create update set
    put write deploy redeploy restore import migrate rotate renew reload recreate resize
    mv cp sync
    """
)
# Programs whose words are data (a pattern, a message, a path), never a sub-command.
DATA_PROGRAMS = word_set(
    """
    grep egrep fgrep zgrep rg ag ack echo printf awk gawk jq yq cat zcat head tail wc
    sort uniq cut tr less more ls man journalctl test [ stat file du df dig nslookup
    host ping ps pgrep lsof ss netstat id whoami hostname uname uptime free printenv
    which type diff cmp md5sum sha256sum base64 xxd column true false sleep cd pwd
    export readlink realpath basename dirname date tee wget mkdir cp tar gzip zip unzip
    ln chmod chown touch mv history alias source . read
    """
)
_SQL = re.compile(
    r"\b(DROP\s+(TABLE|DATABASE|INDEX|SCHEMA|USER|ROLE|VIEW|KEYSPACE|COLLECTION)"
    r"|TRUNCATE\s+(TABLE\s+)?[\w\"`.]+|DELETE\s+FROM|UPDATE\s+[\w\"`.]+\s+SET"
    r"|ALTER\s+(TABLE|DATABASE|SYSTEM|USER|ROLE|INDEX)|INSERT\s+INTO|GRANT\s+\w|REVOKE\s+\w"
    r"|VACUUM\s+FULL|REINDEX|FLUSHALL|FLUSHDB|pg_terminate_backend|pg_cancel_backend"
    r"|\.drop(Database)?\(|\.(deleteMany|deleteOne|remove|updateMany|updateOne)\()",
    re.IGNORECASE,
)
_CURL_CHANGING = frozenset({"POST", "PUT", "DELETE", "PATCH"})
_KERNEL_WRITE = re.compile(r">>?\s*/(proc/sys|sys)/")


def changes(cmd: Simple) -> str | None:
    """Say what the command changes or destroys, or None when it only looks."""
    program = cmd.program
    args = cmd.args
    if program in ALWAYS_CHANGES:
        if program == "kill" and args and args[0] in ("-0", "-l", "-L"):
            return None
        if program == "rm" and not cmd.has("-r", "-R", "--recursive"):
            # Removing a file the procedure works with (`prepared`, `/tmp/x`, `app.pid`) is an
            # everyday step; a tree, a glob or a file kept elsewhere (`~/Library/...`) is not.
            if any("*" in w for w in args):
                return "rm with a wildcard"
            targets = [w for w in args if not w.startswith("-")]
            return None if targets and all(map(_scratch, targets)) else "rm deletes files"
        return "rm -r" if program == "rm" else program
    if re.match(r"mkfs(\.|$)", program):
        return program
    if program == "init" and args[:1] in (["0"], ["6"], ("0",), ("6",)):
        return f"init {args[0]}"
    if _KERNEL_WRITE.search(cmd.text) or (
        program == "tee" and any(w.startswith(("/proc/sys/", "/sys/")) for w in args)
    ):
        return "writes a kernel setting"
    sql = data_change(cmd.text)
    if sql is not None:
        return sql
    if "--replicas=0" in args or ("--replicas" in args and "0" in args):
        return "scales to zero"
    if program in LOOKING_SUBCOMMANDS:
        return _subcommand_change(cmd)
    if program == "curl":
        return _curl_change(cmd)
    if program == "find":
        return "find -delete" if "-delete" in args else None
    if program == "sed":
        return "sed -i" if cmd.has("-i", "--in-place") else None
    if program in ("sysctl",):
        return "sysctl -w" if cmd.has("-w") or any("=" in w for w in args) else None
    if program in ("iptables", "ip6tables"):
        writing = ("-F", "-X", "-D", "-A", "-I", "-R", "-P", "-Z", "--flush", "--delete")
        return f"{program} {next(w for w in args if w in writing)}" if cmd.has(*writing) else None
    if program == "crontab":
        return "crontab -r" if cmd.has("-r") else None
    if program == "redis-cli":
        return _redis_change(cmd)
    if program in DATA_PROGRAMS:
        return None
    for word in cmd.positionals(4):
        head = re.split(r"[-_:]", word.lower(), maxsplit=1)[0]
        if "/" not in word and head in CHANGING_WORDS:
            return f"{program} {word}"
    return None


def _scratch(path: str) -> bool:
    """Say whether a path names a working file: relative and inside the working directory,
    under a temp folder, or a pid or lock file."""
    if path.startswith(("/tmp/", "/var/tmp/", "$TMPDIR/", "${TMPDIR}/")):
        return True
    if path.endswith((".pid", ".lock", ".tmp")):
        return True
    return not path.startswith(("/", "~", "$")) and ".." not in path.split("/")


def data_change(text: str) -> str | None:
    """Name the statement in the text that changes a database (`DROP TABLE`), or None."""
    found = _SQL.search(text)
    return None if found is None else " ".join(found.group(0).split("(")[0].split())


def _subcommand_change(cmd: Simple) -> str | None:
    program = cmd.program
    words = after_global_options(cmd)
    if not words:
        return None
    verb = words[0]
    if verb not in LOOKING_SUBCOMMANDS[program]:
        return f"{program} {verb}"
    key = ("docker" if program == "podman" else program, verb)
    if key in CHANGING_SECOND:
        second = CHANGING_SECOND[key]
        if len(words) > 1 and words[1] in second:
            return f"{program} {verb} {words[1]}"
    if program in ("kubectl", "oc") and verb == "exec":
        return _inner_change(cmd)
    if program in ("docker", "podman") and verb == "exec":
        return _inner_change(cmd, skip=2)
    return None


def after_global_options(cmd: Simple) -> list[str]:
    """Return the words from the sub-command on (`kubectl -n x get -w` -> `get -w`)."""
    words = list(cmd.args)
    valued = {"-n", "--namespace", "--context", "--kubeconfig", "-c", "--cluster", "-H", "--host"}
    while words and words[0].startswith("-"):
        first = words.pop(0)
        if first in valued and words:
            words.pop(0)
    return words


def _inner_change(cmd: Simple, skip: int = 0) -> str | None:
    """Judge what `kubectl exec pod -- cmd` (or `docker exec ctr cmd`) runs inside."""
    inner = list(cmd.after_dashes())
    if not inner and skip:
        inner = [w for w in cmd.args if not w.startswith("-")][skip:]
    simple = unwrap(inner, " ".join(inner)) if inner else None
    return changes(simple) if simple is not None else None


def _curl_change(cmd: Simple) -> str | None:
    args = cmd.args
    for i, word in enumerate(args):
        method = ""
        if word in ("-X", "--request") and i + 1 < len(args):
            method = args[i + 1]
        elif word.startswith("-X") and len(word) > 2:
            method = word[2:]
        elif word.startswith("--request="):
            method = word.split("=", 1)[1]
        if method.upper() in _CURL_CHANGING:
            return f"curl -X {method.upper()}"
    if cmd.has("-d", "--data", "--data-raw", "--data-binary", "--json", "-F", "--form", "-T"):
        return "curl sends data"
    return None


_REDIS_CHANGING = word_set(
    """
    del unlink flushall flushdb shutdown set config debug rename expire failover
    replicaof slaveof cluster script client
    """
)
_REDIS_VALUED = frozenset({"-h", "-p", "-a", "-n", "-u", "-s", "--user", "--pass", "-c"})


def _redis_change(cmd: Simple) -> str | None:
    words = _redis_command(cmd)
    if not words:
        return None
    verb = words[0].lower()
    if verb in ("config", "client", "cluster", "script") and len(words) > 1:
        looking = {"get", "list", "info", "nodes", "slots", "exists", "getname", "id"}
        return None if words[1].lower() in looking else f"redis-cli {verb} {words[1]}"
    return f"redis-cli {verb}" if verb in _REDIS_CHANGING else None


def _redis_command(cmd: Simple) -> list[str]:
    """Return the Redis command redis-cli is given (empty: it opens its prompt)."""
    words = list(cmd.args)
    while words and words[0].startswith("-"):
        first = words.pop(0)
        if first in _REDIS_VALUED and words:
            words.pop(0)
    return words
