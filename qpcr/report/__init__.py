"""Writing an analysis to a folder: CSV tables, results workbook, figures, provenance.

Nothing in the library imports this package; the CLI calls :func:`write_report`.
"""

from __future__ import annotations

from pathlib import Path

from ..pipeline import Results
from .tables import OUTPUT_FILES, check_outdir, write_provenance, write_tables

__all__ = ["OUTPUT_FILES", "write_report"]


def write_report(
    results: Results, outdir: str | Path, *, force: bool = False, figures: bool = True
) -> list[Path]:
    """Write every output of ``results`` into ``outdir`` (created) and return the paths.

    Existing output files are only replaced with ``force``; each file is written to a temporary
    name and renamed, so a crash never leaves a half-written file under a final name.
    """
    outdir = Path(outdir)
    check_outdir(outdir, force)
    written = write_tables(results, outdir)
    figure_paths: list[Path] = []
    if figures:
        from .figures import write_figures

        figure_paths = write_figures(results, outdir / "figures")
        written += figure_paths
    from .summary import write_workbook

    written.append(write_workbook(results, outdir / "results.xlsx", figure_paths))
    written.append(write_provenance(results, outdir / "provenance.json"))
    return written
