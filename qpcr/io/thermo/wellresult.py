"""The Design & Analysis well table (``WellResult-*.csv``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ...errors import ExportParseError
from .._tabular import norm_header, read_text, sniff_delimiter
from ..registry import Export, ExportFormat, FileSample, RunInfo, register
from ._common import WELLRESULT, _table, _text_kind, _wells

__all__ = ["read_wellresult", "sniff_wellresult"]


def sniff_wellresult(sample: FileSample) -> bool:
    r"""``Well,Omit,Sample,Target,...`` CSV with ``Task`` and ``Cq`` columns.

    Parameters
    ----------
    sample : FileSample
        The head of the file.

    Returns
    -------
    bool
        Whether the file has this layout.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from qpcr.io.registry import FileSample
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "WellResult-run.csv"
    >>> _ = path.write_text("Well,Omit,Sample,Target,Task,Dyes,Cq\n"
    ...                     "A1,FALSE,s1,GAPDH,Unknown,VIC-NFQ-MGB,18.52\n"
    ...                     "A2,FALSE,s1,MYC,Unknown,FAM-NFQ-MGB,25.10\n")
    >>> sniff_wellresult(FileSample(path))
    True
    >>> folder.cleanup()
    """
    return sample.kind == "text" and _text_kind(sample) == WELLRESULT


def read_wellresult(path: Path, sample: FileSample | None = None) -> Export:
    r"""Read a D&A ``WellResult`` CSV (wells ``A1``; ``Dyes`` ``VIC-NFQ-MGB`` → reporter VIC).

    Sample names with unquoted commas spill into extra fields; the surplus is joined back into
    ``Sample``. A ``;``-separated re-save (decimal-comma locales) is read the same way.

    Parameters
    ----------
    path : Path
        The export.
    sample : FileSample, optional
        Its head, as the sniffer saw it (with the decimal mark the user gave).

    Returns
    -------
    Export
        The wells table, run metadata and any curve tables.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from qpcr.io.registry import FileSample
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "WellResult-run.csv"
    >>> _ = path.write_text("Well,Omit,Sample,Target,Task,Dyes,Cq\n"
    ...                     "A1,FALSE,s1,GAPDH,Unknown,VIC-NFQ-MGB,18.52\n"
    ...                     "A2,FALSE,s1,MYC,Unknown,FAM-NFQ-MGB,25.10\n")
    >>> export = read_wellresult(path)
    >>> export.wells[["well", "sample", "target", "reporter", "cq", "cq_status"]]
      well sample target reporter     cq cq_status
    0   A1     s1  GAPDH      VIC  18.52        ok
    1   A2     s1    MYC      FAM  25.10        ok
    >>> folder.cleanup()
    """
    text = read_text(path)
    delimiter = sniff_delimiter(text.split("\n")[:50])
    raw = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    names = [norm_header(c) for c in raw[0]] if raw else []
    if names[:4] != ["well", "omit", "sample", "target"]:
        raise ExportParseError(
            f"the first line starts {', '.join(names[:4]) or 'with nothing'}; expected the "
            "well table header 'Well,Omit,Sample,Target,...,Task,...,Cq'",
            where=f"{path} line 1",
            hint="Run 'qpcr formats' to see which reader fits the file, or drop --format",
        )
    width = len(raw[0])
    sample_at = names.index("sample")
    rows: list[list[Any]] = []
    for row in raw:
        if len(row) > width:
            extra = len(row) - width
            joined = delimiter.join(row[sample_at : sample_at + extra + 1])
            row = [*row[:sample_at], joined, *row[sample_at + extra + 1 :]]
        rows.append([cell.strip() for cell in row])
    table = _table(rows, 0, str(path), 2, "line")
    wells, size, _ = _wells(table, None, sample.decimal if sample else None)
    info = RunInfo(
        path=str(path),
        format=WELLRESULT,
        software="QuantStudio Design & Analysis (well table)",
        plate_size=size,
    )
    return Export(wells=wells, info=info)


register(
    ExportFormat(
        name=WELLRESULT,
        description="Thermo Design & Analysis well table (WellResult-*.csv)",
        signature="CSV header 'Well,Omit,Sample,Target,...' with Task and Cq",
        sniff=sniff_wellresult,
        read=read_wellresult,
    )
)
