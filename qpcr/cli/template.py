"""``qpcr template``: the bench-scientist workbook to fill in."""

from pathlib import Path
from typing import Annotated, Any

import typer

from ..settings import name_values, split_names
from . import app, user_errors
from .options import Command, setting_options


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
        from ..config import load_config
        from ..layout import load_layout
        from ..template import write_template

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
