"""Generic tidy table: CSV/TSV or a workbook's first sheet with one row per well × target.

Columns (case-insensitive): ``sample``, ``target`` and a Cq column (``Cq``, ``Ct``, ``CT``,
``Cт``, ``Cp``) are required; ``well``, ``plate``, ``sample_type``, ``quantity``, ``reporter``,
``omit`` are optional; every other column (design factors, donor) is kept as text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportParseError, InputError
from ..plate import PLATES, is_whole, normalise_well, plate_for_wells
from ..schema import normalise_sample_type
from ._tabular import (
    CQ_HEADERS,
    as_text,
    first_table_rows,
    frame,
    norm_header,
    parse_bool,
    split_rows,
)
from .numbers import decimal_mark, read_cq, read_numbers
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
#: ``as_text`` over a whole array of cells.
_TEXT = np.frompyfunc(as_text, 1, 1)
_INSTRUMENT_HEADERS = {"fluor", "content", "well position", "sample name", "target name", "task"}


def _header_ok(cells: list[str]) -> bool:
    names = {norm_header(c) for c in cells if str(c).strip()}
    return (
        {"sample", "target"} <= names
        and bool(names & CQ_HEADERS)
        and not names & _INSTRUMENT_HEADERS
    )


def _first_row(rows: Sequence[Sequence[object]]) -> int | None:
    for i, row in enumerate(rows):
        if any(as_text(c) for c in row):
            return i
    return None


def sniff(sample: FileSample) -> bool:
    r"""A text or workbook whose first non-empty row is a tidy header.

    Parameters
    ----------
    sample
        The file's head.

    Returns
    -------
    bool
        True when the header names ``sample``, ``target`` and a Cq column, and no column that
        marks an instrument export (``Well Position``, ``Content``, ``Task`` ...).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_text("Sample;Target;Ct\ns1;GAPDH;18,1\n", encoding="utf-8")
    >>> sniff(FileSample(path))
    True
    >>> _ = path.write_text("Well Position;Sample Name;Target Name;CT\nA1;s1;GAPDH;18.1\n")
    >>> sniff(FileSample(path))
    False
    >>> folder.cleanup()
    """
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
    r"""Read a tidy table into the wells table.

    Parameters
    ----------
    path
        A delimited text file or a workbook (first sheet).
    sample
        The file's head.

    Returns
    -------
    Export
        The wells table: known columns renamed (``Ct``/``Cp`` → ``cq``, ``Dye`` → ``reporter``
        ...), every other column (design factors) kept as it is.

    Raises
    ------
    ExportParseError
        A missing ``sample``, ``target`` or Cq column, or a cell that cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_text("Sample;Target;Ct;Group\ns1;GAPDH;18,1;ctrl\ns1;MYC;;ctrl\n",
    ...                     encoding="utf-8")
    >>> read(path, FileSample(path)).wells
       well sample target sample_type    cq     cq_status Group
    0  None     s1  GAPDH        unkn  18.1            ok  ctrl
    1  None     s1    MYC        unkn   NaN  undetermined  ctrl
    >>> folder.cleanup()
    """
    rows, where = first_table_rows(path, sample.kind, sample.sheet_names)
    return _read_rows(rows, where, sample.decimal, str(path))


def read_frame(table: pd.DataFrame, where: str, decimal: str | None = None) -> Export:
    """Read a tidy table given as a DataFrame, as :func:`read` reads the same table from a file.

    Parameters
    ----------
    table
        One row per well × target: ``sample``, ``target`` and a Cq column, as in a file.
    where
        The table's name in messages and as its path (``DataFrame 1``).
    decimal
        The decimal mark of numbers given as text (None: detected).

    Returns
    -------
    Export
        The wells table.

    Examples
    --------
    >>> table = pd.DataFrame({"Sample": ["s1", "s1"], "Target": ["GAPDH", "MYC"],
    ...                       "Ct": [18.1, None], "Group": ["ctrl", "ctrl"]})
    >>> read_frame(table, "DataFrame 1").wells
       well sample target sample_type    cq     cq_status Group
    0  None     s1  GAPDH        unkn  18.1            ok  ctrl
    1  None     s1    MYC        unkn   NaN  undetermined  ctrl
    """
    cells = table.astype(object).where(table.notna(), None)
    rows = [[str(c) for c in table.columns], *map(list, cells.itertuples(index=False))]
    return _read_rows(rows, where, decimal, where)


def _read_rows(rows: list[list[object]], where: str, decimal: str | None, path: str) -> Export:
    """The wells of a tidy table's rows (the header row first, found by its names)."""
    header = _first_row(rows)
    if header is None:
        raise ExportParseError("no header row found", where=where)
    table = frame(rows, header)
    rename = _known_columns(table.columns.tolist(), f"{where} row {header + 1}")
    header_cells = [str(c) for c in table.columns.tolist()]
    table = table.rename(columns=rename)
    missing = [n for n in ("sample", "target", "cq") if n not in table]
    if missing:
        found = ", ".join(f"'{c}'" for c in header_cells if c.strip())
        raise ExportParseError(
            f"the first row has no {' or '.join(missing)} column (found {found or 'nothing'}); "
            "expected a tidy header with 'sample', 'target' and a Cq column (Cq, Ct, Cp)",
            where=f"{where} row {header + 1}",
            hint="Run 'qpcr formats' to see which reader fits the file, or drop --format",
        )
    data_row0 = header + 2  # 1-based row number of the first data row

    header_of = {new: old for old, new in rename.items()}

    def at(column: str) -> Callable[[int], str]:
        name = header_of.get(column, column)
        return lambda i: f"{where} row {data_row0 + i} column '{name}'"

    # columns gathered in a dict and framed once, the extra ones as one block: inserting them
    # one by one into a DataFrame costs time in the square of their number
    out: dict[str, Any] = {"well": _wells(table, where) if "well" in table else [None] * len(table)}
    for name in ("plate", "sample", "target", "reporter"):
        if name in table:
            out[name] = [as_text(v) for v in table[name]]
    out["sample_type"] = _sample_types(table, at) if "sample_type" in table else "unkn"
    if "omit" in table:
        out["omitted"] = [parse_bool(v) for v in table["omit"]]
    numeric = {header_of.get(c, c): list(table[c]) for c in ("cq", "quantity") if c in table}
    grouped = {header_of.get("quantity", "quantity")}
    decimal = decimal_mark(where, numeric, grouped=grouped, decimal=decimal)
    out["cq"], out["cq_status"] = read_cq(
        list(table["cq"]),
        at("cq"),
        decimal=decimal,
        flagged=out["omitted"] if "omit" in table else None,
        hint="Write non-detects as 'Undetermined' or leave the cell empty",
        name=header_of.get("cq", "Cq"),
    )
    if "quantity" in table:
        out["quantity"] = read_numbers(list(table["quantity"]), at("quantity"), decimal, True)
    if "" in out["target"]:
        i = out["target"].index("")
        raise ExportParseError("empty target", where=at("target")(i))
    wells = pd.DataFrame(out, index=range(len(table)))
    extra = _extra_columns(table, set(rename.values()), set(out), f"{where} row {header + 1}")
    if not extra.empty:
        wells = pd.concat([wells, extra], axis=1)
    info = RunInfo(path=path, format=NAME, software="tidy table")
    return Export(wells=wells, info=info)


def _known_columns(columns: Sequence[str], where: str) -> dict[str, str]:
    """The renaming of the known columns (``Ct`` → ``cq``, ``Dye`` → ``reporter`` ...).

    Two columns with one meaning (``Cq`` and ``Ct``, ``Sample`` and ``sample``) are refused:
    which one to read would be a guess.
    """
    rename: dict[str, str] = {}
    column_of: dict[str, str] = {}
    for col in columns:
        key = norm_header(col)
        new = "cq" if key in CQ_HEADERS else _KNOWN.get(key)
        if new is None:
            continue
        if new in column_of:
            raise ExportParseError(
                f"two columns mean '{new}': '{column_of[new]}' and '{col}'; expected one",
                where=where,
                hint="Rename or remove one of them",
            )
        column_of[new] = col
        rename[col] = new
    return rename


def _extra_columns(
    table: pd.DataFrame, known: set[str], taken: set[str], where: str
) -> pd.DataFrame:
    """The columns the reader does not know (design factors), as text, in one block.

    A name given twice once stripped, or one the reader writes itself (``cq_status``), is
    refused.
    """
    keep, names = [], []
    for k, col in enumerate(table.columns.tolist()):
        name = col.strip()
        if col in known or not name:
            continue
        if name in taken:
            raise ExportParseError(
                f"column '{col}' has the name of another column or of one the reader writes "
                f"('{name}'); expected distinct names",
                where=where,
                hint="Rename that column",
            )
        taken.add(name)
        keep.append(k)
        names.append(name)
    values = _TEXT(table.to_numpy(dtype=object)[:, keep]) if keep else []
    return pd.DataFrame(values, columns=names, index=range(len(table)), dtype=object)


def _sample_types(table: pd.DataFrame, at: Callable[[str], Callable[[int], str]]) -> list[str]:
    """The ``sample_type`` column in the RDML vocabulary; an unknown word is refused."""
    types = []
    for i, value in enumerate(table["sample_type"]):
        st = normalise_sample_type(as_text(value))
        if st is None:
            raise ExportParseError(
                f"unknown sample type '{value}'; expected unkn, ntc, nrt, nac, std, pos",
                where=at("sample_type")(i),
            )
        types.append(st)
    return types


def _wells(table: pd.DataFrame, where: str) -> list[str | None]:
    """Canonical well names of the ``well`` column (None where empty).

    Names (``B7``) fix the smallest plate that holds them; numbers are 1-based row-major on a
    96-well plate, or 384 when one exceeds 96 (never 48: a tidy table does not say it is a
    StepOne plate).
    """
    wells = [as_text(w) for w in table["well"]]
    try:
        plate = plate_for_wells([w for w in wells if w and not is_whole(w)] or ["A1"], hint=96)
        numbers = [int(w) for w in wells if is_whole(w)]
        if numbers:
            plate = PLATES[384] if max(numbers) > 96 or plate.size > 96 else PLATES[96]
        return [normalise_well(w, plate) if w else None for w in wells]
    except InputError as exc:
        raise ExportParseError(exc.message, where=f"{where} column 'well'") from None


register(
    ExportFormat(
        name=NAME,
        description="Generic tidy table (CSV/TSV/XLSX): one row per well × target",
        signature="first row has 'sample', 'target' and a Cq column (Cq/Ct/Cp/Cт)",
        sniff=sniff,
        read=read,
    )
)
