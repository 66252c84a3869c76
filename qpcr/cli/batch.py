"""``qpcr batch``: many independent plates, one command (:func:`qpcr.batch.run_batch`)."""

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from ..errors import listed
from . import _cli_text, app, stderr, user_errors
from .options import (
    argument,
    force_option,
    given_at,
    out_option,
    path,
    quiet_option,
    setting_options,
    typed_settings,
)


@app.command()
@argument("exports", nargs=-1, type=path(True), metavar="EXPORT_OR_FOLDER",
          help="Exports, or folders of exports; each plate is analysed on its own.")  # fmt: skip
@click.option("--layout", "-l", type=path(True, dir_okay=False), metavar="FILE",
              help="Plate layout of every plate.")  # fmt: skip
@click.option("--config", "-c", type=path(True, dir_okay=False), metavar="FILE",
              help="Analysis settings (TOML) of every plate.")  # fmt: skip
@click.option("--manifest", type=path(True, dir_okay=False), metavar="FILE",
              help="CSV listing the plates instead of EXPORT_OR_FOLDER: columns export, "
              "layout, config (blank: --layout, --config) and any columns to carry into the "
              "outputs.")  # fmt: skip
@out_option("qpcr_batch")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N", show_default=False,
              help="Worker processes (default: the CPUs available).")  # fmt: skip
@click.option("--reports", is_flag=True, help="Also write each plate's full results folder "
              "into DIR/plates, one folder per export named by its file stem.")  # fmt: skip
@click.option("--tidy", is_flag=True, help="Also write results_long.csv: every plate's "
              "quantities, one row per quantity (for R).")  # fmt: skip
@force_option()
@quiet_option
@setting_options()
def batch(
    exports: list[Path] | None,
    layout: Path | None,
    config: Path | None,
    manifest: Path | None,
    out: Path,
    jobs: int | None,
    reports: bool,
    tidy: bool,
    force: bool,
    quiet: bool,
    settings: dict[str, Any],
) -> None:
    """Analyse many plates, each on its own: one CSV per table for all of them; the options
    below override every plate's settings."""
    from .analyze import _collector_paused

    # paused for the imports and the plates, as for one analysis; the batch collects between
    # plates where they leave garbage (qpcr.batch._analyse_all)
    with user_errors(), _collector_paused():
        from ..batch import run_batch

        console = None if quiet else stderr()  # rich's import (~30 ms) only when it may show
        with _progress(console if console and console.is_terminal else None) as advance:
            done = run_batch(exports or [], out, layout=layout, config=config,
                             overrides=typed_settings(settings), origins=given_at(settings),
                             manifest=manifest, jobs=jobs, reports=reports, tidy=tidy,
                             force=force, progress=advance, describe=_cli_text)  # fmt: skip
    if done.partial or done.unmatched or done.failed or (done.warned and not quiet):
        _report(done, out, quiet)
    if done.failed or done.unmatched:
        raise click.exceptions.Exit(1)
    if not quiet:
        click.echo(f"Analysed {done.plates} plate(s) into {out}")


def _report(done: Any, out: Path, quiet: bool) -> None:
    """The batch's closing lines on stderr: entries left out or unmatched, warnings, failures."""
    from rich.markup import escape

    for message in done.partial:  # entries left out on the plates that lack their target
        stderr().print(f"[yellow]warning:[/] {escape(message)}", highlight=False)
    for message in done.unmatched:  # entries of the shared settings that applied to no plate
        stderr().print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if done.warned and not quiet:
        count = sum(n for _, n in done.warned)
        first = listed((name for name, _ in done.warned), 3)
        stderr().print(f"[yellow]warning:[/] {count} warning(s) on {len(done.warned)} of "
                       f"{done.plates} plate(s) ({escape(first)}); see {out / 'warnings.csv'}",
                       highlight=False)  # fmt: skip
    if done.failed:
        stderr().print(f"[bold red]error:[/] {done.failed} of {done.plates} plate(s) failed; "
                       f"see {out / 'errors.csv'}", highlight=False)  # fmt: skip


@contextlib.contextmanager
def _progress(console: Any) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on ``console``, a terminal (the context yields its ``advance(done,
    total)``); nothing without one. The bar refreshes on each plate, without a thread of its
    own (the workers are forked from this process)."""
    if console is None:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True, auto_refresh=False) as bar:
        task = bar.add_task("plates", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total, refresh=True)
