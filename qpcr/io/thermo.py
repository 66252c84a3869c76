"""Applied Biosystems / Thermo Fisher exports (export-formats.md §1).

Five formats are registered, each with its own content sniffer:

``thermo_classic``
    ``* Key = Value`` header and ``[Section]`` blocks (txt, any delimiter) written by 7500,
    StepOne, ViiA 7, QuantStudio 6/7/12K Flex (and D&A v1 text exports), or a workbook whose
    ``Results`` sheet has ``Block Type``/value rows then ``Well, Well Position, ..., Sample Name,
    Target Name, ..., CT``.
``thermo_da_v1``
    QuantStudio Design & Analysis v1: CSV whose first cell is ``Block Type`` (key/value rows,
    then the table), or a workbook like the classic one whose table has ``Amp Status`` or whose
    header has ``Stage/ Cycle where Ct Analysis is performed``.
``thermo_da_v2``
    Design & Analysis v2 workbook: ``Results`` sheet with ``Software Name and Version`` or a table
    header ``Sample, Target, ..., Cq``.
``thermo_wellresult``
    D&A ``WellResult-*.csv`` well table: header line ``Well,Omit,Sample,Target,...,Task,...,Cq``.
``thermo_sds``
    SDS 2.x (7900HT): first line ``SDS 2.x<TAB>AQ Results``; ``Detector Name`` is the target.

All return one row per well × target with ``well, sample, target, sample_type, reporter, cq,
cq_status, omitted`` (+ ``quantity``, ``tm`` when present, and ``flags`` when the table has
flag columns such as ``BADROX``/``HIGHSD``: the codes set to ``Y``, ';'-joined) and, when
the file has curves, the long tables ``amplification`` (``well, target, cycle, rn, delta_rn,
fluorescence`` with fluorescence = Rn) and ``melt`` (``well, target, reading, temperature,
fluorescence, derivative``).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ExportParseError, FormatWarning, InputError
from ..plate import PLATES, PlateFormat, normalise_well, plate_for_wells
from ..schema import VENDOR_FLAGS, normalise_sample_type
from ._tabular import (
    CQ_HEADERS,
    as_text,
    find_header_row,
    frame,
    norm_header,
    parse_bool,
    read_text,
    sniff_delimiter,
    split_rows,
    workbook_rows,
)
from .numbers import decimal_mark, read_cq, read_numbers, to_number
from .registry import Export, ExportFormat, FileSample, RunInfo, register

__all__ = [
    "read_classic",
    "read_da_v1",
    "read_da_v2",
    "read_sds",
    "read_wellresult",
    "sniff_classic",
    "sniff_da_v1",
    "sniff_da_v2",
    "sniff_sds",
    "sniff_wellresult",
]

CLASSIC, DA_V1, DA_V2, WELLRESULT, SDS = (
    "thermo_classic",
    "thermo_da_v1",
    "thermo_da_v2",
    "thermo_wellresult",
    "thermo_sds",
)

_KEY_LINE = re.compile(r"^\*\s*[A-Za-z][^=]*=")
_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_PLATE_IN_BLOCK = re.compile(r"(384|96|48)")
_SPURIOUS_FLOAT = re.compile(r"^-?\d+\.0$")
_WELL_LIKE = re.compile(r"^(\d+(\.0)?|[A-Za-z]{1,2}\d{1,3})$")

#: Normalised results-table headers → wells-table roles (first matching column wins).
_ROLES: dict[str, str] = {
    "well": "well",
    "well position": "position",
    "omit": "omit",
    "sample name": "sample",
    "sample": "sample",
    "target name": "target",
    "target": "target",
    "detector name": "target",
    "detector": "target",
    "task": "task",
    "reporter": "reporter",
    "dye": "reporter",
    "dyes": "dyes",
    "quantity": "quantity",
    "tm1": "tm",
    "amp status": "amp_status",
} | dict.fromkeys(CQ_HEADERS, "cq")

#: Curve-table headers → roles.
_CURVE_ROLES: dict[str, str] = {
    "well": "well",
    "well position": "position",
    "cycle": "cycle",
    "cycle number": "cycle",
    "target name": "target",
    "target": "target",
    "rn": "rn",
    "delta rn": "delta_rn",
    "drn": "delta_rn",
    "reading": "reading",
    "temperature": "temperature",
    "fluorescence": "fluorescence",
    "derivative": "derivative",
}

#: Thermo task labels that the generic sample-type vocabulary does not know.
_TASKS = {
    "endogenous control": "unkn",
    "target": "unkn",  # SDS 2.1 RQ studies label unknowns "Target"
    "accuracy control": "pos",
    "blocked ipc": "nac",
}

#: Keys holding the run end time, by software generation.
_RUN_DATE_KEYS = (
    "experiment run end time",
    "run end data/time",
    "run end date/time",
    "run datetime",
)

_NO_AMP = {"no_amp", "no amp"}

#: Cell values of a flag column (upper case) → whether the flag is set.
_FLAG_VALUES = {"Y": True, "N": False, "": False, "TRUE": True, "FALSE": False, "1": True,
                "0": False}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Tables with their location, for error messages


@dataclass
class _Table:
    """A table read from a section or sheet, with what is needed to point at a cell."""

    data: pd.DataFrame
    where: str  # file plus section or sheet
    first_row: int  # 1-based file line / sheet row of the first data row
    unit: str  # "line" (text) or "row" (sheet)
    lengths: list[int]  # number of cells each data row really had

    def at(self, i: int, column: str | None = None) -> str:
        """Location of data row ``i`` (0-based), optionally of one column."""
        text = f"{self.where} {self.unit} {self.first_row + i}"
        return f"{text} column '{column}'" if column else text


def _is_footer(row: Sequence[Any]) -> bool:
    """A ``Key | Value`` footer row (``Analysis Type | Singleplex``) written straight after a
    table without the usual blank row (D&A v1.5 workbooks)."""
    first = as_text(row[0]) if row else ""
    if not first or _WELL_LIKE.match(first):
        return False
    return sum(1 for c in row if as_text(c)) <= 2


def _table(rows: list[list[Any]], header: int, where: str, first_row: int, unit: str) -> _Table:
    """The table under ``rows[header]`` up to the first blank or footer row."""
    data = frame(rows, header)
    body = rows[header + 1 : header + 1 + len(data)]
    end = next((i for i, row in enumerate(body) if _is_footer(row)), len(body))
    lengths = [len(r) for r in body[:end]]
    return _Table(data.iloc[:end], where, first_row, unit, lengths)


def _roles(columns: Sequence[str], vocabulary: dict[str, str]) -> dict[str, str]:
    """Role → column name, the first column wins when a header repeats (results-only files)."""
    found: dict[str, str] = {}
    for col in columns:
        role = vocabulary.get(norm_header(col))
        if role and role not in found:
            found[role] = col
    return found


# --------------------------------------------------------------------------------------------
# Plate size, wells and sample types


def _plate_size(keys: dict[str, str]) -> int | None:
    """Plate size from ``Block Type`` (``384-Well Block``, ``96fast``, ``48well``) or, for a
    StepOne (not Plus) instrument, 48; None when the header does not say."""
    block = keys.get("block type", "")
    match = _PLATE_IN_BLOCK.search(block)
    if match:
        return int(match.group(1))
    instrument = keys.get("instrument type", "").lower().replace(" ", "")
    if instrument.startswith("stepone") and "plus" not in instrument:
        return 48
    return None


def _well_names(table: _Table, cols: dict[str, str], size: int | None) -> tuple[list[str], int]:
    """Canonical well names of every data row and the plate size they sit on.

    ``Well Position`` (or ``Well`` holding ``A1``) gives the name; a numeric ``Well`` is a 1-based
    row-major index placed on the plate from the header (else 384 when an index exceeds 96,
    else 96).
    """
    column = cols.get("position")
    if column is None:
        column = cols.get("well")
    if column is None:
        raise ExportParseError(
            f"no 'Well' or 'Well Position' column among {list(table.data.columns)}",
            where=table.where,
            hint="Export the results table with its well columns",
        )
    raw = [as_text(v) for v in table.data[column]]
    numeric = [w for w in raw if w.isdigit()]
    if size is None:
        if numeric:
            size = 384 if max(int(w) for w in numeric) > 96 else 96
        else:
            try:
                size = plate_for_wells([w for w in raw if w] or ["A1"]).size
            except InputError as exc:
                bad = next((i for i, w in enumerate(raw) if _outside(w, PLATES[384])), 0)
                raise ExportParseError(exc.message, where=table.at(bad, column)) from None
    plate = PLATES[size]
    names: list[str] = []
    for i, value in enumerate(raw):
        try:
            names.append(normalise_well(value, plate))
        except InputError as exc:
            raise ExportParseError(
                f"{exc.message}; expected a well of the {plate.describe()}",
                where=table.at(i, column),
            ) from None
    return names, size


def _outside(well: str, plate: PlateFormat) -> bool:
    try:
        normalise_well(well, plate)
    except InputError:
        return True
    return False


def _sample_type(task: str) -> str | None:
    """RDML sample type of a Thermo ``Task`` (``UNKNOWN``, ``NTC``, ``STANDARD``,
    ``Negative Control (NTC)``, ``ENDOGENOUS CONTROL``); None when unknown."""
    text = task.strip().lower().replace("_", " ")
    if text in _TASKS:
        return _TASKS[text]
    found = normalise_sample_type(text)
    if found is None and "(" in text:
        inner = text[text.index("(") + 1 :].rstrip(")").strip()
        found = normalise_sample_type(inner) or normalise_sample_type(text[: text.index("(")])
    return found


# --------------------------------------------------------------------------------------------
# The wells table


def _wells(
    table: _Table, size: int | None, decimal: str | None, fix_float_names: bool = False
) -> tuple[pd.DataFrame, int, str]:
    """Build the tidy wells table from a Thermo results table (any generation).

    ``decimal`` is the mark the user gave (None: detected from the Cq, Quantity and Tm
    columns). Returns the wells, the plate size and the file's decimal mark.
    """
    data = table.data
    cols = _roles(list(data.columns), _ROLES)
    missing = [name for name in ("target", "cq") if name not in cols]
    if missing:
        raise ExportParseError(
            f"the results table has no {' or '.join(missing)} column (found "
            f"{', '.join(str(c) for c in data.columns if str(c).strip())})",
            where=table.where,
            hint="Expected 'Target Name' and a Cq column (CT, Cт, CRT, Cq)",
        )
    if data.empty:
        raise ExportParseError(
            "the results table has a header but no rows; expected one row per well and target",
            where=table.where,
            hint="Re-export after analysing the run",
        )
    cq_index = list(data.columns).index(cols["cq"])
    short = [i for i, n in enumerate(table.lengths) if n <= cq_index]
    if short:
        i = short[0]
        raise ExportParseError(
            f"the row has {table.lengths[i]} cells and ends before the Cq column "
            f"'{cols['cq']}' (cell {cq_index + 1}); expected a complete row",
            where=table.at(i),
            hint="The file looks truncated; export it again",
        )
    wells, size = _well_names(table, cols, size)
    out = pd.DataFrame({"well": wells}, index=data.index)
    samples = [as_text(v) for v in data[cols["sample"]]] if "sample" in cols else [""] * len(data)
    if fix_float_names:
        samples = [s[:-2] if _SPURIOUS_FLOAT.match(s) else s for s in samples]
    out["sample"] = samples
    out["target"] = [as_text(v) for v in data[cols["target"]]]
    empty = out.index[out["target"] == ""]
    if len(empty):
        raise ExportParseError(
            "empty target name; expected the assay of this well",
            where=table.at(int(empty[0]), cols["target"]),
        )
    types: list[str] = []
    for i, value in enumerate(data[cols["task"]] if "task" in cols else [""] * len(data)):
        found = _sample_type(as_text(value))
        if found is None:
            raise ExportParseError(
                f"unknown task '{value}'; expected UNKNOWN, NTC, STANDARD or NEGATIVE CONTROL",
                where=table.at(i, cols["task"]),
            )
        types.append(found)
    out["sample_type"] = types
    if "reporter" in cols:
        out["reporter"] = [as_text(v) for v in data[cols["reporter"]]]
    elif "dyes" in cols:
        out["reporter"] = [as_text(v).split("-")[0] for v in data[cols["dyes"]]]
    numeric = {cols[k]: list(data[cols[k]]) for k in ("cq", "quantity", "tm") if k in cols}
    grouped = {cols["quantity"]} if "quantity" in cols else set()
    mark = decimal_mark(table.where, numeric, grouped=grouped, decimal=decimal)
    cells = numeric[cols["cq"]]
    if "amp_status" in cols:
        no_amp = [as_text(v).lower() in _NO_AMP for v in data[cols["amp_status"]]]
        cells = [None if flag else v for flag, v in zip(no_amp, cells, strict=True)]
    omitted = [parse_bool(v) for v in data[cols["omit"]]] if "omit" in cols else [False] * len(data)
    out["cq"], out["cq_status"] = read_cq(
        cells,
        lambda i: table.at(i, cols["cq"]),
        decimal=mark,
        flagged=omitted,
        hint="Thermo writes non-detects as 'Undetermined'; fix or re-export the file",
        name=str(cols["cq"]),
    )
    out["omitted"] = omitted
    flag_columns = [c for c in data.columns if norm_header(c).upper() in VENDOR_FLAGS]
    if flag_columns:
        out["flags"] = _flags(table, flag_columns)
    for role in ("quantity", "tm"):
        if role in cols:
            column = cols[role]
            out[role] = read_numbers(
                numeric[column], partial(table.at, column=column), mark, column in grouped
            )
    return out.reset_index(drop=True), size, mark


def _flags(table: _Table, columns: list[Any]) -> list[str]:
    """Per row, the ';'-joined codes of the flag columns set (``Y``; export-formats.md §1.3)."""
    set_by_code: dict[str, list[bool]] = {}
    for column in columns:
        cells = [as_text(v).strip() for v in table.data[column]]
        values = [v.upper() for v in cells]
        bad = next((i for i, v in enumerate(values) if v not in _FLAG_VALUES), None)
        if bad is not None:
            raise ExportParseError(
                f"flag value '{cells[bad]}'; expected Y, N or empty", where=table.at(bad, column)
            )
        set_by_code[norm_header(column).upper()] = [_FLAG_VALUES[v] for v in values]
    return [
        ";".join(code for code, marks in set_by_code.items() if marks[i])
        for i in range(len(table.data))
    ]


def _curves(
    table: _Table, size: int, wells: pd.DataFrame, kind: str, decimal: str
) -> pd.DataFrame | None:
    """Long amplification (``well, target, cycle, rn, delta_rn, fluorescence``) or melt
    (``well, target, reading, temperature, fluorescence, derivative``) table; None if empty
    or, with a :class:`FormatWarning`, when the needed columns are missing.

    Rows without a value (unused wells) are dropped; ``fluorescence`` of amplification data is
    the normalised reporter signal Rn (reporter / passive reference), ``delta_rn`` = Rn minus
    the instrument's baseline.
    """
    data = table.data
    if data.empty:
        return None
    cols = _roles(list(data.columns), _CURVE_ROLES)
    needed = ("cycle", "rn") if kind == "amplification" else ("temperature", "fluorescence")
    if not all(n in cols for n in needed) or not ("position" in cols or "well" in cols):
        warnings.warn(
            FormatWarning(
                f"{table.where}: {kind} table skipped; expected a well column and "
                f"{', '.join(needed)} (found {', '.join(str(c) for c in data.columns)})"
            ),
            stacklevel=2,
        )
        return None
    plate = PLATES[size]
    column = cols.get("position", cols.get("well"))
    raw = pd.Series([as_text(v) for v in data[column]], index=data.index)
    names: dict[str, str] = {}
    for value in raw.unique():
        try:
            names[value] = normalise_well(value, plate)
        except InputError as exc:
            i = int((raw == value).to_numpy().argmax())
            raise ExportParseError(exc.message, where=table.at(i, column)) from None
    out = pd.DataFrame({"well": raw.map(names).to_numpy()})
    if "target" in cols:
        out["target"] = [as_text(v) for v in data[cols["target"]]]
    else:  # melt data carry no target: use the well's only target, '' for multiplex wells
        per_well = wells.groupby("well")["target"].agg(lambda t: t.iloc[0] if len(t) == 1 else "")
        out["target"] = out["well"].map(per_well).fillna("").to_numpy()
    fields = ("cycle", "rn", "delta_rn") if kind == "amplification" else (
        "reading", "temperature", "fluorescence", "derivative"
    )  # fmt: skip
    for name in fields:
        if name in cols:
            out[name] = [to_number(v, decimal, grouped=True) for v in data[cols[name]]]
    value = "rn" if kind == "amplification" else "fluorescence"
    out = out[out[value].notna()].reset_index(drop=True)  # unused wells carry empty cells
    if kind == "amplification":
        out["cycle"] = out["cycle"].astype("Int64")
        out["fluorescence"] = out["rn"]
    return out if len(out) else None


# --------------------------------------------------------------------------------------------
# Header blocks


def _software(keys: dict[str, str], fallback: str) -> str:
    if "software name and version" in keys:
        return keys["software name and version"]
    instrument = keys.get("instrument type", "").lower()
    for token, name in (
        ("viia", "ViiA 7 Software"),
        ("flex", "QuantStudio Real-Time PCR Software"),
        ("stepone", "StepOne Software"),
        ("7500", "7500 Software"),
    ):
        if token in instrument:
            return name
    return fallback


def _info(
    path: Path, fmt: str, keys: dict[str, str], original: dict[str, str], size: int, soft: str
) -> RunInfo:
    run_date = next((keys[k] for k in _RUN_DATE_KEYS if keys.get(k)), None)
    return RunInfo(
        path=str(path),
        format=fmt,
        instrument=keys.get("instrument type") or None,
        software=_software(keys, soft),
        run_date=run_date,
        plate_size=size,
        extra=dict(original),
    )


def _pairs(rows: Sequence[Sequence[Any]]) -> tuple[dict[str, str], dict[str, str]]:
    """Key/value rows (first two cells) → (normalised-key dict, original-key dict)."""
    keys: dict[str, str] = {}
    original: dict[str, str] = {}
    for row in rows:
        cells = [as_text(c) for c in row[:2]] + ["", ""]
        if cells[0]:
            keys.setdefault(norm_header(cells[0]), cells[1])
            original.setdefault(cells[0].strip(), cells[1])
    return keys, original


def _footer(rows: list[list[Any]], start: int, separator: str | None) -> dict[str, str]:
    """``Key = Value`` (text) or two-cell rows (sheets) after the results table."""
    found: dict[str, str] = {}
    for row in rows[start:]:
        cells = [as_text(c) for c in row if as_text(c)]
        if not cells:
            continue
        if separator and len(cells) == 1 and separator in cells[0]:
            key, _, value = cells[0].partition(separator)
            found[key.strip()] = value.strip()
        elif not separator and len(cells) == 2:
            found[cells[0]] = cells[1]
        else:
            break
    return found


# --------------------------------------------------------------------------------------------
# Classic text (``* Key = Value`` and ``[Sections]``)


def _text_kind(sample: FileSample) -> str | None:
    """Which Thermo text layout the head shows, or None."""
    lines = [line for line in sample.lines if line.strip()]
    if not lines:
        return None
    first = lines[0].strip()
    if first.startswith("SDS 2.") and "Results" in first:
        return SDS
    if _KEY_LINE.match(first) or any(
        (m := _SECTION.match(line)) and m.group(1).strip().lower() == "results" for line in lines
    ):
        return CLASSIC
    head = split_rows("\n".join(lines[:150]))
    if not head or not head[0]:
        return None
    names = [norm_header(c) for c in head[0]]
    if names[:4] == ["well", "omit", "sample", "target"] and "cq" in names and "task" in names:
        return WELLRESULT
    if names[0] == "block type" and len(head) > 1 and len(head[1]) > 1:
        return DA_V1
    return None


def _sections(lines: list[str]) -> dict[str, tuple[int, list[str]]]:
    """Section name (lower case) → (0-based line index of the marker, body lines)."""
    marks = [(i, m.group(1).strip().lower()) for i, line in enumerate(lines)
             if (m := _SECTION.match(line))]  # fmt: skip
    found: dict[str, tuple[int, list[str]]] = {}
    for k, (i, name) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else len(lines)
        found.setdefault(name, (i, lines[i + 1 : end]))
    return found


def _section_table(
    path: Path, name: str, section: tuple[int, list[str]]
) -> tuple[_Table, list[list[Any]]]:
    """The table at the top of a section and all the section's rows (for the footer)."""
    start, body = section
    skip = next((k for k, line in enumerate(body) if line.strip()), len(body))
    body = body[skip:]
    rows: list[list[Any]] = split_rows("\n".join(body), sniff_delimiter(body[:50]))
    where = f"{path} [{name}]"
    if not rows:
        raise ExportParseError(
            "the section is empty; expected a header row and data rows",
            where=where,
            hint="Export the results again",
        )
    # 1-based line of the first data row: marker + skipped blank lines + header
    return _table(rows, 0, where, start + skip + 3, "line"), rows


def read_classic_text(path: Path, decimal: str | None = None) -> Export:
    """Read a classic text export: ``* Key = Value`` header, ``[Results]`` (up to the first
    blank line; ``Key = Value`` footer lines go to ``info.extra``), and the optional
    ``[Amplification Data]`` and ``[Melt Curve Raw Data]`` sections."""
    lines = read_text(path).split("\n")
    sections = _sections(lines)
    header_end = min((i for i, _ in sections.values()), default=len(lines))
    keys: dict[str, str] = {}
    original: dict[str, str] = {}
    for line in lines[:header_end]:
        text = line.strip()
        if text.startswith("*") and "=" in text:
            key, _, value = text.lstrip("*").partition("=")
            keys.setdefault(norm_header(key), value.strip())
            original.setdefault(key.strip(), value.strip())
    if "results" not in sections:
        raise ExportParseError(
            f"no [Results] section (sections found: "
            f"{', '.join(f'[{s}]' for s in sections) or 'none'}); expected the results table",
            where=str(path),
            hint="Export again with the 'Results' box ticked",
        )
    results, rows = _section_table(path, "Results", sections["results"])
    wells, size, mark = _wells(results, _plate_size(keys), decimal)
    original |= _footer(rows, len(results.data) + 1, "=")
    tables: dict[str, pd.DataFrame] = {}
    for name, kind in (("amplification data", "amplification"), ("melt curve raw data", "melt")):
        if name in sections and any(line.strip() for line in sections[name][1]):
            curve_table, _ = _section_table(path, name.title(), sections[name])
            curve = _curves(curve_table, size, wells, kind, mark)
            if curve is not None:
                tables[kind] = curve
    info = _info(path, CLASSIC, keys, original, size, "Applied Biosystems software (classic)")
    return Export(wells=wells, info=info, tables=tables)


# --------------------------------------------------------------------------------------------
# Workbooks (classic, D&A v1, D&A v2)


def _results_sheet(sample: FileSample) -> str | None:
    return next((s for s in sample.sheet_names if s.strip().lower() == "results"), None)


def _header_index(rows: Sequence[Sequence[Any]]) -> int | None:
    """First row starting ``Well, Well Position`` with a Cq column."""
    for i, row in enumerate(rows):
        names = [norm_header(as_text(c)) for c in row]
        if names[:2] == ["well", "well position"] and set(names) & CQ_HEADERS:
            return i
    return None


def _flavour(rows: Sequence[Sequence[Any]]) -> str | None:
    """Generation of a key/value + table layout (sheet or CSV rows), None if not Thermo."""
    header = _header_index(rows)
    keys, _ = _pairs(rows[: len(rows) if header is None else header])
    if not ({"block type", "file name"} & set(keys) and "instrument type" in keys):
        return None
    if header is None:  # Thermo header block without a readable table: the reader says so
        return DA_V2 if "software name and version" in keys else CLASSIC
    names = {norm_header(as_text(c)) for c in rows[header]}
    if "software name and version" in keys or {"sample", "target", "cq"} <= names:
        return DA_V2
    if not {"sample name", "target name"} <= names:
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


def sniff_classic(sample: FileSample) -> bool:
    """Classic text, or a workbook whose ``Results`` sheet has the classic column set."""
    if sample.kind == "text":
        return _text_kind(sample) == CLASSIC
    return _sheet_kind(sample) == CLASSIC


def sniff_da_v1(sample: FileSample) -> bool:
    """D&A v1: ``Block Type,...`` CSV, or a classic-like workbook with ``Amp Status``."""
    if sample.kind == "text":
        return _text_kind(sample) == DA_V1
    return _sheet_kind(sample) == DA_V1


def sniff_da_v2(sample: FileSample) -> bool:
    """D&A v2 workbook (``Software Name and Version`` key or ``Sample/Target/Cq`` table)."""
    return sample.kind != "text" and _sheet_kind(sample) == DA_V2


def _read_keyed(
    path: Path,
    rows: list[list[Any]],
    where: str,
    fmt: str,
    unit: str,
    sheets: dict[str, str],
    decimal: str | None,
) -> Export:
    """Key/value rows, blank row, results table (sheet or CSV), plus curve sheets."""
    header = _header_index(rows)
    if header is None:
        raise ExportParseError(
            "no results table; expected a row starting 'Well, Well Position' with a Cq column",
            where=where,
            hint="Export the 'Results' table of the run",
        )
    keys, original = _pairs(rows[:header])
    results = _table(rows, header, where, header + 2, unit)
    wells, size, mark = _wells(results, _plate_size(keys), decimal, fmt == DA_V2)
    original |= _footer(rows, header + 1 + len(results.data), None)
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
            f"no 'Results' sheet (sheets: {', '.join(sample.sheet_names) or 'none'})",
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
    return _read_keyed(path, rows, f"{path} sheet '{sheet}'", fmt, "row", curves, sample.decimal)


def read_classic(path: Path, sample: FileSample | None = None) -> Export:
    """Read a classic export: ``[Results]`` text or a workbook's ``Results`` sheet.

    Wells come from ``Well Position`` (or ``Well`` when it holds ``A1``, or the 1-based
    ``Well`` index on the plate given by ``Block Type``).
    """
    sample = sample or FileSample(path)
    if sample.kind == "text":
        return read_classic_text(path, sample.decimal)
    return _read_workbook(path, sample, CLASSIC)


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


# --------------------------------------------------------------------------------------------
# D&A well table and SDS 2.x


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
        name=CLASSIC,
        description="Thermo/ABI classic results (7500, StepOne, ViiA 7, QuantStudio 6/7/12K Flex)",
        signature="text with '* Key = Value' lines or a [Results] section; or a workbook "
        "'Results' sheet with Sample Name/Target Name/CT and no Amp Status",
        sniff=sniff_classic,
        read=read_classic,
    )
)
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
register(
    ExportFormat(
        name=WELLRESULT,
        description="Thermo Design & Analysis well table (WellResult-*.csv)",
        signature="CSV header 'Well,Omit,Sample,Target,...' with Task and Cq",
        sniff=sniff_wellresult,
        read=read_wellresult,
    )
)
register(
    ExportFormat(
        name=SDS,
        description="Applied Biosystems SDS 2.x (7900HT) results text",
        signature="first line 'SDS 2.x<TAB>AQ Results'",
        sniff=sniff_sds,
        read=read_sds,
    )
)
