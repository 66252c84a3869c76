"""What the Thermo Fisher readers share: format names, header vocabularies, the results table
with its location, the tidy wells table, curve tables, header blocks and the text-layout sniff."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ...errors import ExportParseError, FormatWarning, InputError
from ...plate import PLATES, PlateFormat, is_whole, normalise_well, normalise_wells, plate_for_wells
from ...regex import lazy_pattern
from ...schema import VENDOR_FLAGS, normalise_sample_type
from .._tabular import (
    CQ_HEADERS,
    as_text,
    as_texts,
    frame,
    norm_header,
    parse_bools,
    split_rows,
)
from ..checks import sample_types
from ..numbers import decimal_mark, read_cq, read_numbers, to_number
from ..registry import FileSample, RunInfo

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
_SPURIOUS_FLOAT = lazy_pattern(r"^-?\d+\.0$")
_WELL_TEXT = r"\d+(?:\.0)?|[A-Za-z]{1,2}\d{1,3}"
_WELL_LIKE = lazy_pattern(rf"^({_WELL_TEXT})$")
#: LF-joined first cells that are each empty or well-like (:data:`_WELL_LIKE`).
_WELL_LINES = re.compile(rf"(?:{_WELL_TEXT})?(?:\n(?:{_WELL_TEXT})?)*")

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
    "call": "call",
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
    "positive control": "pos",
    "pc allele 1": "pos",  # genotyping positive controls of one allele, or of both
    "pc allele 2": "pos",
    "pc allele both": "pos",
}

#: Keys holding the run end time, by software generation.
_RUN_DATE_KEYS = (
    "experiment run end time",
    "run end data/time",
    "run end date/time",
    "run datetime",
)

_NO_AMP = {"no_amp", "no amp"}

#: Words of ``Experiment Type`` (classic) or ``Plugin Name and Version`` (D&A) → the kind of
#: run (:attr:`RunInfo.experiment`).
_EXPERIMENTS = (("genotyping", "genotyping"), ("presence", "presence/absence"))

#: Cell values of a flag column (upper case) → whether the flag is set.
_FLAG_VALUES = {"Y": True, "N": False, "": False, "TRUE": True, "FALSE": False, "1": True,
                "0": False}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Tables with their location, for error messages


class _Table(NamedTuple):
    """A table read from a section or sheet, with what is needed to point at a cell."""

    data: pd.DataFrame
    where: str  # file plus section or sheet
    first_row: int  # 1-based file line / sheet row of the first data row
    unit: str  # "line" (text) or "row" (sheet)
    lengths: list[int]  # number of cells each data row really had
    source: list[int] | None = None  # data row of the original table behind each row
    cells: dict[str, list[Any]] | None = None  # column → its cells, when read from rows

    def column(self, name: str) -> list[Any]:
        """The cells of one column (``list(data[name])`` without a Series per column)."""
        if self.cells is not None:
            return self.cells[name]
        return self.data[name].tolist()

    def at(self, i: int, column: str | None = None) -> str:
        """Location of data row ``i`` (0-based), optionally of one column."""
        row = self.source[i] if self.source is not None else i
        text = f"{self.where} {self.unit} {self.first_row + row}"
        return f"{text} column '{column}'" if column else text


def _is_footer(row: Sequence[Any]) -> bool:
    """A ``Key | Value`` footer row (``Analysis Type | Singleplex``) written straight after a
    table without the usual blank row (D&A v1.5 workbooks)."""
    first = row[0] if row else ""
    first = first.strip() if type(first) is str else as_text(first)  # as_text, without a call
    if not first or _WELL_LIKE.match(first):
        return False
    return sum(1 for c in row if as_text(c)) <= 2


def _footer_row(body: list[list[Any]]) -> int:
    """Index of the first footer row of a table's body (its length when none): at once when
    every first cell is empty or well-like text, else row by row."""
    firsts = [row[0] if row else "" for row in body]
    if all(type(v) is str for v in firsts):
        text = "\n".join(firsts)
        if text.count("\n") == len(firsts) - 1 and _WELL_LINES.fullmatch(text):
            return len(body)
    return next((i for i, row in enumerate(body) if _is_footer(row)), len(body))


def _table(rows: list[list[Any]], header: int, where: str, first_row: int, unit: str) -> _Table:
    """The table under ``rows[header]`` up to the first blank or footer row."""
    data = frame(rows, header)
    body = rows[header + 1 : header + 1 + len(data)]
    end = _footer_row(body)
    lengths = [len(r) for r in body[:end]]
    # frame's columns are of dtype object with unique names: its block holds the cells
    cells = dict(zip(data.columns, data.to_numpy()[:end].T.tolist(), strict=True))
    return _Table(data.iloc[:end], where, first_row, unit, lengths, cells=cells)


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
    raw = as_texts(table.column(column))
    if size is None:
        numeric = [w for w in raw if is_whole(w)]
        if numeric:
            size = 384 if max(int(w) for w in numeric) > 96 else 96
        else:
            try:
                size = plate_for_wells([w for w in raw if w] or ["A1"]).size
            except InputError as exc:
                bad = next((i for i, w in enumerate(raw) if _outside(w, PLATES[384])), 0)
                raise ExportParseError(exc.message, where=table.at(bad, column)) from None
    plate = PLATES[size]

    def refuse(i: int, exc: InputError) -> ExportParseError:
        return ExportParseError(
            f"{exc.message}; expected a well of the {plate.describe()}", where=table.at(i, column)
        )

    return normalise_wells(raw, plate, refuse), size


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
    cols = _results_columns(table)
    wells, size = _well_names(table, cols, size)
    samples = as_texts(table.column(cols["sample"])) if "sample" in cols else [""] * len(data)
    if fix_float_names:
        samples = [s[:-2] if _SPURIOUS_FLOAT.match(s) else s for s in samples]
    # no target column (D&A Primary Analysis): '' until a layout names the targets
    targets = _targets(table, cols, wells)
    out: dict[str, Any] = {"well": wells, "sample": samples, "target": targets}
    tasks = as_texts(table.column(cols["task"])) if "task" in cols else [""] * len(data)
    out["sample_type"] = sample_types(tasks, _sample_type, table.where, "Task")
    if "reporter" in cols:
        out["reporter"] = as_texts(table.column(cols["reporter"]))
    elif "dyes" in cols:
        out["reporter"] = [as_text(v).split("-")[0] for v in table.column(cols["dyes"])]
    numeric = {cols[k]: table.column(cols[k]) for k in ("cq", "quantity", "tm") if k in cols}
    grouped = {cols["quantity"]} if "quantity" in cols else set()
    mark = decimal_mark(table.where, numeric, grouped=grouped, decimal=decimal)
    cells = numeric[cols["cq"]]
    if "amp_status" in cols:
        no_amp = [as_text(v).lower() in _NO_AMP for v in table.column(cols["amp_status"])]
        cells = [None if flag else v for flag, v in zip(no_amp, cells, strict=True)]
    omitted = parse_bools(table.column(cols["omit"])) if "omit" in cols else [False] * len(data)
    out["cq"], out["cq_status"] = read_cq(
        cells,
        lambda i: table.at(i, cols["cq"]),
        decimal=mark,
        flagged=omitted,
        hint="Thermo writes non-detects as 'Undetermined'; fix or re-export the file",
        name=str(cols["cq"]),
    )
    out["omitted"] = omitted
    if "call" in cols:  # presence/absence or genotype call, as the instrument wrote it
        out["call"] = as_texts(table.column(cols["call"]))
    flag_columns = [c for c in data.columns if norm_header(c).upper() in VENDOR_FLAGS]
    if flag_columns:
        out["flags"] = _flags(table, flag_columns)
    for role in ("quantity", "tm"):
        if role in cols:
            column = cols[role]
            out[role] = read_numbers(
                numeric[column], partial(table.at, column=column), mark, column in grouped
            )
    return pd.DataFrame(out), size, mark


def _targets(table: _Table, cols: dict[str, str], wells: list[str]) -> list[str] | str:
    """The target of each row; '' for every row of an export without target names, refused
    when a well then holds several reactions (the layout could not tell them apart)."""
    if "target" not in cols:
        seen: set[str] = set()
        for i, well in enumerate(wells):
            if well in seen:  # several dyes in one well, no target names
                raise ExportParseError(
                    f"well {well} holds several reactions but the export names no targets; "
                    "expected target names for a multiplex run",
                    where=table.at(i),
                    hint="Export the run with its Target column (Results table, not Primary "
                    "Analysis)",
                )
            seen.add(well)
        return ""
    targets = as_texts(table.column(cols["target"]))
    empty = next((i for i, name in enumerate(targets) if name == ""), None)
    if empty is not None:
        raise ExportParseError(
            "empty target name; expected the assay of this well",
            where=table.at(empty, cols["target"]),
        )
    return targets


def _results_columns(table: _Table) -> dict[str, str]:
    """Role → column of a results table, refusing a table without a Cq column, without a target
    or reporter column, without rows, or with a row that ends before the Cq column."""
    data = table.data
    cols = _roles(list(data.columns), _ROLES)
    missing = [name for name in ("target", "cq") if name not in cols]
    if "cq" in cols and ("reporter" in cols or "dyes" in cols):
        missing = []  # wells named by their dye: a layout names the targets
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
    return cols


def _flags(table: _Table, columns: list[Any]) -> list[str]:
    """Per row, the ';'-joined codes of the flag columns set (``Y``; export-formats.md §1.3)."""
    set_by_code: dict[str, list[bool]] = {}
    for column in columns:
        cells = [as_text(v).strip() for v in table.column(column)]
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
    raw = pd.Series(as_texts(data[column]), index=data.index)
    names: dict[str, str] = {}
    for value in raw.unique():
        try:
            names[value] = normalise_well(value, plate)
        except InputError as exc:
            i = int((raw == value).to_numpy().argmax())
            raise ExportParseError(exc.message, where=table.at(i, column)) from None
    out = pd.DataFrame({"well": raw.map(names).to_numpy()})
    if "target" in cols:
        out["target"] = as_texts(data[cols["target"]])
    else:  # melt data carry no target: use the well's only target, '' for multiplex wells
        per_well = wells.groupby("well")["target"].agg(lambda t: t.iloc[0] if len(t) == 1 else "")
        out["target"] = out["well"].map(per_well).fillna("").to_numpy()
    fields = ("cycle", "rn", "delta_rn") if kind == "amplification" else (
        "reading", "temperature", "fluorescence", "derivative"
    )  # fmt: skip
    for name in fields:
        if name in cols:
            out[name] = [to_number(v, decimal, grouped=True) for v in data[cols[name]]]
    if kind == "amplification":
        _check_cycles(out["cycle"].to_numpy(dtype=float), table, cols["cycle"])
    value = "rn" if kind == "amplification" else "fluorescence"
    out = out[out[value].notna()].reset_index(drop=True)  # unused wells carry empty cells
    if kind == "amplification":
        out["cycle"] = out["cycle"].astype("Int64")
        out["fluorescence"] = out["rn"]
    return out if len(out) else None


def _check_cycles(cycles: np.ndarray, table: _Table, column: str) -> None:
    """Refuse a cycle number that is not whole (or absurdly large): ``Int64`` cannot hold it."""
    with np.errstate(invalid="ignore"):
        whole = np.isnan(cycles) | ((np.abs(cycles) < 1e9) & (cycles == np.round(cycles)))
    if not whole.all():
        i = int(np.flatnonzero(~whole)[0])
        raise ExportParseError(
            f"cycle {cycles[i]:g} is not a whole number; expected cycle numbers 1, 2, 3 ...",
            where=table.at(i, column),
        )


# --------------------------------------------------------------------------------------------
# Header blocks


def _software(keys: dict[str, str], fallback: str) -> str:
    if "software name and version" in keys:
        return keys["software name and version"]
    if keys.get("software name"):  # D&A 4.3 (Diomni): name and version in two rows
        return f"{keys['software name']} {keys.get('software version', '')}".strip()
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
    kind = f"{keys.get('experiment type', '')} {keys.get('plugin name and version', '')}".lower()
    experiment = next((name for token, name in _EXPERIMENTS if token in kind), None)
    return RunInfo(
        path=str(path),
        format=fmt,
        instrument=keys.get("instrument type") or None,
        software=_software(keys, soft),
        run_date=run_date,
        plate_size=size,
        extra=dict(original),
        experiment=experiment,
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
    """Which Thermo text layout the head shows, or None. (The five Thermo sniffers ask it of
    every export: the first line that is not blank decides most.)"""
    first = next((line.strip() for line in sample.lines if line.strip()), None)
    if first is None:
        return None
    if first.startswith("SDS 2.") and "Results" in first:
        return SDS
    if _KEY_LINE.match(first):
        return CLASSIC
    lines = [line for line in sample.lines if line.strip()]
    if any(
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
