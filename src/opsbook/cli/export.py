"""`opsbook export prometheus-rules RUNBOOK.md`: the runbook's thresholds as Prometheus rules."""

from __future__ import annotations

from pathlib import Path

import typer

from opsbook.cli.output import EXIT_BAD_INPUT, console, fail, load_or_exit, print_json, write_output

export_app = typer.Typer(
    help="Write parts of the runbook in other tools' formats.\n\n"
    "Example: opsbook export prometheus-rules RUNBOOK.md -o opsbook-rules.yml",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the export commands to the app."""
    app.add_typer(export_app, name="export")


@export_app.command(
    "prometheus-rules",
    help="Write a Prometheus alerting rule file for the thresholds on `prom:` metrics "
    "(check it with `promtool check rules FILE`).\n\n"
    "Example: opsbook export prometheus-rules RUNBOOK.md -o rules.yml",
)
def prometheus_rules(
    runbook: Path | None = typer.Argument(None, help="Runbook file (default: ./RUNBOOK.md)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
    dashboard_url: str | None = typer.Option(
        None, "--dashboard-url", help="Base URL of `opsbook serve` for the runbook_url links."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary for scripts."),
) -> None:
    # lazy: off the start-up of `opsbook --help`: yaml, monitoring.prometheus_rules
    import yaml

    from opsbook.monitoring.prometheus_rules import prometheus_rules as build

    book = load_or_exit(runbook, as_json)
    if dashboard_url is not None and not dashboard_url.startswith(("http://", "https://")):
        fail(f'--dashboard-url "{dashboard_url}" is not an http(s) URL', EXIT_BAD_INPUT)
    export = build(book, dashboard_url)
    text = yaml.safe_dump(export.document, sort_keys=False, allow_unicode=True, width=1000)
    if output is not None:
        write_output(output, text)
    if as_json:
        print_json(
            {
                "output": str(output) if output else None,
                "exported": list(export.exported),
                "skipped": list(export.skipped),
                "rules": sum(len(g["rules"]) for g in export.document["groups"]),
            }
        )
        return
    if output is None:
        typer.echo(text, nl=False)
    err = console(stderr=True)
    err.print(f"{len(export.exported)} metric(s) exported" + (f" to {output}" if output else ""))
    for item in export.skipped:
        err.print(f"  skipped {item}: only prom: metrics can be evaluated by Prometheus")
