"""Reading instrument exports into the tidy wells table.

Formats are pluggable: :mod:`qpcr.io.registry` says how to add one (a sniffer and a reader,
passed to :func:`register`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .registry import (
    Export,
    ExportFormat,
    FileSample,
    RunInfo,
    detect,
    formats,
    read_run,
    register,
    registered,
    unregister,
)

__all__ = [
    "Export",
    "ExportFormat",
    "FileSample",
    "RunInfo",
    "detect",
    "formats",
    "read_export",
    "read_run",
    "register",
    "registered",
    "unregister",
]


def read_export(
    path: str | Path, format: str | None = None, decimal: str | None = None
) -> pd.DataFrame:
    r"""The tidy wells table of an export (one row per well × target).

    Use :func:`read_run` for the run metadata and curve tables as well.

    Parameters
    ----------
    path
        The export file.
    format
        A registered format's name (see :func:`formats`); None detects it from the content.
    decimal
        The decimal mark of a text export (``","`` or ``"."``) when the file alone cannot
        tell; None detects it.

    Returns
    -------
    pandas.DataFrame
        At least ``well``, ``sample``, ``target``, ``sample_type``, ``cq``, ``cq_status``.

    Raises
    ------
    InputError
        As :func:`read_run`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_text("Well;Sample;Target;Cq\nA1;s1;GAPDH;18,1\nA2;s1;MYC;24,6\n",
    ...                     encoding="utf-8")
    >>> read_export(path)
      well sample target sample_type    cq cq_status
    0   A1     s1  GAPDH        unkn  18.1        ok
    1   A2     s1    MYC        unkn  24.6        ok
    >>> folder.cleanup()
    """
    return read_run(path, format, decimal).wells
