"""Command-line interface (typer). The only module that imports typer or rich.

Heavy modules (pandas, scipy, matplotlib) are imported inside the commands so that
``qpcr --help`` stays fast. A user's mistake (any :class:`qpcr.errors.QpcrError`, or a usage
error such as an unknown option) prints one message on stderr and exits with code 1; anything
else is a bug and keeps its traceback.

The options that set analysis settings are derived from their declaration in
:mod:`qpcr.settings` (:func:`setting_options`): one spelling per setting on every command,
older spellings kept as hidden aliases, values read by the settings-file parser.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from inspect import Parameter, signature
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperCommand

from .errors import QpcrError
from .settings import SETTINGS, Setting, name_values, option_value, split_names

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


#: The library's spelling of a parameter in error texts → this CLI's option (``where`` fields
#: that are exactly a parameter name, and phrases in messages and hints).
#: The option that sets each setting: the library names settings, the CLI names options.
OPTIONS = {s.name: s.option[0] for s in SETTINGS}
_OPTION_OF_WHERE = {"format": "--format", "plate": "--plate", "targets": "--targets", **OPTIONS}
_OPTION_OF_PHRASE = {
    'format="NAME"': "--format NAME",
    "qpcr.io.formats()": "'qpcr formats'",
    "force=True": "--force",
    "write_template()": "'qpcr template OUT.xlsx'",
}


def _cli_text(exc: QpcrError) -> str:
    """The error's text with the library's parameter names replaced by CLI options."""
    message, hint = exc.message, exc.hint
    for phrase, option in _OPTION_OF_PHRASE.items():
        message, hint = message.replace(phrase, option), hint.replace(phrase, option)
    return str(QpcrError(message, _OPTION_OF_WHERE.get(exc.where, exc.where), hint))


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`QpcrError` into a one-line message on stderr and exit code 1; an
    :class:`~qpcr.errors.InternalError` (a bug) keeps its traceback."""
    from .errors import InternalError

    try:
        yield
    except QpcrError as exc:
        if isinstance(exc, InternalError):
            raise
        text = escape(_cli_text(exc))
        _stderr().print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


# --------------------------------------------------------------------------------------------
# options derived from the settings (qpcr.settings)


def _annotation(spec: Setting, hidden: bool = False, help: str | None = None) -> Any:
    """The typer annotation of a setting's option (or of its hidden older spellings); ``help``
    replaces the setting's help where a command uses the setting for something narrower."""
    decls = spec.aliases if hidden else spec.option
    if spec.shape is bool:
        kind: Any = bool | None
        decls = tuple(f"{d}/--no-{d[2:]}" for d in decls)
    elif spec.shape in (int, float):
        kind = spec.shape | None
    elif spec.shape in (str, str | None):
        kind = str | None
    else:
        kind = list[str] | None
    unit = f" In {spec.unit}." if spec.unit and spec.metavar != spec.unit.upper() else ""
    repeat = " Repeatable." if kind == list[str] | None else ""
    text = f"{help or spec.help}{unit}{repeat}"
    info = typer.Option(*decls, help=text, metavar=spec.metavar or None, hidden=hidden,
                        show_default=False)  # fmt: skip
    return Annotated[kind, info]


def setting_options(
    *names: str, help: dict[str, str] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command one option per named setting (``names`` empty: every setting).

    The command receives ``settings``: setting name → the value in settings-file form, for
    the options given (an older spelling counts as its setting's option). ``help``: setting
    name → this command's help text, where it differs from the setting's.
    """
    specs = [s for s in SETTINGS if not names or s.name in names]

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        declared = signature(func, eval_str=True)
        params = [p for p in declared.parameters.values() if p.name != "settings"]
        for spec in specs:
            for suffix, hidden in (("", False), ("_alias", True)):
                if hidden and not spec.aliases:
                    continue
                annotation = _annotation(spec, hidden, (help or {}).get(spec.name))
                params.append(Parameter(spec.name + suffix, Parameter.KEYWORD_ONLY,
                                        default=None, annotation=annotation))  # fmt: skip

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            given = {}
            for spec in specs:
                value, alias = kwargs.pop(spec.name), kwargs.pop(spec.name + "_alias", None)
                if isinstance(value, list) or isinstance(alias, list):
                    value = [*(value or []), *(alias or [])] or None
                value = alias if value is None else value
                if value is not None:
                    with user_errors():
                        given[spec.name] = option_value(spec, value)
            return func(*args, settings=given, **kwargs)

        command.__signature__ = declared.replace(parameters=params)  # type: ignore[attr-defined]
        return command

    return decorate


class Command(TyperCommand):
    """Help with human metavars (``EXPORT...``, not the argument's Python type) and each choice
    setting's choices, looked up only when the help is shown (the vocabularies live in modules
    that import pandas, which ``qpcr --help`` must not)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = (param.metavar or param.name or "").upper()
                name += "..." if param.nargs != 1 else ""
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        from .config import choices

        arguments, options = [], []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = (param.metavar or param.name or "").upper()
                arguments.append((name, getattr(param, "help", None) or ""))
                continue
            record = param.get_help_record(ctx)
            allowed = choices(param.name) if param.name in OPTIONS else ()
            if record and allowed:
                record = (record[0], f"{record[1]} One of: {', '.join(allowed)}.")
            if record:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def with_settings(config: Any, given: dict[str, Any]) -> Any:
    """``config`` with the settings given on the command line (each checked at its option)."""
    from .config import parse_setting

    typed = {name: parse_setting(name, value, OPTIONS[name]) for name, value in given.items()}
    return config.with_overrides(**typed)


ExportsArg = Annotated[
    list[Path],
    typer.Argument(help="Instrument export(s) or tidy table(s); the format is detected.",
                   exists=True, dir_okay=False, readable=True, metavar="EXPORT"),
]  # fmt: skip


FormatOpt = Annotated[
    str | None,
    typer.Option("--format", help="Reader name (see 'qpcr formats').", metavar="NAME"),
]


@app.command(cls=Command)
@setting_options()
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
            metavar="FILE",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Analysis settings (TOML); the options below override them.",
            exists=True,
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.", metavar="DIR")] = Path(
        "qpcr_results"
    ),
    format: FormatOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace earlier results in --out.")
    ] = False,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Skip the figures.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
    settings: dict[str, Any] | None = None,
) -> None:
    """Analyse plate export(s): QC, normalisation, fold changes, ratios, statistics."""
    with user_errors():
        from .config import AnalysisConfig, load_config
        from .pipeline import analyze as run
        from .report import write_report
        from .template import template_config

        cfg = load_config(config) if config else template_config(exports) or AnalysisConfig()
        cfg = with_settings(cfg, settings or {})
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


@app.command(cls=Command)
@setting_options("candidate_genes")
def stability(
    exports: ExportsArg,
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            help="Factor whose levels are NormFinder's groups (e.g. oxygen).",
            metavar="FACTOR",
        ),
    ] = None,
    layout: Annotated[
        list[Path] | None,
        typer.Option(
            "--layout",
            "-l",
            help="Plate layout (long table or plate grids); one per export when the plates "
            "differ (repeatable).",
            exists=True,
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.", metavar="DIR")] = Path(
        "qpcr_stability"
    ),
    format: FormatOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
    settings: dict[str, Any] | None = None,
) -> None:
    """Rank candidate reference genes (geNorm, NormFinder, BestKeeper).

    Writes reference_genes.csv (one row per candidate, consensus rank) and genorm_steps.csv
    (stepwise mean M and pairwise variation V) into --out.
    """
    with user_errors():
        from .config import AnalysisConfig
        from .layout import join_layout
        from .pipeline import _load_layouts as load_layouts
        from .pipeline import read_exports
        from .qc import apply_qc
        from .quant import summarise_replicates
        from .report.safe import safe_frame
        from .report.tables import atomic_write
        from .stability import cq_matrix, reference_gene_warnings, stability_table

        genes = (settings or {}).get("candidate_genes")
        if not genes:
            raise typer.BadParameter("give the candidate genes", param_hint="--candidate-genes")
        wells, runs, _ = read_exports(exports, format)
        messages: list[str] = []
        if layout:
            lay, where, _ = load_layouts(layout, exports, runs)
            wells, messages = join_layout(wells, lay, where)
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
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in (("reference_genes.csv", table), ("genorm_steps.csv", steps)):
            atomic_write(out / name, lambda tmp, f=frame: safe_frame(f).to_csv(tmp, index=False))
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


@app.command(cls=Command)
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


@app.command(cls=Command)
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


@app.command(cls=Command)
@setting_options("reference_genes", help={"reference_genes": "Reference gene(s) for the ΔCq "
                 "rules of --init-spec."})  # fmt: skip
def check(
    exports: Annotated[
        list[Path],
        typer.Argument(
            help="Export file(s), or folder(s) of exports.",
            exists=True,
            readable=True,
            metavar="EXPORT",
        ),
    ],
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec", "-s", help="Reference specification (TOML).", dir_okay=False, metavar="FILE"
        ),
    ] = None,
    init_spec: Annotated[
        Path | None,
        typer.Option(
            "--init-spec",
            help="Write a spec from good runs instead.",
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    layout: Annotated[
        Path | None,
        typer.Option(
            "--layout", "-l", help="Plate layout.", exists=True, dir_okay=False, metavar="FILE"
        ),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history", help="History file (.csv or .parquet) to append to.", metavar="FILE"
        ),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write results as JSON.", metavar="FILE")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Write JUnit XML.", metavar="FILE")
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="Control chart PNG (needs --history).", metavar="FILE"),
    ] = None,
    format: FormatOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the verdict.")] = False,
    settings: dict[str, Any] | None = None,
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
            reference = (settings or {}).get("reference_genes", [])  # for the ΔCq rules
            init_spec.write_text(checks.init_spec(wells, reference), encoding="utf-8")
            typer.echo(f"Wrote {init_spec} from {len(paths)} run(s); review it before use.")
            return
        loaded = checks.load_spec(spec)
        results = pd.concat(
            [checks.check_run(p, loaded, layout, history, format=format) for p in steps],
            ignore_index=True,
        )
        if json_out is not None:
            json_out.write_text(checks.to_json(results, loaded), encoding="utf-8")
        if junit is not None:
            junit.write_text(checks.to_junit(results), encoding="utf-8")
        if chart is not None:
            checks.plot_control_chart(history, loaded, chart)
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


@app.command(cls=Command)
@setting_options("reference_genes", help={"reference_genes": "Reference gene(s) among the "
                 "targets, pre-filled on the Settings sheet."})  # fmt: skip
def template(
    out: Annotated[
        Path, typer.Argument(help="Workbook to write (.xlsx).", dir_okay=False, metavar="OUT")
    ],
    plate: Annotated[
        int, typer.Option("--plate", help="Plate size: 96 or 384 (48: StepOne).", metavar="WELLS")
    ] = 96,
    targets: Annotated[
        list[str] | None,
        typer.Option(
            "--targets",
            "-t",
            help="Target gene(s); repeat or separate with commas.",
            metavar="GENE,...",
        ),
    ] = None,
    factors: Annotated[
        list[str] | None,
        typer.Option(
            "--factors",
            help="A design factor and its levels (repeatable).",
            metavar="FACTOR=LEVEL,...",
        ),
    ] = None,
    replicate: Annotated[
        str,
        typer.Option(
            "--replicate", help="Name of the biological-replicate column.", metavar="COLUMN"
        ),
    ] = "donor",
    layout: Annotated[
        Path | None,
        typer.Option(
            "--layout",
            "-l",
            help="Pre-fill the plate layout from this file.",
            exists=True,
            dir_okay=False,
            metavar="FILE",
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
            metavar="FILE",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    settings: dict[str, Any] | None = None,
) -> None:
    """Write a workbook to fill in (layout, Cq values or the pasted results table, settings);
    analyse it with 'qpcr analyze FILLED.xlsx'."""
    with user_errors():
        from .config import load_config
        from .layout import load_layout
        from .template import write_template

        levels = {k: split_names([v]) for k, v in name_values(factors or [], "--factors").items()}
        write_template(
            out,
            plate=plate,
            targets=split_names(targets or []),
            reference_genes=(settings or {}).get("reference_genes", []),
            factors=levels,
            replicate=replicate,
            layout=load_layout(layout, plate=plate) if layout else None,
            settings=load_config(config).to_dict() if config else None,
            force=force,
        )
        typer.echo(f"Wrote {out}; fill it in, then run: qpcr analyze {out}")


def main() -> None:
    """Console-script entry point: a usage error (unknown option, missing argument) exits
    with code 1 like every other user mistake; click, which prints the message, uses 2."""
    try:
        app()
    except SystemExit as exc:
        if exc.code == 2:
            raise SystemExit(1) from None
        raise
