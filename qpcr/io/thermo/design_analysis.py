"""QuantStudio Design & Analysis exports: v1 (``Block Type,...`` CSV or workbook) and v2
(workbook)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._tabular import read_text, sniff_delimiter, split_rows
from ..registry import Export, ExportFormat, FileSample, register
from ._common import DA_V1, DA_V2, _text_kind
from ._keyed import _read_keyed, _read_workbook, _sheet_kind

__all__ = ["read_da_v1", "read_da_v2", "sniff_da_v1", "sniff_da_v2"]


def sniff_da_v1(sample: FileSample) -> bool:
    """D&A v1: ``Block Type,...`` CSV, or a classic-like workbook with ``Amp Status``."""
    if sample.kind == "text":
        return _text_kind(sample) == DA_V1
    return _sheet_kind(sample) == DA_V1


def sniff_da_v2(sample: FileSample) -> bool:
    """D&A v2 workbook (``Software Name and Version`` key or ``Sample/Target/Cq`` table)."""
    return sample.kind != "text" and _sheet_kind(sample) == DA_V2


def read_da_v1(path: Path, sample: FileSample | None = None) -> Export:
    """Read a Design & Analysis v1 export (``Block Type,...`` CSV or workbook)."""
    sample = sample or FileSample(path)
    if sample.kind != "text":
        return _read_workbook(path, sample, DA_V1)
    text = read_text(path)
    rows: list[list[Any]] = split_rows(text, sniff_delimiter(text.split("\n")[:50]))
    return _read_keyed(path, rows, str(path), DA_V1, "line", {}, sample.decimal)


def read_da_v2(path: Path, sample: FileSample | None = None) -> Export:
    """Read a Design & Analysis v2 workbook (``Results`` sheet; sample ``200.0`` → ``200``)."""
    return _read_workbook(path, sample or FileSample(path), DA_V2)


register(
    ExportFormat(
        name=DA_V1,
        description="Thermo QuantStudio Design & Analysis v1 (CSV or workbook)",
        signature="CSV whose first cell is 'Block Type'; or a classic-like 'Results' sheet "
        "with an 'Amp Status' column",
        sniff=sniff_da_v1,
        read=read_da_v1,
    )
)
register(
    ExportFormat(
        name=DA_V2,
        description="Thermo QuantStudio Design & Analysis v2 workbook",
        signature="'Results' sheet with 'Software Name and Version' or Sample/Target/Cq columns",
        sniff=sniff_da_v2,
        read=read_da_v2,
    )
)
