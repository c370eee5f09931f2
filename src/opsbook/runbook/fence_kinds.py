"""What a code fence holds, read as a person reads it: commands at a prompt, or not commands.

A person tells a terminal transcript (`$ cmd` then its output) from a script, and PromQL,
YAML, JSON, SQL, Ruby or sample output from a shell command, even when the fence has no
language; these functions do the same, so opsbook never runs output or a query as a command.
"""

from __future__ import annotations

import json
import re
import textwrap

# A prompt a transcript shows before a command: `$ `, `user@host:~$ `, `[root@db ~]# `.
_USER_PROMPT = re.compile(r"^(?:\$|[\w.-]+@[\w.-]+(?::[^\s$#]*)?\$|\[[^\]\n]+\]\$) ")
_ROOT_PROMPT = re.compile(r"^(?:#|[\w.-]+@[\w.-]+(?::[^\s$#]*)?#|\[[^\]\n]+\]#) ")
# The prompt of a database or a language console (psql `db=# `, `mysql> `, `redis> `,
# `irb(main):001> `, `>>> `): what follows it is typed there, never a command here.
_CONSOLE_PROMPT = re.compile(
    r"^(?:[\w-]+=[#>]|[\w-]+-[#>]|mysql>|MariaDB \[[^\]]*\]>|redis[\w.:-]*>|"
    r"[\w.-]+:\d+(?:\[\d+\])?>|irb\([^)]*\)[\d:]*[>*]|\[\d+\] pry\([^)]*\)>|>>>|"
    r"rs\d+:\w+>|test>|admin>|>|=>) "
)
# A command after which the transcript goes on in a root shell somewhere else.
_OPENS_ROOT_SHELL = re.compile(
    r"^\s*(?:oc debug\b|ssh\b|sudo (?:-i|-s|su)\b|su\b|chroot\b|"
    r"(?:kubectl|oc|docker|podman) exec\b.*\s-\w*i\w*t|(?:kubectl|oc|docker|podman) exec -ti)"
)
# A log line's start: `Mar 20 13:17:56`, `2024-01-02T10:00`, `[2024-01-02 ...`, `E0102 10:00`.
_LOG_LINE = re.compile(
    r"^(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d"
    r"|[IWEF]\d{4} \d\d:\d\d|level=\w+ |time=\S+ level=)"
)
# A search in a log viewer or a cloud console: `protoPayload.methodName="delete"`.
_QUERY_LINE = re.compile(r"^[A-Za-z_]\w*(?:\.\w+)+\s*(?:[=:!<>]|=~)")
# An INI or systemd unit file: `[Section]` lines, `Key=value` lines and comments.
_INI_SECTION = re.compile(r"^\[[A-Za-z][\w .-]*\]$")
_INI_LINE = re.compile(r"^(?:\[[A-Za-z][\w .-]*\]|[#;].*|[A-Za-z][\w.-]*\s*=.*)$")
# Box-drawing and arrows: a diagram of how things connect, drawn in a fence.
_DRAWING = re.compile(r"[\u2500-\u257f\u2190-\u21ff\u25b2-\u25bc]")
# A sentence someone wrote in a fence: capitalised, six words or more, ending in a stop.
_SENTENCE = re.compile(r"^[A-Z][\w’']*(?: [^\s|$;&<>`]+){5,}[.!]$")
_PROMQL = re.compile(
    r"\b(?:rate|irate|increase|sum|avg|min|max|count|topk|bottomk|absent|histogram_quantile|"
    r"max_over_time|min_over_time|avg_over_time|sum_over_time|delta|deriv|predict_linear|"
    r"label_replace|quantile_over_time|changes|resets)\s*\(|\w\{[^}]*=~?\"[^\"]*\"[^}]*\}"
)
_YAML_LINE = re.compile(r"^\s*(?:- )?[\w.\"'/-]+:(?:\s|$)|^\s*- |^\s*#|^---$|^\s+\S")
_SQL = re.compile(
    r"^(?:SELECT|UPDATE|DELETE|INSERT|WITH|CREATE|ALTER|DROP|SHOW|EXPLAIN|GRANT|VACUUM)\b",
    re.IGNORECASE,
)
_RUBY = re.compile(
    r"^[A-Z]\w*(?:::\w+)*[.(]|^[a-z_]\w* = [A-Z]\w*(?:::\w+)*\.|\bdo \|\w+(, ?\w+)*\|"
)
_OUTPUT_HEADER = re.compile(r"^[A-Z][\w%()/.-]*(?: [A-Za-z][\w%()/.-]*)*(?:\s{2,}\S.*)+$")
# PromQL aggregations written before their `by`/`without` clause: `max without (x) (...)`.
_AGGREGATIONS = frozenset({"sum", "avg", "min", "max", "count", "topk", "bottomk", "quantile"})


def is_transcript(content: str) -> bool:
    """Say whether the fence shows a terminal session: some line starts at a `$ ` prompt."""
    return any(_USER_PROMPT.match(line) for line in textwrap.dedent(content).splitlines())


def transcript_commands(content: str, *, console: bool = False) -> str:
    """Return the commands typed at prompts; the other lines are output or comments.

    `# ` lines are comments where `$ ` prompts are used; in a `console` fence without any,
    `# ` is root's prompt. A `\\` continues a command on the next line, whose `> ` (the
    shell's continuation prompt) is not part of it.
    """
    # A fence indented deeper than its list item shows every prompt indented alike.
    content = textwrap.dedent(content)
    root = console and not is_transcript(content)
    commands: list[str] = []
    continuing = False
    for line in content.splitlines():
        if continuing:
            commands[-1] += "\n" + (line[2:] if line.startswith("> ") else line)
        else:
            prompt = _USER_PROMPT.match(line) or (_ROOT_PROMPT.match(line) if root else None)
            if prompt is None:
                continue
            commands.append(line[prompt.end() :])
            # `$ oc debug node/x` then `# chroot /host`: the `#` is root's prompt there.
            root = root or bool(_OPENS_ROOT_SHELL.match(commands[-1]))
        continuing = line.rstrip().endswith("\\")
    return "\n".join(c for c in commands if c.strip())


def not_commands(content: str) -> str | None:
    """Name what an unlabelled fence holds when it is not shell (promql, yaml, a database
    prompt's session, ...), or None."""
    lines = [line for line in content.splitlines() if line.strip()]
    if not lines:
        return None
    if any(line.lstrip().startswith("//") for line in lines):
        return "code"  # `// a comment` is PromQL's, Go's or JavaScript's, never a shell's
    first = lines[0].strip()
    head = first.split()[0]
    if _CONSOLE_PROMPT.match(first):
        return "console"
    if first[0] in "{[" and _json(content):
        return "json"
    word = re.split(r"[({]", head)[0]
    looks = "(" in head or "{" in head or word in _AGGREGATIONS
    if looks and _PROMQL.search(first) and not re.match(r"^[\w-]+\(\)\s*\{", first):
        return "promql"
    if _SQL.match(first) and not any(ch in first for ch in "|$`"):
        return "sql"
    if _RUBY.search(first):
        return "ruby"
    if _OUTPUT_HEADER.match(first.rstrip()) or _LOG_LINE.match(first):
        return "output"
    if all(_QUERY_LINE.match(line.strip()) for line in lines) or re.match(r"^\{\w", first):
        return "a search query"
    if any(_INI_SECTION.match(line.strip()) for line in lines) and all(
        _INI_LINE.match(line.strip()) for line in lines
    ):
        return "a config file"
    if _DRAWING.search(content):
        return "a diagram"
    if _SENTENCE.match(first) and not re.search(r"[|$;&<>`]", content):
        return "text"
    if re.match(r"^[\w.\"'/-]+:(\s|$)|^---$|^- [\w.-]+:", first) and all(
        _YAML_LINE.match(line) for line in lines
    ):
        return "yaml"
    return None


def _json(content: str) -> bool:
    try:
        json.loads(content)
    except ValueError:
        return content.strip()[-1:] in "}]"
    return True
