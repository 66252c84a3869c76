"""Generic tidy table: CSV/TSV or a workbook's first sheet with one row per well × target.

Columns (case-insensitive): ``sample``, ``target`` and a Cq column (``Cq``, ``Ct``, ``CT``,
``Cт``, ``Cp``) are required; ``well``, ``plate``, ``sample_type``, ``quantity``, ``reporter``,
``omit`` are optional; every other column (design factors, donor) is kept as text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from ..errors import ExportParseError, InputError
from ..plate import PLATES, normalise_well, plate_for_wells
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
    rename: dict[str, str] = {}
    for col in table.columns:
        key = norm_header(col)
        if key in CQ_HEADERS:
            rename.setdefault(col, "cq")
        elif key in _KNOWN:
            rename[col] = _KNOWN[key]
    header_cells = [str(c) for c in table.columns]
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

    out = pd.DataFrame(index=table.index)
    out["well"] = _wells(table, where) if "well" in table else None
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
                    where=at("sample_type")(i),
                )
            types.append(st)
        out["sample_type"] = types
    if "omit" in table:
        out["omitted"] = [parse_bool(v) for v in table["omit"]]
    numeric = {header_of.get(c, c): list(table[c]) for c in ("cq", "quantity") if c in table}
    grouped = {header_of.get("quantity", "quantity")}
    decimal = decimal_mark(where, numeric, grouped=grouped, decimal=decimal)
    out["cq"], out["cq_status"] = read_cq(
        list(table["cq"]),
        at("cq"),
        decimal=decimal,
        flagged=out["omitted"].tolist() if "omit" in table else None,
        hint="Write non-detects as 'Undetermined' or leave the cell empty",
        name=header_of.get("cq", "Cq"),
    )
    if "quantity" in table:
        out["quantity"] = read_numbers(list(table["quantity"]), at("quantity"), decimal, True)
    extra = [c for c in table.columns if c not in rename.values() and c.strip()]
    for col in extra:
        out[col.strip()] = [as_text(v) for v in table[col]]
    empty_target = out["target"].eq("")
    if empty_target.any():
        i = int(empty_target.to_numpy().nonzero()[0][0])
        raise ExportParseError("empty target", where=at("target")(i))
    info = RunInfo(path=path, format=NAME, software="tidy table")
    return Export(wells=out.reset_index(drop=True), info=info)


def _wells(table: pd.DataFrame, where: str) -> list[str | None]:
    """Canonical well names of the ``well`` column (None where empty).

    Names (``B7``) fix the smallest plate that holds them; numbers are 1-based row-major on a
    96-well plate, or 384 when one exceeds 96 (never 48: a tidy table does not say it is a
    StepOne plate).
    """
    wells = [as_text(w) for w in table["well"]]
    try:
        plate = plate_for_wells([w for w in wells if w and not w.isdigit()] or ["A1"], hint=96)
        numbers = [int(w) for w in wells if w.isdigit()]
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
