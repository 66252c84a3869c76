"""``qpcr export-rdml``: an analysed run as RDML 1.3, for qbase+, LinRegPCR and rdmlpython."""

from pathlib import Path
from typing import Any

import click

from . import app, user_errors
from .options import (
    config_option,
    exports_argument,
    force_option,
    format_option,
    layouts_option,
    out_option,
    quiet_option,
    setting_options,
    with_settings,
)


@app.command("export-rdml")
@exports_argument
@out_option(None, "RDML file to write (.rdml).", "FILE", dir_okay=False)
@layouts_option
@config_option
@format_option
@force_option("Overwrite an existing file.")
@quiet_option
@setting_options()
def export_rdml(
    exports: list[Path],
    out: Path,
    layout: list[Path] | None,
    config: Path | None,
    format: str | None,
    force: bool,
    quiet: bool,
    settings: dict[str, Any],
) -> None:
    """Write the run as RDML 1.3: samples with their factors, targets with their efficiency,
    every reaction with its Cq, exclusion and curves."""
    with user_errors():
        from ..io.rdml_write import check_path, read_curves, write_rdml
        from ..pipeline import analyze as run
        from ..template import settings_for

        check_path(out, force)
        cfg = settings_for(exports, config)
        cfg = with_settings(cfg, settings)
        results = run(exports, layout=layout, config=cfg, format=format)
        curves = read_curves(exports, cfg, format)
        path = write_rdml(results, out, curves, force=force)
        if not quiet:
            click.echo(f"Wrote {path}")
