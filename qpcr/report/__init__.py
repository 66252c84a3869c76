"""Writing an analysis to a folder: CSV tables, results workbook, figures, provenance, the MIQE
checklist.

Nothing in the library imports this package; the CLI calls :func:`write_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import replace_folder
from .tables import OUTPUT_FILES, OWNED, check_outdir, write_long, write_provenance, write_tables

if TYPE_CHECKING:
    from ..results import Results

__all__ = ["OUTPUT_FILES", "write_report"]


def write_report(
    results: Results,
    outdir: str | Path,
    *,
    force: bool = False,
    figures: bool = True,
    tidy: bool = False,
    html: bool = True,
    workbook: bool = True,
) -> list[Path]:
    """Write every output of ``results`` into ``outdir`` and return the paths.

    The folder is written as a unit (:func:`qpcr.atomic.replace_folder`): built beside
    ``outdir`` and moved into place when complete, so a crash leaves either the earlier results
    or the new ones, never a mix. Earlier results are only replaced with ``force``; a folder
    holding files an analysis does not write is refused.

    Parameters
    ----------
    results
        A finished analysis (:func:`qpcr.pipeline.analyze`).
    outdir
        The results folder.
    force
        Replace earlier results in ``outdir``.
    figures
        Also draw the figures (into ``figures/``, and into the HTML report); matplotlib
        is imported only then.
    tidy
        Also write ``results_long.csv`` (:meth:`~qpcr.results.Results.to_long`).
    html
        Also write ``report.html``, the analysis on one self-contained page.
    workbook
        Also write ``results.xlsx``; XlsxWriter is imported only then.

    Returns
    -------
    list of Path
        The files written, inside ``outdir``.

    Raises
    ------
    InputError
        ``outdir`` holds earlier results and not ``force``, holds other files, or cannot be
        written.

    Examples
    --------
    ``example_results()`` is a small analysis (see the repository's ``conftest.py``):

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> outdir = Path(folder.name) / "results"
    >>> paths = write_report(example_results(), outdir, figures=False)
    >>> sorted(path.name for path in paths)  # doctest: +NORMALIZE_WHITESPACE
    ['anova.csv', 'contrasts.csv', 'fold_changes.csv', 'miqe.md', 'provenance.json', 'qc.csv',
     'ratios.csv', 'replicates.csv', 'report.html', 'results.xlsx', 'samples.csv', 'wells.csv']
    >>> write_report(example_results(), outdir, figures=False)
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: ...: already holds results (wells.csv, replicates.csv, ...
    >>> len(write_report(example_results(), outdir, force=True, figures=False, html=False))
    11
    >>> paths = write_report(example_results(), outdir, force=True, figures=False, workbook=False)
    >>> "results.xlsx" in {path.name for path in paths}, (outdir / "results.xlsx").exists()
    (False, False)
    >>> folder.cleanup()
    """
    outdir = Path(outdir)
    with replace_folder(outdir, OWNED, check=lambda path: check_outdir(path, force)) as tmp:
        written = write_tables(results, tmp)
        if tidy:
            written.append(write_long(results, tmp / "results_long.csv"))
        figure_paths: list[Path] = []
        svgs: dict[str, str] = {}
        if figures:
            from .figures import write_figures

            formats = results.config.figure_formats
            figure_paths = write_figures(results, tmp / "figures", formats, svgs if html else None)
            written += figure_paths
        if workbook:
            from .summary import write_workbook

            pngs = [path for path in figure_paths if path.suffix == ".png"]
            written.append(write_workbook(results, tmp / "results.xlsx", pngs))
        written.append(write_provenance(results, tmp / "provenance.json"))
        from .miqe import write_miqe

        written.append(write_miqe(results, tmp / "miqe.md"))
        if html:
            from .html import write_html

            written.append(write_html(results, tmp / "report.html", svgs))
    return [outdir / path.relative_to(tmp) for path in written]
