"""``qpcr template``: the bench-scientist workbook to fill in."""

from pathlib import Path
from typing import Any

import click

from ..settings import name_values, split_names
from . import app, user_errors
from .options import argument, force_option, listed_values, path, setting_options


@app.command()
@argument("out", type=path(dir_okay=False), metavar="OUT", help="Workbook to write (.xlsx).")
@click.option("--plate", default=96, metavar="WELLS",
              help="Plate size: 96 or 384 (48: StepOne).")  # fmt: skip
@click.option("--targets", "-t", multiple=True, callback=listed_values, metavar="GENE,...",
              help="Target gene(s); repeat or separate with commas.")  # fmt: skip
@click.option("--factors", multiple=True, callback=listed_values, metavar="FACTOR=LEVEL,...",
              help="A design factor and its levels (repeatable).")  # fmt: skip
@click.option("--replicate", default="donor", metavar="COLUMN",
              help="Name of the biological-replicate column.")  # fmt: skip
@click.option("--layout", "-l", type=path(True, dir_okay=False), metavar="FILE",
              help="Pre-fill the plate layout from this file.")  # fmt: skip
@click.option("--config", "-c", type=path(True, dir_okay=False), metavar="FILE",
              help="Pre-fill the settings from this TOML file.")  # fmt: skip
@force_option("Overwrite an existing file.")
@setting_options("reference_genes", help={"reference_genes": "Reference gene(s) among the "
                 "targets, pre-filled on the Settings sheet."})  # fmt: skip
def template(
    out: Path,
    plate: int,
    targets: list[str] | None,
    factors: list[str] | None,
    replicate: str,
    layout: Path | None,
    config: Path | None,
    force: bool,
    settings: dict[str, Any],
) -> None:
    """Write a workbook to fill in (layout, Cq values or the pasted results table, settings);
    analyse it with 'qpcr analyze FILLED.xlsx'."""
    with user_errors():
        from ..config import load_config
        from ..layout import load_layout
        from ..template import write_template

        levels = {k: split_names([v]) for k, v in name_values(factors or [], "--factors").items()}
        write_template(
            out,
            plate=plate,
            targets=split_names(targets or []),
            reference_genes=settings.get("reference_genes", []),
            factors=levels,
            replicate=replicate,
            layout=load_layout(layout, plate=plate) if layout else None,
            settings=load_config(config).to_dict() if config else None,
            force=force,
        )
        click.echo(f"Wrote {out}; fill it in, then run: qpcr analyze {out}")
