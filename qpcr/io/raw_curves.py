"""Raw-fluorescence exports that list every reading as a row, as long curve tables for
:func:`qpcr.read_curves`: the LightCycler 480 "Raw Data" text export (plain or gzip) and the
MxPro (Mx3000P/Mx3005P) raw-fluorescence export. Both are recognised (and refused for an
analysis) by their registered formats, :mod:`qpcr.io.roche` and :mod:`qpcr.io.agilent`.

Each reading belongs to a program step: LC480 ``Prog#`` × ``Seg#``, MxPro ``Segment`` ×
``Ramp/Plateau`` × ``Ramp/Plateau #``. A step whose wells are read at more than one cycle is
amplification (one reading per cycle); a step read at one cycle, at least
:data:`MIN_MELT_READINGS` times per well over at least :data:`MIN_MELT_SPAN` °C, is a melt; any
other step (a single hold reading, a cooling step) is left out.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from ..errors import ExportParseError, InputError
from ..plate import PLATES, normalise_well, plate_for_wells
from ._tabular import norm_header, read_text
from .numbers import column_names, decimal_mark, read_numbers
from .registry import FileSample

__all__ = ["MIN_MELT_READINGS", "MIN_MELT_SPAN", "numeric_columns", "read_lc480", "read_mxpro"]

#: Readings per well a step needs to be a melt.
MIN_MELT_READINGS: Final = 10
#: Temperature span (°C) a step needs to be a melt.
MIN_MELT_SPAN: Final = 5.0
#: LC480 columns before the channels (normalised headers).
_LC480: Final = ("samplepos", "samplename", "prog#", "seg#", "cycle#", "time", "temp")
#: MxPro columns (normalised headers).
_MXPRO: Final = (
    "segment", "ramp/plateau", "ramp/plateau #", "well", "dye", "cycle #", "fluorescence",
    "temperature",
)  # fmt: skip


def numeric_columns(
    body: pd.DataFrame,
    positions: Sequence[int],
    header: Sequence[object],
    where: str,
    first_row: int,
    decimal: str | None,
) -> dict[str, np.ndarray]:
    """Floats of the columns at ``positions`` of a text table, with one decimal mark for them
    all.

    A fast path (``pandas.to_numeric``) reads clean columns; a column with any other cell is
    read cell by cell by :func:`qpcr.io.numbers.read_numbers`, which names the cell it refuses.

    Parameters
    ----------
    body
        Text cells below the header, columns keyed by their 0-based position.
    positions
        The columns to read.
    header
        The header row's cells, which name the columns in messages
        (:func:`~qpcr.io.numbers.column_names`).
    where
        The file, for errors.
    first_row
        The file's row number of the body's index 0, for errors.
    decimal
        The decimal mark the user gave, or None to decide it from the cells.

    Returns
    -------
    dict of str to numpy.ndarray
        ``str(position)`` → floats, NaN for empty cells and non-detect tokens.

    Raises
    ------
    ExportParseError
        A cell that is not a number, or cells that disagree on the decimal mark.

    Examples
    --------
    >>> import pandas as pd
    >>> body = pd.DataFrame([["1", "10,5"], ["2", "12,25"]])
    >>> numeric_columns(body, [0, 1], ["cycle", "rfu"], "run.txt", 2, None)["1"]
    array([10.5 , 12.25])
    >>> numeric_columns(body, [1], ["cycle", "rfu"], "run.txt", 2, ".")
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.txt row 2 column 2: '10,5' is not a number; ...
    """
    table = body[list(positions)].rename(columns=str)
    names = column_names(header, positions)

    def locate(column: str, i: int) -> str:
        return f"{where} row {int(body.index[i]) + first_row} column {int(column) + 1}"

    cells = {name: table[name].fillna("").astype(str).str.strip() for name in table.columns}
    if decimal is None:
        marked = {n: c[c.str.contains(",", regex=False)] for n, c in cells.items()}
        decimal = (
            # fluorescence may hold thousands separators: '1,234' alone is refused as either
            decimal_mark(
                where, {n: c.tolist() for n, c in cells.items()}, grouped=cells, names=names
            )
            if any(len(c) for c in marked.values())
            else "."
        )
    out = {}
    for name, column in cells.items():
        text = column.str.replace(",", ".", regex=False) if decimal == "," else column
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        if (np.isinf(values) | (np.isnan(values) & column.ne("").to_numpy())).any():
            values = read_numbers(column.tolist(), partial(locate, name), decimal)
        out[name] = values
    return out


def _columns(header: list[str], wanted: Sequence[str], where: str, what: str) -> list[int]:
    """Positions of the ``wanted`` headers, in order; a missing one is refused."""
    missing = [w for w in wanted if w not in header]
    if missing:
        raise ExportParseError(
            f"no '{missing[0]}' column in the header; expected {what}", where=f"{where} row 2"
        )
    return [header.index(w) for w in wanted]


def _table(text: str, where: str) -> tuple[list[str], pd.DataFrame]:
    """The header cells (line 2) and the text cells below it of a TAB-separated export."""
    lines = text.split("\n", 2)
    if len(lines) < 3:
        raise ExportParseError("no readings below the header; expected one row per reading", where)
    header = [c.strip() for c in lines[1].rstrip("\r").split("\t")]
    try:
        body = pd.read_csv(
            io.StringIO(lines[2]), sep="\t", header=None, dtype=str, keep_default_na=False,
            names=range(len(header)), skip_blank_lines=False, engine="c", quoting=3,
        )  # fmt: skip
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+), saw (\d+)", str(exc))
        row, cells = (int(found.group(1)) + 2, found.group(2)) if found else (0, "more")
        raise ExportParseError(
            f"the row has {cells} cells but the header {len(header)}; expected one cell per column",
            where=f"{where} row {row}" if row else where,
        ) from None
    return header, body


def _steps(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Readings of a long table (``step, well, reporter, cycle, temperature, fluorescence``)
    with ``kind`` set per step as the module docstring says; other steps dropped."""
    per_well = frame.groupby(["step", "well", "reporter"], sort=False).agg(
        cycles=("cycle", "nunique"),
        readings=("cycle", "size"),
        span=("temperature", lambda t: t.max() - t.min()),
    )
    steps = per_well.groupby("step").agg(
        cycles=("cycles", "max"), readings=("readings", "min"), span=("span", "min")
    )
    kind = pd.Series("", index=steps.index)
    kind[steps["cycles"] > 1] = "amplification"
    melt = (steps["cycles"] == 1) & (steps["readings"] >= MIN_MELT_READINGS)
    kind[melt & (steps["span"] >= MIN_MELT_SPAN)] = "melt"
    frame = frame.assign(kind=frame["step"].map(kind))
    frame = frame[frame["kind"] != ""]
    amp = frame["kind"] == "amplification"
    repeated = frame[amp].duplicated(["well", "reporter", "cycle"], keep=False)
    if repeated.any():
        row = frame[amp][repeated].iloc[0]
        raise ExportParseError(
            f"well {row['well']} has two {row['reporter']} readings at cycle {row['cycle']:g} "
            "(two program steps acquire per cycle); expected one amplification reading per "
            "cycle",
            where=where,
            hint="Export the raw data of the one step that acquires per cycle",
        )
    frame = frame.assign(temperature=frame["temperature"].where(~amp))
    return frame.assign(cycle=frame["cycle"].where(amp)).drop(columns="step")


def _wells(raw: Sequence[str], where: str) -> list[str]:
    """Well names of an export, normalised (``A01`` → ``A1``) on the plate they fit."""
    unique = list(dict.fromkeys(raw))
    try:
        plate = plate_for_wells(unique, hint=96)
        names = {w: normalise_well(w, plate) for w in unique}
    except InputError as exc:
        raise ExportParseError(exc.message, where=where) from None
    return [names[w] for w in raw]


def read_lc480(path: Path, sample: FileSample, decimal: str | None = None) -> pd.DataFrame:
    r"""The curves of a LightCycler 480 "Raw Data" text export (plain or gzip), long: ``well,
    sample, reporter`` (the channel, ``465-510``), ``cycle`` or ``temperature``,
    ``fluorescence``, ``kind``; one column per channel after ``Temp``.

    Parameters
    ----------
    path
        The export.
    sample
        The file's head.
    decimal
        The decimal mark, or None to decide it from the cells.

    Returns
    -------
    pandas.DataFrame
        One row per reading of an amplification or melt step (module docstring).

    Raises
    ------
    ExportParseError
        A missing column, a cell that is not a number, a well name that is not one.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "raw.txt"
    >>> rows = [f"A1\tSample 1\t2\t2\t{c}\t{c}00\t60\t{c + 0.5}" for c in (1, 2)]
    >>> _ = path.write_text("Raw Data \t\tExperiment - x (Run on LCS480 1.5.0.39)\n"
    ...     "SamplePos\tSampleName\tProg#\tSeg#\tCycle#\tTime\tTemp\t465-510\n"
    ...     + "\n".join(rows) + "\n")
    >>> read_lc480(path, FileSample(path))
      well    sample reporter  cycle  temperature  fluorescence           kind
    0   A1  Sample 1  465-510    1.0          NaN           1.5  amplification
    1   A1  Sample 1  465-510    2.0          NaN           2.5  amplification
    >>> folder.cleanup()
    """
    where = str(path)
    cells, body = _table(read_text(path, gzipped=sample.kind == "gzip"), where)
    header = [norm_header(c) for c in cells]
    pos, name, prog, seg, cycle, _, temp = _columns(
        header, _LC480, where, "'SamplePos SampleName Prog# Seg# Cycle# Time Temp <channels>'"
    )
    channels = [j for j in range(temp + 1, len(header)) if header[j]]
    if not channels:
        raise ExportParseError(
            "no channel column after 'Temp'; expected one column per channel (465-510, ...)",
            where=f"{where} row 2",
        )
    body = body[body[pos].str.strip() != ""]
    values = numeric_columns(body, [cycle, temp, *channels], cells, where, 3, decimal)
    wells = _wells(body[pos].str.strip().tolist(), where)
    frames = [
        pd.DataFrame(
            {
                "step": body[prog].str.strip() + "/" + body[seg].str.strip(),
                "well": wells,
                "sample": body[name].str.strip().to_numpy(),
                "reporter": cells[j],
                "cycle": values[str(cycle)],
                "temperature": values[str(temp)],
                "fluorescence": values[str(j)],
            }
        )
        for j in channels
    ]
    table = pd.concat(frames, ignore_index=True)
    return _steps(table[table["fluorescence"].notna()], where).reset_index(drop=True)


def read_mxpro(path: Path, sample: FileSample, decimal: str | None = None) -> pd.DataFrame:
    r"""The curves of an MxPro raw-fluorescence export, long: ``well, reporter`` (the
    ``Dye`` column) and ``target`` (the same: MxPro writes the assay name the user gave each
    dye there, ``Campy``, ``ICD``), ``cycle`` or
    ``temperature``, ``fluorescence``, ``kind``.

    MxPro numbers the wells of its 96-well plate 1-96 row by row (1 = A1, 12 = A12, 13 = B1,
    96 = H12); the reader names them so.

    Parameters
    ----------
    path
        The export.
    sample
        The file's head.
    decimal
        The decimal mark, or None to decide it from the cells.

    Returns
    -------
    pandas.DataFrame
        One row per reading of an amplification or melt step (module docstring).

    Raises
    ------
    ExportParseError
        A missing column, a cell that is not a number, a well number off the plate.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "raw.txt"
    >>> rows = [f" 2\tP\t 2\t13\tFAM\t  {c}\t     {c}00\t60.0" for c in (1, 2)]
    >>> _ = path.write_text("C:\\runs\\run.mxp\nSegment\tRamp/Plateau\tRamp/Plateau #\tWell\t"
    ...     "Dye\tCycle #\tFluorescence\tTemperature\n" + "\n".join(rows) + "\n")
    >>> read_mxpro(path, FileSample(path))
      well reporter target  cycle  temperature  fluorescence           kind
    0   B1      FAM    FAM    1.0          NaN         100.0  amplification
    1   B1      FAM    FAM    2.0          NaN         200.0  amplification
    >>> folder.cleanup()
    """
    where = str(path)
    cells, body = _table(read_text(path), where)
    what = "'Segment Ramp/Plateau Ramp/Plateau # Well Dye Cycle # Fluorescence Temperature'"
    seg, ramp, number, well, dye, cycle, fluor, temp = _columns(
        [norm_header(c) for c in cells], _MXPRO, where, what
    )
    body = body[body[well].str.strip() != ""]
    values = numeric_columns(body, [well, cycle, fluor, temp], cells, where, 3, decimal)
    numbers = values[str(well)]
    off = ~np.isin(numbers, np.arange(1, 97))
    if off.any():
        raise ExportParseError(
            f"well '{body[well].iloc[int(np.argmax(off))].strip()}' is not a well number of "
            "the 96-well plate; expected 1-96",
            where=f"{where} row {int(body.index[int(np.argmax(off))]) + 3}",
        )
    plate = PLATES[96]
    names_of = {n: normalise_well(int(n), plate) for n in np.unique(numbers)}
    step = body[seg].str.strip() + "/" + body[ramp].str.strip() + "/" + body[number].str.strip()
    table = pd.DataFrame({
        "step": step.to_numpy(), "well": [names_of[n] for n in numbers],
        "reporter": body[dye].str.strip().to_numpy(), "target": body[dye].str.strip().to_numpy(),
        "cycle": values[str(cycle)],
        "temperature": values[str(temp)], "fluorescence": values[str(fluor)],
    })  # fmt: skip
    return _steps(table[table["fluorescence"].notna()], where).reset_index(drop=True)
