"""Hypothesis strategies that build whole `Runbook` models the parser could have produced."""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import strategies as st

from opsbook.runbook.commands import placeholders
from opsbook.runbook.durations import parse_optional_duration, parse_schedule
from opsbook.runbook.ids import procedure_id, slug
from opsbook.runbook.model import (
    AlertRule,
    Attrs,
    ConfigFile,
    Contact,
    DisasterRecovery,
    EnvVar,
    Host,
    MaintenanceTask,
    Metric,
    Parameter,
    Procedure,
    ProcessPhase,
    ResponseTimes,
    Runbook,
    Section,
    SecurityResponse,
    SeverityLevel,
    Step,
    SystemInfo,
    Threshold,
    TroubleshootingIssue,
    UsefulCommand,
    VersionEntry,
)
from opsbook.runbook.secret_names import is_secret_name
from opsbook.runbook.table_rows import actions

# Words with no meaning to the parser (no "procedure", "issue", "run", emphasis or backticks).
WORDS = [
    "alpha",
    "beta",
    "cache",
    "disk",
    "web",
    "api",
    "check",
    "queue",
    "node",
    "db",
    "zone",
    "7",
    "42",
    "v2",
    "3.5",
    "sync",
    "log",
    "a/b",
    "x-y",
    "(now)",
    "it's",
    "50%",
    "ok?",
    "Grafana",
    "é",
    "über",
    "#tag",
    "x_y",
    "R&D",
    "<b>",
    "2026-01-05",
    "a|b",
    "$HOME",
]
COMMAND_WORDS = [
    "echo",
    "ls",
    "-la",
    "/var/lib",
    "systemctl",
    "restart",
    "nginx",
    "&&",
    "|",
    "grep",
    "'a b'",
    '"$X"',
    "<namespace>",
    "{x}",
    "2>&1",
    "--flag=1",
    "ok;",
    "*.log",
    "\\n",
    "é",
]
SCHEDULES = ["Daily", "Weekly", "Monthly", "Every 6 hours", "As needed", "0 3 * * *", "4h"]
DURATIONS = [0.5, 1.0, 5.0, 30.0, 60.0, 90.0, 300.0, 3600.0, 5400.0, 86400.0]


@cache
def text(min_words: int = 1, max_words: int = 6) -> st.SearchStrategy[str]:
    """Words that start with a plain ASCII word, as headings and list items need."""
    first = st.sampled_from([w for w in WORDS if w.isascii() and w[0].isalnum()])
    rest = st.lists(st.sampled_from(WORDS), min_size=min_words - 1, max_size=max_words - 1)
    return st.builds(lambda f, r: " ".join([f, *r]), first, rest)


@cache
def command() -> st.SearchStrategy[str]:
    first = st.sampled_from(["echo", "ls", "systemctl", "curl", "./bin/app", "test"])
    rest = st.lists(st.sampled_from(COMMAND_WORDS), max_size=5)
    return st.builds(lambda f, r: " ".join([f, *r]), first, rest)


@cache
def script() -> st.SearchStrategy[str]:
    return st.lists(command(), min_size=2, max_size=3).map("\n".join)


@cache
def attrs(hosts: tuple[str, ...]) -> st.SearchStrategy[Attrs]:
    """Attributes from a fixed menu (one draw each, which keeps generation quick)."""
    menu = [
        Attrs(),
        Attrs(timeout=0.5, retries=2, delay=2.5),
        Attrs(timeout=5400.0, confirm=True, approvals=2),
        Attrs(cwd="C:\\app", expect="a,b", name="two words"),
        Attrs(cwd="my dir", expect='say "hi"', continue_on_error=True, parallel=4),
        Attrs(expect="^up$", name="warm", parallel=1, delay=1.0),
        Attrs(timeout=86400.0, retries=3, confirm=True, expect="0", continue_on_error=True),
    ]
    with_hosts = [Attrs(host=h, timeout=30.0) for h in hosts]
    with_hosts += [Attrs(host=h, confirm=True, cwd="/srv/app") for h in hosts]
    return st.sampled_from(menu + with_hosts)


# Texts and commands people really write that need care: code spans in the text (even at
# its end), a colon inside, braces, backticks inside a command.
TRICKY_TEXTS = [
    "Restart `nginx`",
    "Print the `marker` file",
    "Check both nodes: now",
    "Use {braces}",
]
TRICKY_COMMANDS = ["echo `date`", "cat '/tmp/`hostname`.txt'", "printf '%s\\n' ``"]


@st.composite
def step(draw: st.DrawFn, hosts: tuple[str, ...]) -> Step:
    kind = draw(st.sampled_from(["manual", "inline", "script", "tricky"]))
    cmd = {
        "manual": lambda: None,
        "inline": lambda: draw(command()),
        "script": lambda: draw(script()),
        "tricky": lambda: draw(st.sampled_from(TRICKY_COMMANDS)),
    }[kind]()
    label = draw(st.one_of(text(), st.sampled_from(TRICKY_TEXTS)))
    if cmd is not None and "\n" not in cmd and draw(st.booleans()):
        label = cmd
    return Step(
        text=label,
        command=cmd,
        attrs=draw(attrs(hosts)),
        placeholders=placeholders(cmd) if cmd else (),
    )


@cache
def steps(hosts: tuple[str, ...], max_size: int = 4) -> st.SearchStrategy[tuple[Step, ...]]:
    return st.lists(step(hosts), max_size=max_size).map(tuple)


@st.composite
def procedures(draw: st.DrawFn, hosts: tuple[str, ...]) -> tuple[Procedure, ...]:
    names = draw(
        st.lists(
            st.sampled_from(
                [
                    "Startup",
                    "Shutdown",
                    "Backup",
                    "Cache Warmup",
                    "Failover",
                    "Deployment",
                    "Restore",
                ]
            ),
            max_size=4,
            unique=True,
        )
    )
    out: list[Procedure] = []
    for name in names:
        full = f"{name} Procedure"
        others = [n for n in names if n != name]
        rollback_text = draw(st.sampled_from(["", *(f"Run the {n} Procedure" for n in others)]))
        frequency = draw(st.sampled_from([None, *SCHEDULES]))
        restore = draw(st.sampled_from([None, "Monthly", "Monthly, restore into staging"]))
        out.append(
            Procedure(
                name=full,
                id=procedure_id(full),
                objective=draw(st.sampled_from(["", "Start the service", "Keep **data** safe"])),
                frequency=parse_schedule(frequency) if frequency else None,
                parameters=tuple(
                    draw(st.lists(parameter(), max_size=3, unique_by=lambda p: p.name))
                ),
                prerequisites=draw(steps(hosts)),
                steps=draw(steps(hosts)),
                validation=draw(steps(hosts)),
                rollback=draw(steps(hosts, 2)),
                rollback_text=rollback_text,
                rollback_procedure=(
                    procedure_id(rollback_text[8:]) if rollback_text.startswith("Run") else None
                ),
                restore_test_schedule=_restore(restore),
                notes=draw(
                    st.sampled_from(
                        [
                            "",
                            "Call ahead.",
                            "**Owner note**: ask Ana",
                            "Call ahead.\n\n**Owner note**: ask Ana",
                        ]
                    )
                ),
            )
        )
    return tuple(out)


def _restore(text_: str | None) -> Any:
    from dataclasses import replace

    if text_ is None:
        return None
    parsed = parse_schedule(text_.split(",")[0])
    return replace(parsed, text=text_) if parsed else None


@cache
def parameter() -> st.SearchStrategy[Parameter]:
    return st.builds(
        Parameter,
        name=st.sampled_from(["VERSION", "REGION", "PORT", "dry_run", "N"]),
        required=st.booleans(),
        description=st.one_of(st.just(""), text()),
        default=st.sampled_from([None, "8765", "eu west", "a-b"]),
    )


@st.composite
def metrics_and_rules(
    draw: st.DrawFn, procs: tuple[Procedure, ...], roles: list[str]
) -> tuple[tuple[Metric, ...], tuple[AlertRule, ...]]:
    sources = [
        "host:cpu_percent",
        "host:disk_percent:/var",
        "http:http://127.0.0.1:8080/health",
        "prom:sum(rate(errors_total[5m]))",
        "cmd:wc -l < /tmp/q",
        "",
    ]
    names = draw(
        st.lists(
            st.sampled_from(["CPU", "Disk", "Health", "Errors", "Queue depth"]),
            max_size=4,
            unique=True,
        )
    )
    metrics = []
    for name in names:
        source = draw(st.sampled_from(sources))
        metrics.append(
            Metric(
                name=name,
                source=source,
                id=slug(name),
                description=draw(st.one_of(st.just(""), text())) if source else "",
                attrs=Attrs(timeout=draw(st.sampled_from([None, 5.0]))) if source else Attrs(),
            )
        )
    choices = [
        "",
        "Call the vendor",
        "incident: SEV-2",
        *(f"notify: {r}" for r in roles),
        *(f"run: {p.name}" for p in procs),
    ]
    threshold = st.one_of(
        st.none(),
        st.builds(
            Threshold,
            op=st.sampled_from([">", ">=", "<", "<=", "==", "!="]),
            value=st.sampled_from([0.0, 80.0, 0.95, -3.0, 1e-05, 12.5]),
        ),
    )
    rules = []
    for name in draw(st.lists(st.sampled_from(names), max_size=4)) if names else []:
        action = draw(st.sampled_from(choices))
        if draw(st.booleans()) and len(choices) > 3:
            action = f"{action}; {draw(st.sampled_from(choices[1:]))}".strip("; ")
        rules.append(
            AlertRule(
                metric=name,
                warning=draw(threshold),
                critical=draw(threshold),
                action=action,
                actions=actions(action),
                for_seconds=draw(st.sampled_from([0.0, 60.0, 300.0, 90.0])),
                extra=draw(st.sampled_from([(), (("runbook url", "https://x.example/a"),)])),
            )
        )
    return tuple(metrics), tuple(rules)


@st.composite
def issues(draw: st.DrawFn, hosts: tuple[str, ...]) -> tuple[TroubleshootingIssue, ...]:
    titles = draw(st.lists(text(), max_size=3, unique_by=slug))
    return tuple(
        TroubleshootingIssue(
            title=title,
            id=slug(title),
            symptoms=tuple(draw(st.lists(text(), max_size=3))),
            diagnosis=draw(steps(hosts)),
            resolution=draw(steps(hosts)),
            prevention=tuple(draw(st.lists(text(), max_size=2))),
        )
        for title in titles
    )


@cache
def severity() -> st.SearchStrategy[SeverityLevel]:
    def build(level: str, desc: str, response: str, example: str) -> SeverityLevel:
        seconds = parse_optional_duration(response)
        return SeverityLevel(level, desc, seconds, example, response)

    responses = st.sampled_from(["15 min", "1 hour", "Next business day", "", "4 hours"])
    levels = st.sampled_from(["SEV-1", "SEV-2", "SEV-3"])
    return st.builds(build, levels, text(), responses, st.one_of(st.just(""), text()))


@cache
def env_var() -> st.SearchStrategy[EnvVar]:
    def build(name: str, required: bool, default: str, desc: str, marked: bool) -> EnvVar:
        secret = marked or is_secret_name(name)
        if secret and default:
            default = f"s3cret-{name.lower()}"  # unique, so a test can look for it in output
        return EnvVar(name, required, default, desc, secret)

    names = st.sampled_from(["APP_PORT", "DB_PASSWORD", "API_TOKEN", "MODE", "SIGNING_KEY"])
    defaults = st.sampled_from(["", "8080", "hunter2", "a b"])
    return st.builds(build, names, st.booleans(), defaults, text(), st.booleans())


@cache
def schedule_or_none() -> st.SearchStrategy[Any]:
    return st.sampled_from([None, *SCHEDULES]).map(lambda t: parse_schedule(t) if t else None)


@st.composite
def sections(draw: st.DrawFn, title: str) -> tuple[Section, ...]:
    bodies = st.sampled_from(
        ["Some notes here.", "**Owner**: ops team\n\nMore words.", "- a point\n- another point"]
    )
    out: list[Section] = []
    if draw(st.booleans()):
        out.append(Section("", 0, "Read this first."))
    if draw(st.booleans()):
        out.append(Section(title, 1, "About this runbook."))
    for _ in range(draw(st.integers(0, 3))):
        name = draw(
            st.sampled_from(
                ["Overview", "Notes", "Architecture", "Appendix", "Standard Operating Procedures"]
            )
        )
        level = (
            2 if name in ("Appendix", "Standard Operating Procedures") else draw(st.integers(2, 3))
        )
        out.append(Section(name, level, draw(bodies)))
    return tuple(out)


@st.composite
def runbooks(draw: st.DrawFn) -> Runbook:
    """A whole runbook whose references (hosts, metrics, procedures) all resolve."""
    host_names = draw(st.lists(st.sampled_from(["web1", "web2", "db"]), max_size=3, unique=True))
    hosts = {
        n: Host(
            n,
            f"127.0.0.{i + 1}",
            draw(st.sampled_from([None, "ops"])),
            draw(st.sampled_from([22, 2222])),
        )
        for i, n in enumerate(host_names)
    }
    groups = {"all-web": tuple(host_names[:2])} if len(host_names) >= 2 else {}
    targets = (*host_names, *groups, *(["all"] if host_names else []))
    title = draw(text(1, 4))
    contacts = tuple(
        draw(
            st.lists(
                st.builds(
                    Contact,
                    role=st.sampled_from(["Primary Owner", "Security Lead", "DBA"]),
                    name=st.one_of(st.just(""), text(1, 2)),
                    contact=st.sampled_from(["", "+1 555 0100", "a@b.c"]),
                    backup=st.one_of(st.just(""), text(1, 2)),
                ),
                max_size=3,
            )
        )
    )
    procs = draw(procedures(targets))
    metrics, rules = draw(metrics_and_rules(procs, [c.role for c in contacts]))
    rto = draw(st.sampled_from(["", "4 hours", "30 minutes", "TBD"]))
    rpo = draw(st.sampled_from(["", "15 minutes", "1 day"]))
    return Runbook(
        path="",
        title=title,
        purpose=draw(st.one_of(st.just(""), text())),
        settings=draw(st.sampled_from([{}, {"prometheus_url": "http://127.0.0.1:9090"}])),
        system=draw(st.builds(SystemInfo, *(st.one_of(st.just(""), text()) for _ in range(5)))),
        contacts=contacts,
        hosts=hosts,
        groups=groups,
        dashboard=draw(st.one_of(st.just(""), text())),
        procedures=procs,
        metrics=metrics,
        alert_rules=rules,
        response_times=draw(
            st.builds(
                ResponseTimes,
                *(st.sampled_from([None, 900.0, 3600.0, 14400.0, 86400.0, 90.0]) for _ in range(4)),
            )
        ),
        troubleshooting=draw(issues(targets)),
        severity_levels=tuple(draw(st.lists(severity(), max_size=3))),
        incident_process=tuple(
            draw(
                st.lists(
                    st.builds(ProcessPhase, text(1, 3), st.lists(text(), max_size=3).map(tuple)),
                    max_size=3,
                )
            )
        ),
        security_response=SecurityResponse(
            tuple(draw(st.lists(text(), max_size=3))), tuple(draw(st.lists(text(), max_size=2)))
        ),
        maintenance_tasks=tuple(
            draw(
                st.lists(
                    st.builds(
                        MaintenanceTask,
                        text(1, 3),
                        schedule_or_none(),
                        st.one_of(st.just(""), text(1, 2)),
                        st.sampled_from(["", "2026-10-01"]),
                        st.sampled_from(["", "2026-12-01"]),
                    ),
                    max_size=3,
                )
            )
        ),
        config_files=tuple(
            draw(
                st.lists(
                    st.builds(
                        ConfigFile,
                        st.sampled_from(["app.yml", "nginx.conf"]),
                        st.sampled_from(["", "/etc/app/"]),
                        text(),
                        st.sampled_from(["", "Daily"]),
                    ),
                    max_size=2,
                )
            )
        ),
        env_vars=tuple(draw(st.lists(env_var(), max_size=4, unique_by=lambda v: v.name))),
        disaster_recovery=DisasterRecovery(
            rto_seconds=parse_optional_duration(rto),
            rpo_seconds=parse_optional_duration(rpo),
            rto_text=rto,
            rpo_text=rpo,
            steps=draw(steps(targets)),
        ),
        useful_commands=tuple(
            draw(
                st.lists(
                    st.builds(UsefulCommand, text(1, 3), st.one_of(command(), script())), max_size=3
                )
            )
        ),
        log_locations=tuple(
            draw(
                st.lists(
                    st.sampled_from(["/var/log/app.log", "journalctl -u app", "/srv/log/*.log"]),
                    max_size=2,
                )
            )
        ),
        references=tuple(
            draw(
                st.lists(
                    st.sampled_from(
                        ["[Design](https://example.com/d)", "RFC 2119", "https://x.example"]
                    ),
                    max_size=2,
                )
            )
        ),
        version_history=tuple(
            draw(
                st.lists(
                    st.builds(
                        VersionEntry,
                        st.sampled_from(["1.0", "1.1"]),
                        st.sampled_from(["", "2026-01-01"]),
                        st.one_of(st.just(""), text(1, 2)),
                        text(),
                    ),
                    max_size=2,
                )
            )
        ),
        extra_sections=draw(sections(title)),
    )


def _table(header: str, row: str) -> str:
    columns = header.count("|") - 1
    return f"{header}\n|{'---|' * columns}\n{row}"


# One piece of content per runbook part, for documents that put the parts in any order.
PART_CONTENT = {
    "purpose": "Keep it up.",
    "system": "- **System Name**: X",
    "contacts": _table("| Role | Name | Contact | Backup |", "| Owner | A | a@b.c | B |"),
    "dashboard": "See the board.",
    "metrics": "- CPU: `host:cpu_percent`",
    "alert_rules": _table("| Metric | Warning | Critical | Action |", "| CPU | > 1 | > 2 | page |"),
    "response_times": "- Critical: 15 minutes",
    "severity_levels": _table(
        "| Level | Description | Response Time | Example |", "| SEV-1 | a | 15 min | b |"
    ),
    "incident_process": "1. **Detect**\n   - look",
    "security": "1. Call",
    "evidence": "- Keep logs",
    "maintenance_tasks": _table(
        "| Task | Frequency | Owner | Last Completed | Next Due |", "| Patch | Monthly | A | | |"
    ),
    "config_files": _table("| File | Location | Purpose | Backup |", "| a.yml | /etc | b | c |"),
    "env_vars": _table("| Variable | Required | Default | Description |", "| X | Yes | 1 | d |"),
    "rto": "4 hours",
    "rpo": "15 minutes",
    "dr_steps": "1. Restore: `bin/restore`",
    "useful_commands": "```bash\n# Tail\ntail -f x\n```",
    "log_locations": "- /var/log/x",
    "references": "- RFC 1",
    "version_history": _table("| Version | Date | Author | Changes |", "| 1.0 | d | a | c |"),
    "Overview": "Some prose.",
    "Quick Reference": "Start here.",
    "Appendix": "Odds and ends.",
    "Disaster Recovery": "When all else fails.",
}


@st.composite
def part_documents(draw: st.DrawFn) -> str:
    """Markdown whose headings name runbook parts in any order and level, with extra labels."""
    from opsbook.runbook.part_names import RUNBOOK_PARTS

    titles: dict[str, list[str]] = {}
    for words, kind in RUNBOOK_PARTS.items():
        titles.setdefault(kind, []).append(words.title())
    kinds = draw(st.lists(st.sampled_from(sorted(PART_CONTENT)), min_size=1, max_size=8))
    lines = ["# Book", ""]
    for kind in kinds:
        title = draw(st.sampled_from(titles.get(kind, [kind])))
        level = draw(st.integers(2, 4))
        note = draw(
            st.sampled_from(["", "\n\n**Custom note**: hello", "\n\n**Owner**: ops\n\nmore"])
        )
        lines += [f"{'#' * level} {title}", "", PART_CONTENT[kind] + note, ""]
    return "\n".join(lines)
