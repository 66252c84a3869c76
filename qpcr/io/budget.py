"""The input budget: every limit an input file is held to, declared once.

:class:`InputBudget` holds the limits (file size, inflated size, rows, columns, cells, line
length, and the time and memory of a parser run in a child process); :func:`budget` is the
budget in force, each default overridden by an environment variable ``QPCR_MAX_<FIELD>``;
:func:`over_budget` is the one error for an input beyond a limit. The checks themselves live
where the bytes are: :mod:`qpcr.io.safety` (zip members, gzip), :mod:`qpcr.io.inputs` (files,
text), :mod:`qpcr.io.workbooks` (xlsx/ods directories and sheets, legacy .xls).
"""

from __future__ import annotations

import dataclasses
import os

from ..errors import ExportParseError, InputError

__all__ = ["InputBudget", "amounts", "budget", "over_budget"]


@dataclasses.dataclass(frozen=True)
class InputBudget:
    """The limits every input file is held to, checked before a parser allocates.

    The defaults fit the largest real export many times over (a 384-well run with amplification
    and melt curves is a few MB, its largest sheet under 100,000 cells). Each field is raised (or
    lowered) by the environment variable ``QPCR_MAX_`` + the field name in capitals, e.g.
    ``QPCR_MAX_FILE_BYTES=200000000``.

    Attributes
    ----------
    file_bytes
        Size of the file on disk.
    inflated_bytes
        Decompressed size: all members of a zip container (xlsx, ods, RDML, run file) together,
        one member, or a gzip stream.
    rows
        Lines of a text file, rows of a sheet.
    columns
        Cells in one line or sheet row.
    cells
        Cells of a text file or of one sheet (a sheet counts its whole used rectangle).
    line_bytes
        Bytes in one line of a text file.
    parse_seconds
        Time a legacy ``.xls`` parse may take (it runs in a child process).
    parse_memory
        Address space, in bytes, of that child process.
    """

    file_bytes: int = 50_000_000
    inflated_bytes: int = 100_000_000
    rows: int = 1_048_576
    columns: int = 16_384
    cells: int = 5_000_000
    line_bytes: int = 1_000_000
    parse_seconds: int = 5
    parse_memory: int = 1_073_741_824

    @staticmethod
    def variable(field: str) -> str:
        """The environment variable that sets ``field`` (``QPCR_MAX_FILE_BYTES`` ...).

        Parameters
        ----------
        field
            A field name.

        Returns
        -------
        str
            The variable's name.

        Examples
        --------
        >>> InputBudget.variable("cells")
        'QPCR_MAX_CELLS'
        """
        return f"QPCR_MAX_{field.upper()}"


def budget() -> InputBudget:
    """The budget in force: the defaults of :class:`InputBudget`, each overridden by its
    environment variable when set (read at every call).

    Returns
    -------
    InputBudget
        The limits.

    Raises
    ------
    InputError
        A variable that is not a positive whole number.

    Examples
    --------
    >>> import os
    >>> budget().rows
    1048576
    >>> os.environ["QPCR_MAX_ROWS"] = "2_000_000"
    >>> budget().rows
    2000000
    >>> os.environ["QPCR_MAX_ROWS"] = "lots"
    >>> budget()
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: QPCR_MAX_ROWS: 'lots' is not a whole number; expected a positive ...
    >>> del os.environ["QPCR_MAX_ROWS"]
    """
    values = {}
    for field in dataclasses.fields(InputBudget):
        name = InputBudget.variable(field.name)
        text = os.environ.get(name, "").strip()
        if not text:
            continue
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value <= 0:
            raise InputError(
                f"'{text}' is not a whole number; expected a positive whole number "
                f"(the default is {field.default:,})",
                where=name,
                hint="Unset the variable to use the default",
            )
        values[field.name] = value
    return InputBudget(**values)


#: Why a limit refuses, when it is not "is this the right file?".
_WHY = {"inflated_bytes": "Refused as a possible decompression bomb."}

#: Decimal units for byte amounts, largest first.
_BYTE_UNITS = ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"))


def amounts(found: int, limit: int, unit: str) -> tuple[str, str]:
    """``found`` and ``limit`` written in one unit, with as many decimals as it takes for the
    two texts to differ (never "210 MB, above the 210 MB limit").

    Parameters
    ----------
    found, limit
        The amounts.
    unit
        ``"bytes"`` (written in kB, MB or GB after the limit's size) or the name of what is
        counted (written in full with thousands separators).

    Returns
    -------
    tuple of (str, str)
        The two texts.

    Examples
    --------
    >>> amounts(210_400_000, 210_000_000, "bytes")
    ('210.4 MB', '210.0 MB')
    >>> amounts(200_000_000, 50_000_000, "bytes")
    ('200 MB', '50 MB')
    >>> amounts(1_608, 1_000, "bytes")
    ('1.6 kB', '1.0 kB')
    >>> amounts(70_000, 70_000, "bytes")
    ('70 kB', '70 kB')
    >>> amounts(20_000, 16_384, "columns")
    ('20,000 columns', '16,384 columns')
    """
    scales = _BYTE_UNITS if unit == "bytes" else ()
    scale, name = next(((s, n) for s, n in scales if limit >= s), (1.0, unit))
    if scale == 1:
        return f"{found:,} {unit}".rstrip(), f"{limit:,} {unit}".rstrip()
    for decimals in range(0 if min(found, limit) >= 10 * scale else 1, 7):
        shown = f"{found / scale:,.{decimals}f} {name}", f"{limit / scale:,.{decimals}f} {name}"
        if shown[0] != shown[1] or found == limit:
            return shown
    return f"{found:,} {unit}".rstrip(), f"{limit:,} {unit}".rstrip()


def over_budget(
    where: str, what: str, found: int, field: str, limits: InputBudget, more: bool = False
) -> ExportParseError:
    """The error for an input beyond one limit of the budget: what was found against the limit,
    both in one honest unit, and the variable that raises it.

    Parameters
    ----------
    where
        The file (and place) named first.
    what
        What was measured, e.g. ``"the file has"`` or ``"line 3 has"``.
    found
        The amount found (a count, or bytes when ``field`` ends in ``bytes``/``memory``).
    field
        The :class:`InputBudget` field exceeded.
    limits
        The budget in force.
    more
        Whether reading stopped at the limit, so ``found`` is a lower bound ("more than").

    Returns
    -------
    ExportParseError
        The error, to raise.

    Examples
    --------
    >>> limits = InputBudget(file_bytes=210_000_000)
    >>> print(over_budget("run.csv", "the file has", 210_400_000, "file_bytes", limits))
    run.csv: the file has 210.4 MB; expected at most 210.0 MB (limit file_bytes). Refused ...
    >>> print(over_budget("run.csv", "line 2 has", 20_000, "columns", limits))
    run.csv: line 2 has 20,000 columns; expected at most 16,384 columns (limit columns). ...
    """
    in_bytes = field.endswith(("bytes", "memory"))
    unit = "bytes" if in_bytes else field.replace("_", " ")
    if field == "parse_seconds":
        unit = "s"
    shown, allowed = amounts(found, getattr(limits, field), unit)
    return ExportParseError(
        f"{what} {'more than ' if more else ''}{shown}; expected at most {allowed} (limit {field})",
        where=where,
        hint=f"{_WHY.get(field, 'Refused before reading: is this the right file?')} Raise the "
        f"limit with {InputBudget.variable(field)}=...",
    )
