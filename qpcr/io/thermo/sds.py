"""Applied Biosystems SDS 2.x (7900HT) results text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import ExportParseError
from .._tabular import CQ_HEADERS, as_text, find_header_row, norm_header, read_text, split_rows
from ..registry import Export, ExportFormat, FileSample, RunInfo, register
from ._common import SDS, _pairs, _table, _text_kind, _wells

__all__ = ["read_sds", "sniff_sds"]


def sniff_sds(sample: FileSample) -> bool:
    """SDS 2.x: first line ``SDS 2.<version><TAB>AQ Results``."""
    return sample.kind == "text" and _text_kind(sample) == SDS


def read_sds(path: Path, sample: FileSample | None = None) -> Export:
    """Read an SDS 2.x (7900HT) results text: ``Well`` index, ``Detector Name``, ``Ct``."""
    text = read_text(path)
    rows: list[list[Any]] = split_rows(text, "\t")
    header = find_header_row(rows, {"well"}, CQ_HEADERS)
    if header is None:
        raise ExportParseError(
            "no results table; expected a row with 'Well', 'Detector Name' and 'Ct'",
            where=str(path),
            hint="Export the AQ results table from SDS",
        )
    keys, original = _pairs(rows[1:header])
    version = as_text(rows[0][0]) if rows and rows[0] else "SDS 2.x"
    table = _table(rows, header, str(path), header + 2, "line")
    wells, size, _ = _wells(table, None, sample.decimal if sample else None)
    column = next((c for c in table.data.columns if norm_header(c) == "filename"), None)
    files = [as_text(v) for v in table.data[column]] if column is not None else []
    if len(set(files)) > 1:  # an RQ study of several plates (cards): wells repeat per plate
        wells.insert(0, "plate", files)
    info = RunInfo(
        path=str(path),
        format=SDS,
        instrument="7900HT",
        software=version,
        run_date=keys.get("run datetime") or None,
        plate_size=size,
        extra=original,
    )
    return Export(wells=wells, info=info)


register(
    ExportFormat(
        name=SDS,
        description="Applied Biosystems SDS 2.x (7900HT) results text",
        signature="first line 'SDS 2.x<TAB>AQ Results'",
        sniff=sniff_sds,
        read=read_sds,
    )
)
