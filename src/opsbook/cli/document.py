"""`opsbook init | check | inspect | render`: the runbook document itself."""

from __future__ import annotations

from pathlib import Path

import typer

from opsbook.cli.output import (
    EXIT_BAD_INPUT,
    console,
    fail,
    load_or_exit,
    print_json,
    say,
    write_output,
)

RUNBOOK_ARG = typer.Argument(
    None, help="Runbook file (default: $OPSBOOK_RUNBOOK, else ./RUNBOOK.md).", show_default=False
)
JSON_OPT = typer.Option(False, "--json", help="Print JSON for scripts.")


def register(app: typer.Typer) -> None:
    """Add the document commands to the app."""
    app.command("init", help="Write a starter RUNBOOK.md.\n\nExample: opsbook init ops/")(init)
    app.command(
        help="Validate a runbook and summarise it; given a folder or several files, say what "
        "each one holds.\n\nExample: opsbook check RUNBOOK.md   or   opsbook check runbooks/"
    )(check)
    app.command(help="Print the parsed runbook.\n\nExample: opsbook inspect RUNBOOK.md --json")(
        inspect
    )
    app.command(
        help="Write the runbook back as Markdown or HTML.\n\n"
        "Example: opsbook render RUNBOOK.md --format html -o runbook.html"
    )(render)


def init(
    directory: Path = typer.Argument(Path("."), help="Where to write RUNBOOK.md."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing RUNBOOK.md."),
) -> None:
    # lazy: keeps runbook.starter off the start-up of `opsbook --help`
    from opsbook.runbook.starter import starter_text

    target = directory / "RUNBOOK.md"
    if target.exists() and not force:
        fail(f"{target} already exists", hint="use --force to overwrite it")
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(starter_text(), encoding="utf-8")
    console().print(f"Wrote {target}. Next: edit it, then run `opsbook check {target}`.")


def check(
    paths: list[Path] | None = typer.Argument(
        None,
        help="Runbook file, several files, or a folder of runbooks "
        "(default: $OPSBOOK_RUNBOOK, else ./RUNBOOK.md).",
        show_default=False,
    ),
    as_json: bool = JSON_OPT,
) -> None:
    if paths and (len(paths) > 1 or paths[0].is_dir()):
        # lazy: off the start-up of a one-file `opsbook check`
        from opsbook.cli.check_folder import check_many

        return check_many(paths, as_json)
    # lazy: off the start-up of `opsbook --help`: runbook.summary, runbook.validate
    from opsbook.runbook.summary import summarize
    from opsbook.runbook.validate import validate, warnings

    runbook = load_or_exit(paths[0] if paths else None, as_json)
    if "oncall" in runbook.settings:
        # lazy: only a runbook with rotations pays for reading them
        from opsbook.oncall.service import rotations_of

        rotations_of(runbook)  # BadInput names FILE:LINE and the field; exit 2 (cli/app.py)
    notes = warnings(validate(runbook))
    counts = summarize(runbook)
    if as_json:
        print_json(
            {
                "path": runbook.path,
                "ok": True,
                "counts": counts,
                "warnings": [
                    {"line": w.line, "message": w.message.removeprefix("warning: "), "hint": w.hint}
                    for w in notes
                ],
            }
        )
        return
    name = runbook.system.name or runbook.title or runbook.path
    found = ", ".join(f"{n} {label}" for label, n in counts.items() if n)
    if found:
        say(f"✓ {runbook.path}: {name} is valid", fg="green")
        say(f"  {found}")
    else:  # no error, but no reason to say ✓ either
        say(
            f"! {runbook.path}: nothing in it was read: no procedures, steps or issues", fg="yellow"
        )
        say("  hint: see docs/runbook-format.md for the headings opsbook reads", dim=True)
    for note in notes:
        where = f"{note.path}:{note.line}" if note.line else note.path
        say(f"  {where}: {note.message}", fg="yellow")


def inspect(path: Path | None = RUNBOOK_ARG, as_json: bool = JSON_OPT) -> None:
    # lazy: off the start-up of `opsbook --help`: rich, procedures.plan, runbook.serialize, ...
    from rich.markup import escape

    from opsbook.procedures.plan import known_targets
    from opsbook.runbook.serialize import runbook_data
    from opsbook.runbook.summary import summarize

    runbook = load_or_exit(path, as_json)
    if as_json:
        print_json({**runbook_data(runbook), "runnable": known_targets(runbook)})
        return
    out = console()
    name = escape(runbook.system.name or runbook.title)
    out.print(f"[bold]{name}[/] ({escape(runbook.path)})", markup=True)
    for proc in runbook.procedures:
        out.print(f"  procedure [cyan]{proc.id}[/]: {len(proc.steps)} steps", markup=True)
    for issue in runbook.troubleshooting:
        out.print(f"  issue [cyan]{issue.id}[/]: {escape(issue.title)}", markup=True)
    if runbook.disaster_recovery.steps:
        steps = len(runbook.disaster_recovery.steps)
        out.print(f"  disaster recovery [cyan]disaster-recovery[/]: {steps} steps", markup=True)
    out.print("  " + ", ".join(f"{n} {k}" for k, n in summarize(runbook).items() if n))
    out.print(f"  run any of these with: opsbook run {runbook.path} ID", soft_wrap=True)


def render(
    path: Path | None = RUNBOOK_ARG,
    fmt: str = typer.Option("md", "--format", "-f", help="md or html."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="File to write (default: stdout)."
    ),
) -> None:
    if fmt not in ("md", "html"):
        fail(f'unknown format "{fmt}"', EXIT_BAD_INPUT, hint="use --format md or --format html")
    runbook = load_or_exit(path)
    if fmt == "html":
        # lazy: keeps runbook.render_html off the start-up of `opsbook --help`
        from opsbook.runbook.render_html import render_html

        text = render_html(runbook)
    else:
        # lazy: keeps runbook.render_md off the start-up of `opsbook --help`
        from opsbook.runbook.render_md import render_markdown

        text = render_markdown(runbook)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output(output, text)
    console(stderr=True).print(f"Wrote {output}")
