"""Generic tidy table: CSV/TSV or a workbook's first sheet with one row per well × target.

Columns (case-insensitive): ``sample``, ``target`` and a Cq column (``Cq``, ``Ct``, ``CT``,
``Cт``, ``Cp``) are required; ``well``, ``plate``, ``sample_type``, ``quantity``, ``reporter``,
``omit`` are optional; every other column (design factors, donor) is kept as text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import ExportParseError
from ..plate import PLATES, normalise_well, plate_for_wells
from ..schema import normalise_sample_type
from ._tabular import (
    CQ_HEADERS,
    as_text,
    first_table_rows,
    frame,
    norm_header,
    parse_bool,
    parse_cq,
    parse_number,
    split_rows,
)
from .registry import Export, ExportFormat, FileSample, RunInfo, register

NAME = "tidy"
_KNOWN = {
    "well": "well",
    "plate": "plate",
    "sample": "sample",
    "target": "target",
    "sample_type": "sample_type",
    "sample type": "sample_type",
    "quantity": "quantity",
    "reporter": "reporter",
    "dye": "reporter",
    "omit": "omit",
}
#: Headers that mark an instrument export, which its own reader handles.
_INSTRUMENT_HEADERS = {"fluor", "content", "well position", "sample name", "target name", "task"}


def _header_ok(cells: list[str]) -> bool:
    names = {norm_header(c) for c in cells if str(c).strip()}
    return (
        {"sample", "target"} <= names
        and bool(names & CQ_HEADERS)
        and not names & _INSTRUMENT_HEADERS
    )


def _first_row(rows: list[list[object]]) -> int | None:
    for i, row in enumerate(rows):
        if any(as_text(c) for c in row):
            return i
    return None


def sniff(sample: FileSample) -> bool:
    """A text or workbook whose first non-empty row is a tidy header."""
    if sample.kind == "text":
        lines = [line for line in sample.lines if line.strip()]
        if not lines:
            return False
        rows = split_rows("\n".join(lines[:2]))
        return bool(rows) and _header_ok(rows[0])
    if sample.sheet_names:
        rows = sample.sheet_head(sample.sheet_names[0], rows=5)
        first = _first_row(rows)
        return first is not None and _header_ok([as_text(c) for c in rows[first]])
    return False


def read(path: Path, sample: FileSample) -> Export:
    """Read a tidy table into the wells table."""
    rows, where = first_table_rows(path, sample.kind, sample.sheet_names)
    header = _first_row(rows)
    if header is None:
        raise ExportParseError("no header row found", where=where)
    table = frame(rows, header)
    rename: dict[str, str] = {}
    for col in table.columns:
        key = norm_header(col)
        if key in CQ_HEADERS:
            rename[col] = "cq"
        elif key in _KNOWN:
            rename[col] = _KNOWN[key]
    table = table.rename(columns=rename)
    data_row0 = header + 2  # 1-based row number of the first data row
    out = pd.DataFrame(index=table.index)
    if "well" in table:
        wells = [as_text(w) for w in table["well"]]
        try:
            plate = plate_for_wells([w for w in wells if w and not w.isdigit()] or ["A1"])
            if any(w.isdigit() for w in wells):
                plate = PLATES[384] if max(int(w) for w in wells if w.isdigit()) > 96 else plate
            out["well"] = [normalise_well(w, plate) if w else None for w in wells]
        except Exception as exc:
            raise ExportParseError(str(exc), where=f"{where} column 'well'") from None
    else:
        out["well"] = None
    for name in ("plate", "sample", "target", "reporter"):
        if name in table:
            out[name] = [as_text(v) for v in table[name]]
    out["sample_type"] = "unkn"
    if "sample_type" in table:
        types = []
        for i, value in enumerate(table["sample_type"]):
            st = normalise_sample_type(as_text(value))
            if st is None:
                raise ExportParseError(
                    f"unknown sample type '{value}'; expected unkn, ntc, nrt, nac, std, pos",
                    where=f"{where} row {data_row0 + i} column 'sample_type'",
                )
            types.append(st)
        out["sample_type"] = types
    cq, status = parse_cq(table["cq"])
    bad = [i for i, s in enumerate(status) if s == "invalid"]
    if bad:
        i = bad[0]
        raise ExportParseError(
            f"Cq '{table['cq'].iloc[i]}' is not a number or a non-detect token"
            + (f" ({len(bad) - 1} more such rows)" if len(bad) > 1 else ""),
            where=f"{where} row {data_row0 + i} column 'cq'",
            hint="Write non-detects as 'Undetermined' or leave the cell empty",
        )
    out["cq"] = cq
    out["cq_status"] = status
    if "omit" in table:
        out["omitted"] = [parse_bool(v) for v in table["omit"]]
    if "quantity" in table:
        out["quantity"] = [parse_number(v) for v in table["quantity"]]
    extra = [c for c in table.columns if c not in rename.values() and c.strip()]
    for col in extra:
        out[col.strip()] = [as_text(v) for v in table[col]]
    empty_target = out["target"].eq("")
    if empty_target.any():
        i = int(empty_target.to_numpy().nonzero()[0][0])
        raise ExportParseError("empty target", where=f"{where} row {data_row0 + i} column 'target'")
    info = RunInfo(path=str(path), format=NAME, software="tidy table")
    return Export(wells=out.reset_index(drop=True), info=info)


register(
    ExportFormat(
        name=NAME,
        description="Generic tidy table (CSV/TSV/XLSX): one row per well × target",
        signature="first row has 'sample', 'target' and a Cq column (Cq/Ct/Cp/Cт)",
        sniff=sniff,
        read=read,
    )
)
