"""The results workbook (``results.xlsx``) written with XlsxWriter.

Sheets: **Summary** (title, input lines, fold changes with CI and p, ratios, warnings), one
sheet per table (frozen header, autofilter, widths, number formats; ``qc`` rows of severity
warn/fail highlighted), **Figures** (the PNGs) and **Methods** (wrapped paragraphs). Every text
cell goes through :func:`qpcr.report.safe.escape_cell` and is stored as a string, so a sample
named ``=HYPERLINK(...)`` stays text. (openpyxl still reads workbooks and writes the
``qpcr template``: XlsxWriter writes the same workbook in a fifth of the time.)
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
#: Width of the Summary's columns that no table sets, up to the warnings' merged width.
_SUMMARY_WIDTH = 13


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
    path = Path(path)
    missing = [str(f) for f in figures if not Path(f).is_file()]
    if missing:
        raise InputError(f"figure file(s) not found: {', '.join(missing)}", where=str(path))

    def write(tmp: Path) -> None:
        import xlsxwriter

        with open(tmp, "wb") as handle:
            options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
            book = xlsxwriter.Workbook(handle, options)
            _contents(_Book(book), summary, tables, figures, methods_text)
            book.close()

    atomic_write(path, write)


def _contents(
    book: _Book,
    summary: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    figures: Sequence[Path],
    methods_text: str,
) -> None:
    """Every sheet of the workbook, in order."""
    _summary_sheet(book.sheet("Summary"), summary)
    used = {"Summary", "Figures", "Methods"}
    for name, table in tables.items():
        sheet = book.sheet(_sheet_name(name, used))
        sheet.ws.freeze_panes(1, 0)
        sheet.ws.repeat_rows(0)  # the header on every printed page
        if len(table.columns):
            sheet.ws.autofilter(0, 0, len(table), len(table.columns) - 1)
        columns = _columns(table)
        sheet.widen(columns)
        _table(sheet, table, columns, top=1, severity=name.lower() == "qc")
        sheet.close()
    if figures:
        _figures_sheet(book.sheet("Figures"), figures)
    _methods_sheet(book.sheet("Methods"), methods_text)


class _Book:
    """An XlsxWriter workbook and its cell formats, each made once (a format is a dict of
    XlsxWriter properties: ``bold``, ``font_size``, ``num_format``, ``align``, ``indent``,
    ``text_wrap``, ``valign``, ``pattern`` + ``bg_color``)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.formats: dict[tuple[tuple[str, Any], ...], Any] = {}

    def format(self, **props: Any) -> Any:
        """The workbook's format with ``props`` (None values left out); None if there are none."""
        key = tuple(sorted((k, v) for k, v in props.items() if v is not None))
        if not key:
            return None
        if key not in self.formats:
            self.formats[key] = self.book.add_format(dict(key))
        return self.formats[key]

    def sheet(self, name: str) -> _Sheet:
        """A new worksheet, last."""
        return _Sheet(self, self.book.add_worksheet(name))


class _Sheet:
    """A worksheet, its column widths (characters) and its rightmost column in use. Every
    sheet prints landscape, as many pages wide as stay readable (:meth:`close`)."""

    def __init__(self, book: _Book, ws: Any) -> None:
        self.book, self.ws = book, ws
        self.widths: dict[int, int] = {}  # 0-based column → width
        self.ncols = 0  # the rightmost column holding a cell or a merged range
        ws.set_landscape()

    def put(self, row: int, col: int, value: Any, style: Any = None) -> None:
        """Write :func:`_value` of ``value`` at ``row``, ``col`` (0-based) in the format
        ``style`` (from :meth:`_Book.format`), as :func:`_write` does."""
        _write(self.ws, row, col, _value(value), style)
        self.ncols = max(self.ncols, col + 1)

    def widen(self, columns: list[_Column]) -> None:
        """Widen the columns to fit ``columns`` (the Summary sheet holds two tables)."""
        for j, column in enumerate(columns):
            width = min(max(column.width, 9), _MAX_WIDTH)
            self.widths[j] = max(self.widths.get(j, 0), width)

    def close(self) -> None:
        """Set the column widths and the pages across, from the columns' widths."""
        for j, width in self.widths.items():
            # Calibri 11's digit is 7 px: the file then holds exactly ``width`` characters
            self.ws.set_column_pixels(j, j, 7 * width)
        # as text: XlsxWriter leaves out fitToWidth="1" (the schema's default), which some
        # readers (openpyxl) then report as unset
        self.ws.fit_to_pages(str(_pages_wide(self.widths, self.ncols)), 0)


#: Column width (in characters) that fits one landscape page at a readable size (≥ 8 pt).
_PAGE_CHARS = 190


def _pages_wide(widths: dict[int, int], ncols: int) -> int:
    """Pages across for a sheet of ``ncols`` columns: one unless its columns would shrink
    below a readable size (the wells sheet spreads over two)."""
    total = sum(widths.get(j, 9) for j in range(ncols))
    return max(1, math.ceil(total / _PAGE_CHARS))


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, no ``[]:*?/\\``, no apostrophe first
    or last)."""
    base = _SHEET_BAD.sub("_", str(name)).strip("'")[:31].rstrip("'") or "table"
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
    if isinstance(value, (bool, int, float)):
        return value
    return escape_cell(str(value))


def _cells(column: pd.Series) -> list[Any]:
    """:func:`_value` of each of ``column``'s values: a numpy column of numbers or flags as it
    is (its finite floats, integers and bools are their own cell values), others one by one."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else "O"
    if kind not in "iubf":  # text, extension arrays (nullable, categorical), dates
        return [_value(v) for v in column.to_numpy(dtype=object)]
    values = column.to_numpy()
    if kind == "f" and not np.isfinite(values).all():
        return [_value(v) for v in values.tolist()]
    return values.tolist()


def _write(ws: Any, row: int, col: int, value: Any, style: Any) -> None:
    """Write the cell value ``value`` (from :func:`_value`) at ``row``, ``col`` (0-based) in the
    format ``style``: text stays text, even "#N/A"; a missing value or empty text with a format
    is a formatted blank cell, without one no cell."""
    if value is None or value == "":
        if style is not None:
            ws.write_blank(row, col, None, style)
    elif isinstance(value, str):
        ws.write_string(row, col, value, style)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, style)
    else:
        ws.write_number(row, col, value, style)


class _Column(NamedTuple):
    name: str
    number_format: str | None  # of the body cells
    alignment: dict[str, Any] | None  # of every cell; None: right-aligned numbers
    width: int
    cells: list[Any]  # the body's cell values (:func:`_cells`)


_LEFT = {"align": "left", "indent": 1}


def _columns(table: pd.DataFrame) -> list[_Column]:
    """Each column's header, number format, alignment, width (characters) and cell values."""
    out = []
    for label, column in table.items():
        name = str(label)
        cells = _cells(column)
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        if numeric:
            fmt = number_format(name)
            if fmt is None and pd.api.types.is_float_dtype(column):
                fmt = "0.000"
            if output_scale(name) in ("ratio", "fold change", "quantity"):
                fmt = _decimals(column)
            width = len(name) + 3  # bold header text runs wider than the body's digits
            out.append(_Column(name, fmt, None, width, cells))
        else:  # indented: a text column's header never touches a right-aligned one before it
            # the first 200 rows measured, each distinct text once (a sample name repeats)
            texts = {str(c or "") for c in cells[:200]}
            width = max(len(t) for t in [name, *texts]) + 4
            out.append(_Column(name, None, _LEFT, width, cells))
    return out


def _table(
    sheet: _Sheet, table: pd.DataFrame, columns: list[_Column], top: int, severity: bool = False
) -> int:
    """Write ``table`` with its header at row ``top`` (1-based); return the next free row."""
    book = sheet.book
    for j, c in enumerate(columns):
        sheet.put(top - 1, j, c.name, book.format(bold=True, **(c.alignment or {"align": "right"})))
    colors: list[str | None] = [None] * len(table)
    names = [c.name for c in columns]
    if severity and "severity" in names:
        colors = [
            _SEVERITY_FILL.get(str(v).lower()) for v in table.iloc[:, names.index("severity")]
        ]
    styles = {}  # each row colour's cell formats, column by column
    for color in dict.fromkeys(colors):
        fill = {"pattern": 1, "bg_color": "#" + color[2:]} if color else {}
        styles[color] = [book.format(num_format=c.number_format, **(c.alignment or {}), **fill)
                         for c in columns]  # fmt: skip
    ws = sheet.ws
    for i, row in enumerate(zip(*(c.cells for c in columns), strict=True), start=top):
        for j, (value, style) in enumerate(zip(row, styles[colors[i - top]], strict=True)):
            _write(ws, i, j, value, style)
    return top + len(table) + 2


def _decimals(column: pd.Series) -> str:
    """A fixed format with enough decimals for three significant digits of the column's
    smallest value (a RANKL/OPG ratio of 0.0018 prints 0.00180, not 0.002)."""
    values = np.abs(column.to_numpy(dtype=float, na_value=np.nan))
    values = values[(values > 0) & np.isfinite(values)]
    if not len(values):
        return "0.000"
    decimals = min(10, max(3, 2 - math.floor(math.log10(float(values.min())))))
    return "0." + "0" * decimals


def _summary_sheet(sheet: _Sheet, summary: dict[str, Any]) -> None:
    book, ws = sheet.book, sheet.ws
    tables = {heading: summary[key] for key, heading in
              (("fold_changes", "Fold changes"), ("ratios", "Ratios"))
              if summary.get(key) is not None and len(summary[key])}  # fmt: skip
    columns = {heading: _columns(table) for heading, table in tables.items()}
    for cols in columns.values():
        sheet.widen(cols)
    sheet.widths[0] = max(sheet.widths.get(0, 0), 16)
    # each warning wraps inside the width of the tables above (merged cells), so a long
    # sentence neither hides behind the next column nor widens the printed page
    ncols = max([6, *(len(cols) for cols in columns.values())])
    for j in range(ncols):
        sheet.widths.setdefault(j, _SUMMARY_WIDTH)
    chars = sum(sheet.widths[j] for j in range(ncols))
    sheet.put(0, 0, summary.get("title", "qPCR results"), book.format(bold=True, font_size=14))
    row = 3
    for line in summary.get("lines", []):
        sheet.put(row - 1, 0, line)
        row += 1
    heading_style = book.format(bold=True, font_size=12)
    for heading, table in tables.items():
        row += 1
        sheet.put(row - 1, 0, heading, heading_style)
        row = _table(sheet, table, columns[heading], top=row + 1)
    warnings = summary.get("warnings", [])
    row += 1
    sheet.put(row - 1, 0, "Warnings" if warnings else "Warnings: none", heading_style)
    wrap = book.format(text_wrap=True, valign="top")
    for text in warnings:
        row += 1
        value = _value(f"• {text}")
        ws.set_row(row - 1, 15 * max(1, math.ceil(len(str(value)) / chars)))
        ws.merge_range(row - 1, 0, row - 1, ncols - 1, "", wrap)
        sheet.put(row - 1, 0, value, wrap)
    sheet.close()


def _figures_sheet(sheet: _Sheet, figures: Sequence[Path]) -> None:
    from xlsxwriter.image import Image

    row, breaks = 1, []
    for figure in figures:
        sheet.put(row - 1, 0, Path(figure).name, sheet.book.format(bold=True))
        image = Image(str(figure))
        # one landscape page each: at most 960 × 600 px (96 dpi), then a page break; XlsxWriter
        # sizes an image by its dpi, so the scales undo that
        scale = min(960 / image.width, 600 / image.height)
        options = {"x_scale": scale * image.x_dpi / 96, "y_scale": scale * image.y_dpi / 96,
                   "object_position": 2}  # fmt: skip  # moves with its cell, keeps its size
        sheet.ws.insert_image(row, 0, image, options)
        row += 2 + math.ceil(image.height * scale / 20)  # default row height is 20 px
        breaks.append(row - 1)
    sheet.ws.set_h_pagebreaks(breaks)
    sheet.close()


def _methods_sheet(sheet: _Sheet, text: str) -> None:
    sheet.widths[0] = 95  # wider no longer fits a landscape page
    sheet.put(0, 0, "Methods", sheet.book.format(bold=True, font_size=14))
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    wrap = sheet.book.format(text_wrap=True, valign="top")
    for i, paragraph in enumerate(paragraphs, start=3):
        flat = " ".join(paragraph.split())
        sheet.ws.set_row(i - 1, 15 * max(1, math.ceil(len(flat) / 90)))
        sheet.put(i - 1, 0, flat, wrap)
    sheet.close()
