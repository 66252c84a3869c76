"""Qiagen Rotor-Gene Q "Excel Analysed Data Export" (``.xls``/``.xlsx`` or a ``;``/``,`` CSV
re-save).

A key/value header (``File``, ``Date``, ``Time``, ``Machine Serial No`` ...) is followed by one
block per analysed channel, titled ``Quantitative analysis of Cycling A.<Channel> (<page>)``,
then a table ``No. Color Name Type Ct Ct Comment Given Conc (<unit>) ...``. Mapping: ``No.``
(rotor position 1..36/72/100) → ``well`` as text (``"25"``), the page name in the title →
``target`` (the channel when there is none), the channel → ``reporter``, ``Type`` → RDML sample
type, empty ``Ct`` → undetermined with ``Ct Comment`` kept as ``cq_comment``, ``Given Conc`` →
``quantity`` for standards. ``Type`` ``None`` marks an unused tube: such rows are dropped.
Melt blocks (``Melt analysis of ...``) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportParseError
from ..plate import is_whole
from ..regex import lazy_pattern
from ..schema import normalise_sample_type
from ._tabular import (
    as_text,
    first_table_rows,
    frame,
    norm_header,
)
from .checks import sample_types
from .headers import fold_text
from .numbers import decimal_mark, read_cq, read_numbers
from .registry import Export, ExportFormat, FileSample, RunInfo, register

NAME = "rotorgene"
_MARKER = "excel analysed data export"
_BLOCK = lazy_pattern(
    r"^quantitative analysis of\s+(?P<run>.+?)\.(?P<channel>[^.(]+?)\s*(?:\((?P<page>.*)\))?\s*$",
    re.IGNORECASE,
)
_TYPES = {"negative control": "ntc", "positive control": "pos", "standard": "std"}
_META = {
    "file": "run_file",
    "date": "date",
    "time": "time",
    "operator": "operator",
    "run id": "run_id",
    "machine serial no": "machine_serial_number",
}


def _first_cells(rows: list[list[Any]]) -> list[str]:
    return [norm_header(as_text(r[0])) for r in rows if r and as_text(r[0])]


def _is_export(first_cells: list[str]) -> bool:
    return bool(first_cells) and (
        first_cells[0] == _MARKER
        or any(c.startswith("quantitative analysis of ") for c in first_cells)
    )


def sniff(sample: FileSample) -> bool:
    r"""A Rotor-Gene "Excel Analysed Data Export", as a workbook or a CSV re-save.

    Parameters
    ----------
    sample
        The file's head.

    Returns
    -------
    bool
        True when the first cell reads ``Excel Analysed Data Export`` or a first-column cell
        starts a ``Quantitative analysis of`` block.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "rg.csv"
    >>> _ = path.write_text("Excel Analysed Data Export;;\nFile;run.rex;\n")
    >>> sniff(FileSample(path))
    True
    >>> folder.cleanup()
    """
    if sample.kind == "text":
        folded = fold_text(sample.text)  # what norm_header finds in a cell is in the head
        if "excel" not in folded and "quantitative" not in folded:
            return False
        cells = [re.split(r"[;,\t]", line, maxsplit=1)[0] for line in sample.lines]
        return _is_export([norm_header(c.lstrip("\ufeff")) for c in cells if c.strip()])
    if sample.sheet_names:
        return _is_export(_first_cells(sample.sheet_head(sample.sheet_names[0], rows=80)))
    return False


def read(path: Path, sample: FileSample) -> Export:
    r"""Read a Rotor-Gene analysed-data export into the wells table.

    Parameters
    ----------
    path
        The export (workbook or CSV).
    sample
        The file's head.

    Returns
    -------
    Export
        The wells table: the rotor position as ``well``, the page name as ``target`` (the
        channel when there is none), the channel as ``reporter``, ``Ct Comment`` as
        ``cq_comment``; unused tubes (``Type`` None) dropped.

    Raises
    ------
    ExportParseError
        No analysis block, an unknown ``Type``, or a cell that cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "rg.csv"
    >>> _ = path.write_text("Excel Analysed Data Export;;\nFile;run.rex;\n;;\n"
    ...                     "Quantitative analysis of Cycling A.Green (ACTB);;\n;;\n"
    ...                     "No.;Color;Name;Type;Ct;Ct Comment\n"
    ...                     "1;0;ctrl;Unknown;20.1;\n2;0;NTC;NTC;;NEG (NTC)\n")
    >>> export = read(path, FileSample(path))
    >>> export.wells
      well sample target sample_type    cq     cq_status reporter cq_comment
    0    1   ctrl   ACTB        unkn  20.1            ok    Green
    1    2    NTC   ACTB         ntc   NaN  undetermined    Green  NEG (NTC)
    >>> export.info.extra
    {'run_file': 'run.rex', 'rotor_positions': 2}
    >>> folder.cleanup()
    """
    rows, where = first_table_rows(path, sample.kind, sample.sheet_names)
    meta: dict[str, str] = {}
    titles: list[tuple[int, re.Match[str]]] = []
    for i, row in enumerate(rows):
        first = as_text(row[0]) if row else ""
        match = _BLOCK.match(first)
        if match:
            titles.append((i, match))
        elif not titles and norm_header(first) in _META and len(row) > 1:
            meta[_META[norm_header(first)]] = _meta_text(row[1])
    tables = [_table(rows, i, where) for i, _ in titles]
    numeric: dict[str, list[Any]] = {}
    for table, cols, _ in tables:
        for key in ("ct", _given(cols)):
            if key is not None:
                numeric.setdefault(cols[key], []).extend(table[cols[key]])
    given = {cols[g] for _, cols, _ in tables if (g := _given(cols)) is not None}
    decimal = decimal_mark(where, numeric, grouped=given, decimal=sample.decimal)
    blocks = [
        _block(table, cols, at, match, decimal)
        for (table, cols, at), (_, match) in zip(tables, titles, strict=True)
    ]
    if not blocks:
        raise ExportParseError(
            "no 'Quantitative analysis of ...' block; expected at least one analysed channel",
            where=where,
            hint="In the Rotor-Gene Q software run the Quantitation analysis, then use "
            "File > Save As > Excel Analysed Data Sheet",
        )
    wells = pd.concat(blocks, ignore_index=True)
    extra: dict[str, Any] = {k: v for k, v in meta.items() if v and k not in ("date", "time")}
    extra["rotor_positions"] = max((int(w) for w in wells["well"]), default=0)
    stamp = " ".join(v for v in (meta.get("date"), meta.get("time")) if v)
    run_date = _iso_date(stamp) if stamp else None
    info = RunInfo(
        path=str(path),
        format=NAME,
        instrument="Qiagen Rotor-Gene Q",
        software="Rotor-Gene Q Series Software",
        run_date=run_date,
        plate_size=None,
        extra=extra,
    )
    return Export(wells=wells, info=info)


def _meta_text(value: object) -> str:
    """A header cell as text; workbook dates and times in the software's own spelling."""
    if isinstance(value, (datetime, date)):
        return value.strftime("%m/%d/%Y")
    if isinstance(value, time):
        return value.strftime("%I:%M:%S %p")
    return as_text(value)


def _iso_date(text: str) -> str:
    """``3/16/2021 10:34:20 AM`` (month first, as the software writes it) → ISO 8601."""
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    return text


def _given(cols: dict[str, str]) -> str | None:
    """The normalised name of the ``Given Conc (<unit>)`` column, if any."""
    return next((c for c in cols if c.startswith("given conc")), None)


def _table(
    rows: list[list[Any]], title_row: int, where: str
) -> tuple[pd.DataFrame, dict[str, str], Callable[[int, str], str]]:
    """The table of the block titled at ``title_row`` (0-based), its columns by normalised
    name, and the place of a cell (data row, normalised column) for errors."""
    section = f"{where} section '{as_text(rows[title_row][0])}'"
    header = next(
        (
            j
            for j in range(title_row + 1, min(title_row + 6, len(rows)))
            if {"no.", "name", "type", "ct"} <= {norm_header(c) for c in rows[j]}
        ),
        None,
    )
    if header is None:
        raise ExportParseError(
            "no 'No. Color Name Type Ct' header below the block title",
            where=f"{section} row {title_row + 2}",
            hint="The file may be truncated; save the analysed export again",
        )
    table = frame(rows, header)
    cols = {norm_header(c): c for c in table.columns}
    row0 = header + 2

    def at(i: int, key: str) -> str:
        return f"{section} row {row0 + i} column '{cols[key]}'"

    return table, cols, at


def _type_of(text: str) -> str | None:
    """Sample type of a Rotor-Gene ``Type`` (``Unknown``, ``Standard``, ``NTC``); None if
    unknown."""
    return _TYPES.get(text.lower()) or normalise_sample_type(text)


def _block(
    table: pd.DataFrame,
    cols: dict[str, str],
    at: Callable[[int, str], str],
    match: re.Match[str],
    decimal: str,
) -> pd.DataFrame:
    """The wells of one ``Quantitative analysis`` block, numbers read with ``decimal``."""
    channel = match.group("channel").strip()
    page = (match.group("page") or "").strip()
    texts = [as_text(v) for v in table[cols["type"]]]
    keep = [i for i, text in enumerate(texts) if text.lower() != "none"]  # empty positions
    where = at(keep[0], "type") if keep else ""
    types = sample_types([texts[i] for i in keep], _type_of, where, "Type")
    positions = [as_text(v) for v in table[cols["no."]]]
    for i in keep:
        if not is_whole(positions[i]) or int(positions[i]) < 1:
            raise ExportParseError(
                f"rotor position '{positions[i]}' is not a whole number ≥ 1",
                where=at(i, "no."),
            )
    table = table.iloc[keep].reset_index(drop=True)
    cq, status = read_cq(
        list(table[cols["ct"]]),
        lambda k: at(keep[k], "ct"),
        decimal=decimal,
        hint="Rotor-Gene leaves Ct empty when the threshold is not reached",
        name="Ct",
    )
    out = pd.DataFrame(
        {
            "well": [str(int(positions[i])) for i in keep],
            "sample": [as_text(v) for v in table[cols["name"]]],
            "target": page or channel,
            "sample_type": types,
            "cq": cq,
            "cq_status": status,
            "reporter": channel,
        }
    )
    if "ct comment" in cols:
        out["cq_comment"] = [as_text(v) for v in table[cols["ct comment"]]]
    given = _given(cols)
    if given is not None:
        conc = read_numbers(
            list(table[cols[given]]), lambda k: at(keep[k], given), decimal, grouped=True
        )
        out["quantity"] = np.where(out["sample_type"] == "std", conc, np.nan)
    return out


register(
    ExportFormat(
        name=NAME,
        description="Qiagen Rotor-Gene Q 'Excel Analysed Data Export' (xls/xlsx or CSV re-save)",
        signature="first cell 'Excel Analysed Data Export' or a row 'Quantitative analysis of "
        "Cycling A.<Channel> (<page>)' followed by 'No. Color Name Type Ct'",
        sniff=sniff,
        read=read,
    )
)
