"""Command-line interface (typer). The only module that imports typer or rich.

Heavy modules (pandas, scipy, matplotlib) are imported inside the commands so that
``qpcr --help`` stays fast. A user's mistake (any :class:`qpcr.errors.QpcrError`) prints one
message on stderr and exits with code 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .errors import QpcrError

app = typer.Typer(
    name="qpcr",
    help="Relative quantification of real-time PCR data: instrument exports in, fold changes "
    "with correct statistics out.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"qpcr {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Relative quantification of real-time PCR data."""


def _stderr():
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`QpcrError` into a one-line message on stderr and exit code 1."""
    try:
        yield
    except QpcrError as exc:
        _stderr().print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _pairs(values: list[str] | None, option: str) -> dict[str, str] | None:
    """``["a=b", ...]`` → ``{"a": "b"}``; None when the option was not given."""
    if not values:
        return None
    out = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise typer.BadParameter(f"'{value}' is not NAME=VALUE", param_hint=option)
        out[key.strip()] = val.strip()
    return out


ExportsArg = Annotated[
    list[Path],
    typer.Argument(help="Instrument export(s) or tidy table(s); the format is detected.",
                   exists=True, dir_okay=False, readable=True),
]  # fmt: skip


FormatOpt = Annotated[
    str | None, typer.Option("--format", help="Reader name (see 'qpcr formats').")
]


@app.command()
def analyze(
    exports: ExportsArg,
    layout: Annotated[
        list[Path] | None,
        typer.Option(
            "--layout",
            "-l",
            help="Plate layout (long table or plate grids); one per export when the plates "
            "differ (repeatable).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="Analysis settings (TOML).", exists=True, dir_okay=False
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("qpcr_results"),
    format: FormatOpt = None,
    reference: Annotated[
        list[str] | None, typer.Option("--reference", "-r", help="Reference gene (repeatable).")
    ] = None,
    control: Annotated[
        list[str] | None,
        typer.Option("--control", help="Control level as FACTOR=LEVEL (repeatable)."),
    ] = None,
    replicate: Annotated[
        str | None, typer.Option("--replicate", help="Column naming the biological replicate.")
    ] = None,
    efficiency: Annotated[
        list[str] | None,
        typer.Option("--efficiency", help="TARGET=E amplification factor or percent (repeatable)."),
    ] = None,
    ratio: Annotated[
        list[str] | None,
        typer.Option("--ratio", help="NAME=NUMERATOR/DENOMINATOR target ratio (repeatable)."),
    ] = None,
    alias: Annotated[
        list[str] | None,
        typer.Option("--alias", help="EXPORT_NAME=TARGET renaming (repeatable)."),
    ] = None,
    test: Annotated[
        str | None,
        typer.Option(help="auto, welch, paired, student, mann-whitney or permutation."),
    ] = None,
    adjust: Annotated[str | None, typer.Option(help="holm, bh, bonferroni or none.")] = None,
    alpha: Annotated[float | None, typer.Option(help="Significance level.")] = None,
    keep_outliers: Annotated[
        bool,
        typer.Option("--keep-outliers", help="Flag replicate outliers but keep them."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace earlier results in --out.")
    ] = False,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Skip the figures.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Analyse plate export(s): QC, normalisation, fold changes, ratios, statistics."""
    with user_errors():
        from .config import AnalysisConfig, load_config, parse_efficiency
        from .pipeline import analyze as run
        from .report import write_report
        from .template import template_config

        cfg = load_config(config) if config else template_config(exports) or AnalysisConfig()
        ratios = None
        if ratio:
            ratios = {}
            for name, pair in (_pairs(ratio, "--ratio") or {}).items():
                num, sep, den = pair.partition("/")
                if not sep:
                    raise typer.BadParameter(f"'{pair}' is not NUM/DEN", param_hint="--ratio")
                ratios[name] = (num.strip(), den.strip())
        effs = _pairs(efficiency, "--efficiency")
        cfg = cfg.with_overrides(
            reference_genes=tuple(reference) if reference else None,
            control=_pairs(control, "--control"),
            replicate=replicate,
            efficiency={k: parse_efficiency(v, where=f"--efficiency {k}") for k, v in effs.items()}
            if effs
            else None,
            ratios=ratios,
            aliases=_pairs(alias, "--alias"),
            test=test,
            adjust=adjust,
            alpha=alpha,
            keep_outliers=True if keep_outliers else None,
        )
        results = run(exports, layout=layout, config=cfg, format=format)
        written = write_report(results, out, force=force, figures=not no_figures)
        if not quiet:
            _print_summary(results, out, len(written))


def _print_summary(results, out: Path, n_files: int) -> None:
    from rich.console import Console
    from rich.table import Table

    from .report.summary import display_tables

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


@app.command()
def stability(
    exports: ExportsArg,
    candidates: Annotated[
        list[str],
        typer.Option(
            "--candidates",
            help="Candidate reference gene (repeatable or comma-separated; at least 3).",
        ),
    ],
    group: Annotated[
        str | None,
        typer.Option("--group", help="Factor whose levels are NormFinder's groups (e.g. oxygen)."),
    ] = None,
    layout: Annotated[
        Path | None,
        typer.Option(
            "--layout",
            "-l",
            help="Plate layout (long table or plate grids).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "qpcr_stability"
    ),
    format: FormatOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Rank candidate reference genes (geNorm, NormFinder, BestKeeper).

    Writes reference_genes.csv (one row per candidate, consensus rank) and genorm_steps.csv
    (stepwise mean M and pairwise variation V) into --out.
    """
    with user_errors():
        from .atomic import atomic_write, replace_folder
        from .config import AnalysisConfig
        from .layout import join_layout, load_layout
        from .pipeline import read_exports
        from .qc import apply_qc
        from .quant import summarise_replicates
        from .report.safe import safe_frame
        from .stability import cq_matrix, reference_gene_warnings, stability_table

        genes = [g.strip() for value in candidates for g in value.split(",") if g.strip()]
        wells, runs, _ = read_exports(exports, format)
        messages: list[str] = []
        if layout is not None:
            size = next((r.plate_size for r in runs if r.plate_size), None)
            wells, messages = join_layout(wells, load_layout(layout, plate=size), str(layout))
        wells, _ = apply_qc(wells, AnalysisConfig(), targets=genes)
        keep = wells["sample_type"].eq("unkn") & ~wells["excluded"]
        used = wells[keep]
        columns = ["sample", "target", *([group] if group and group in used else [])]
        reps = summarise_replicates(used, keys=columns)
        cq, labels, dropped = cq_matrix(reps, genes, group)
        if dropped:
            messages.append(
                f"{len(dropped)} sample(s) lack a Cq for some candidate and were left out: "
                + ", ".join(dropped[:10])
                + (", ..." if len(dropped) > 10 else "")
            )
        table, steps = stability_table(cq, labels)
        if labels is not None:
            chosen = table.loc[table["recommended"], "target"].tolist()
            warned = reference_gene_warnings(
                reps[reps["sample"].isin(cq.index)], chosen, {group: sorted(set(labels))}
            )
            messages += [w["message"] for w in warned]
        files = {"reference_genes.csv": table, "genorm_steps.csv": steps}
        with replace_folder(out, files) as folder:
            for name, frame in files.items():
                atomic_write(folder / name, lambda t, f=frame: safe_frame(f).to_csv(t, index=False))
        if not quiet:
            _print_stability(table, steps, len(cq), messages, out)


def _print_stability(table, steps, n_samples: int, messages: list[str], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    shown = Table(title=f"Reference-gene stability ({n_samples} samples)", title_justify="left")
    cols = ["rank", "target", "genorm_m", "normfinder_stability", "bestkeeper_sd", "recommended"]
    for col in cols:
        shown.add_column(col, justify="left" if col == "target" else "right")
    for row in table[cols].itertuples(index=False):
        shown.add_row(*(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row))
    console.print(shown)
    recommended = table.loc[table["recommended"], "target"].tolist()
    if len(recommended) < len(table):
        console.print(f"geNorm: {len(recommended)} genes suffice: {', '.join(recommended)}")
    else:
        console.print("geNorm: no pairwise variation is below the cutoff; use all candidates")
    for message in messages:
        console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)
    console.print(f"Wrote reference_genes.csv and genorm_steps.csv to {out}", highlight=False)


@app.command()
def inspect(
    exports: ExportsArg,
    format: FormatOpt = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the summaries as JSON on stdout.")
    ] = False,
) -> None:
    """Show what qpcr reads from export files: format, instrument, plate, targets, samples."""
    from .inspect import summarise

    with user_errors():
        summaries = [summarise(path, format) for path in exports]
    if json_out:
        import json

        typer.echo(json.dumps(summaries, indent=2, ensure_ascii=False))
        return
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

    from .inspect import formats_table

    table = Table(title="Supported export formats", title_justify="left")
    for column in ("name", "description", "signature"):
        table.add_column(column)
    for row in formats_table():
        table.add_row(row["name"], row["description"], row["signature"])
    Console().print(table)


@app.command()
def check(
    exports: Annotated[
        list[Path],
        typer.Argument(help="Export file(s), or folder(s) of exports.", exists=True, readable=True),
    ],
    spec: Annotated[
        Path | None,
        typer.Option("--spec", "-s", help="Reference specification (TOML).", dir_okay=False),
    ] = None,
    init_spec: Annotated[
        Path | None,
        typer.Option("--init-spec", help="Write a spec from good runs instead.", dir_okay=False),
    ] = None,
    reference: Annotated[
        list[str] | None,
        typer.Option("--reference", "-r", help="Reference gene for --init-spec ΔCq rules."),
    ] = None,
    layout: Annotated[
        Path | None,
        typer.Option("--layout", "-l", help="Plate layout.", exists=True, dir_okay=False),
    ] = None,
    history: Annotated[
        Path | None, typer.Option("--history", help="History file (.csv or .parquet) to append to.")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write results as JSON.")] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML.")] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Control chart PNG (needs --history).")
    ] = None,
    format: FormatOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the verdict.")] = False,
) -> None:
    """Check reference-plate run(s) against a spec: exit 0 pass, 3 a fail rule failed, 1 error."""
    if (spec is None) == (init_spec is None):
        raise typer.BadParameter("give either --spec or --init-spec", param_hint="--spec")
    if chart is not None and history is None:
        raise typer.BadParameter("needs --history FILE", param_hint="--chart")
    with user_errors():
        import pandas as pd
        from rich.progress import track

        from . import check as checks
        from .atomic import atomic_write
        from .errors import InputError

        paths = checks.collect_exports(exports)
        if not paths:
            raise InputError("no export files found", where=", ".join(map(str, exports)))
        err = _stderr()
        hide = quiet or len(paths) < 2 or not err.is_terminal
        steps = track(paths, "Checking", console=err, disable=hide)
        if init_spec is not None:
            from .io import read_run

            if init_spec.exists():
                raise InputError("file exists", where=str(init_spec), hint="Choose a new name")
            wells = [read_run(path, format).wells for path in steps]
            text = checks.init_spec(wells, reference or ())
            atomic_write(init_spec, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            typer.echo(f"Wrote {init_spec} from {len(paths)} run(s); review it before use.")
            return
        loaded = checks.load_spec(spec)
        results = pd.concat(
            [checks.check_run(p, loaded, layout, history, format=format) for p in steps],
            ignore_index=True,
        )
        if json_out is not None:
            text = checks.to_json(results, loaded)
            atomic_write(json_out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        if junit is not None:
            xml = checks.to_junit(results)
            atomic_write(junit, lambda tmp: tmp.write_text(xml, encoding="utf-8"))
        if chart is not None:
            atomic_write(chart, lambda tmp: checks.plot_control_chart(history, loaded, tmp))
    _print_check(results, quiet)
    raise typer.Exit(checks.exit_code(results))


def _print_check(results, quiet: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from .check import verdict

    console = Console()
    if not console.is_terminal:  # CI logs: do not squeeze the table into 80 columns
        console = Console(width=160)
    colours = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}
    if not quiet:
        table = Table(title="qpcr check", title_justify="left")
        several = results["run"].nunique() > 1
        columns = ["run"] * several + ["rule_id", "target", "sample", "expected", "observed"]
        for column in [*columns, "status"]:
            table.add_column(column)
        for row in results.itertuples(index=False):
            status = f"[{colours[row.status]}]{row.status}[/]"
            table.add_row(*(str(getattr(row, c)) for c in columns), status)
        console.print(table)
    for row in results[results["status"].isin(["fail", "warn"])].itertuples(index=False):
        where = "/".join(x for x in (row.run, row.target, row.sample) if x)
        text = escape(f"{row.rule_id} ({where}): {row.message}")
        console.print(f"[{colours[row.status]}]{row.status}[/] {text}", highlight=False)
    counts = results["status"].value_counts()
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("fail", "warn", "pass", "skip"))
    outcome = verdict(results)
    console.print(f"[{colours[outcome]}]{outcome.upper()}[/] ({summary})", highlight=False)


@app.command()
def template(
    out: Annotated[Path, typer.Argument(help="Workbook to write (.xlsx).", dir_okay=False)],
    plate: Annotated[
        int, typer.Option("--plate", help="Plate size: 96 or 384 (48: StepOne).")
    ] = 96,
    targets: Annotated[
        list[str] | None,
        typer.Option("--targets", "-t", help="Target gene(s); repeat or separate with commas."),
    ] = None,
    reference_genes: Annotated[
        list[str] | None,
        typer.Option("--reference-genes", "-r", help="Reference gene(s); repeat or use commas."),
    ] = None,
    factors: Annotated[
        list[str] | None,
        typer.Option("--factors", help="FACTOR=LEVEL,LEVEL,... design factor (repeatable)."),
    ] = None,
    replicate: Annotated[
        str, typer.Option("--replicate", help="Name of the biological-replicate column.")
    ] = "donor",
    layout: Annotated[
        Path | None,
        typer.Option(
            "--layout",
            "-l",
            help="Pre-fill the plate layout from this file.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Pre-fill the settings from this TOML file.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a workbook to fill in (layout, Cq values or the pasted results table, settings);
    analyse it with 'qpcr analyze FILLED.xlsx'."""
    with user_errors():
        from .config import load_config
        from .layout import load_layout
        from .template import write_template

        def split(values: list[str] | None) -> list[str]:
            return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]

        levels = {k: split([v]) for k, v in (_pairs(factors, "--factors") or {}).items()}
        write_template(
            out,
            plate=plate,
            targets=split(targets),
            reference_genes=split(reference_genes),
            factors=levels,
            replicate=replicate,
            layout=load_layout(layout, plate=plate) if layout else None,
            settings=load_config(config).to_dict() if config else None,
            force=force,
        )
        typer.echo(f"Wrote {out}; fill it in, then run: qpcr analyze {out}")


def main() -> None:
    """Console-script entry point."""
    app()
