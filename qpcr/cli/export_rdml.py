"""``qpcr export-rdml``: an analysed run as RDML 1.3, for qbase+, LinRegPCR and rdmlpython."""

from pathlib import Path
from typing import Annotated, Any

import typer

from . import app, user_errors
from .options import (
    Command,
    ConfigOpt,
    ExportsArg,
    FormatOpt,
    LayoutsOpt,
    QuietOpt,
    setting_options,
)


@app.command("export-rdml", cls=Command)
@setting_options()
def export_rdml(
    exports: ExportsArg,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="RDML file to write (.rdml).", dir_okay=False, metavar="FILE"
        ),
    ],
    layout: LayoutsOpt = None,
    config: ConfigOpt = None,
    format: FormatOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    quiet: QuietOpt = False,
    settings: dict[str, Any] | None = None,
) -> None:
    """Write the run as RDML 1.3: samples with their factors, targets with their efficiency,
    every reaction with its Cq, exclusion and curves."""
    with user_errors():
        from ..io.rdml_write import check_path, read_curves, write_rdml
        from ..pipeline import analyze as run
        from ..template import settings_for
        from .options import with_settings

        check_path(out, force)
        cfg = settings_for(exports, config)
        cfg = with_settings(cfg, settings or {})
        results = run(exports, layout=layout, config=cfg, format=format)
        curves = read_curves(exports, cfg, format)
        path = write_rdml(results, out, curves, force=force)
        if not quiet:
            typer.echo(f"Wrote {path}")
