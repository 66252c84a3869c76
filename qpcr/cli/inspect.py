"""``qpcr inspect`` and ``qpcr formats``: what qpcr reads, and which formats it knows."""

from pathlib import Path
from typing import Any

import click

from . import app, user_errors
from .options import (
    exports_argument,
    format_option,
    given_settings,
    setting_options,
)


@app.command()
@exports_argument
@format_option
@click.option("--json", "json_out", is_flag=True, help="Print the summaries as JSON on stdout.")
@setting_options("decimal", "run")
def inspect(
    exports: list[Path], format: str | None, json_out: bool, settings: dict[str, Any]
) -> None:
    """Show what qpcr reads from export files: format, instrument, plate, targets, samples."""
    from ..inspect import summarise

    with user_errors():
        given = given_settings(settings)
        summaries = [summarise(path, format, given.decimal, given.run) for path in exports]
    if json_out:
        import json

        click.echo(json.dumps(summaries, indent=2, ensure_ascii=False))
        return
    _print_summaries(summaries)


def _print_summaries(summaries: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for summary in summaries:
        table = Table(title=summary["file"], title_justify="left", show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        for key, value in summary.items():
            if key == "file":
                continue
            if isinstance(value, list):
                value = ", ".join(value[:20]) + (f" … ({len(value)})" if len(value) > 20 else "")
            elif isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in value.items())
            table.add_row(key, "" if value is None else str(value))
        console.print(table)


@app.command()
def formats() -> None:
    """List the export formats qpcr reads and what identifies each one."""
    from rich.console import Console
    from rich.table import Table

    from ..inspect import formats_table

    table = Table(title="Supported export formats", title_justify="left")
    for column in ("name", "description", "signature"):
        table.add_column(column)
    for row in formats_table():
        table.add_row(row["name"], row["description"], row["signature"])
    Console().print(table)
