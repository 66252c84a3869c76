"""Key/value rows, then the results table: the workbooks of every generation (classic, D&A v1,
D&A v2) and the D&A v1 CSV, with the workbook sniff shared by their sniffers."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import ExportParseError, InputError
from ...plate import PLATES, normalise_well
from .._tabular import CQ_HEADERS, as_text, find_header_row, frame, norm_header, workbook_rows
from ..registry import Export, FileSample
from ._common import (
    CLASSIC,
    DA_V1,
    DA_V2,
    _curves,
    _footer,
    _info,
    _pairs,
    _plate_size,
    _table,
    _wells,
)
from .genotyping import allele_rows, is_genotyping

#: Names of the results sheet: ``Results``, or ``Primary_result`` (D&A 4.3 / Diomni).
_RESULTS_SHEETS = ("results", "primary_result")


def _results_sheet(sample: FileSample) -> str | None:
    return next((s for s in sample.sheet_names if s.strip().lower() in _RESULTS_SHEETS), None)


#: Cq columns of a results table: one Cq, or the two allele Cts of a genotyping table.
_CQ_COLUMNS = CQ_HEADERS | {"allele1 ct", "allele2 ct"}


def _header_index(rows: Sequence[Sequence[Any]]) -> int | None:
    """First row starting ``Well`` or ``Well Position`` with a Cq (or allele Ct) column."""
    for i, row in enumerate(rows):
        names = [norm_header(as_text(c)) for c in row]
        if names[:1] in (["well"], ["well position"]) and set(names) & _CQ_COLUMNS:
            return i
    return None


def _flavour(rows: Sequence[Sequence[Any]]) -> str | None:
    """Generation of a key/value + table layout (sheet or CSV rows), None if not Thermo."""
    header = _header_index(rows)
    keys, _ = _pairs(rows[: len(rows) if header is None else header])
    if not ({"block type", "file name"} & set(keys) and "instrument type" in keys):
        return None
    if header is None:  # Thermo header block without a readable table: the reader says so
        return DA_V2 if {"software name and version", "software name"} & set(keys) else CLASSIC
    names = {norm_header(as_text(c)) for c in rows[header]}
    if {"software name and version", "software name"} & set(keys):
        return DA_V2
    if {"sample", "target", "cq"} <= names:
        return DA_V2
    if "sample name" not in names or not {"target name", "snp assay name"} & names:
        return None
    if "amp status" in names or "stage/ cycle where ct analysis is performed" in keys:
        return DA_V1
    return CLASSIC


#: Workbook verdicts per sample, so the three workbook sniffers open the file once.
_SHEET_KINDS: weakref.WeakKeyDictionary[FileSample, str | None] = weakref.WeakKeyDictionary()


def _sheet_kind(sample: FileSample) -> str | None:
    if sample not in _SHEET_KINDS:
        sheet = _results_sheet(sample)
        head = sample.sheet_head(sheet, rows=120) if sheet is not None else []
        _SHEET_KINDS[sample] = _flavour(head) if head else None
    return _SHEET_KINDS[sample]


def _read_keyed(
    path: Path,
    rows: list[list[Any]],
    where: str,
    fmt: str,
    unit: str,
    sheets: dict[str, str],
    decimal: str | None,
    setup: str | None = None,
) -> Export:
    """Key/value rows, blank row, results table (sheet or CSV), plus curve sheets (and the
    ``Sample Setup`` sheet, read for the allele reporters of a genotyping table)."""
    header = _header_index(rows)
    if header is None:
        raise ExportParseError(
            "no results table; expected a row starting 'Well' or 'Well Position' with a Cq column",
            where=where,
            hint="Export the 'Results' table of the run",
        )
    keys, original = _pairs(rows[:header])
    results = _table(rows, header, where, header + 2, unit)
    footer = _footer(rows, header + 1 + len(results.data), None)
    if is_genotyping(results):
        setup_rows = workbook_rows(path, setup) if setup else []
        at = find_header_row(setup_rows, {"allele1 reporter"})
        results = allele_rows(results, frame(setup_rows, at) if at is not None else None)
    wells, size, mark = _wells(results, _plate_size(keys), decimal, fmt == DA_V2)
    original |= footer
    tables: dict[str, pd.DataFrame] = {}
    for kind, sheet in sheets.items():
        curve_rows = workbook_rows(path, sheet)
        at = find_header_row(curve_rows, {"well"}, {"rn", "fluorescence"})
        if at is None:
            continue
        curve_where = f"{path} sheet '{sheet}'"
        curve_table = _table(curve_rows, at, curve_where, at + 2, "row")
        curve = _curves(curve_table, size, wells, kind, mark)
        if curve is not None:
            tables[kind] = curve
    software = "QuantStudio Design & Analysis v1" if fmt == DA_V1 else "Applied Biosystems"
    return Export(wells=wells, info=_info(path, fmt, keys, original, size, software), tables=tables)


def _read_workbook(path: Path, sample: FileSample, fmt: str) -> Export:
    sheet = _results_sheet(sample)
    if sheet is None:
        raise ExportParseError(
            f"no 'Results' or 'Primary_result' sheet (sheets: "
            f"{', '.join(sample.sheet_names) or 'none'})",
            where=str(path),
            hint="Export the run with the Results sheet",
        )
    curves = {}
    for name in sample.sheet_names:
        key = name.strip().lower()
        if key == "amplification data":
            curves["amplification"] = name
        elif key in ("melt curve raw data", "melt curve raw"):
            curves["melt"] = name
    rows = workbook_rows(path, sheet)
    setup = next((s for s in sample.sheet_names if s.strip().lower() == "sample setup"), None)
    where = f"{path} sheet '{sheet}'"
    export = _read_keyed(path, rows, where, fmt, "row", curves, sample.decimal, setup)
    for name in sample.sheet_names:
        kind = _CALL_SHEETS.get(name.strip().lower())
        if kind is not None and "call" not in export.wells:
            calls = _calls(path, name, export.wells, export.info.plate_size or 96)
            if calls is not None:
                export.wells["call"] = calls
                info = replace(export.info, experiment=export.info.experiment or kind)
                export = replace(export, info=info)
    return export


#: Sheets holding the instrument software's calls → the kind of run they belong to.
_CALL_SHEETS = {"genotyping result": "genotyping", "target call": "presence/absence"}


def _calls(path: Path, sheet: str, wells: pd.DataFrame, size: int) -> list[str] | None:
    """Each wells row's ``Call`` from a call sheet (by well, and by target when the sheet has
    one: genotype calls are per well, presence/absence calls per well and target); None when
    the sheet has no call table."""
    rows = workbook_rows(path, sheet)
    at = find_header_row(rows, {"call"}, {"well", "well position"})
    if at is None:
        return None
    table = frame(rows, at)
    cols = {norm_header(c): c for c in table.columns}
    plate = PLATES[size]
    names = [as_text(v) for v in table[cols.get("well position", cols.get("well"))]]
    where = f"{path} sheet '{sheet}'"
    try:
        keys = [normalise_well(n, plate) if n else "" for n in names]
    except InputError as exc:
        raise ExportParseError(exc.message, where=where) from None
    calls = [as_text(v) for v in table[cols["call"]]]
    if "target" in cols:
        targets = [as_text(v) for v in table[cols["target"]]]
        by_target = dict(zip(zip(keys, targets, strict=True), calls, strict=True))
        pairs = zip(wells["well"], wells["target"], strict=True)
        return [by_target.get(pair, "") for pair in pairs]
    by_well = dict(zip(keys, calls, strict=True))
    return [by_well.get(w, "") for w in wells["well"]]
