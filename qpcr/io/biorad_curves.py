"""Bio-Rad CFX amplification and melt exports (CSV and xlsx) as long curve tables, for
:func:`qpcr.read_curves`.

The export is wide: ``Cycle`` (amplification) or ``Temperature`` (melt), then one column per
well (``A1`` or ``A01``); CSV files start with an empty column. A workbook holds one sheet per
fluor. The labels (target, sample, reporter) come from the Cq Results file with the same name
prefix beside it (:mod:`qpcr.io.biorad` reads it).
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportParseError, InputError
from ..plate import PLATES, normalise_well
from ..regex import lazy_pattern
from ._tabular import as_text, norm_header, read_text, split_rows, workbook_rows
from .biorad import NAME, QUANTIFICATION, kind_of_rows, name_prefix
from .numbers import column_names, decimal_mark, read_numbers
from .registry import FileSample, read_run

__all__ = ["read_curves"]

_CQ_RESULTS = lazy_pattern(r"cq.results", re.IGNORECASE)
#: Where the shared name prefix of a CFX curve export ends.
_CURVE_FILE = lazy_pattern(r"quantification|melt curve", re.IGNORECASE)
#: What a curve file's name adds after ``... Results``: its fluor or target (``_SYBR``).
_CURVE_SUFFIX = lazy_pattern(r"results[ _-]+(.+)$", re.IGNORECASE)


def read_curves(path: Path, sample: FileSample, sniffed: tuple[str, str | None]) -> pd.DataFrame:
    r"""The curves of a CFX amplification or melt export, long: ``well, cycle`` (or
    ``temperature``), ``fluorescence`` (``derivative`` for a melt-derivative export), ``kind``,
    and ``target, sample, reporter`` from the Cq Results file with the same name prefix beside
    it (what its name says after ``Results``, ``_SYBR`` or ``_MYC``, or a workbook's sheet
    name, picks that fluor or target; a well of several targets that nothing picks gets no
    target). Every sheet of a workbook that holds such a table is read (CFX writes one per
    fluor).

    Parameters
    ----------
    path
        The export (CSV or xlsx).
    sample
        The file's head.
    sniffed
        What :func:`qpcr.io.biorad.sniff` returned.

    Returns
    -------
    pandas.DataFrame
        One row per reading; empty cells (unused wells, cut-off cycles) are left out.

    Raises
    ------
    ExportParseError
        Not an amplification or melt export, a well name that is not one, a value that is not
        a number.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run - Quantification Amplification Results_SYBR.csv"
    >>> _ = path.write_text(",Cycle,A1,A2\n,1,10.5,11.0\n,2,12.5,\n")
    >>> from qpcr.io.biorad import sniff
    >>> read_curves(path, FileSample(path), sniff(FileSample(path)))
      well  cycle  fluorescence           kind
    0   A1    1.0          10.5  amplification
    1   A1    2.0          12.5  amplification
    2   A2    1.0          11.0  amplification
    >>> folder.cleanup()
    """
    kind, sheet = sniffed
    if kind not in ("amplification", "melt"):
        raise ExportParseError(
            "this CFX export holds no curves; expected a 'Quantification Amplification "
            "Results' or 'Melt Curve RFU/Derivative Results' export",
            where=str(path) + (f" [{sheet}]" if sheet else ""),
        )
    sheets = [sheet]  # a workbook holds one sheet per fluor: read every sheet of the kind
    if sheet is not None:
        heads = {name: sample.sheet_head(name, rows=5) for name in sample.sheet_names}
        sheets = [name for name, head in heads.items() if kind_of_rows(head) == kind]
    frames = []
    for name in sheets:
        curves = _wide_curves(path, name, kind, sample.decimal)
        labels = _curve_labels(path, name, sample.decimal)
        frames.append(curves if labels is None else curves.merge(labels, on="well", how="left"))
    return pd.concat(frames, ignore_index=True)


def _wide_curves(path: Path, sheet: str | None, kind: str, decimal: str | None) -> pd.DataFrame:
    """One wide CFX curve table (a text file or a workbook sheet), long: ``well``, ``cycle`` or
    ``temperature``, ``fluorescence`` or ``derivative``, ``kind``; empty cells left out."""
    x_name = "cycle" if kind == "amplification" else "temperature"
    if sheet is None:
        text = read_text(path)
        first = next((line for line in text.split("\n") if line.strip()), "")
        mark = re.search(rf"{x_name}\s*([,;\t])", first, re.IGNORECASE)  # as the sniffer saw it
        rows: list[list[Any]] = list(split_rows(text, mark.group(1) if mark else None))
        where = str(path)
    else:
        rows = workbook_rows(path, sheet)
        where = f"{path} [{sheet}]"
    rows = [r for r in rows if any(as_text(c) for c in r)]
    header = [norm_header(c) for c in rows[0]] if rows else []
    if x_name not in header:
        raise ExportParseError(
            f"no '{x_name}' column in the first row; expected '{x_name.title()}' and one "
            "column per well, as CFX writes",
            where=where,
        )
    x_col = header.index(x_name)
    columns = [j for j in range(x_col + 1, len(header)) if header[j]]
    if not columns:
        raise ExportParseError(
            f"no well columns after '{x_name}'; expected one column per well (A1, A2, ...)",
            where=f"{where} row 1",
        )
    wells: list[str] = []
    for j in columns:
        try:
            well = normalise_well(as_text(rows[0][j]), PLATES[384])
        except InputError as exc:
            raise ExportParseError(exc.message, where=f"{where} row 1 column {j + 1}") from None
        if well in wells:
            raise ExportParseError(
                f"well {well} has a second column; expected one column per well",
                where=f"{where} row 1 column {j + 1}",
            )
        wells.append(well)
    body = rows[1:]
    cells = {str(j): [r[j] if j < len(r) else "" for r in body] for j in [x_col, *columns]}
    decimal = decimal_mark(where, cells, grouped=cells, decimal=decimal,  # RFU may be grouped
                           names=column_names(rows[0], [x_col, *columns]))  # fmt: skip
    values = {
        j: read_numbers(column, partial(_cell_at, where, int(j)), decimal)
        for j, column in cells.items()
    }
    readings = np.column_stack([values[str(j)] for j in columns])
    unplaced = np.isnan(values[str(x_col)]) & ~np.isnan(readings).all(axis=1)
    if unplaced.any():
        raise ExportParseError(
            f"the row has readings but no {x_name}; expected a {x_name} on every row",
            where=f"{where} row {int(np.flatnonzero(unplaced)[0]) + 2}",
        )
    value = "derivative" if kind == "melt" and "derivative" in path.name.lower() else "fluorescence"
    out = pd.DataFrame(
        {
            "well": np.repeat(wells, len(body)),
            x_name: np.tile(values[str(x_col)], len(wells)),
            value: readings.T.ravel(),
            "kind": kind,
        }
    )
    return out[out[value].notna()].reset_index(drop=True)


def _cell_at(where: str, column: int, row: int) -> str:
    """Where data row ``row`` (0-based, below the header) of a wide curve table is."""
    return f"{where} row {row + 2} column {column + 1}"


def _curve_labels(path: Path, sheet: str | None, decimal: str | None) -> pd.DataFrame | None:
    """``well, target, sample, reporter`` of a curve export from its sibling Cq Results file
    (None without one); a well of several targets that the file's suffix does not pick gets
    ``target`` and ``reporter`` "" (its sample when the rows agree)."""
    prefix = name_prefix(path.name, _CURVE_FILE)
    sibling = next(
        (
            s
            for s in sorted(path.parent.iterdir())
            if s != path
            and _CQ_RESULTS.search(s.name)
            and name_prefix(s.name, QUANTIFICATION) == prefix
            and s.is_file()
        ),
        None,
    )
    if not prefix or sibling is None:
        return None
    wells = read_run(sibling, NAME, decimal).wells
    match = _CURVE_SUFFIX.search(Path(path.name).stem)
    pick = (sheet or (match.group(1) if match else "")).strip().lower()
    for column in ("reporter", "target"):
        chosen = wells[column].fillna("").astype(str).str.lower().eq(pick)
        if pick and chosen.any():
            wells = wells[chosen]
            break
    labels = wells.drop_duplicates("well").set_index("well")[["target", "sample", "reporter"]]
    counts = wells.groupby("well").agg(rows=("target", "size"), samples=("sample", "nunique"))
    labels.loc[counts.index[counts["rows"] > 1], ["target", "reporter"]] = ""
    labels.loc[counts.index[counts["samples"] > 1], "sample"] = ""
    return labels.reset_index()
