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
from typing import Any

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
    book = Workbook()
    _summary_sheet(book.active, summary)
    used = {"Summary", "Figures", "Methods"}
    for name, table in tables.items():
        ws = book.create_sheet(_sheet_name(name, used))
        _table(ws, table, top=1, severity=name.lower() == "qc")
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"  # the header on every printed page
        if len(table.columns):
            ws.auto_filter.ref = f"A1:{_col(len(table.columns))}{len(table) + 1}"
    if figures:
        _figures_sheet(book.create_sheet("Figures"), figures)
    _methods_sheet(book.create_sheet("Methods"), methods_text)
    for ws in book.worksheets:  # print landscape, as many pages wide as stay readable
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = _pages_wide(ws)
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    atomic_write(path, lambda tmp: book.save(tmp))


#: Column width (in characters) that fits one landscape page at a readable size (≥ 8 pt).
_PAGE_CHARS = 190


def _pages_wide(ws: Any) -> int:
    """Pages across for a sheet: one unless its columns would shrink below a readable size
    (the wells sheet spreads over two)."""
    widths = [ws.column_dimensions[_col(j)].width or 9 for j in range(1, ws.max_column + 1)]
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


def _put(ws: Any, row: int, col: int, value: Any) -> Any:
    cell = ws.cell(row=row, column=col, value=_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def _table(ws: Any, table: pd.DataFrame, top: int, severity: bool = False) -> int:
    """Write ``table`` with its header at row ``top``; return the next free row."""
    from openpyxl.styles import Alignment, Font, PatternFill

    columns = [str(c) for c in table.columns]
    for j, name in enumerate(columns, start=1):
        _put(ws, top, j, name).font = Font(bold=True)
    body = table.to_numpy(dtype=object)
    for i, row in enumerate(body, start=top + 1):
        for j, value in enumerate(row, start=1):
            _put(ws, i, j, value)
    for j, name in enumerate(columns, start=1):
        column = table.iloc[:, j - 1]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        fmt = number_format(name)
        if numeric and fmt is None and pd.api.types.is_float_dtype(column):
            fmt = "0.000"
        if numeric and output_scale(name) in ("ratio", "fold change", "quantity"):
            fmt = _decimals(column)
        if numeric and fmt:
            for i in range(top + 1, top + 1 + len(table)):
                ws.cell(row=i, column=j).number_format = fmt
        if numeric:
            ws.cell(row=top, column=j).alignment = Alignment(horizontal="right")
            width = len(name) + 3  # bold header text runs wider than the body's digits
        else:  # indented: a text column's header never touches a right-aligned one before it
            for i in range(top, top + 1 + len(table)):
                ws.cell(row=i, column=j).alignment = Alignment(horizontal="left", indent=1)
            width = max(len(t) for t in [name, *(str(_value(v) or "") for v in body[:200, j - 1])])
            width += 4
        letter = _col(j)
        # the widest of the tables sharing this column (the Summary sheet holds two)
        before = ws.column_dimensions[letter].width if letter in ws.column_dimensions else 0
        ws.column_dimensions[letter].width = max(before, min(max(width, 9), _MAX_WIDTH))
    if severity and "severity" in columns:
        k = columns.index("severity")
        for i, value in enumerate(body[:, k], start=top + 1):
            color = _SEVERITY_FILL.get(str(value).lower())
            if color:
                for j in range(1, len(columns) + 1):
                    ws.cell(row=i, column=j).fill = PatternFill("solid", fgColor=color)
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


def _summary_sheet(ws: Any, summary: dict[str, Any]) -> None:
    from openpyxl.styles import Alignment, Font

    ws.title = "Summary"
    _put(ws, 1, 1, summary.get("title", "qPCR results")).font = Font(bold=True, size=14)
    row = 3
    for line in summary.get("lines", []):
        _put(ws, row, 1, line)
        row += 1
    for key, heading in (("fold_changes", "Fold changes"), ("ratios", "Ratios")):
        table = summary.get(key)
        if table is None or len(table) == 0:
            continue
        row += 1
        _put(ws, row, 1, heading).font = Font(bold=True, size=12)
        row = _table(ws, table, top=row + 1)
    warnings = summary.get("warnings", [])
    row += 1
    _put(ws, row, 1, "Warnings" if warnings else "Warnings: none").font = Font(bold=True, size=12)
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 16)
    # each warning wraps inside the width of the tables above (merged cells), so a long
    # sentence neither hides behind the next column nor widens the printed page
    ncols = max(6, ws.max_column)
    chars = sum((ws.column_dimensions[_col(j)].width or 9) for j in range(1, ncols + 1))
    for text in warnings:
        row += 1
        cell = _put(ws, row, 1, f"• {text}")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
        ws.row_dimensions[row].height = 15 * max(1, math.ceil(len(str(cell.value)) / chars))


def _figures_sheet(ws: Any, figures: Sequence[Path]) -> None:
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font
    from openpyxl.worksheet.pagebreak import Break

    row = 1
    for figure in figures:
        _put(ws, row, 1, Path(figure).name).font = Font(bold=True)
        image = Image(str(figure))
        # one landscape page each: at most 960 × 600 px (96 dpi), then a page break
        scale = min(960 / image.width, 600 / image.height)
        image.width, image.height = image.width * scale, image.height * scale
        ws.add_image(image, f"A{row + 1}")
        row += 2 + math.ceil(image.height / 20)  # default row height is 20 px
        ws.row_breaks.append(Break(id=row - 1))


def _methods_sheet(ws: Any, text: str) -> None:
    from openpyxl.styles import Alignment, Font

    ws.column_dimensions["A"].width = 95  # wider no longer fits a landscape page
    _put(ws, 1, 1, "Methods").font = Font(bold=True, size=14)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    for i, paragraph in enumerate(paragraphs, start=3):
        flat = " ".join(paragraph.split())
        cell = _put(ws, i, 1, flat)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = 15 * max(1, math.ceil(len(flat) / 90))
