"""``qpcr analyze``: the whole analysis, every setting an option."""

import contextlib
import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from . import app, user_errors
from .options import (
    config_option,
    exports_argument,
    force_option,
    format_option,
    layouts_option,
    out_option,
    path,
    quiet_option,
    setting_options,
    with_settings,
)


@app.command()
@exports_argument
@layouts_option
@config_option
@out_option("qpcr_results")
@format_option
@force_option()
@click.option("--no-figures", is_flag=True, help="Skip the figures.")
@click.option("--tidy", is_flag=True,
              help="Also write results_long.csv: one row per quantity (for R).")  # fmt: skip
@click.option("--rdml", type=path(dir_okay=False), metavar="FILE",
              help="Also write the run as RDML 1.3 to this file (.rdml).")  # fmt: skip
@click.option("--no-html", is_flag=True, help="Skip report.html (the one-page report).")
@click.option("--no-workbook", is_flag=True, help="Skip the workbook (results.xlsx).")
@quiet_option
@setting_options()
def analyze(
    exports: list[Path],
    layout: list[Path] | None,
    config: Path | None,
    out: Path,
    format: str | None,
    force: bool,
    no_figures: bool,
    tidy: bool,
    rdml: Path | None,
    no_html: bool,
    no_workbook: bool,
    quiet: bool,
    settings: dict[str, Any],
) -> None:
    """Analyse plate export(s): QC, normalisation, fold changes, ratios, statistics."""
    with user_errors(), _collector_paused() as analysed:
        from ..pipeline import analyze as run
        from ..report import write_report
        from ..template import settings_for

        if rdml is not None:
            from ..io.rdml_write import check_path, read_curves, write_rdml

            check_path(rdml, force)
        cfg = settings_for(exports, config)
        cfg = with_settings(cfg, settings)
        results = run(exports, layout=layout, config=cfg, format=format)
        analysed()
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


@contextlib.contextmanager
def _collector_paused() -> Iterator[Callable[[], None]]:
    """No cyclic garbage collection while the libraries import and the analysis runs, until
    the function yielded is called.

    The imports and the analysis make long-lived objects and little cyclic garbage: the
    collector's passes over them (about 30 ms CPU of a plate to tables, most of it over
    numpy's, pandas' and scipy's modules) free next to nothing. The call freezes what exists
    (:func:`gc.freeze`: left out of later collections, so they do not scan it all once more)
    and lets the collector run for the outputs (figures hold cycles); on exit the frozen
    objects return to the collector.
    """
    collecting, frozen = gc.isenabled(), False

    def resume() -> None:
        nonlocal frozen
        gc.freeze()
        frozen = True
        if collecting:
            gc.enable()

    gc.disable()
    try:
        yield resume
    finally:
        if frozen:
            gc.unfreeze()
        if collecting:
            gc.enable()


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
