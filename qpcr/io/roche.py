"""Roche LightCycler 480 "Abs Quant/2nd Derivative Max" text export (also ``.txt.gz``).

Line 1: ``Experiment: <name>  Selected Filter: <filter>``; line 2 (TAB): ``Include Color Pos Name
Cp Concentration Standard Status``. ``Pos`` is the well (96 or 384 plate), an empty ``Cp`` is
undetermined, ``Include=False`` sets ``omitted`` (the Cp stays as read), ``Standard`` ≠ 0 marks a
standard whose ``quantity`` is that value. The file has no target per row: when every named well
follows ``<sample> <target>`` with a few targets shared by several samples, the last word is the
target; otherwise the target is the filter name. ``RunInfo.extra["target_source"]`` says which.
The LC480 raw-fluorescence export (``Raw Data ... Run on LCS480``) is recognised and refused.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportParseError, InputError
from ..plate import PLATES, normalise_well, plate_for_wells
from ..regex import lazy_pattern
from ._tabular import (
    as_text,
    decode_bytes,
    find_header_row,
    frame,
    norm_header,
    parse_bool,
    read_text,
    split_rows,
)
from .numbers import decimal_mark, read_cq, read_numbers
from .registry import Export, ExportFormat, FileSample, RunInfo, register

NAME = "roche"
_TITLE = re.compile(r"^\s*Experiment:\s*(?P<name>.*?)\s*Selected Filter:\s*(?P<filter>.*?)\s*$")
_DEFAULT_NAME = lazy_pattern(r"^sample\s*\d+$", re.IGNORECASE)
_HEADER = ("include", "pos", "name", "cp")


def _head_lines(sample: FileSample) -> list[str]:
    """Decoded head lines, decompressing the head of a gzip file."""
    if sample.kind == "text":
        return sample.lines
    if sample.kind != "gzip":
        return []
    try:
        data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(sample.head, 64 * 1024)
        return decode_bytes(data)[0].splitlines()[:-1]
    except (zlib.error, InputError):
        return []


def _kind(lines: list[str]) -> str | None:
    """``cp`` (result export), ``raw`` (raw fluorescence) or None."""
    if len(lines) < 2:
        return None
    second = [norm_header(c) for c in lines[1].split("\t")]
    if _TITLE.match(lines[0]) and second[:2] == ["include", "color"] and "cp" in second:
        return "cp"
    if lines[0].startswith("Raw Data") and second[:2] == ["samplepos", "samplename"]:
        return "raw"
    return None


def sniff(sample: FileSample) -> str | None:
    r"""LC480 Cp export or LC480 raw-data export, plain or gzip-compressed: which it is.

    Parameters
    ----------
    sample
        The file's head.

    Returns
    -------
    str or None
        ``cp`` (a Cp export), ``raw`` (raw fluorescence, refused by :func:`read`; its curves
        are :func:`qpcr.io.raw_curves.read_lc480`'s), or None.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "lc480.txt"
    >>> _ = path.write_text("Experiment: demo  Selected Filter: FAM (465-510)\n"
    ...                     "Include\tColor\tPos\tName\tCp\tConcentration\tStandard\tStatus\n")
    >>> sniff(FileSample(path))
    'cp'
    >>> folder.cleanup()
    """
    return _kind(_head_lines(sample))


def read(path: Path, sample: FileSample) -> Export:
    r"""Read an LC480 Cp text export into the wells table.

    Parameters
    ----------
    path
        The export (``.txt`` or ``.txt.gz``).
    sample
        The file's head.

    Returns
    -------
    Export
        The wells table, with ``reporter`` (the filter), ``omitted`` (``Include`` False) and
        ``quantity`` (standards); ``info.extra`` holds the experiment, the filter and
        ``target_source`` (``sample name`` or ``filter``).

    Raises
    ------
    ExportParseError
        The raw-data export, or a file whose header or cells cannot be read.

    Examples
    --------
    Names follow ``<sample> <target>``, so the last word is the target:

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "lc480.txt"
    >>> rows = [("True", "A1", "ctrl MYC", "24.10"), ("True", "A2", "ctrl GAPDH", "18.02"),
    ...         ("False", "A3", "hyp MYC", ""), ("True", "A4", "hyp GAPDH", "18.31"),
    ...         ("True", "A5", "tx MYC", "22.5"), ("True", "A6", "tx GAPDH", "18.2")]
    >>> _ = path.write_text(
    ...     "Experiment: demo  Selected Filter: FAM (465-510)\n"
    ...     "Include\tColor\tPos\tName\tCp\tConcentration\tStandard\tStatus\n"
    ...     + "".join(f"{inc}\t255\t{pos}\t{name}\t{cp}\t\t0\t\n" for inc, pos, name, cp in rows))
    >>> export = read(path, FileSample(path))
    >>> export.wells[["well", "sample", "target", "cq", "cq_status", "omitted"]]
      well sample target     cq     cq_status  omitted
    0   A1   ctrl    MYC  24.10            ok    False
    1   A2   ctrl  GAPDH  18.02            ok    False
    2   A3    hyp    MYC    NaN  undetermined     True
    3   A4    hyp  GAPDH  18.31            ok    False
    4   A5     tx    MYC  22.50            ok    False
    5   A6     tx  GAPDH  18.20            ok    False
    >>> export.info.extra
    {'experiment': 'demo', 'filter': 'FAM (465-510)', 'target_source': 'sample name'}
    >>> folder.cleanup()
    """
    text = read_text(path, gzipped=sample.kind == "gzip")
    lines = text.split("\n")
    kind = _kind(lines)
    if kind != "cp":
        what = (
            "this is a LightCycler 480 raw fluorescence export, which holds no Cp values "
            "(qpcr.read_curves reads its curves)"
            if kind == "raw"
            else "no 'Experiment: ... Selected Filter: ...' line followed by the "
            "'Include Color Pos Name Cp' header"
        )
        raise ExportParseError(
            f"{what}; expected the Abs Quant Cp results export",
            where=str(path),
            hint="In the LightCycler 480 software open the Abs Quant/2nd Derivative Max "
            "analysis and export the results table as text",
        )
    title = _TITLE.match(lines[0])
    if title is None:  # pragma: no cover - _kind matched the same pattern
        raise ExportParseError("no 'Selected Filter:' on line 1", where=f"{path} row 1")
    rows: list[list[Any]] = split_rows(text, "\t")
    header = find_header_row(rows[:5], _HEADER)
    if header is None:
        raise ExportParseError(
            "header lacks Include, Pos, Name or Cp", where=f"{path} row 2", hint="Export again"
        )
    table = frame(rows, header)
    table = table[table.iloc[:, 0].map(as_text) != ""]
    if table.empty:
        raise ExportParseError("the Cp table has a header but no well rows", where=str(path))
    wells, plate_size = _wells(table, str(path), header + 2, sample.decimal)
    filter_name = title.group("filter")
    targets, source = _targets(wells["sample_name"].tolist(), filter_name)
    wells["target"] = targets
    wells["reporter"] = filter_name
    if source == "sample name":
        wells["sample"] = [
            n.rsplit(None, 1)[0] if not _DEFAULT_NAME.match(n) and " " in n else n
            for n in wells["sample_name"]
        ]
    else:
        wells["sample"] = wells["sample_name"]
    wells = wells.drop(columns="sample_name")
    columns = ["well", "sample", "target", "sample_type", "cq", "cq_status", "reporter"]
    wells = wells[columns + [c for c in wells.columns if c not in columns]]
    info = RunInfo(
        path=str(path),
        format=NAME,
        instrument="Roche LightCycler 480",
        software="LightCycler 480 software",
        plate_size=plate_size,
        extra={
            "experiment": title.group("name"),
            "filter": filter_name,
            "target_source": source,
        },
    )
    return Export(wells=wells, info=info)


def _wells(
    table: pd.DataFrame, where: str, row0: int, decimal: str | None
) -> tuple[pd.DataFrame, int]:
    """Wells table (without target/sample split) and the plate size; the table's index + row0
    is the 1-based file row; ``decimal`` is the mark the user gave (None: detect)."""
    cols = {norm_header(c): c for c in table.columns}
    file_rows = (table.index + row0).tolist()

    def at(i: int, key: str) -> str:
        return f"{where} row {file_rows[i]} column '{cols[key]}'"

    raw = [as_text(v) for v in table[cols["pos"]]]
    for i, well in enumerate(raw):
        try:
            normalise_well(well, PLATES[384])
        except InputError as exc:
            raise ExportParseError(exc.message, where=at(i, "pos")) from None
    plate = plate_for_wells(raw, hint=96)
    wells = [normalise_well(w, plate) for w in raw]
    include = [as_text(v).lower() for v in table[cols["include"]]]
    bad = [i for i, v in enumerate(include) if v not in ("true", "false")]
    if bad:
        raise ExportParseError(
            f"Include '{table[cols['include']].iloc[bad[0]]}' is not True or False",
            where=at(bad[0], "include"),
        )
    omitted = [not parse_bool(v) for v in include]
    numeric = {cols[k]: list(table[cols[k]]) for k in ("cp", "standard") if k in cols}
    grouped = {cols["standard"]} if "standard" in cols else set()
    decimal = decimal_mark(where, numeric, grouped=grouped, decimal=decimal)
    cq, status = read_cq(
        numeric[cols["cp"]],
        lambda i: at(i, "cp"),
        decimal=decimal,
        flagged=omitted,
        hint="The LightCycler 480 leaves Cp empty for wells without amplification",
        name="Cp",
    )
    out = pd.DataFrame(
        {
            "well": wells,
            "sample_name": [as_text(v) for v in table[cols["name"]]],
            "sample_type": "unkn",
            "cq": cq,
            "cq_status": status,
            "omitted": omitted,
        }
    )
    if "standard" in cols:
        std = read_numbers(numeric[cols["standard"]], lambda i: at(i, "standard"), decimal, True)
        is_std = np.nan_to_num(std) != 0
        out["sample_type"] = np.where(is_std, "std", "unkn")
        out["quantity"] = np.where(is_std, std, np.nan)
    return out, plate.size


def _targets(names: list[str], filter_name: str) -> tuple[list[str], str]:
    """Targets from the ``<sample> <target>`` naming convention, else the filter name.

    The convention holds when every non-default name has two or more words and the last words
    take fewer distinct values than the prefixes, each shared by at least two prefixes.
    """
    named = [n for n in names if n and not _DEFAULT_NAME.match(n)]
    split = [n.rsplit(None, 1) for n in named]
    if named and all(len(s) == 2 for s in split):
        prefixes: dict[str, set[str]] = {}
        for prefix, last in split:
            prefixes.setdefault(last, set()).add(prefix)
        n_prefixes = len({p for p, _ in split})
        if len(prefixes) < n_prefixes and all(len(p) >= 2 for p in prefixes.values()):
            return [
                n.rsplit(None, 1)[1] if n and not _DEFAULT_NAME.match(n) else filter_name
                for n in names
            ], "sample name"
    return [filter_name] * len(names), "filter"


register(
    ExportFormat(
        name=NAME,
        description="Roche LightCycler 480 Abs Quant Cp text export (.txt, .txt.gz)",
        signature="line 1 'Experiment: ... Selected Filter: ...', line 2 'Include Color Pos Name "
        "Cp ...' (TAB); LC480 raw-data exports are recognised and refused",
        sniff=sniff,
        read=read,
    )
)
