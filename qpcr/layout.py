"""Plate layouts: what each well holds (sample, target, sample type, design factors, replicate).

Two forms, both CSV or workbook (any sheet of .xlsx/.xls/.ods, read with python-calamine):

* **long**: one row per well, a ``well`` column (``A1``/``A01``) and any of ``plate``,
  ``sample``, ``target``, ``sample_type``, ``quantity`` and factor/replicate columns;
* **grid**: one plate-shaped block per variable; the block's top-left cell names the variable,
  the rest of its first row holds the column numbers 1..12 (or 1..24) and its first column the
  row letters A..H (or A..P). Empty cells mean "no value"; a well empty in every block is unused.

:func:`load_layout` returns one row per used well with a canonical ``well`` column;
:func:`join_layout` attaches it to the wells table of an export and reports every mismatch
(:mod:`qpcr.layout_join`; its names are importable from here too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ExportParseError, InputError, LayoutError, LayoutMismatchError, listed
from .io._tabular import as_texts, decode_bytes, norm_header, split_rows
from .io.failures import damaged_file
from .io.inputs import OLE2_MAGIC, ZIP_MAGIC, check_text, open_workbook, read_input
from .io.numbers import decimal_mark, read_numbers
from .kept import Kept
from .layout_join import check_layout, join_layout, renamed_samples, same_name
from .plate import PLATES, PlateFormat, is_whole, normalise_wells
from .schema import normalise_sample_type

__all__ = [
    "check_layout",
    "grid_text",
    "join_layout",
    "load_layout",
    "renamed_samples",
    "same_name",
]

_STANDARD = {"well", "plate", "sample", "target", "sample_type", "quantity"}
_ALIASES = {"sample type": "sample_type", "type": "sample_type", "task": "sample_type",
            "sample name": "sample", "target name": "target", "gene": "target"}  # fmt: skip


def _sheets(path: Path, data: bytes) -> list[tuple[str, list[list[str]]]]:
    """Every sheet of a layout workbook, or the one table of a text layout (``data``, the
    file's bytes, already held to the input budget), as (place, rows of cell texts): each cell
    is read as :func:`as_text` reads it, once."""
    if _is_workbook(data):
        try:
            book = open_workbook(path)
            return [
                (
                    f"{path} [{name}]",
                    [as_texts(r) for r in book.get_sheet_by_name(name).to_python()],
                )
                for name in book.sheet_names
            ]
        except InputError:
            raise
        except Exception as exc:  # calamine's own error types
            raise LayoutError(f"cannot read the workbook ({exc})", where=str(path)) from None
    try:
        text = decode_bytes(data)[0]
    except Exception:
        raise LayoutError("cannot decode the layout as text", where=str(path)) from None
    return [(str(path), [as_texts(r) for r in split_rows(text)])]


def _is_workbook(data: bytes) -> bool:
    return data.startswith((ZIP_MAGIC, OLE2_MAGIC))


def _is_int(text: str, expected: int) -> bool:
    return is_whole(text) and int(text) == expected


def _grid_blocks(rows: list[list[str]], where: str) -> list[tuple[str, PlateFormat, dict]]:
    """Find plate-shaped blocks in rows of cell texts (:func:`as_texts`): (variable name,
    plate, {well: value})."""
    blocks = []
    for i, row in enumerate(rows):
        # a grid's header row holds the column number 1: only the cells after such a cell
        # can start one (the other cells fail the test below at its first step)
        for j in [k - 1 for k, text in enumerate(row) if k and _is_int(text, 1)]:
            if not (len(row) > j + 2 and _is_int(row[j + 2], 2)):
                continue
            ncols = 0
            while j + 1 + ncols < len(row) and _is_int(row[j + 1 + ncols], ncols + 1):
                ncols += 1
            plate = {12: PLATES[96], 24: PLATES[384], 8: PLATES[48]}.get(ncols)
            if plate is None:
                raise LayoutError(
                    f"a grid header has {ncols} numbered columns; expected 8, 12 or 24",
                    where=f"{where} row {i + 1}",
                )
            name = row[j] or (rows[i - 1][j] if i > 0 and j < len(rows[i - 1]) else "")
            if not name:
                raise LayoutError(
                    "a plate grid has no variable name in its top-left cell",
                    where=f"{where} row {i + 1}",
                    hint="Write the variable (sample, oxygen, ...) above the column numbers",
                )
            values: dict[str, Any] = {}
            for r, letter in enumerate(plate.row_letters):
                k = i + 1 + r
                if k >= len(rows) or (rows[k][j] if j < len(rows[k]) else "").upper() != letter:
                    raise LayoutError(
                        f"grid '{name}' row {r + 1} should be labelled '{letter}'; "
                        f"a {plate.describe()} needs {plate.rows} lettered rows",
                        where=f"{where} row {k + 1}",
                    )
                for c in range(plate.cols):
                    text = rows[k][j + 1 + c] if j + 1 + c < len(rows[k]) else ""
                    if text:
                        values[f"{letter}{c + 1}"] = text
            blocks.append((_canonical(name), plate, values))
    return blocks


def _canonical(name: str) -> str:
    key = norm_header(name)
    key = _ALIASES.get(key, key)
    return key if key in _STANDARD else name.strip()


def _long_table(rows: list[list[str]], where: str) -> tuple[pd.DataFrame, list[int]] | None:
    """The long form in rows of cell texts (:func:`as_texts`) and the file row of each of its
    rows; None without a ``well`` column."""
    start = next((i for i, r in enumerate(rows) if any(r)), None)
    if start is None:
        return None
    header = rows[start]
    if "well" not in {norm_header(h) for h in header}:
        return None
    names = [_canonical(h) if h else f"column {k + 1}" for k, h in enumerate(header)]
    twice = sorted(n for n, k in Counter(names).items() if k > 1)
    if twice:
        raise LayoutError(
            f"column(s) {', '.join(map(repr, twice))} appear more than once; expected one "
            "column per variable",
            where=f"{where} row {start + 1}",
            hint="Rename or remove the repeated columns",
        )
    body = []
    for r in rows[start + 1 :]:
        if any(r):
            body.append(r[: len(names)] + [""] * (len(names) - len(r)))
    table = pd.DataFrame(body, columns=names, dtype=object)
    return table, [start + 2 + k for k in range(len(table))]


def load_layout(
    path: str | Path, plate: int | None = None, decimal: str | None = None
) -> pd.DataFrame:
    """Read a long or grid layout into one row per used well.

    Columns: ``well`` (canonical ``A1``), optional ``plate``, ``sample``, ``target``,
    ``sample_type`` (RDML vocabulary), ``quantity`` (float) and every factor column (text).

    Parameters
    ----------
    path
        CSV or workbook (.xlsx, .xls, .ods: every sheet is read), long or grid form.
    plate
        Plate size (48, 96 or 384) when known; None: from the grids or the wells named.
    decimal
        The decimal mark of ``quantity`` (``","`` or ``"."``) when the file alone cannot tell
        (``1,000``); None detects it.

    Returns
    -------
    pandas.DataFrame
        One row per used well, columns as above.

    Raises
    ------
    LayoutError
        The file is missing or holds no layout in either form.
    LayoutMismatchError
        The layout does not fit the plate.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "layout.csv"
    ...     _ = path.write_text("Well,Sample,Target,group\\nA1,s1,MYC,dmso\\nA02,s2,MYC,drug\\n")
    ...     layout = load_layout(path)
    >>> layout
      well sample target group
    0   A1     s1    MYC  dmso
    1   A2     s2    MYC  drug
    """
    path = Path(path)
    if not path.exists():
        raise LayoutError("layout file not found", where=str(path))
    with damaged_file(str(path), LayoutError, "layout"):
        data = read_input(path)
        if _is_workbook(data):  # calamine reads the file itself
            return _parse(path, data, plate, decimal)
        check_text(data, str(path))
    parsed = _PARSED.get((data, plate, decimal), lambda: _parse(path, data, plate, decimal))
    return parsed.copy(deep=False)


#: Text layouts parsed, by (the file's bytes, plate, decimal): the table depends on nothing
#: else (the path is named in errors only, and a refused file is not kept), so a batch that
#: gives every plate one layout parses it once. Callers get a copy (copy-on-write).
_PARSED = Kept[pd.DataFrame](size=8)


def _parse(path: Path, data: bytes, plate: int | None, decimal: str | None) -> pd.DataFrame:
    """The layout of a file's bytes (see :func:`load_layout`)."""
    tables = []
    blocks: list[tuple[str, PlateFormat, dict]] = []
    with damaged_file(str(path), LayoutError, "layout"):
        for where, rows in _sheets(path, data):
            found = _grid_blocks(rows, where)
            if found:
                blocks += found
                continue
            found_long = _long_table(rows, where)
            if found_long is not None:
                tables.append((where, *found_long))
    if blocks:
        layout = _from_blocks(blocks, str(path), plate)
    elif tables:
        layout = _from_long(tables, plate)
    else:
        raise LayoutError(
            "no layout found; expected a table with a 'well' column or plate-shaped grids",
            where=str(path),
            hint="See plate_layouts/README.md for both forms",
        )
    return _finish(layout, str(path), decimal)


def _from_blocks(
    blocks: list[tuple[str, PlateFormat, dict]], where: str, size: int | None
) -> pd.DataFrame:
    plates = {p.size for _, p, _ in blocks}
    if len(plates) > 1:
        raise LayoutError(f"grids of different plate sizes {sorted(plates)}", where=where)
    plate = blocks[0][1]
    if size is not None and size != plate.size:
        raise LayoutMismatchError(
            f"the layout is a {plate.describe()} but the export is a {size}-well plate",
            where=where,
        )
    dupes = sorted(n for n, k in Counter(name for name, _, _ in blocks).items() if k > 1)
    if dupes:
        raise LayoutError(f"variable(s) {dupes} have more than one grid", where=where)
    wells = [w for w in plate.wells() if any(w in values for _, _, values in blocks)]
    data = {"well": wells}
    for name, _, values in blocks:
        data[name] = [values.get(w, "") for w in wells]
    return pd.DataFrame(data, dtype=object)


def _from_long(tables: list[tuple[str, pd.DataFrame, list[int]]], size: int | None) -> pd.DataFrame:
    """The long tables (with the file row of each row) one under the other, wells canonical."""
    frames = []
    for where, table, rows in tables:
        plate = PLATES.get(size) if size else None
        wells = normalise_wells(table["well"].tolist(), plate, partial(_refused_well, where, rows))
        frames.append(table.assign(well=wells))
    return pd.concat(frames, ignore_index=True)


def _refused_well(where: str, rows: list[int], i: int, exc: InputError) -> LayoutError:
    """The refusal of the ``i``-th well of a long table (``rows``: the file rows)."""
    return LayoutError(str(exc), where=f"{where} row {rows[i]} column 'well'")


def _finish(layout: pd.DataFrame, where: str, decimal: str | None) -> pd.DataFrame:
    if "sample_type" in layout:
        types = []
        known: dict[str, str | None] = {"": "unkn"}  # each distinct text read once
        for well, value in zip(layout["well"], layout["sample_type"], strict=True):
            if value not in known:
                known[value] = normalise_sample_type(value)
            st = known[value]
            if st is None:
                raise LayoutError(
                    f"unknown sample type '{value}' in well {well}",
                    where=where,
                    hint="Use unkn, ntc, nrt, nac, std, pos (or Unknown, NTC, Standard)",
                )
            types.append(st)
        layout["sample_type"] = types
    if "quantity" in layout:
        cells = list(layout["quantity"])
        wells = layout["well"].tolist()
        try:
            mark = decimal_mark(where, {"quantity": cells}, grouped={"quantity"}, decimal=decimal)
            layout["quantity"] = read_numbers(
                cells, lambda i: f"{where} well {wells[i]} column 'quantity'", mark, grouped=True
            )
        except ExportParseError as exc:
            raise LayoutError(exc.message, where=exc.where, hint=exc.hint) from None
    keys = ["plate", "well"] if "plate" in layout else ["well"]
    if "target" in layout:
        keys.append("target")
    if not _distinct_text(layout, keys):
        dupes = layout[layout.duplicated(keys, keep=False)]
        if not dupes.empty:
            rows = listed(dupes[keys].drop_duplicates().astype(str).agg(" ".join, axis=1))
            raise LayoutError(f"wells listed more than once: {rows}", where=where)
    return layout.reset_index(drop=True)


def _distinct_text(table: pd.DataFrame, keys: list[str]) -> bool:
    """Whether ``keys`` hold text only, each row's combination once: then
    ``table.duplicated(keys)`` finds none (False says nothing)."""
    cells = [table[k].tolist() for k in keys]
    if not all(type(v) is str for column in cells for v in column):
        return False
    return len(set(zip(*cells, strict=True))) == len(table)


def grid_text(layout: pd.DataFrame, plate: PlateFormat, variables: Sequence[str]) -> str:
    """CSV text of the grid form: one plate-shaped block per variable, blank line between.

    Parameters
    ----------
    layout
        A layout table (:func:`load_layout`) with a ``well`` column.
    plate
        The plate format (:data:`qpcr.plate.PLATES`).
    variables
        The layout columns to write, one block each.

    Returns
    -------
    str
        The grids; :func:`load_layout` reads them back.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.plate import PLATES
    >>> layout = pd.DataFrame({"well": ["A1", "A2"], "treatment": ["dmso", "drug"]})
    >>> print(grid_text(layout, PLATES[48], ["treatment"]))
    treatment,1,2,3,4,5,6,7,8
    A,dmso,drug,,,,,,
    B,,,,,,,,
    C,,,,,,,,
    D,,,,,,,,
    E,,,,,,,,
    F,,,,,,,,
    <BLANKLINE>
    """
    by_well = layout.set_index("well")
    lines = []
    for name in variables:
        lines.append(",".join([name, *map(str, range(1, plate.cols + 1))]))
        for letter in plate.row_letters:
            cells = []
            for c in range(1, plate.cols + 1):
                well = f"{letter}{c}"
                value = by_well[name].get(well, "") if well in by_well.index else ""
                cells.append("" if pd.isna(value) else str(value))
            lines.append(",".join([letter, *cells]))
        lines.append("")
    return "\n".join(lines)
