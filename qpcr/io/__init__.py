"""Reading instrument exports into the tidy wells table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .registry import Export, ExportFormat, RunInfo, detect, formats, read_run

__all__ = ["Export", "ExportFormat", "RunInfo", "detect", "formats", "read_export", "read_run"]


def read_export(
    path: str | Path, format: str | None = None, decimal: str | None = None
) -> pd.DataFrame:
    """The tidy wells table of an export (one row per well × target).

    Columns: at least ``well``, ``sample``, ``target``, ``sample_type``, ``cq``, ``cq_status``.
    ``decimal`` (``","`` or ``"."``) settles the decimal mark of a text export when the file
    alone cannot tell. Use :func:`read_run` for the run metadata and curve tables as well.
    """
    return read_run(path, format, decimal).wells
