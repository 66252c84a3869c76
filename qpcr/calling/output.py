"""What ``qpcr curves`` writes: ``curves.csv``, ``melt.csv`` when the exports hold melt curves,
the curves' and melts' QC events in ``qc.csv`` and the amplification and melt figures in
``figures/``."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from ..atomic import atomic_write, output_errors
from ..errors import InputError
from ..qc import event_table
from ..report.safe import safe_frame
from ..schema import conform
from . import CurveCalls

__all__ = ["CURVE_FILES", "write_calls"]

#: The tables ``qpcr curves`` writes (figures go to ``figures/``; melt.csv with melt curves).
CURVE_FILES = ("curves.csv", "qc.csv", "melt.csv")


def write_calls(
    calls: CurveCalls | None,
    outdir: Path,
    formats: tuple[str, ...] = ("png",),
    figures: bool = True,
    force: bool = False,
    melt: pd.DataFrame | None = None,
    derivative: pd.DataFrame | None = None,
) -> list[Path]:
    """Write the calls of :func:`qpcr.calling.call_cq` into ``outdir``.

    Parameters
    ----------
    calls
        The calls; None for exports with melt curves only (then ``melt`` is needed).
    outdir
        The folder (created if needed).
    formats
        The figures' formats (png, svg, pdf).
    figures
        Draw the amplification figures.
    force
        Replace the files of an earlier run.
    melt, derivative
        The melt table (:func:`qpcr.melt.melt_peaks`), written as ``melt.csv`` with its QC
        events (:func:`qpcr.melt.melt_qc_events`) in ``qc.csv``, and the −dF/dT readings
        (:func:`qpcr.melt.melt_derivative`) for the melt figures; None without melt curves.

    Returns
    -------
    list of pathlib.Path
        ``curves.csv``, ``qc.csv``, ``melt.csv`` (with ``melt``) and the figures.

    Raises
    ------
    InputError
        ``outdir`` holds ``curves.csv`` or ``qc.csv`` and not ``force``, or cannot be made
        (a file in its place; :func:`qpcr.atomic.output_errors`).

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np, pandas as pd
    >>> from qpcr.calling import call_cq
    >>> cycles = np.arange(1, 41.0)
    >>> curves = pd.DataFrame({"plate": "p1", "well": "A1", "sample": "s", "target": "MYC",
    ...     "reporter": "", "cycle": cycles, "kind": "amplification", "fluorescence": 100.0})
    >>> folder = tempfile.TemporaryDirectory()
    >>> paths = write_calls(call_cq(curves), Path(folder.name), figures=False)
    >>> [p.name for p in paths]
    ['curves.csv', 'qc.csv']
    >>> pd.read_csv(paths[1])[["well", "code", "severity"]]
      well                    code severity
    0   A1  curve_no_amplification     info
    >>> write_calls(call_cq(curves), Path(folder.name))
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: ...: already holds curve results (curves.csv, qc.csv). Choose ...
    >>> folder.cleanup()
    """
    existing = [name for name in CURVE_FILES if (outdir / name).exists()]
    if existing and not force:
        raise InputError(
            f"already holds curve results ({', '.join(existing)})", str(outdir),
            "Choose another --out folder, or pass --force to replace them",
        )  # fmt: skip
    with output_errors(outdir):  # a file in the way, a folder that cannot be made
        outdir.mkdir(parents=True, exist_ok=True)
    tables = {} if calls is None else {"curves": calls.table}
    events = [event_table([]) if calls is None else calls.events]
    if melt is not None:
        from ..melt import melt_qc_events

        tables["melt"] = melt
        events.append(event_table(melt_qc_events(melt).to_dict("records")))
    tables["qc"] = pd.concat(events, ignore_index=True)
    written = [
        atomic_write(outdir / f"{name}.csv", partial(_csv, conform(name, frame)))
        for name, frame in tables.items()
    ]
    if figures:
        from .figures import write_curve_figures

        written += write_curve_figures(calls, outdir / "figures", formats, melt, derivative)
    return written


def _csv(frame: pd.DataFrame, path: Path) -> None:
    safe_frame(frame).to_csv(path, index=False)
