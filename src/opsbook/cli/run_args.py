"""The arguments of `opsbook run`, read without Typer when they are plain.

DESIGN.md names Typer for the command line, and Typer still defines every command, prints
every help and reports every usage error. This module is one measured exception: Typer and
its parser are a large share of a one-step `opsbook run`'s start-up beyond what the run
imports anyway, the fixed cost that bench/procedure_local.py compares with a bash script
(figures in docs/benchmarks.md). So `main` reads the most frequent command line, `opsbook
run RUNBOOK.md ID` with its options, here; anything it does not understand exactly (help, an
unknown or abbreviated option, a missing value, combined short flags, too many or no
arguments) gives None and goes to Typer. tests/cli/test_run_args.py checks, on many command
lines, that whatever this reads Typer reads the same, and that both know the same options.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from opsbook.runbook.record import Record


@dataclass(frozen=True, eq=False, repr=False)
class RunArgs(Record):
    """What `opsbook run` was asked: the parameters of its Typer command, by name."""

    runbook_or_id: str
    ident: str | None = None
    param: tuple[str, ...] = ()
    host: str | None = None
    yes: bool = False
    dry_run: bool = False
    as_json: bool = False


# The options, each with its field: those that take a value, and the flags.
VALUE_OPTIONS = {"--param": "param", "-p": "param", "--host": "host"}
FLAGS = {"--yes": "yes", "-y": "yes", "--dry-run": "dry_run", "--json": "as_json"}


def parse_run_args(argv: Sequence[str]) -> RunArgs | None:
    """Read the arguments after `run`; None for anything not read exactly as Typer would."""
    positional: list[str] = []
    params: list[str] = []
    host: str | None = None
    flags: set[str] = set()
    rest = iter(argv)
    options_end = False
    for arg in rest:
        # As click reads them: `-` alone is an argument, anything else after a dash an option.
        if options_end or arg == "-" or not arg.startswith("-"):
            positional.append(arg)
        elif arg == "--":
            options_end = True
        elif arg in FLAGS:
            flags.add(FLAGS[arg])
        else:
            name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            field = VALUE_OPTIONS.get(name)
            if field is None:
                return None
            if not equals:
                # click takes the next argument as the value whatever it looks like.
                following = next(rest, None)
                if following is None:
                    return None
                value = following
            if field == "param":
                params.append(value)
            else:
                host = value  # the last one given, as click keeps it
    if not 1 <= len(positional) <= 2:
        return None
    return RunArgs(
        runbook_or_id=positional[0],
        ident=positional[1] if len(positional) > 1 else None,
        param=tuple(params),
        host=host,
        yes="yes" in flags,
        dry_run="dry_run" in flags,
        as_json="as_json" in flags,
    )
