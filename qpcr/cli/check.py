"""``qpcr check``: reference-plate runs against a spec (exit 0 pass, 3 fail, 1 error)."""

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import OPTIONS, app, stderr, user_errors
from .options import (
    argument,
    config_option,
    format_option,
    path,
    setting_options,
    with_settings,
)

if TYPE_CHECKING:
    from ..config import AnalysisConfig

#: The settings ``--init-spec`` uses, described for it.
_INIT_SPEC_HELP = {
    "reference_genes": "Reference gene(s) for the ΔCq rules of --init-spec.",
    "single_copy_cq": "Cq of one template copy, assumed for the targets not under "
    "[assay_single_copy_cq]: --init-spec's floor of the replicate SD (Poisson sampling of "
    "the 2^(this - Cq) copies a Cq implies).",
    "assay_single_copy_cq": "Single-copy Cq of a target, measured on the assay (e.g. by "
    "qpcr.single_copy_cq): it replaces single_copy_cq for that target.",
    "pipetting_sd": "Replicate SD at high copy numbers (pipetting floor) of --init-spec's "
    "floor of the replicate SD.",
}


@app.command()
@argument("exports", nargs=-1, required=True, type=path(True), metavar="EXPORT",
          help="Export file(s), or folder(s) of exports.")  # fmt: skip
@click.option("--spec", "-s", type=path(dir_okay=False), metavar="FILE",
              help="Reference specification (TOML).")  # fmt: skip
@click.option("--init-spec", type=path(dir_okay=False), metavar="FILE",
              help="Write a spec from good runs instead.")  # fmt: skip
@click.option("--layout", "-l", type=path(True, dir_okay=False), metavar="FILE",
              help="Plate layout.")  # fmt: skip
@config_option
@click.option("--history", type=path(), metavar="FILE",
              help="History file (.csv or .parquet) to append to.")  # fmt: skip
@click.option("--json", "json_out", type=path(), metavar="FILE", help="Write results as JSON.")
@click.option("--junit", type=path(), metavar="FILE", help="Write JUnit XML.")
@click.option("--chart", type=path(), metavar="FILE", help="Control chart: a PNG, or with "
              ".html a page with the results and the chart (needs --history).")  # fmt: skip
@format_option
@click.option("--quiet", "-q", is_flag=True, help="Print only the verdict.")
@click.option("--verbose", "-v", is_flag=True,
              help="Print every rule of every run (else one line per run).")  # fmt: skip
@setting_options(
    "reference_genes",
    "decimal",
    "single_copy_cq",
    "assay_single_copy_cq",
    "pipetting_sd",
    help=_INIT_SPEC_HELP,
)
def check(
    exports: list[Path],
    spec: Path | None,
    init_spec: Path | None,
    layout: Path | None,
    config: Path | None,
    history: Path | None,
    json_out: Path | None,
    junit: Path | None,
    chart: Path | None,
    format: str | None,
    quiet: bool,
    verbose: bool,
    settings: dict[str, Any],
) -> None:
    """Check reference-plate run(s) against a spec: exit 0 pass, 3 a fail rule failed, 1 error."""
    if (spec is None) == (init_spec is None):
        raise click.BadParameter("give either --spec or --init-spec", param_hint="--spec")
    if chart is not None and history is None:
        raise click.BadParameter("needs --history FILE", param_hint="--chart")
    checked = {"--layout": layout, "--history": history, "--json": json_out, "--junit": junit,
               "--chart": chart}  # fmt: skip
    _refuse_unused(spec is not None, checked, settings)
    with user_errors():
        import pandas as pd

        from .. import check as checks
        from ..config import AnalysisConfig, load_config

        cfg = with_settings(load_config(config) if config else AnalysisConfig(), settings)
        paths, steps = _runs(exports, quiet)
        if init_spec is not None:
            _write_spec(init_spec, steps, format, cfg)
            click.echo(f"Wrote {init_spec} from {len(paths)} run(s); review it before use.")
            return
        assert spec is not None  # exactly one of --spec and --init-spec, checked above
        loaded = checks.load_spec(spec)
        results = pd.concat(
            [
                checks.check_run(p, loaded, layout, history, format=format, decimal=cfg.decimal)
                for p in steps
            ],
            ignore_index=True,
        )
        _write_outputs(results, loaded, json_out, junit, chart, history)
    _print_check(results, quiet, verbose)
    raise click.exceptions.Exit(checks.exit_code(results))


def _refuse_unused(
    checking: bool, checked: dict[str, Path | None], settings: dict[str, Any]
) -> None:
    """Refuse an option that the mode given would ignore: the settings of the floors and ΔCq
    rules (all but ``decimal``) only make a spec; ``checked`` (option → value), the layout,
    history and result files, only serve checking runs against a spec."""
    if checking:
        unused = [OPTIONS[name] for name in settings if name != "decimal"]
        hint, why = "--init-spec", "a spec's rules are checked as written"
    else:
        unused = [option for option, value in checked.items() if value is not None]
        hint, why = "--spec", "--init-spec checks no run"
    if unused:
        raise click.BadParameter(f"only with {hint} ({why})", param_hint=", ".join(unused))


def _runs(exports: list[Path], quiet: bool) -> tuple[list[Path], Iterable[Path]]:
    """The export files in ``exports`` (files or folders), and the same files to iterate over
    with a progress bar on a terminal when there are several."""
    from rich.progress import track

    from .. import check as checks
    from ..errors import InputError

    paths = checks.collect_exports(exports)
    if not paths:
        raise InputError("no export files found", where=", ".join(map(str, exports)))
    err = stderr()
    hide = quiet or len(paths) < 2 or not err.is_terminal
    return paths, track(paths, "Checking", console=err, disable=hide)


def _write_outputs(
    results: Any,
    spec: Any,
    json_out: Path | None,
    junit: Path | None,
    chart: Path | None,
    history: Path | None,
) -> None:
    """The JSON, JUnit and control-chart files asked for."""
    from .. import check as checks
    from ..atomic import atomic_write

    if json_out is not None:
        text = checks.to_json(results, spec)
        atomic_write(json_out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if junit is not None:
        xml = checks.to_junit(results)
        atomic_write(junit, lambda tmp: tmp.write_text(xml, encoding="utf-8"))
    if chart is not None and history is not None:  # --chart without --history is refused
        if chart.suffix.lower() == ".html":
            page = _check_page(results, spec, history)
            atomic_write(chart, lambda tmp: tmp.write_text(page, encoding="utf-8"))
        else:
            atomic_write(chart, lambda tmp: checks.plot_control_chart(history, spec, tmp))


def _check_page(results: Any, spec: Any, history: Path) -> str:
    """``--chart FILE.html``: the check's results and the control chart on one page."""
    import tempfile

    from .. import check as checks

    with tempfile.TemporaryDirectory() as folder:
        return checks.check_page(results, spec, history, Path(folder) / "chart.svg")


def _write_spec(
    path: Path, runs: Iterable[Path], format: str | None, config: "AnalysisConfig"
) -> None:
    """A spec drawn from good ``runs`` into ``path``, with the settings ``config``
    (``reference_genes``: genes of the ΔCq rules; ``decimal``: the runs' decimal mark, None:
    detected; the single-copy Cq and pipetting SD of the sampling floor)."""
    from .. import check as checks
    from ..atomic import atomic_write
    from ..errors import InputError
    from ..io import read_run

    if path.exists():
        raise InputError("file exists", where=str(path), hint="Choose a new name")
    wells = [read_run(run, format, config.decimal).wells for run in runs]
    text = checks.init_spec(wells, list(config.reference_genes), config=config)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _print_check(results: Any, quiet: bool, verbose: bool = False) -> None:
    """Every rule for one run (or with ``verbose``), else one line per run; then the failing
    and warning rules; then the verdict with the counts."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..check import verdict

    console = Console()
    if not console.is_terminal:  # CI logs: do not squeeze the table into 80 columns
        console = Console(width=160)
    colours = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}
    several = results["run"].nunique() > 1
    if not quiet and (verbose or not several):
        table = Table(title="qpcr check", title_justify="left")
        columns = ["run"] * several + ["rule_id", "target", "sample", "expected", "observed"]
        for column in [*columns, "status"]:
            table.add_column(column)
        for row in results.itertuples(index=False):
            status = f"[{colours[row.status]}]{row.status}[/]"
            table.add_row(*(str(getattr(row, c)) for c in columns), status)
        console.print(table)
    elif not quiet:
        console.print(_per_run(results, colours))
    for row in results[results["status"].isin(["fail", "warn"])].itertuples(index=False):
        where = "/".join(x for x in (row.run, row.target, row.sample) if x)
        text = escape(f"{row.rule_id} ({where}): {row.message}")
        console.print(f"[{colours[row.status]}]{row.status}[/] {text}", highlight=False)
    counts = results["status"].value_counts()
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("fail", "warn", "pass", "skip"))
    outcome = verdict(results)
    console.print(f"[{colours[outcome]}]{outcome.upper()}[/] ({summary})", highlight=False)


def _per_run(results: Any, colours: dict[str, str]) -> Any:
    """One line per run: its verdict and how many rules failed, warned, passed, were skipped."""
    from rich.markup import escape
    from rich.table import Table

    from ..check import verdict

    statuses = ("fail", "warn", "pass", "skip")
    table = Table(title="qpcr check: one line per run (--verbose: every rule)",
                  title_justify="left")  # fmt: skip
    for column in ("run", "verdict", *statuses):
        table.add_column(column, justify="left" if column in ("run", "verdict") else "right")
    for run, rows in results.groupby("run", sort=False):
        counts = rows["status"].value_counts()
        outcome = verdict(rows)
        cells = [str(counts.get(s, 0)) for s in statuses]
        table.add_row(escape(str(run)), f"[{colours[outcome]}]{outcome}[/]", *cells)
    return table
