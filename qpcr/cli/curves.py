"""``qpcr curves``: Cq, efficiency and N0 called from the raw amplification curves of exports."""

from pathlib import Path
from typing import Annotated, Any

import typer

from . import app, user_errors
from .options import Command, ExportsArg, FormatOpt, QuietOpt, given_settings, setting_options


@app.command(cls=Command)
@setting_options("decimal", "run", "figure_formats")
def curves(
    exports: ExportsArg,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="linreg (LinRegPCR: common threshold per amplicon, "
            "N0) or cpd2 (second-derivative maximum).",
            metavar="METHOD",
        ),
    ] = "linreg",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.", metavar="DIR")] = Path(
        "qpcr_curves"
    ),
    format: FormatOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace earlier results in --out.")
    ] = False,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Skip the figures.")] = False,
    quiet: QuietOpt = False,
    settings: dict[str, Any] | None = None,
) -> None:
    """Call Cq and efficiency from raw amplification curves, and melt peaks from melt curves:
    curves.csv, melt.csv, qc.csv, figures."""
    with user_errors():
        import pandas as pd

        from ..calling import call_cq
        from ..calling.output import write_calls
        from ..io.curves import read_curves

        given = given_settings(settings)
        tables = [read_curves(path, format, given.decimal, given.run) for path in exports]
        table = pd.concat(tables, ignore_index=True)
        melt = derivative = calls = None
        if table["kind"].eq("melt").any():
            from ..melt import melt_derivative, melt_peaks

            melt, derivative = melt_peaks(table), melt_derivative(table)
        if melt is None or table["kind"].eq("amplification").any():
            calls = call_cq(table, method)
        written = write_calls(calls, out, given.figure_formats, not no_figures, force, melt,
                              derivative)  # fmt: skip
    if not quiet:
        found = [] if calls is None else [
            f"{int(calls.table['cq'].notna().sum())} of {len(calls.table)} curves got a Cq "
            f"({method})"]  # fmt: skip
        if melt is not None:
            found.append(f"{int(melt['n_peaks'].gt(0).sum())} of {len(melt)} melt curves "
                         "have a peak")  # fmt: skip
        typer.echo(f"{'; '.join(found)}; wrote {len(written)} files to {out}")
