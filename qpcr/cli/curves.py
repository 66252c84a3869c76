"""``qpcr curves``: Cq, efficiency and N0 called from the raw amplification curves of exports."""

from pathlib import Path
from typing import Any

import click

from . import app, user_errors
from .options import (
    exports_argument,
    force_option,
    format_option,
    given_settings,
    out_option,
    quiet_option,
    setting_options,
)


@app.command()
@exports_argument
@click.option("--method", default="linreg", metavar="METHOD", help="linreg (LinRegPCR: common "
              "threshold per amplicon, N0) or cpd2 (second-derivative maximum).")  # fmt: skip
@out_option("qpcr_curves")
@format_option
@force_option()
@click.option("--no-figures", is_flag=True, help="Skip the figures.")
@quiet_option
@setting_options("decimal", "run", "figure_formats")
def curves(
    exports: list[Path],
    method: str,
    out: Path,
    format: str | None,
    force: bool,
    no_figures: bool,
    quiet: bool,
    settings: dict[str, Any],
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
            from ..melt import melt_analysis

            melt, derivative = melt_analysis(table)
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
        click.echo(f"{'; '.join(found)}; wrote {len(written)} files to {out}")
