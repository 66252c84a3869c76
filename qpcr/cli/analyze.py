"""``qpcr analyze``: the whole analysis, every setting an option."""

from pathlib import Path
from typing import Annotated, Any

import typer

from . import app, user_errors
from .options import (
    Command,
    ConfigOpt,
    ExportsArg,
    FormatOpt,
    LayoutsOpt,
    QuietOpt,
    setting_options,
    with_settings,
)


@app.command(cls=Command)
@setting_options()
def analyze(
    exports: ExportsArg,
    layout: LayoutsOpt = None,
    config: ConfigOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.", metavar="DIR")] = Path(
        "qpcr_results"
    ),
    format: FormatOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace earlier results in --out.")
    ] = False,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Skip the figures.")] = False,
    tidy: Annotated[
        bool,
        typer.Option("--tidy", help="Also write results_long.csv: one row per quantity (for R)."),
    ] = False,
    rdml: Annotated[
        Path | None,
        typer.Option(
            "--rdml",
            help="Also write the run as RDML 1.3 to this file (.rdml).",
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    no_html: Annotated[
        bool, typer.Option("--no-html", help="Skip report.html (the one-page report).")
    ] = False,
    no_workbook: Annotated[
        bool, typer.Option("--no-workbook", help="Skip the workbook (results.xlsx).")
    ] = False,
    quiet: QuietOpt = False,
    settings: dict[str, Any] | None = None,
) -> None:
    """Analyse plate export(s): QC, normalisation, fold changes, ratios, statistics."""
    with user_errors():
        from ..io.rdml_write import check_path, read_curves, write_rdml
        from ..pipeline import analyze as run
        from ..report import write_report
        from ..template import settings_for

        if rdml is not None:
            check_path(rdml, force)
        cfg = settings_for(exports, config)
        cfg = with_settings(cfg, settings or {})
        results = run(exports, layout=layout, config=cfg, format=format)
        written = write_report(
            results,
            out,
            force=force,
            figures=not no_figures,
            workbook=not no_workbook,
            tidy=tidy,
            html=not no_html,
        )
        if rdml is not None:
            curves = read_curves(exports, cfg, format)
            written.append(write_rdml(results, rdml, curves, force=force))
        if not quiet:
            _print_summary(results, out, len(written))


def _print_summary(results: Any, out: Path, n_files: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..report.summary import display_tables

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    for title, frame in display_tables(results).items():
        table = Table(title=title, title_justify="left")
        for col in frame.columns:
            table.add_column(str(col), justify="left" if frame[col].dtype == object else "right")
        for row in frame.itertuples(index=False):
            table.add_row(*map(str, row))
        console.print(table)
    for message in results.notes:
        console.print(f"[dim]note:[/] {escape(message)}", highlight=False)
    for message in results.warnings:
        console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)
    serious = results.qc[results.qc["severity"] != "info"]
    if len(serious):
        first = escape(serious["message"].iloc[0])
        console.print(f"[yellow]{len(serious)} QC warning(s)[/] (qc.csv), e.g. {first}")
    console.print(f"Wrote {n_files} files to {out}", highlight=False)
