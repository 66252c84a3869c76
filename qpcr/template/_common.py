"""What the template's writer and reader share: its marker, cell addresses, suggestions, the
sheet view of a read workbook and the drop-down rules."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from ..errors import InputError, did_you_mean
from ..io._tabular import as_text
from ..io.numbers import column_letters as _col  # 1-based column number → A, B, ..., AA

#: Text of the hidden marker cell ``Lists!A1`` that identifies a template.
MARKER = "qpcr template"
TEMPLATE_VERSION = 2  # 2: Settings rows keyed by TOML key, every setting
_STANDARD = ("sample", "target", "sample_type", "quantity")
_LIST_WIDTH = 40  # value cells per Settings row (targets, factor levels)
_PASTE_NOTE = (
    "Paste the instrument's results table below (from cell A3), as it comes: "
    "header row included. Leave this sheet empty when you typed Cq values on the Cq sheet."
)


def _ref(sheet: str, row: int, col: int) -> str:
    """``Sheet!B3`` from 0-based row and column."""
    return f"{sheet}!{_col(col + 1)}{row + 1}"


def _suggest(word: str, options: Iterable[str]) -> str:
    """``did you mean`` the closest of ``options``, else the list of them."""
    options = list(options)
    listed = f"expected one of {', '.join(options)}" if options else "no values are listed"
    return did_you_mean(word, options, listed)


def _unique(items: Iterable[str]) -> list[str]:
    """The non-empty items, each once, in their order."""
    return list(dict.fromkeys(i for i in items if i))


def _fit_page(ws: Any) -> None:
    """Print (and PDF) the sheet one landscape page wide."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _rule(error: str, **kwargs: Any) -> Any:
    """A data-validation rule that refuses other values with ``error`` as its message."""
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(
        allow_blank=True, showErrorMessage=True, errorTitle="qpcr", error=error, **kwargs
    )


def _list_rule(name: str, what: str) -> Any:
    """A drop-down of the values under the defined name ``name``."""
    return _rule(
        f"Choose {what} from the list (add new ones on the Settings sheet first).",
        type="list",
        formula1=f"={name}",
    )


class _Sheet:
    """Values of one sheet from A1 (0-based access) plus its formula and error cells."""

    def __init__(self, book: Any, name: str, special: dict[str, str], source: str) -> None:
        self.name = name
        self.source = source
        self.rows = [list(r) for r in book.get_sheet_by_name(name).to_python(
            skip_empty_area=False)]  # fmt: skip
        if special:
            ref, what = next(iter(special.items()))
            raise InputError(
                f"the cell holds {what}; expected a typed value",
                where=f"{source} {name}!{ref}",
                hint="Only values are read: copy the cells and paste them as values "
                "(Paste Special > Values), or type the value",
            )

    def get(self, r: int, c: int) -> Any:
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else None

    def text(self, r: int, c: int) -> str:
        return as_text(self.get(r, c))

    def where(self, r: int, c: int) -> str:
        return f"{self.source} {_ref(self.name, r, c)}"


def _refuse_date(value: Any, where: str) -> None:
    """Spreadsheets silently turn names such as SEPT2, MARCH1 or 1/2 into dates; refuse them."""
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        raise InputError(
            f"the cell holds a date or time ({value}); expected a name or number. Spreadsheets "
            "turn names such as SEPT2, MARCH1 or 1/2 into dates",
            where=where,
            hint="Format the cells as Text, then type the name again",
        )
