"""The building blocks of the output-table declarations: column scales and dtypes, a column,
the design slot and a table (the declarations themselves are in :mod:`qpcr.schema.tables` and,
for the curve tables, :mod:`qpcr.schema.curves`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["DTYPES", "SCALES", "Column", "Slot", "Table"]

#: Scales of output columns: scale → (meaning, workbook number format or None for General).
SCALES: Final[dict[str, tuple[str, str | None]]] = {
    "fold change": ("linear fold change, 1 = no change", "0.000"),
    "log2": ("log2 units: a log2 fold change or relative quantity, or its standard error", "0.000"),
    "Cq": ("cycles", "0.00"),
    "ratio": ("any other linear ratio: relative quantity, ratio of two targets, calibration "
              "factor", "0.000"),
    "quantity": ("absolute quantity in the unit of the standards", "0.000"),
    "efficiency": ("amplification factor E (2.0 = 100 %)", "0.000"),
    "statistic": ("a test statistic or another number on its own scale", "0.000"),
    "p": ("a p-value", '[<0.001]"<0.001";0.000'),
    "count": ("a whole number", None),
    "flag": ("True or False", None),
    "text": ("text", None),
}  # fmt: skip

DTYPES: Final = ("float", "int", "bool", "text")


@dataclass(frozen=True)
class Column:
    """One output column: its name, dtype (``float``, ``int``, ``bool``, ``text``), scale (a
    key of :data:`SCALES`), unit ('' when none) and one line of meaning."""

    name: str
    dtype: str
    scale: str
    meaning: str
    unit: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Slot:
    """Where a table's design columns go: ``factors`` (the design factors), ``design`` (the
    factors and the biological-replicate column) or ``layout`` (any other column of the export
    and the layout: factors, replicate, ``irc``, instrument extras such as ``omit_reason``)."""

    kind: str
    meaning: str


@dataclass(frozen=True)
class Table:
    """An output table: file name (None: returned by the API only), what one row is, when it is
    written, and its columns in order."""

    file: str | None
    rows: str
    when: str
    columns: tuple[Column | Slot, ...]

    def names(self) -> list[str]:
        """The declared column names (without the design slot), in order."""
        return [c.name for c in self.columns if isinstance(c, Column)]
