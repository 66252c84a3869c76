"""``qpcr export-rdml``: an analysed run as RDML 1.3, for qbase+, LinRegPCR and rdmlpython."""

from __future__ import annotations

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
        from ..config import AnalysisConfig, load_config
        from ..pipeline import analyze as run
        from ..template import template_config
        from .options import with_settings

        cfg = load_config(config) if config else template_config(exports) or AnalysisConfig()
        cfg = with_settings(cfg, settings or {})
        results = run(exports, layout=layout, config=cfg, format=format)
        path = write_run_rdml(results, exports, out, format, force)
        if not quiet:
            typer.echo(f"Wrote {path}")


def write_run_rdml(
    results: Any, exports: list[Path], out: Path, format: str | None, force: bool
) -> Path:
    """Write ``results`` with the exports' curves as RDML to ``out`` (for ``export-rdml`` and
    ``analyze --rdml``)."""
    from ..io.rdml_write import read_curves, write_rdml

    if out.suffix.lower() != ".rdml":
        from ..errors import InputError

        raise InputError(
            f"the RDML file must end in .rdml, not '{out.suffix or 'no extension'}'",
            where=str(out),
            hint="Name the file run.rdml",
        )
    curves = read_curves(exports, results.config, format)
    return write_rdml(results, out, curves, force=force)
