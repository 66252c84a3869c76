"""``qpcr batch``: many independent plates, one command (:func:`qpcr.batch.run_batch`)."""

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from . import _cli_text, app, stderr, user_errors
from .options import Command, QuietOpt, setting_options, typed_settings

ExportsOrFolders = Annotated[
    list[Path] | None,
    typer.Argument(help="Exports, or folders of exports; each plate is analysed on its own.",
                   exists=True, readable=True, metavar="EXPORT_OR_FOLDER", show_default=False),
]  # fmt: skip
LayoutOpt = Annotated[
    Path | None,
    typer.Option("--layout", "-l", help="Plate layout of every plate.", exists=True,
                 dir_okay=False, metavar="FILE"),
]  # fmt: skip
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Analysis settings (TOML) of every plate.", exists=True,
                 dir_okay=False, metavar="FILE"),
]  # fmt: skip
ManifestOpt = Annotated[
    Path | None,
    typer.Option("--manifest", help="CSV listing the plates instead of EXPORT_OR_FOLDER: "
                 "columns export, layout, config (blank: --layout, --config) and any columns "
                 "to carry into the outputs.", exists=True, dir_okay=False, metavar="FILE"),
]  # fmt: skip
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.", metavar="DIR")]
JobsOpt = Annotated[
    int | None,
    typer.Option("--jobs", "-j", help="Worker processes (default: the CPUs available).", min=1,
                 metavar="N", show_default=False),
]  # fmt: skip
ReportsOpt = Annotated[
    bool,
    typer.Option("--reports", help="Also write each plate's full results folder into "
                 "DIR/plates, one folder per export named by its file stem."),
]  # fmt: skip
TidyOpt = Annotated[
    bool,
    typer.Option("--tidy", help="Also write results_long.csv: every plate's quantities, one row "
                 "per quantity (for R)."),
]  # fmt: skip
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace earlier results in --out.")]


@app.command(cls=Command)
@setting_options()
def batch(
    exports: ExportsOrFolders = None,
    layout: LayoutOpt = None,
    config: ConfigOpt = None,
    manifest: ManifestOpt = None,
    out: OutOpt = Path("qpcr_batch"),
    jobs: JobsOpt = None,
    reports: ReportsOpt = False,
    tidy: TidyOpt = False,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    settings: dict[str, Any] | None = None,
) -> None:
    """Analyse many plates, each on its own: one CSV per table for all of them; the options
    below override every plate's settings."""
    with user_errors():
        from ..batch import run_batch

        console = stderr()
        show = console.is_terminal and not quiet
        with _progress(console, show) as advance:
            done = run_batch(exports or [], out, layout=layout, config=config,
                             overrides=typed_settings(settings or {}), manifest=manifest,
                             jobs=jobs, reports=reports, tidy=tidy, force=force, progress=advance,
                             describe=_cli_text)  # fmt: skip
    if done.failed:
        stderr().print(f"[bold red]error:[/] {done.failed} of {done.plates} plate(s) failed; "
                       f"see {out / 'errors.csv'}", highlight=False)  # fmt: skip
        raise typer.Exit(1)
    if not quiet:
        typer.echo(f"Analysed {done.plates} plate(s) into {out}")


@contextlib.contextmanager
def _progress(console: Any, show: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (the context yields its ``advance(done, total)``); nothing
    elsewhere. The bar refreshes on each plate, without a thread of its own (the workers are
    forked from this process)."""
    if not show:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True, auto_refresh=False) as bar:
        task = bar.add_task("plates", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total, refresh=True)
