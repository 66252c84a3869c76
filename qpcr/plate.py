"""Plate formats and well names.

Canonical well names are unpadded ``A1``; ``A01``, ``a1`` and 1-based row-major indices are
normalised to them and checked against the plate size (48 = StepOne, 96, 384).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import InputError

__all__ = [
    "PLATES",
    "PlateFormat",
    "is_whole",
    "normalise_well",
    "normalise_wells",
    "plate_for_wells",
    "well_index",
]

_WELL_RE = re.compile(r"^\s*([A-Za-z]{1,2})\s*0*(\d{1,3})\s*$")


@dataclass(frozen=True)
class PlateFormat:
    """A rectangular plate of ``rows`` × ``cols`` wells, rows lettered A, B, ..."""

    rows: int
    cols: int

    @property
    def size(self) -> int:
        """Number of wells."""
        return self.rows * self.cols

    @property
    def row_letters(self) -> str:
        """Row letters in order (A..H for 96 wells)."""
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: self.rows]

    def wells(self) -> list[str]:
        """All canonical well names in row-major plate order."""
        return [f"{r}{c}" for r in self.row_letters for c in range(1, self.cols + 1)]

    def describe(self) -> str:
        """Human description, e.g. ``96-well plate (rows A-H, columns 1-12)``."""
        return f"{self.size}-well plate (rows A-{self.row_letters[-1]}, columns 1-{self.cols})"


PLATES: dict[int, PlateFormat] = {
    48: PlateFormat(6, 8),
    96: PlateFormat(8, 12),
    384: PlateFormat(16, 24),
}


def is_whole(text: str) -> bool:
    """Whether ``text`` is a whole number ``int()`` can read: decimal digits only, at most 9.

    ``str.isdigit`` also accepts superscripts (``²``), which ``int()`` refuses, and ``int()``
    refuses more than 4300 digits; no well, position or plate size needs 10 digits.

    Parameters
    ----------
    text
        A cell's text.

    Returns
    -------
    bool
        True for ``"7"``, ``"096"``; False for ``"²"``, ``"-1"``, ``"1.0"``, ``""``.

    Examples
    --------
    >>> is_whole("12"), is_whole("10²"), is_whole("9" * 10), is_whole("")
    (True, False, False, False)
    """
    return text.isdecimal() and len(text) <= 9


def _row_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n


def normalise_well(value: object, plate: PlateFormat | None = None) -> str:
    """Return the canonical name (``A1``) of a well given as ``A1``, ``A01``, ``a1`` or an index.

    An integer index is 1-based and row-major, which needs ``plate``. With ``plate`` the well is
    checked to lie on it.

    Parameters
    ----------
    value
        A well name or a 1-based row-major index.
    plate
        The plate the well lies on, or None (an index is then refused).

    Returns
    -------
    str
        The canonical well name.

    Raises
    ------
    InputError
        ``value`` is not a well, or not on ``plate``.

    Examples
    --------
    >>> normalise_well("a01"), normalise_well(13, PLATES[96])
    ('A1', 'B1')
    >>> normalise_well("I1", PLATES[96])
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: well 'I1' is outside a 96-well plate (rows A-H, columns 1-12)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or int(value) != value:
            raise InputError(f"well {value!r} is not a well name or a whole well number")
        index = int(value)
        return _from_index(index, plate)
    text = str(value).strip()
    if is_whole(text):
        return _from_index(int(text), plate)
    match = _WELL_RE.match(text)
    if not match:
        raise InputError(f"cannot read well '{value}'; expected a name like A1 or A01")
    letters, col = match.group(1).upper(), int(match.group(2))
    if plate is not None:
        row = _row_number(letters)
        if row > plate.rows or not 1 <= col <= plate.cols:
            raise InputError(f"well '{text}' is outside a {plate.describe()}")
    elif col < 1:
        raise InputError(f"well '{text}' has column 0; columns start at 1")
    return f"{letters}{col}"


def normalise_wells(
    values: Sequence[object],
    plate: PlateFormat | None = None,
    refuse: Callable[[int, InputError], Exception] | None = None,
) -> list[str]:
    """:func:`normalise_well` of each value of a column: the usual spellings (``A1``, ``A01``)
    looked up in a table that :func:`normalise_well` itself made, any other value parsed.

    Parameters
    ----------
    values
        Well names or 1-based row-major indices.
    plate
        The plate the wells lie on, or None.
    refuse
        (position, error) → the exception to raise for the first value refused; None raises
        the :class:`~qpcr.errors.InputError` of :func:`normalise_well`.

    Returns
    -------
    list of str
        The canonical well names.

    Raises
    ------
    InputError
        The first value that is not a well on ``plate`` (or what ``refuse`` returns).

    Examples
    --------
    >>> normalise_wells(["A01", "b2", 13], PLATES[96])
    ['A1', 'B2', 'B1']
    >>> normalise_wells(["A1", "I1"], PLATES[96], lambda i, exc: ValueError(f"row {i}"))
    Traceback (most recent call last):
    ...
    ValueError: row 1
    """
    known = _spellings(plate)
    out = []
    for i, value in enumerate(values):
        name = known.get(value) if type(value) is str else None
        if name is None:
            try:
                name = normalise_well(value, plate)
            except InputError as exc:
                if refuse is None:
                    raise
                raise refuse(i, exc) from None
        out.append(name)
    return out


@functools.cache
def _spellings(plate: PlateFormat | None) -> dict[str, str]:
    """``A1`` and ``A01`` of every well of ``plate`` (of a 384-well plate for None) → what
    :func:`normalise_well` makes of them: the well's unpadded name (a test holds the table to
    :func:`normalise_well`)."""
    shape = plate or PLATES[384]
    return {
        f"{r}{c:0{width}d}": f"{r}{c}"
        for r in shape.row_letters
        for c in range(1, shape.cols + 1)
        for width in (1, 2)
    }


def _from_index(index: int, plate: PlateFormat | None) -> str:
    if plate is None:
        raise InputError(f"well number {index} needs a known plate size to be placed")
    if not 1 <= index <= plate.size:
        raise InputError(f"well number {index} is outside a {plate.describe()}")
    row, col = divmod(index - 1, plate.cols)
    return f"{plate.row_letters[row]}{col + 1}"


def well_index(well: str, plate: PlateFormat) -> int:
    """0-based row-major position of a canonical well on ``plate`` (for sorting).

    Parameters
    ----------
    well
        A canonical well name.
    plate
        The plate.

    Returns
    -------
    int
        The 0-based position.

    Examples
    --------
    >>> well_index("A1", PLATES[96]), well_index("B1", PLATES[96]), well_index("B1", PLATES[384])
    (0, 12, 24)
    """
    match = _WELL_RE.match(well)
    if not match:
        raise InputError(f"cannot read well '{well}'; expected a name like A1")
    return (_row_number(match.group(1)) - 1) * plate.cols + int(match.group(2)) - 1


def plate_for_wells(wells: list[str], hint: int | None = None) -> PlateFormat:
    """Smallest standard plate (48, 96, 384) holding every canonical well name.

    ``hint`` (a plate size read from the file) wins when the wells fit on it.

    Parameters
    ----------
    wells
        Canonical well names.
    hint
        A plate size read from the file, or None.

    Returns
    -------
    PlateFormat
        The plate.

    Raises
    ------
    InputError
        A well name cannot be read, or the wells do not fit a 384-well plate.

    Examples
    --------
    >>> plate_for_wells(["A1", "B2"]).describe()
    '48-well plate (rows A-F, columns 1-8)'
    >>> plate_for_wells(["A1", "B2"], hint=96).size, plate_for_wells(["A1", "P24"]).size
    (96, 384)
    """
    max_row = max_col = 0
    for well in wells:
        match = _WELL_RE.match(str(well))
        if not match:
            raise InputError(f"cannot read well '{well}'; expected a name like A1")
        max_row = max(max_row, _row_number(match.group(1)))
        max_col = max(max_col, int(match.group(2)))
    candidates = [PLATES[hint]] if hint in PLATES else []
    candidates += [PLATES[s] for s in sorted(PLATES)]
    for plate in candidates:
        if max_row <= plate.rows and max_col <= plate.cols:
            return plate
    raise InputError(
        f"wells reach row {max_row} and column {max_col}, beyond a {PLATES[384].describe()}"
    )
