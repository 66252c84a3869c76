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
    """The tidy wells table of an export (one row per well × target).

    Columns: at least ``well``, ``sample``, ``target``, ``sample_type``, ``cq``, ``cq_status``.
    ``decimal`` (``","`` or ``"."``) settles the decimal mark of a text export when the file
    alone cannot tell. Use :func:`read_run` for the run metadata and curve tables as well.
    """
    return read_run(path, format, decimal).wells
