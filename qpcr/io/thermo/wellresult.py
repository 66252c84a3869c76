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
    """``Well,Omit,Sample,Target,...`` CSV with ``Task`` and ``Cq`` columns."""
    return sample.kind == "text" and _text_kind(sample) == WELLRESULT


def read_wellresult(path: Path, sample: FileSample | None = None) -> Export:
    """Read a D&A ``WellResult`` CSV (wells ``A1``; ``Dyes`` ``VIC-NFQ-MGB`` → reporter VIC).

    Sample names with unquoted commas spill into extra fields; the surplus is joined back into
    ``Sample``. A ``;``-separated re-save (decimal-comma locales) is read the same way.
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
