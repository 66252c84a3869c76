"""Bio-Rad CFX Manager / CFX Maestro "Quantification Cq Results" (CSV and xlsx).

Header (any order, leading empty column in CSV): ``Well, Fluor, Target, Content, Sample,
[Biological Set Name,] Cq, ..., Starting Quantity (SQ), ...``. Delimiter ``,`` or ``;`` (the
character after ``Well``); ``;`` files from French/German locales may use decimal commas.
Mapping: ``A01`` → ``A1`` (96-well plate unless a well lies beyond H12), ``Content``
(``Unkn-01``, ``NTC-1``, ``Std-03``, ``NRT``, ``Pos Ctrl``, ``Neg Ctrl``) → RDML sample type,
``Fluor`` → ``reporter`` (and ``target`` when ``Target`` is empty), ``NaN`` → undetermined,
``Starting Quantity (SQ)`` → ``quantity`` for standards. A ``Run Information`` file with the
same name prefix beside the Cq file (or a ``Run Information`` sheet) fills :class:`RunInfo`.
The Run Information, amplification and melt exports alone are recognised and refused as
inputs of an analysis; :mod:`qpcr.io.biorad_curves` reads the amplification and melt exports
for :func:`qpcr.read_curves`.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportParseError, InputError
from ..plate import normalise_well, plate_for_wells
from ..regex import lazy_pattern
from ..schema import normalise_sample_type
from ._tabular import (
    CQ_HEADERS,
    as_text,
    find_header_row,
    frame,
    norm_header,
    read_text,
    split_rows,
    workbook_rows,
)
from .checks import sample_types
from .numbers import decimal_mark, read_cq, read_numbers
from .registry import Export, ExportFormat, FileSample, RunInfo, register

NAME = "biorad"
_REQUIRED = ("well", "fluor", "content")
#: Content prefixes that normalise_sample_type does not know.
_CONTENT_ALIASES = {"neg ctrl": "ntc"}
#: The replicate number of a ``Content`` (``Unkn-01``).
_REPLICATE = lazy_pattern(r"-\d+$")
#: Localised "not a number" words CFX Manager writes instead of NaN.
_LOCAL_NAN = {"non numérique", "non numerique", "nicht numerisch", "no numérico"}
_RUN_INFO_KEYS = {"file name", "run started", "run ended", "base serial number"}
#: Where the shared name prefix of a CFX Cq Results export ends (:func:`name_prefix`).
QUANTIFICATION = lazy_pattern(r"quantification", re.IGNORECASE)
_RUN_INFO = lazy_pattern(r"run information", re.IGNORECASE)


def _header_cells(line: str) -> tuple[list[str], str] | None:
    """Cells of a CFX header line and its delimiter (the character after ``Well``)."""
    text = line.lstrip(",;\t \ufeff")
    if not text.lower().startswith("well") or len(text) < 5:
        return None
    delimiter = text[4]
    if delimiter not in ",;\t":
        return None
    return [norm_header(c) for c in text.split(delimiter)], delimiter


def kind_of_line(line: str) -> str | None:
    """What CFX export a first line starts: ``cq``, ``amplification``, ``melt`` or
    ``run_info``, else None.

    Parameters
    ----------
    line
        The file's first non-empty line (cells joined by ``,``, ``;`` or a tab).

    Returns
    -------
    str or None
        The kind of export.

    Examples
    --------
    >>> kind_of_line(",Cycle,A1,A2"), kind_of_line("Well,Fluor,Content,Cq"), kind_of_line("x")
    ('amplification', 'cq', None)
    """
    parsed = _header_cells(line)
    if parsed is not None:
        header = set(parsed[0])
        if set(_REQUIRED) <= header and header & CQ_HEADERS:
            return "cq"
        return None
    cells = [c for c in (norm_header(c) for c in re.split(r"[,;\t]", line.strip())) if c]
    if len(cells) >= 3 and cells[1] in ("a1", "a01"):
        if cells[0] == "cycle":
            return "amplification"
        if cells[0] == "temperature":
            return "melt"
    if len(cells) >= 2 and cells[0] == "file name" and cells[1].endswith((".pcrd", ".zpcr")):
        return "run_info"
    return None


def kind_of_rows(rows: list[list[Any]]) -> str | None:
    """:func:`kind_of_line` of a workbook sheet's first non-empty row (leading empty cells
    dropped).

    Parameters
    ----------
    rows
        The sheet's first rows, as python-calamine gives them.

    Returns
    -------
    str or None
        The kind of export.

    Examples
    --------
    >>> kind_of_rows([["", ""], ["", "Temperature", "A1", "A2"], ["", 65.0, 1.0, 1.1]])
    'melt'
    """
    first = next((r for r in rows if any(as_text(c) for c in r)), None)
    if first is None:
        return None
    cells = [as_text(c) for c in first]
    while cells and not cells[0]:
        cells.pop(0)
    return kind_of_line(",".join(c.replace(",", " ") for c in cells))


def _file_kind(sample: FileSample) -> tuple[str | None, str | None]:
    """(kind, sheet) of a file: what CFX export it is and which sheet holds it."""
    if sample.kind == "text":
        first = next((line for line in sample.lines if line.strip()), "")
        return kind_of_line(first), None
    found: tuple[str | None, str | None] = (None, None)
    for sheet in sample.sheet_names:
        kind = kind_of_rows(sample.sheet_head(sheet, rows=5))
        if kind == "cq":
            return kind, sheet
        if kind and found[0] is None:
            found = (kind, sheet)
    return found


def sniff(sample: FileSample) -> tuple[str, str | None] | None:
    r"""A CFX Cq Results table, or a CFX Run Information / amplification / melt export: the
    (kind, sheet) that :func:`read` receives as ``sniffed``, or None.

    Parameters
    ----------
    sample
        The file's head.

    Returns
    -------
    tuple of (str, str or None), or None
        ``(kind, sheet)``: kind ``cq``, ``run_info``, ``amplification`` or ``melt``; the
        workbook sheet holding it (None for text). None for any other file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_text(",Well,Fluor,Target,Content,Sample,Cq\n,A01,SYBR,MYC,Unkn-1,c1,24.1\n")
    >>> sniff(FileSample(path))
    ('cq', None)
    >>> _ = path.write_text("File Name,run.pcrd\nCreated By User,sam\n")
    >>> sniff(FileSample(path))
    ('run_info', None)
    >>> folder.cleanup()
    """
    kind, sheet = _file_kind(sample)
    return (kind, sheet) if kind is not None else None


_REFUSALS = {
    "run_info": "this is a CFX 'Run Information' export, which holds no Cq values",
    "amplification": "this is a CFX 'Quantification Amplification Results' export (RFU per "
    "cycle), which holds no Cq values (qpcr.read_curves reads its curves)",
    "melt": "this is a CFX melt curve export, which holds no Cq values (qpcr.read_curves reads "
    "its curves)",
}


def read(path: Path, sample: FileSample, sniffed: tuple[str, str | None] | None = None) -> Export:
    r"""Read a CFX Quantification Cq Results export into the wells table (``sniffed``: what
    :func:`sniff` found, so a workbook's sheets are not scanned twice).

    Parameters
    ----------
    path
        The export (CSV, TSV or xlsx).
    sample
        The file's head.
    sniffed
        What :func:`sniff` returned, or None to look again.

    Returns
    -------
    Export
        The wells (``well, sample, target, sample_type, cq, cq_status, reporter``) and the run
        information.

    Raises
    ------
    ExportParseError
        A CFX export without Cq values (Run Information, amplification, melt) or a file
        without the CFX header.

    Examples
    --------
    A CFX ``NaN`` Cq is a non-detect; ``Content`` gives the sample type:

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "cq.csv"
    >>> _ = path.write_text(",Well,Fluor,Target,Content,Sample,Cq\n"
    ...                     ",A01,SYBR,GAPDH,Unkn-1,ctrl,18.02\n,A02,SYBR,MYC,Unkn-1,ctrl,24.10\n"
    ...                     ",A03,SYBR,MYC,NTC,,NaN\n")
    >>> export = read(path, FileSample(path))
    >>> export.wells[["well", "sample", "target", "sample_type", "cq", "cq_status"]]
      well sample target sample_type     cq     cq_status
    0   A1   ctrl  GAPDH        unkn  18.02            ok
    1   A2   ctrl    MYC        unkn  24.10            ok
    2   A3           MYC         ntc    NaN  undetermined
    >>> export.info.instrument, export.info.plate_size
    ('Bio-Rad CFX', 96)
    >>> folder.cleanup()
    """
    kind, sheet = sniffed or _file_kind(sample)
    if kind != "cq":
        raise ExportParseError(
            _REFUSALS.get(kind or "", "no CFX 'Well, Fluor, Target, Content' header found")
            + "; expected the 'Quantification Cq Results' export",
            where=str(path) + (f" [{sheet}]" if sheet else ""),
            hint="In CFX Manager/Maestro use Export > Export All Data Sheets and pass the "
            "'... Quantification Cq Results' file (CSV or xlsx); a 'Run Information' file with "
            "the same name prefix beside it is read automatically",
        )
    if sheet is None:
        text = read_text(path)
        first = next(line for line in text.split("\n") if line.strip())
        parsed = _header_cells(first)
        delimiter = parsed[1] if parsed else ","
        rows: list[list[Any]] = list(split_rows(text, delimiter))
        where = str(path)
    else:
        rows = workbook_rows(path, sheet)
        where = f"{path} [{sheet}]"
    header = find_header_row(rows, _REQUIRED, CQ_HEADERS)
    if header is None:  # pragma: no cover - the sniffer found it
        raise ExportParseError("no CFX header row", where=where)
    width = len(rows[header])
    short = next(
        (i for i in range(header + 1, len(rows)) if 1 < len(rows[i]) < width),
        None,
    )
    if short is not None:
        raise ExportParseError(
            f"the row has {len(rows[short])} cells; expected {width} like the header",
            where=f"{where} row {short + 1}",
            hint="The file looks truncated or edited; export it again from CFX",
        )
    table = frame(rows, header)
    wells, plate_size, from_fluor = _wells(table, where, header + 2, sample.decimal)
    info_rows, info_where = _run_information(path, sample, sheet)
    info = _run_info(path, info_rows, info_where, plate_size)
    if from_fluor:
        info.extra["targets_from_fluor"] = from_fluor
    return Export(wells=wells, info=info)


def _column(table: pd.DataFrame, *names: str) -> str | None:
    for col in table.columns:
        if norm_header(col) in names:
            return col
    return None


def _wells(
    table: pd.DataFrame, where: str, row0: int, decimal: str | None
) -> tuple[pd.DataFrame, int, list[str]]:
    """Map the CFX table (data row ``i`` is file row ``row0 + i``) onto the wells table;
    ``decimal`` is the mark the user gave (None: detect).

    Returns the wells, the plate size and the fluors that stood in for an empty ``Target``.
    """
    cols = {
        key: _column(table, *names)
        for key, names in {
            "well": ("well",),
            "fluor": ("fluor",),
            "target": ("target",),
            "content": ("content",),
            "sample": ("sample",),
            "cq": tuple(CQ_HEADERS),
            "sq": ("starting quantity (sq)", "sq"),
            "bio": ("biological set name",),
        }.items()
    }
    table = table[table[cols["well"]].map(as_text) != ""]
    if table.empty:
        raise ExportParseError(
            "the Cq table has a header but no well rows", where=where, hint="Export it again"
        )
    file_rows = (table.index + row0).tolist()

    def at(i: int, key: str) -> str:
        return f"{where} row {file_rows[i]} column '{cols[key]}'"

    raw_wells = [as_text(w) for w in table[cols["well"]]]
    try:
        plate = plate_for_wells([w if _is_well(w) else "A1" for w in raw_wells], hint=96)
    except InputError as exc:
        raise ExportParseError(exc.message, where=f"{where} column 'Well'") from None
    well_names = []
    for i, w in enumerate(raw_wells):
        try:
            well_names.append(normalise_well(w, plate))
        except InputError as exc:
            raise ExportParseError(exc.message, where=at(i, "well")) from None
    fluor = [as_text(v) for v in table[cols["fluor"]]]
    target = [as_text(v) for v in table[cols["target"]]] if cols["target"] else [""] * len(fluor)
    contents = [_REPLICATE.sub("", as_text(v)).strip() for v in table[cols["content"]]]
    types = sample_types(contents, _content_type, where, "Content")
    cq_cells = list(table[cols["cq"]])
    sq_cells = [
        None if as_text(v).lower() in _LOCAL_NAN else v for v in table[cols["sq"]]
    ] if cols["sq"] else []  # fmt: skip
    numeric = {str(cols["cq"]): cq_cells} | ({str(cols["sq"]): sq_cells} if sq_cells else {})
    decimal = decimal_mark(where, numeric, grouped={str(cols["sq"])}, decimal=decimal)
    cq, status = read_cq(
        cq_cells,
        lambda i: at(i, "cq"),
        decimal=decimal,
        tokens=_LOCAL_NAN,
        hint="CFX writes NaN for wells without amplification",
    )
    out = pd.DataFrame(
        {
            "well": well_names,
            "sample": [as_text(v) for v in table[cols["sample"]]] if cols["sample"] else "",
            "target": [t or f for t, f in zip(target, fluor, strict=True)],
            "sample_type": types,
            "cq": cq,
            "cq_status": status,
            "reporter": fluor,
        }
    )
    if sq_cells:
        sq = read_numbers(sq_cells, lambda i: at(i, "sq"), decimal, grouped=True)
        out["quantity"] = np.where(out["sample_type"] == "std", sq, np.nan)
    if cols["bio"]:
        bio = [as_text(v) for v in table[cols["bio"]]]
        if any(bio):
            out["biological_set"] = bio
    from_fluor = sorted({f for t, f in zip(target, fluor, strict=True) if not t})
    return out, plate.size, from_fluor


def _content_type(text: str) -> str | None:
    """Sample type of a CFX ``Content`` without its replicate number (``Unkn``, ``Std``,
    ``Neg Ctrl``); None if unknown."""
    return normalise_sample_type(text) or _CONTENT_ALIASES.get(text.lower())


def _is_well(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z]{1,2}\d{1,3}", text))


def name_prefix(name: str, marker: re.Pattern[str]) -> str | None:
    """The part of a CFX file name before ``marker`` (lower case, separators stripped): what
    the exports of one run share; None when ``marker`` is not in the name.

    Parameters
    ----------
    name
        A file name.
    marker
        Where the shared prefix ends (:data:`QUANTIFICATION`, for the Cq Results file).

    Returns
    -------
    str or None
        The prefix.

    Examples
    --------
    >>> name_prefix("Run 7 - Quantification Cq Results.csv", QUANTIFICATION)
    'run 7'
    """
    match = marker.search(name)
    return name[: match.start()].rstrip(" -_").lower() if match else None


def _run_information(
    path: Path, sample: FileSample, sheet: str | None
) -> tuple[list[list[Any]], str | None]:
    """Key/value rows of the Run Information sheet or sibling file, and where they came from."""
    if sheet is not None:
        info_sheet = next((s for s in sample.sheet_names if _RUN_INFO.search(s)), None)
        if info_sheet is not None:
            return workbook_rows(path, info_sheet), f"{path} [{info_sheet}]"
    prefix = name_prefix(path.name, QUANTIFICATION)
    if not prefix:
        return [], None
    for sibling in sorted(path.parent.iterdir()):
        if sibling == path or not sibling.is_file():
            continue
        if name_prefix(sibling.name, _RUN_INFO) != prefix:
            continue
        book = FileSample(sibling)  # a workbook or text by its content, not its name
        if book.kind not in ("zip", "ole2"):
            return split_rows(read_text(sibling)), str(sibling)
        if book.sheet_names:
            return workbook_rows(sibling, book.sheet_names[0]), str(sibling)
    return [], None


def _iso_date(text: str) -> str | None:
    """``12/10/2023 15:50:43 UTC`` (CFX, month first) → ``2023-12-10T15:50:43Z``."""
    cleaned = text.strip()
    for fmt, suffix in (("%m/%d/%Y %H:%M:%S UTC", "Z"), ("%m/%d/%Y %H:%M:%S", "")):
        try:
            return datetime.strptime(cleaned, fmt).isoformat() + suffix
        except ValueError:
            continue
    return cleaned or None


def _run_info(path: Path, rows: list[list[Any]], source: str | None, plate_size: int) -> RunInfo:
    """RunInfo from Run Information key/value rows (``[]`` when there is none)."""
    raw = {as_text(r[0]): as_text(r[1]) for r in rows if len(r) >= 2 and as_text(r[0])}
    pairs = {norm_header(k): v for k, v in raw.items()}
    extra: dict[str, Any] = {}
    if source is not None and _RUN_INFO_KEYS & set(pairs):
        extra["run_information"] = source
        for key, name in (
            ("file name", "run_file"),
            ("run ended", "run_ended"),
            ("base serial number", "base_serial_number"),
            ("optical head serial number", "optical_head_serial_number"),
            ("protocol file name", "protocol_file"),
            ("plate setup file name", "plate_setup_file"),
            ("created by user", "user"),
        ):
            if pairs.get(key):
                extra[name] = _iso_date(pairs[key]) if key == "run ended" else pairs[key]
    software = next(
        (
            f"{key[: -len('version')].strip()} {value.rstrip('. ')}"
            for key, value in raw.items()
            if key.lower().startswith("cfx") and key.lower().endswith("version")
        ),
        "CFX Manager/Maestro",
    )
    return RunInfo(
        path=str(path),
        format=NAME,
        instrument="Bio-Rad CFX",
        software=software,
        run_date=_iso_date(pairs["run started"]) if pairs.get("run started") else None,
        plate_size=plate_size,
        extra=extra,
    )


register(
    ExportFormat(
        name=NAME,
        description="Bio-Rad CFX Manager / Maestro 'Quantification Cq Results' (CSV, xlsx)",
        signature="header 'Well,Fluor,Target,Content,Sample,...Cq' (',' ';' TAB, leading empty "
        "column); Run Information / amplification / melt exports are recognised and refused",
        sniff=sniff,
        read=read,
    )
)
