"""A plain table of curves (text or workbook), as many scripts and R packages write one. It holds
no Cq: the registered format recognises it and refuses it for an analysis, and
:func:`qpcr.read_curves` reads it (:func:`read_curve_table`).

Long
    A header with ``well``, ``cycle`` (amplification) or ``temperature`` (melt), and
    ``fluorescence``; optional ``target``, ``sample``, ``reporter``, ``plate``, ``derivative``.
    No Cq column (a table with one is a Cq table, :mod:`qpcr.io.tidy`).
Wide
    A first column ``Cycle``/``Cycles`` (or ``Temperature``), then one column per reaction, as
    qpcR writes (``Cycles, F1.1, F1.2, ...``). Headers that are all well names (``A1``,
    ``B01``) are wells; headers none of which is a well name are the reactions' names, which
    become both ``well`` (the reaction's id) and ``sample``. Anything else is refused rather
    than guessed: a mix of the two, or bare numbers (a well index or a sample number?).
    A wide table whose second header is ``A1``/``A01`` is the Bio-Rad CFX layout and is left to
    :mod:`qpcr.io.biorad`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pandas as pd

from ..errors import ExportParseError, InputError
from ..plate import PLATES, normalise_well
from ..regex import lazy_pattern
from ._tabular import as_text, first_table_rows, norm_header, split_rows
from .biorad import kind_of_line
from .raw_curves import numeric_columns
from .registry import Export, ExportFormat, FileSample, register

__all__ = ["NAME", "read", "read_curve_table", "sniff"]

NAME = "curve_table"
#: First headers of a wide table → its kind.
_WIDE: Final = {"cycle": "amplification", "cycles": "amplification", "temperature": "melt"}
#: Headers that make a long table a Cq table instead.
_CQ: Final = {"cq", "ct", "cp", "crt", "cq mean", "ct mean"}
_TEXT: Final = ("plate", "target", "sample", "reporter")
_NUMBER = lazy_pattern(r"^\d+$")


def _shape(header: list[str]) -> str | None:
    """``long`` or ``wide`` for a normalised first row, or None."""
    cells = [c for c in header if c]
    if not cells or kind_of_line(",".join(cells)) is not None:  # a CFX export
        return None
    names = set(cells)
    if {"well", "fluorescence"} <= names and names & {"cycle", "temperature"}:
        return None if names & _CQ else "long"
    if header[0] in _WIDE and len(cells) >= 2:
        return "wide"
    return None


def sniff(sample: FileSample) -> str | None:
    r"""A plain curve table: ``long`` or ``wide`` (the module docstring says which is which).

    Parameters
    ----------
    sample
        The file's head.

    Returns
    -------
    str or None
        ``long``, ``wide``, or None for any other file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "curves.csv"
    >>> _ = path.write_text('"Cycles","F1.1","F1.2"\n1,0.5,0.6\n')
    >>> sniff(FileSample(path))
    'wide'
    >>> _ = path.write_text("well,cycle,fluorescence\nA1,1,0.5\n")
    >>> sniff(FileSample(path))
    'long'
    >>> _ = path.write_text(",Cycle,A1,A2\n,1,10.5,11.0\n")  # Bio-Rad CFX
    >>> sniff(FileSample(path)) is None
    True
    >>> folder.cleanup()
    """
    if sample.kind == "text":
        lines = [line for line in sample.lines if line.strip()]
        rows = split_rows("\n".join(lines[:2])) if lines else []
    elif sample.sheet_names:
        rows = [r for r in sample.sheet_head(sample.sheet_names[0], rows=5) if any(r)]
    else:
        return None
    return _shape([norm_header(as_text(c)) for c in rows[0]]) if rows else None


def read(path: Path, sample: FileSample) -> Export:
    """Refuse a curve table for an analysis: it holds no Cq.

    Parameters
    ----------
    path
        The table.
    sample
        The file's head.

    Returns
    -------
    Export
        Never.

    Raises
    ------
    ExportParseError
        Always, saying where its curves can be read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "curves.csv"
    >>> _ = path.write_text("Cycles,F1.1\\n1,0.5\\n")
    >>> read(path, FileSample(path))
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: ...: this is a table of raw curves, which holds no Cq values; ...
    >>> folder.cleanup()
    """
    raise ExportParseError(
        "this is a table of raw curves, which holds no Cq values; expected a table of Cq "
        "values (well, sample, target, Cq)",
        where=str(path),
        hint="qpcr.read_curves reads its curves; call Cq from them before the analysis",
    )


def read_curve_table(path: Path, sample: FileSample, decimal: str | None = None) -> pd.DataFrame:
    r"""The curves of a plain long or wide curve table, long: ``well``, ``cycle`` or
    ``temperature``, ``fluorescence``, ``kind`` and the text columns the table has.

    Parameters
    ----------
    path
        The table (text or workbook: its first sheet).
    sample
        The file's head.
    decimal
        The decimal mark, or None to decide it from the cells.

    Returns
    -------
    pandas.DataFrame
        One row per reading; empty cells left out.

    Raises
    ------
    ExportParseError
        Headers that could be wells or samples, a duplicate column, a row longer than the
        header (a decimal comma in a comma-separated file), a cell that is not a number.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "curves.csv"
    >>> _ = path.write_text("Cycles;F1.1;F1.2\n1;0,5;0,6\n2;0,7;\n")
    >>> read_curve_table(path, FileSample(path))
       well sample  cycle  fluorescence           kind
    0  F1.1   F1.1    1.0           0.5  amplification
    1  F1.1   F1.1    2.0           0.7  amplification
    2  F1.2   F1.2    1.0           0.6  amplification
    >>> folder.cleanup()
    """
    rows, where = first_table_rows(path, sample.kind, sample.sheet_names)
    texts = ([as_text(c) for c in r] for r in rows)
    # blank rows are left out, and every row keeps its number in the file for messages
    numbered = [(n, r) for n, r in enumerate(texts, start=1) if any(r)]
    header = [norm_header(c) for c in numbered[0][1]] if numbered else []
    shape = _shape(header) if header else None
    if shape is None:
        raise ExportParseError(
            "no curve-table header in the first row; expected 'well, cycle, fluorescence' "
            "(long) or 'Cycle' and one column per reaction (wide)",
            where=f"{where} row {numbered[0][0] if numbered else 1}",
        )
    width = len(header)
    for n, row in numbered[1:]:
        if len(row) > width and any(row[width:]):
            raise ExportParseError(
                f"the row has {len(row)} cells but the header {width}; expected one cell per "
                "column",
                where=f"{where} row {n}",
                hint="A decimal comma in a comma-separated file splits numbers: save the table "
                "with ';' or TAB between cells",
            )
    body = pd.DataFrame(
        [(r + [""] * width)[:width] for _, r in numbered[1:]],
        index=[n for n, _ in numbered[1:]],
        columns=range(width),
    )
    if shape == "long":
        table = _long(numbered[0][1], header, body, where, decimal)
    else:
        table = _wide(numbered[0][1], header, body, where, decimal)
    x_name = "cycle" if "cycle" in table else "temperature"
    keys = [k for k in ("plate", "well", "target", "reporter", x_name) if k in table]
    repeated = table.duplicated(keys, keep=False)
    if repeated.any():
        first = table[repeated].iloc[0]
        raise ExportParseError(
            f"well {first['well']} has two readings at {x_name} {first[x_name]:g}; expected one "
            f"reading per {x_name} of each curve",
            where=where,
        )
    return table


def _long(
    cells: list[Any], header: list[str], body: pd.DataFrame, where: str, decimal: str | None
) -> pd.DataFrame:
    """A long curve table's readings (see the module docstring)."""
    x_name = "cycle" if "cycle" in header else "temperature"
    numbers = [n for n in (x_name, "fluorescence", "derivative") if n in header]
    columns = {str(header.index(n)): n for n in numbers}
    positions = [int(j) for j in columns]
    values = numeric_columns(body, positions, cells, where, 0, decimal)
    out = pd.DataFrame({name: values[j] for j, name in columns.items()})
    for name in ("well", *(t for t in _TEXT if t in header)):
        out[name] = body[header.index(name)].str.strip().to_numpy()
    out["well"] = _well_names(out["well"].tolist(), where, "in column 'well'")
    out["kind"] = "amplification" if x_name == "cycle" else "melt"
    return out[out["fluorescence"].notna() & out[x_name].notna()].reset_index(drop=True)


def _well_names(names: list[str], where: str, what: str) -> list[str]:
    """Canonical well names; a name that is not one is refused."""
    unique = list(dict.fromkeys(names))
    bad = next((n for n in unique if not _is_well(n)), None)
    if bad is not None:
        raise ExportParseError(f"'{bad}' {what} is not a well name; expected A1, B12, ...", where)
    canonical = {n: normalise_well(n, PLATES[384]) for n in unique}
    return [canonical[n] for n in names]


def _wide(
    cells: list[Any], header: list[str], body: pd.DataFrame, where: str, decimal: str | None
) -> pd.DataFrame:
    """A wide curve table's readings (see the module docstring)."""
    kind = _WIDE[header[0]]
    x_name = "cycle" if kind == "amplification" else "temperature"
    columns = [j for j in range(1, len(header)) if header[j]]
    names = [str(cells[j]).strip() for j in columns]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise ExportParseError(
            f"column '{duplicate}' appears twice; expected one column per reaction",
            where=f"{where} row 1",
        )
    wells = [_is_well(n) for n in names]
    numeric = [n for n in names if _NUMBER.match(n)]
    if numeric or (any(wells) and not all(wells)):
        example = numeric[0] if numeric else names[wells.index(True)]
        raise ExportParseError(
            f"the column headers could name wells or samples ('{example}'); expected all "
            "well names (A1, B12, ...) or no well name at all",
            where=f"{where} row 1",
            hint="Rename the columns: well names for wells, or names with a letter that are "
            "not well names (s1, F1.1) for reactions",
        )
    values = numeric_columns(body, [0, *columns], cells, where, 0, decimal)
    x = values["0"]
    frames = []
    for j, name in zip(columns, names, strict=True):
        id_ = normalise_well(name, PLATES[384]) if all(wells) else name
        part = {"well": id_, x_name: x, "fluorescence": values[str(j)]}
        frames.append(pd.DataFrame(part if all(wells) else {**part, "sample": name}))
    table = pd.concat(frames, ignore_index=True).assign(kind=kind)
    columns_out = ["well", *(["sample"] if not all(wells) else []), x_name, "fluorescence", "kind"]
    keep = table["fluorescence"].notna() & table[x_name].notna()
    return table.loc[keep, columns_out].reset_index(drop=True)


def _is_well(name: str) -> bool:
    """Whether a header is a well name (a bare number is not: it is ambiguous)."""
    if _NUMBER.match(name):
        return False
    try:
        normalise_well(name, PLATES[384])
    except InputError:
        return False
    return True


register(
    ExportFormat(
        name=NAME,
        description="Plain curve table, long or wide (qpcR-style): recognised and refused; "
        "qpcr.read_curves reads its curves",
        signature="first row 'well, cycle|temperature, fluorescence' without a Cq column, or "
        "'Cycle(s)|Temperature' then one column per reaction",
        sniff=sniff,
        read=read,
    )
)
