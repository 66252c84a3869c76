"""``qpcr stability``: rank candidate reference genes."""

from functools import partial
from pathlib import Path
from typing import Any

import click

from ..settings import AnalysisConfig
from . import app, user_errors
from .options import (
    exports_argument,
    format_option,
    given_settings,
    layouts_option,
    out_option,
    quiet_option,
    setting_options,
)


@app.command()
@exports_argument
@click.option("--group", metavar="FACTOR",
              help="Factor whose levels are NormFinder's groups (e.g. oxygen).")  # fmt: skip
@layouts_option
@out_option("qpcr_stability")
@format_option
@quiet_option
@setting_options("candidate_genes", "decimal", "run")
def stability(
    exports: list[Path],
    group: str | None,
    layout: list[Path] | None,
    out: Path,
    format: str | None,
    quiet: bool,
    settings: dict[str, Any],
) -> None:
    """Rank candidate reference genes (geNorm, NormFinder, BestKeeper).

    Writes reference_genes.csv (one row per candidate, consensus rank), genorm_steps.csv
    (stepwise mean M and pairwise variation V) and report.html (both, with the figure) into
    --out.
    """
    with user_errors():
        from ..atomic import atomic_write, replace_folder

        config = given_settings(settings)
        if not config.candidate_genes:
            raise click.BadParameter("give the candidate genes", param_hint="--candidate-genes")
        table, steps, n_samples, messages = _rank(exports, layout, format, config, group)
        from ..report.html import stability_html

        files = {"reference_genes.csv": table, "genorm_steps.csv": steps}
        page = stability_html(table, steps, messages, n_samples)
        with replace_folder(out, {*files, "report.html"}) as folder:
            for name, frame in files.items():
                atomic_write(folder / name, partial(_write_csv, frame))
            atomic_write(folder / "report.html",
                         lambda tmp: tmp.write_text(page, encoding="utf-8"))  # fmt: skip
        if not quiet:
            _print_stability(table, steps, n_samples, messages, out)


def _rank(
    exports: list[Path],
    layout: list[Path] | None,
    format: str | None,
    config: AnalysisConfig,
    group: str | None,
) -> tuple[Any, Any, int, list[str]]:
    """The stability table, the geNorm steps, the samples ranked and the warnings
    (``config``: the candidate genes, the decimal mark, the runs and QC's defaults)."""
    from ..pipeline import quality, read_wells
    from ..quant import summarise_replicates
    from ..stability import cq_matrix, reference_gene_warnings, stability_table

    genes = list(config.candidate_genes)
    read = read_wells(exports, layout or None, config, format)
    messages = list(read.warnings)
    wells = quality(read.table, config, targets=genes).wells
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
    if labels is not None and group is not None:
        warned = reference_gene_warnings(
            reps[reps["sample"].isin(cq.index)], genes, {group: sorted(set(labels))}
        )
        messages += [w["message"] for w in warned]
    return table, steps, len(cq), messages


def _write_csv(frame: Any, path: Path) -> None:
    """Write a table as CSV, cells that a spreadsheet would run as formulas made safe."""
    from ..report.safe import safe_frame

    safe_frame(frame).to_csv(path, index=False)


def _print_stability(
    table: Any, steps: Any, n_samples: int, messages: list[str], out: Path
) -> None:
    from rich.console import Console
    from rich.markup import escape
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
