"""The results workbook (``results.xlsx``) written with openpyxl.

Sheets: **Summary** (title, input lines, fold changes with CI and p, ratios, warnings), one
sheet per table (frozen header, autofilter, widths, number formats; ``qc`` rows of severity
warn/fail highlighted), **Figures** (the PNGs) and **Methods** (wrapped paragraphs). Every text
cell goes through :func:`qpcr.report.safe.escape_cell` and is stored as a string, so a sample
named ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..atomic import atomic_write
from ..errors import InputError
from ..schema import SCALES, output_scale
from .safe import escape_cell

__all__ = ["number_format", "write_results_workbook"]

_SEVERITY_FILL = {"warn": "FFFFEB9C", "warning": "FFFFEB9C", "fail": "FFFFC7CE"}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 60


def number_format(column: str) -> str | None:
    """Excel number format of an output column from its scale (:data:`qpcr.schema.SCALES`).

    Parameters
    ----------
    column
        An output column's name.

    Returns
    -------
    str or None
        Cq → ``0.00``, p → three decimals and ``<0.001`` below (the cell keeps the value),
        fold change, log2, ratios and other numbers → ``0.000`` (ratios get more decimals when
        small, see :func:`_decimals`); None for counts, flags, text and undeclared columns
        (other float columns then get ``0.000``, integers stay General).

    Examples
    --------
    >>> [number_format(c) for c in ("fold_change", "p_value", "cq_mean", "n", "oxygen")]
    ['0.000', '[<0.001]"<0.001";0.000', '0.00', None, None]
    """
    scale = output_scale(str(column))
    return SCALES[scale][1] if scale else None


def write_results_workbook(
    path: str | Path,
    *,
    summary: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    figures: Sequence[Path],
    methods_text: str,
) -> None:
    """Write the results workbook atomically (temporary file beside ``path``, then rename).

    Text cells are escaped (:func:`qpcr.report.safe.escape_cell`); every sheet prints one
    landscape page wide.

    Parameters
    ----------
    path
        The workbook to write.
    summary
        ``title`` (str), ``lines`` (list of str: inputs, reference genes ...),
        ``fold_changes`` and ``ratios`` (DataFrames, may be empty), ``warnings`` (list of str).
    tables
        Sheet name → table; one sheet each, in order.
    figures
        PNG files embedded on the Figures sheet.
    methods_text
        Paragraphs separated by blank lines.

    Raises
    ------
    InputError
        A figure file is missing.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from openpyxl import load_workbook
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "results.xlsx"
    >>> table = pd.DataFrame({"target": ["MYC"], "fold_change": [3.9087], "p_value": [0.00088]})
    >>> summary = {"title": "qpcr results", "lines": ["Inputs: run.csv"]}
    >>> write_results_workbook(path, summary=summary, tables={"fold_changes": table}, figures=[],
    ...                        methods_text="Relative quantification was performed.")
    >>> book = load_workbook(path)
    >>> book.sheetnames
    ['Summary', 'fold_changes', 'Methods']
    >>> [(c.value, c.number_format) for c in book["fold_changes"][2]]
    [('MYC', 'General'), (3.9087, '0.000'), (0.00088, '[<0.001]"<0.001";0.000')]
    >>> folder.cleanup()
    """
    from openpyxl import Workbook

    path = Path(path)
    missing = [str(f) for f in figures if not Path(f).is_file()]
    if missing:
        raise InputError(f"figure file(s) not found: {', '.join(missing)}", where=str(path))
    book = Workbook(write_only=True)  # each row goes to the file as it is written
    _summary_sheet(_Sheet(book.create_sheet("Summary")), summary)
    used = {"Summary", "Figures", "Methods"}
    for name, table in tables.items():
        sheet = _Sheet(book.create_sheet(_sheet_name(name, used)))
        sheet.ws.freeze_panes = "A2"
        sheet.ws.print_title_rows = "1:1"  # the header on every printed page
        if len(table.columns):
            sheet.ws.auto_filter.ref = f"A1:{_col(len(table.columns))}{len(table) + 1}"
        columns = _columns(table)
        _widen(sheet.ws, columns)
        _table(sheet, table, columns, top=1, severity=name.lower() == "qc")
        sheet.close()
    if figures:
        _figures_sheet(_Sheet(book.create_sheet("Figures")), figures)
    _methods_sheet(_Sheet(book.create_sheet("Methods")), methods_text)
    atomic_write(path, lambda tmp: book.save(tmp))


class _Sheet:
    """A write-only worksheet and the rows written so far: rows go in order, and column
    widths and panes are set before the first (openpyxl writes them ahead of the rows).
    Every sheet prints landscape, as many pages wide as stay readable (:meth:`close`)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.row = 0  # the last row written
        self.ncols = 0  # the rightmost column holding a cell or a merged range
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True

    def put(self, row: int, cells: list[Any]) -> None:
        """Write ``cells`` (from :func:`_cell`) as row ``row``, after blank rows up to it."""
        for _ in range(self.row + 1, row):
            self.ws.append([])
        self.ws.append(cells)
        self.row, self.ncols = row, max(self.ncols, len(cells))

    def close(self) -> None:
        """Set the pages across, from the columns' widths."""
        self.ws.page_setup.fitToWidth = _pages_wide(self.ws, self.ncols)


def _cell(ws: Any, value: Any, like: Any = None, **style: Any) -> Any:
    """A cell of ``ws`` holding :func:`_value` of ``value``, with the given styles (``font``,
    ``alignment``, ``number_format``, ``fill``; None leaves the default), or the styles of
    ``like`` (from :func:`_style`)."""
    from openpyxl.cell import Cell

    cell = Cell(ws, row=1, column=1, value=_value(value), style_array=like)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # text stays text, even "#N/A"
    for key, item in style.items():
        if item is not None:
            setattr(cell, key, item)
    return cell


def _style(ws: Any, **style: Any) -> Any:
    """The styles of a :func:`_cell` of ``ws`` as one array, shared by every cell given it as
    ``like``: each style is looked up in the workbook's lists once, not once per cell."""
    return _cell(ws, None, **style)._style


#: Column width (in characters) that fits one landscape page at a readable size (≥ 8 pt).
_PAGE_CHARS = 190


def _pages_wide(ws: Any, ncols: int) -> int:
    """Pages across for a sheet of ``ncols`` columns: one unless its columns would shrink
    below a readable size (the wells sheet spreads over two)."""
    widths = [ws.column_dimensions[_col(j)].width or 9 for j in range(1, ncols + 1)]
    return max(1, math.ceil(sum(widths) / _PAGE_CHARS))


def _col(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, no ``[]:*?/\\``)."""
    base = _SHEET_BAD.sub("_", str(name)).strip("'") or "table"
    base = base[:31]
    candidate, k = base, 1
    while candidate.lower() in {u.lower() for u in used}:
        k += 1
        candidate = f"{base[: 31 - len(str(k)) - 1]}_{k}"
    used.add(candidate)
    return candidate


def _value(value: Any) -> Any:
    """A cell value: numpy scalars → Python, NaN/NA → None, text escaped."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if isinstance(value, (bool, int, float, pd.Timestamp)):
        return value
    return escape_cell(str(value))


class _Column(NamedTuple):
    name: str
    number_format: str | None  # of the body cells
    alignment: Any  # of every cell; None: right-aligned numbers
    width: int


def _columns(table: pd.DataFrame) -> list[_Column]:
    """Each column's header, number format, alignment and width (characters)."""
    from openpyxl.styles import Alignment

    out = []
    body = table.iloc[:200].to_numpy(dtype=object)
    for j, name in enumerate(str(c) for c in table.columns):
        column = table.iloc[:, j]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        if numeric:
            fmt = number_format(name)
            if fmt is None and pd.api.types.is_float_dtype(column):
                fmt = "0.000"
            if output_scale(name) in ("ratio", "fold change", "quantity"):
                fmt = _decimals(column)
            width = len(name) + 3  # bold header text runs wider than the body's digits
            out.append(_Column(name, fmt, None, width))
        else:  # indented: a text column's header never touches a right-aligned one before it
            width = max(len(t) for t in [name, *(str(_value(v) or "") for v in body[:, j])]) + 4
            out.append(_Column(name, None, Alignment(horizontal="left", indent=1), width))
    return out


def _widen(ws: Any, columns: list[_Column]) -> None:
    """Widen the sheet's columns to fit ``columns`` (the Summary sheet holds two tables)."""
    for j, column in enumerate(columns, start=1):
        letter = _col(j)
        before = ws.column_dimensions[letter].width if letter in ws.column_dimensions else 0
        ws.column_dimensions[letter].width = max(before, min(max(column.width, 9), _MAX_WIDTH))


def _table(
    sheet: _Sheet, table: pd.DataFrame, columns: list[_Column], top: int, severity: bool = False
) -> int:
    """Write ``table`` with its header at row ``top``; return the next free row."""
    from openpyxl.styles import Alignment, Font, PatternFill

    ws, bold, right = sheet.ws, Font(bold=True), Alignment(horizontal="right")
    sheet.put(top, [_cell(ws, c.name, font=bold, alignment=c.alignment or right)
                    for c in columns])  # fmt: skip
    body = table.to_numpy(dtype=object)
    colors: list[str | None] = [None] * len(body)
    names = [c.name for c in columns]
    if severity and "severity" in names:
        colors = [_SEVERITY_FILL.get(str(v).lower()) for v in body[:, names.index("severity")]]
    styles = {}  # each row colour's cell styles, column by column, in the order first met
    for color in dict.fromkeys(colors):
        fill = PatternFill("solid", fgColor=color) if color else None
        styles[color] = [_style(ws, number_format=c.number_format, alignment=c.alignment,
                                fill=fill) for c in columns]  # fmt: skip
    for i, row in enumerate(body):
        sheet.put(top + 1 + i, [_cell(ws, value, like) for value, like in
                                zip(row, styles[colors[i]], strict=True)])  # fmt: skip
    return top + len(table) + 2


def _decimals(column: pd.Series) -> str:
    """A fixed format with enough decimals for three significant digits of the column's
    smallest value (a RANKL/OPG ratio of 0.0018 prints 0.00180, not 0.002)."""
    values = pd.to_numeric(column, errors="coerce").abs()
    values = values[(values > 0) & np.isfinite(values)]
    if values.empty:
        return "0.000"
    decimals = min(10, max(3, 2 - math.floor(math.log10(float(values.min())))))
    return "0." + "0" * decimals


def _summary_sheet(sheet: _Sheet, summary: dict[str, Any]) -> None:
    from openpyxl.styles import Alignment, Font

    ws = sheet.ws
    tables = {heading: summary[key] for key, heading in
              (("fold_changes", "Fold changes"), ("ratios", "Ratios"))
              if summary.get(key) is not None and len(summary[key])}  # fmt: skip
    columns = {heading: _columns(table) for heading, table in tables.items()}
    for cols in columns.values():
        _widen(ws, cols)
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 16)
    # each warning wraps inside the width of the tables above (merged cells), so a long
    # sentence neither hides behind the next column nor widens the printed page
    ncols = max([6, *(len(cols) for cols in columns.values())])
    chars = sum((ws.column_dimensions[_col(j)].width or 9) for j in range(1, ncols + 1))
    sheet.put(1, [_cell(ws, summary.get("title", "qPCR results"), font=Font(bold=True, size=14))])
    row = 3
    for line in summary.get("lines", []):
        sheet.put(row, [_cell(ws, line)])
        row += 1
    for heading, table in tables.items():
        row += 1
        sheet.put(row, [_cell(ws, heading, font=Font(bold=True, size=12))])
        row = _table(sheet, table, columns[heading], top=row + 1)
    warnings = summary.get("warnings", [])
    row += 1
    heading = "Warnings" if warnings else "Warnings: none"
    sheet.put(row, [_cell(ws, heading, font=Font(bold=True, size=12))])
    wrap = Alignment(wrap_text=True, vertical="top")
    for text in warnings:
        row += 1
        cell = _cell(ws, f"• {text}", alignment=wrap)
        ws.row_dimensions[row].height = 15 * max(1, math.ceil(len(str(cell.value)) / chars))
        ws.merged_cells.add(f"A{row}:{_col(ncols)}{row}")
        sheet.put(row, [cell])
        sheet.ncols = ncols
    sheet.close()


def _figures_sheet(sheet: _Sheet, figures: Sequence[Path]) -> None:
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font
    from openpyxl.worksheet.pagebreak import Break

    row = 1
    for figure in figures:
        sheet.put(row, [_cell(sheet.ws, Path(figure).name, font=Font(bold=True))])
        image = Image(str(figure))
        # one landscape page each: at most 960 × 600 px (96 dpi), then a page break
        scale = min(960 / image.width, 600 / image.height)
        image.width, image.height = image.width * scale, image.height * scale
        sheet.ws.add_image(image, f"A{row + 1}")
        row += 2 + math.ceil(image.height / 20)  # default row height is 20 px
        sheet.ws.row_breaks.append(Break(id=row - 1))
    sheet.close()


def _methods_sheet(sheet: _Sheet, text: str) -> None:
    from openpyxl.styles import Alignment, Font

    sheet.ws.column_dimensions["A"].width = 95  # wider no longer fits a landscape page
    sheet.put(1, [_cell(sheet.ws, "Methods", font=Font(bold=True, size=14))])
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, paragraph in enumerate(paragraphs, start=3):
        flat = " ".join(paragraph.split())
        sheet.ws.row_dimensions[i].height = 15 * max(1, math.ceil(len(flat) / 90))
        sheet.put(i, [_cell(sheet.ws, flat, alignment=wrap)])
    sheet.close()
