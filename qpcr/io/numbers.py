"""Numbers in text exports: one decimal mark per file, strict parsing, and the Cq check.

A file's decimal mark is decided once from every numeric column the reader names (Cq, quantity,
Tm ...), never cell by cell, and then every number of the file is parsed with it:

* a column that cannot hold thousands separators (Cq, Tm: *ungrouped*) says which mark the file
  uses as soon as one cell has a ``,`` or a ``.``;
* a column that may hold them (quantities: *grouped*) says so when the mark is followed by other
  than three digits (``0,5``, ``1234.56``), when both marks occur (``1.234,5``: the last is the
  decimal) or when one repeats (``1,234,567``);
* ``1,234`` or ``1.234`` alone could be either and is refused unless another cell decides, or the
  caller passes ``decimal``; cells that contradict each other are refused.

:func:`read_cq` then turns Cq cells into values and statuses: a Cq is a number of cycles, finite,
above 0 and at most 100 (no export states its run's cycle count; curves in a file may be cut
short, so they do not tell it either). Non-detect tokens and a vendor's own "no Cq" code are
undetermined; anything else is refused with the file and row, unless the vendor already marked
the well as not to be used, which makes it ``invalid``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import cast

import numpy as np

from ..errors import ExportParseError, InputError
from ..regex import lazy_pattern
from ..schema import NON_DETECT_TOKENS

__all__ = [
    "DECIMAL_HINT",
    "MAX_CYCLES",
    "check_decimal",
    "column_letters",
    "column_names",
    "decimal_mark",
    "read_cq",
    "read_numbers",
    "to_number",
]

#: Upper bound of a Cq (no PCR protocol runs more cycles).
MAX_CYCLES = 100.0

DECIMAL_HINT = 'Say which decimal mark the file uses: decimal="," (27,51) or decimal="." (27.51)'

_SPACES = lazy_pattern(r"[\s\u00a0\u202f']")
_EXPONENT = re.compile(r"[eE][+-]?\d+$")
_NUMERIC = re.compile(r"^[+-]?[\d.,]*\d[\d.,]*$")


def check_decimal(decimal: str | None) -> str | None:
    """``decimal`` when it is ``","``, ``"."`` or None; else a :class:`InputError`.

    Parameters
    ----------
    decimal
        The decimal mark the user gave, or None (decide from the file).

    Returns
    -------
    str or None
        ``decimal``.

    Raises
    ------
    InputError
        Any other mark.

    Examples
    --------
    >>> check_decimal(","), check_decimal(None)
    (',', None)
    >>> check_decimal(";")
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: decimal: decimal mark ';'; expected ',' or '.'. Say which decimal ...
    """
    if decimal not in (None, ",", "."):
        raise InputError(
            f"decimal mark '{decimal}'; expected ',' or '.'",
            where="decimal",
            hint=DECIMAL_HINT,
        )
    return decimal


def column_letters(number: int) -> str:
    """The spreadsheet letters of a 1-based column number.

    Parameters
    ----------
    number
        The column's position, 1 for the first.

    Returns
    -------
    str
        ``A`` to ``Z``, then ``AA``, ``AB`` ...

    Examples
    --------
    >>> column_letters(1), column_letters(3), column_letters(27), column_letters(384)
    ('A', 'C', 'AA', 'NT')
    """
    letters = ""
    while number:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_names(header: Sequence[object], positions: Collection[int]) -> dict[str, str]:
    """How messages name the columns of a table that a reader keys by position: the header
    cell, the 1-based position and the spreadsheet letter (:func:`decimal_mark`'s ``names``).

    Parameters
    ----------
    header
        The header row's cells.
    positions
        0-based positions of the columns.

    Returns
    -------
    dict of str to str
        ``str(position)`` → the column's name in a message.

    Examples
    --------
    >>> column_names(["well", "cycle", "fluorescence"], [1, 2])
    {'1': "'cycle' (no. 2, letter B)", '2': "'fluorescence' (no. 3, letter C)"}
    """
    return {
        str(j): f"'{str(header[j]).strip()}' (no. {j + 1}, letter {column_letters(j + 1)})"
        for j in positions
    }


def _mantissa(text: str) -> str | None:
    """The digits-and-marks part of a numeric cell (sign and exponent removed), else None."""
    body = _EXPONENT.sub("", text.strip())
    return body if _NUMERIC.match(body) else None


def _mark_of(text: str, grouped: bool) -> str | None:
    """The decimal mark a text cell implies: ``,``, ``.``, ``?`` (either) or None (neither)."""
    body = _mantissa(_SPACES.sub("", text) if grouped else text)
    if body is None:
        return None
    body = body.lstrip("+-")
    commas, dots = body.count(","), body.count(".")
    if not commas and not dots:
        return None
    if commas and dots:
        return "," if body.rfind(",") > body.rfind(".") else "."
    if not grouped:
        return "," if commas else "."
    if commas > 1 or dots > 1:
        return "." if commas > 1 else ","
    mark = "," if commas else "."
    before, _, after = body.partition(mark)
    if len(after) != 3 or len(before) > 3 or before in ("", "0"):
        return mark
    return "?"


def _possible_marks(text: str, grouped: bool) -> set[str]:
    """The marks :func:`_mark_of` can give for cells whose text ``text`` holds: a comma or a
    point only from a cell holding one, ``?`` only from a grouped cell holding either."""
    marks = {mark for mark in ",." if mark in text}
    return marks | {"?"} if grouped and marks else marks


def decimal_mark(
    where: str,
    columns: Mapping[str, Sequence[object]],
    grouped: Collection[str] = (),
    decimal: str | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """The decimal mark of a file, decided from all its numeric ``columns`` together.

    Parameters
    ----------
    where
        The file (and sheet or section) for error messages.
    columns
        Column name → cells. Only text cells count; workbook numbers carry no mark.
    grouped
        Names of the columns that may hold thousands separators (quantities).
    decimal
        The mark the user gave (``","`` or ``"."``); returned as is when not None.
    names
        How messages name a column (:func:`column_names`) when its key is not its header;
        by default the key, quoted.

    Returns
    -------
    str
        ``","`` or ``"."`` (``"."`` when no cell shows a mark).

    Raises
    ------
    ExportParseError
        When cells contradict each other, or when every marked cell could be read either way.

    Examples
    --------
    >>> decimal_mark("run.csv", {"Cq": ["24,51", "25,02"], "Quantity": ["1.000", "10"]},
    ...              grouped={"Quantity"})
    ','
    >>> decimal_mark("run.csv", {"Cq": ["24,51"], "Tm": ["81.5"]})
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.csv: column 'Cq' has '24,51' (decimal comma) and column ...
    """
    given = check_decimal(decimal)
    if given is not None:
        return given
    found: dict[str, tuple[str, str]] = {}  # mark → (column, example cell)
    for name, cells in columns.items():
        texts = [cell for cell in cells if isinstance(cell, str)]
        possible = _possible_marks("\n".join(texts), name in grouped)
        for cell in texts:
            if possible <= found.keys():
                break  # the column's other cells can only give a mark already found
            mark = _mark_of(cell, name in grouped)
            if mark is not None:
                found.setdefault(mark, (name, cell.strip()))

    def column(name: str) -> str:
        return (names or {}).get(name, f"'{name}'")

    if "," in found and "." in found:
        (col_c, cell_c), (col_d, cell_d) = found[","], found["."]
        raise ExportParseError(
            f"column {column(col_c)} has '{cell_c}' (decimal comma) and column {column(col_d)} "
            f"has '{cell_d}' (decimal point); expected one decimal mark in the whole file",
            where=where,
            hint=DECIMAL_HINT,
        )
    if "," in found or "." in found:
        return "," if "," in found else "."
    if "?" in found:
        name, cell = found["?"]
        as_point = to_number(cell, ".", grouped=True)
        as_comma = to_number(cell, ",", grouped=True)
        raise ExportParseError(
            f"column {column(name)} has '{cell}', which is {as_point:g} with a decimal point or "
            f"{as_comma:g} with a decimal comma, and no other number in the file tells which; "
            "expected an unambiguous decimal mark",
            where=where,
            hint=DECIMAL_HINT,
        )
    return "."


def _number(decimal: str, grouped: bool = False) -> str:
    """The regular expression of one number with ``decimal`` as its mark (``grouped``: with
    thousands separators), which :func:`to_number` accepts."""
    dec = re.escape(decimal)
    sep = re.escape("." if decimal == "," else ",")
    whole = rf"(?:\d{{1,3}}(?:{sep}\d{{3}})+|\d+)" if grouped else r"\d+"
    return rf"[+-]?(?:{whole}(?:{dec}\d*)?|{dec}\d+)(?:[eE][+-]?\d+)?"


@functools.cache
def _pattern(decimal: str, grouped: bool) -> re.Pattern[str]:
    return re.compile(rf"^{_number(decimal, grouped)}$")


def to_number(value: object, decimal: str = ".", grouped: bool = False) -> float:
    """A cell as a float with the file's ``decimal`` mark; NaN when it is not a number.

    Parameters
    ----------
    value
        A text cell, or a workbook number (returned as a float).
    decimal
        The file's decimal mark.
    grouped
        Allow thousands separators (the other mark in groups of three, spaces, apostrophes).

    Returns
    -------
    float
        The number. Text must be a plain decimal number (optionally with exponent); ``inf``,
        ``nan``, words and booleans give NaN; a number too large for a float gives ``inf``.

    Examples
    --------
    >>> to_number("27,51", ","), to_number("1.234,5", ",", grouped=True), to_number("abc")
    (27.51, 1234.5, nan)
    """
    if value is None or isinstance(value, bool):
        return math.nan
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value).strip()
    if grouped:
        text = _SPACES.sub("", text)
    if not text or not _pattern(decimal, grouped).match(text):
        return math.nan
    sep = "." if decimal == "," else ","
    return float(text.replace(sep, "").replace(decimal, "."))


def read_numbers(
    cells: Sequence[object],
    locate: Callable[[int], str],
    decimal: str = ".",
    grouped: bool = False,
) -> np.ndarray:
    """Floats of a numeric column other than Cq (quantity, Tm, curve values).

    Parameters
    ----------
    cells
        The column's cells.
    locate
        Row ``i`` → its place in the file, for errors.
    decimal
        The file's decimal mark.
    grouped
        Allow thousands separators (see :func:`to_number`).

    Returns
    -------
    numpy.ndarray
        The numbers; NaN for empty cells and non-detect tokens (``NaN``, ``N/A`` ...).

    Raises
    ------
    ExportParseError
        A cell that is not a finite number, with its place (``locate(i)``).

    Examples
    --------
    >>> read_numbers(["1e3", "", "N/A", "10"], lambda i: f"run.csv row {i + 2}")
    array([1000.,   nan,   nan,   10.])
    >>> read_numbers(["1e3", "ten"], lambda i: f"run.csv row {i + 2}")
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.csv row 3: 'ten' is not a number; expected a finite number ...
    """
    values = np.full(len(cells), np.nan)
    for i, cell in enumerate(cells):
        if type(cell) is str and not cell.strip():
            continue  # an empty cell: NaN
        number = to_number(cell, decimal, grouped)
        if math.isfinite(number):
            values[i] = number
            continue
        text = "" if cell is None else str(cell).strip()
        if math.isnan(number) and (not text or text.lower() in NON_DETECT_TOKENS):
            continue
        raise ExportParseError(
            f"'{text[:40]}' is not a number; expected a finite number written with "
            f"'{decimal}' as the decimal mark",
            where=locate(i),
            hint=DECIMAL_HINT if decimal in text or "," in text or "." in text else "",
        )
    return values


@functools.cache
def _number_lines(decimal: str) -> re.Pattern[str]:
    """LF-joined plain numbers (``to_number``'s text pattern, ASCII digits only)."""
    number = _number(decimal)
    return re.compile(rf"{number}(?:\n{number})*", re.ASCII)


def _plain_cq(
    cells: Sequence[object], decimal: str, flagged: Sequence[bool] | None, tokens: Collection[str]
) -> tuple[np.ndarray, list[str]] | None:
    """:func:`read_cq` of text cells that are all stripped plain numbers, empty or non-detect
    tokens, with no number refused, the numbers checked in one match of their joined text;
    None for any other column."""
    if not cells or not all(type(v) is str for v in cells):
        return None
    texts = cast("list[str]", cells)
    if "\n".join(texts).count("\n") != len(texts) - 1:
        return None
    words = NON_DETECT_TOKENS.union(tokens)
    numeric = [v != "" and v.lower() not in words for v in texts]
    numbers = [v for v, k in zip(texts, numeric, strict=True) if k]
    if numbers and not _number_lines(decimal).fullmatch("\n".join(numbers)):
        return None
    if decimal != ".":
        numbers = [v.replace(decimal, ".") for v in numbers]
    values = np.full(len(texts), np.nan)
    values[np.array(numeric, dtype=bool)] = [float(v) for v in numbers]
    with np.errstate(invalid="ignore"):
        ok = (values > 0) & (values <= MAX_CYCLES)
    out = ~ok & ~np.isnan(values)  # a number of cycles out of range (or infinite)
    if out.any() and (flagged is None or not np.asarray(flagged, dtype=bool)[out].all()):
        return None  # refused: read_cq's loop names the first bad row
    statuses = ["ok" if k else "undetermined" for k in ok.tolist()]
    for i in np.flatnonzero(out).tolist():
        statuses[i] = "invalid"
    return np.where(ok, values, np.nan), statuses


def read_cq(
    cells: Sequence[object],
    locate: Callable[[int], str],
    *,
    decimal: str = ".",
    no_cq: Callable[[float], bool] | None = None,
    flagged: Sequence[bool] | None = None,
    tokens: Collection[str] = (),
    hint: str = "",
    name: str = "Cq",
) -> tuple[np.ndarray, list[str]]:
    """Cq values and ``cq_status`` of one Cq column.

    Parameters
    ----------
    cells
        The column's cells (text or workbook numbers).
    locate
        Row ``i`` → its place in the file (``file row 12 column 'Cq'``) for errors.
    decimal
        The file's decimal mark (from :func:`decimal_mark`).
    no_cq
        The vendor's own "no Cq" code: numbers for which it is True are undetermined.
    flagged
        Rows the instrument or user already excluded (omit, ``Include = False``, ``<excl>``):
        an impossible number of cycles there becomes ``invalid`` instead of an error (text that
        is not a number is refused everywhere).
    tokens
        Extra non-detect words of this vendor (lower case), besides the common ones.
    hint
        How the vendor writes non-detects, for the error.
    name
        What the vendor calls the value (Cq, Ct, Cp), for the error.

    Returns
    -------
    tuple
        Float array (NaN unless ``ok``) and the statuses ``ok``, ``undetermined``, ``invalid``.

    Raises
    ------
    ExportParseError
        A cell that is neither a number of cycles (above 0, at most :data:`MAX_CYCLES`) nor a
        non-detect, named by the first such row's place.

    Examples
    --------
    The last well was omitted by the user, so its impossible Cq is ``invalid``:

    >>> read_cq(["24.1", "Undetermined", "", 150.0], lambda i: f"run.csv row {i + 2}",
    ...         flagged=[False, False, False, True])
    (array([24.1,  nan,  nan,  nan]), ['ok', 'undetermined', 'undetermined', 'invalid'])
    >>> read_cq(["24.1", "-1"], lambda i: f"run.csv row {i + 2}")
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.csv row 3: Cq '-1' is not a number of cycles; expected ...
    """
    if no_cq is None and (fast := _plain_cq(cells, decimal, flagged, tokens)) is not None:
        return fast
    values = np.full(len(cells), np.nan)
    statuses = ["undetermined"] * len(cells)
    bad: list[tuple[int, str]] = []
    plain = _pattern(decimal, False).match  # what to_number reads from a text cell
    for i, cell in enumerate(cells):
        if type(cell) is str:  # a text cell: to_number without its type tests
            text = cell.strip()
            lowered = text.lower()
            if not text or lowered in NON_DETECT_TOKENS or lowered in tokens:
                continue
            if not plain(text):
                number = math.nan
            else:
                number = float(text if decimal == "." else text.replace(decimal, "."))
        else:
            if cell is None or (isinstance(cell, float) and math.isnan(cell)):
                continue
            text = str(cell).strip()
            if not text or text.lower() in NON_DETECT_TOKENS or text.lower() in tokens:
                continue
            number = to_number(cell, decimal)
        if not math.isnan(number) and no_cq is not None and no_cq(number):
            continue
        if math.isnan(number):
            bad.append((i, f"{name} '{text[:40]}' is not a number or a non-detect token"))
        elif math.isfinite(number) and 0 < number <= MAX_CYCLES:
            values[i] = number
            statuses[i] = "ok"
        elif flagged is not None and flagged[i]:
            statuses[i] = "invalid"
        else:
            bad.append((i, f"{name} '{text[:40]}' is not a number of cycles; expected above 0 "
                        f"and at most {MAX_CYCLES:g}"))  # fmt: skip
    if bad:
        i, message = bad[0]
        more = f" ({len(bad) - 1} more such rows)" if len(bad) > 1 else ""
        raise ExportParseError(message + more, where=locate(i), hint=hint)
    return values, statuses
