"""Helpers shared by the readers: decoding, delimiter guessing, header normalisation,
Cq token parsing and reading spreadsheet or text tables as lists of rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportParseError, InputError
from ..schema import NON_DETECT_TOKENS
from .headers import norm_header
from .inputs import check_text, describe_bytes, open_workbook, read_input
from .numbers import to_number
from .safety import gunzip

__all__ = [
    "CQ_HEADERS",
    "as_text",
    "as_texts",
    "decode_bytes",
    "find_header_row",
    "first_table_rows",
    "frame",
    "norm_header",
    "parse_bool",
    "parse_bools",
    "parse_cq",
    "read_text",
    "sniff_delimiter",
    "split_rows",
    "workbook_rows",
]

#: Normalised header names accepted as the Cq column.
CQ_HEADERS = frozenset({"cq", "ct", "cp", "crt", "c(t)", "cq (δr)", "cq (δrn)", "ct (dr)",
                        "ct (drn)", "cт"})  # fmt: skip


def decode_bytes(data: bytes) -> tuple[str, str]:
    r"""Decode ``data`` trying BOM (UTF-8/UTF-16), strict UTF-8, UTF-16 without BOM, cp1252.

    Parameters
    ----------
    data
        The bytes of a text file (or its head; a multi-byte character cut at the end is
        dropped).

    Returns
    -------
    tuple of (str, str)
        ``(text, encoding)``; CRLF and CR become LF.

    Raises
    ------
    InputError
        When no candidate decodes the bytes without NUL characters.

    Examples
    --------
    >>> decode_bytes(b"\xef\xbb\xbfWell,Cq\r\nA1,24.1")
    ('Well,Cq\nA1,24.1', 'utf-8-sig')
    >>> decode_bytes("Température;24,1\r\n".encode("cp1252"))
    ('Température;24,1\n', 'cp1252')
    """
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif len(data) > 3 and data[1:2] == b"\x00" and data[3:4] == b"\x00":
        candidates = ["utf-16-le"]
    elif len(data) > 3 and data[0:1] == b"\x00" and data[2:3] == b"\x00":
        candidates = ["utf-16-be"]
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            # a head cut in the middle of a multi-byte character is still UTF-8
            if encoding == "utf-8":
                try:
                    text = data[:-3].decode("utf-8") + data[-3:].decode("utf-8", "ignore")
                except UnicodeDecodeError:
                    continue
            else:
                continue
        if "\x00" in text:
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n"), encoding
    raise InputError(
        f"cannot decode the file as text: it holds {describe_bytes(data[:65536])}; expected "
        "text in UTF-8, UTF-16 or Windows-1252"
    )


def read_text(path: Path, gzipped: bool = False) -> str:
    r"""Whole file decoded with :func:`decode_bytes`; errors name the file.

    Parameters
    ----------
    path
        A text file.
    gzipped
        The file is gzip-compressed: decompressed within the input budget first.

    Returns
    -------
    str
        The text, with LF line ends.

    Raises
    ------
    ExportParseError
        When the file is beyond the budget or cannot be decoded.

    Examples
    --------
    >>> import gzip, tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_bytes(b"Well,Cq\r\nA1,24.1\r\n")
    >>> read_text(path)
    'Well,Cq\nA1,24.1\n'
    >>> _ = path.write_bytes(gzip.compress(b"Well,Cq\n"))
    >>> read_text(path, gzipped=True)
    'Well,Cq\n'
    >>> folder.cleanup()
    """
    data = read_input(path)
    if gzipped:
        data = gunzip(data, str(path))
    check_text(data, str(path))
    try:
        return decode_bytes(data)[0]
    except InputError as exc:
        raise ExportParseError(exc.message, where=str(path)) from None


def sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter of delimited text lines.

    Parameters
    ----------
    lines
        The file's lines (the first 50 non-empty ones are looked at).

    Returns
    -------
    str
        TAB if present in the lines, else ``;`` when it out-numbers ``,`` (commas inside
        quotes not counted), else ``,``.

    Examples
    --------
    >>> sniff_delimiter(["Well;Cq", "A1;24,1"])
    ';'
    >>> sniff_delimiter(['Well,"Cq; mean"', "A1,24.1"])
    ','
    """
    sample = [line for line in lines[:50] if line.strip()]
    tabs = sum(line.count("\t") for line in sample)
    if tabs:
        return "\t"
    semis = sum(line.count(";") for line in sample)
    commas = sum(_count_outside_quotes(line, ",") for line in sample)
    return ";" if semis > commas else ","


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def split_rows(text: str, delimiter: str | None = None) -> list[list[str]]:
    r"""Split text into rows of cells (csv module, quotes honoured), cells stripped.

    Parameters
    ----------
    text
        Delimited text with LF line ends.
    delimiter
        The delimiter; sniffed with :func:`sniff_delimiter` when None.

    Returns
    -------
    list of list of str
        The rows.

    Examples
    --------
    >>> split_rows('Well;Sample;Cq\nA1;"s;1"; 24,1')
    [['Well', 'Sample', 'Cq'], ['A1', 's;1', '24,1']]
    """
    delimiter = delimiter or sniff_delimiter(text.split("\n"))
    if '"' in text or "\r" in text or "\x00" in text or len(text) > csv.field_size_limit():
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        return [[cell.strip() for cell in row] for row in reader]
    # without quotes, CR or NUL the csv reader splits each line at the delimiter (no field can
    # pass its size limit), and reads an empty line as no cell and no line after a last LF
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()
    if _edge_spaces(text, delimiter):
        return [[cell.strip() for cell in line.split(delimiter)] if line else [] for line in lines]
    return [line.split(delimiter) if line else [] for line in lines]


def _edge_spaces(text: str, delimiter: str) -> bool:
    """Whether a cell of ``text`` split at ``delimiter`` and LF may start or end with a
    character ``str.strip`` removes (True whenever that is not ruled out cheaply: text that is
    not ASCII, or holds a control character besides the delimiter and LF)."""
    if not text or not text.isascii() or not delimiter.isascii() or delimiter == " ":
        return bool(text)
    codes = np.frombuffer(text.encode("ascii"), np.uint8)
    space = codes == 32
    cut = (codes == 10) | (codes == ord(delimiter))
    return bool(
        ((codes < 32) & ~cut).any()
        or space[0]
        or space[-1]
        or (space[1:] & cut[:-1]).any()
        or (space[:-1] & cut[1:]).any()
    )


def workbook_rows(path: Path, sheet: str) -> list[list[Any]]:
    """All rows of one sheet via python-calamine (cells typed: str, float, bool, date), the
    workbook opened within the input budget (:func:`qpcr.io.inputs.open_workbook`).

    Parameters
    ----------
    path
        A workbook (xlsx, xls, ods).
    sheet
        The sheet's name.

    Returns
    -------
    list of list
        The rows, as calamine reads them.

    Raises
    ------
    ExportParseError
        When the workbook or sheet cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from openpyxl import Workbook
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.xlsx"
    >>> book = Workbook()
    >>> book.active.title = "Results"
    >>> for row in [["Well", "Cq"], ["A1", 24.1], ["A2", "Undetermined"]]:
    ...     book.active.append(row)
    >>> book.save(path)
    >>> workbook_rows(path, "Results")
    [['Well', 'Cq'], ['A1', 24.1], ['A2', 'Undetermined']]
    >>> workbook_rows(path, "Plate 2")
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: ...run.xlsx: cannot read sheet 'Plate 2' (Plate 2). ...
    >>> folder.cleanup()
    """
    from .sample import reraise_unless_failure

    try:
        book = open_workbook(path)
        return [list(row) for row in book.get_sheet_by_name(sheet).to_python()]
    except InputError:
        raise
    except BaseException as exc:  # calamine's own types for broken files, and Rust panics
        reraise_unless_failure(exc)
        raise ExportParseError(
            f"cannot read sheet '{sheet}' ({exc})", where=str(path), hint="Is the file complete?"
        ) from None


def first_table_rows(
    path: Path, kind: str, sheet_names: Sequence[str]
) -> tuple[list[list[Any]], str]:
    r"""All rows of a delimited text file, or of a workbook's first sheet, with the place name.

    Parameters
    ----------
    path
        The file.
    kind
        The file's kind (:attr:`qpcr.io.registry.FileSample.kind`): ``text`` is read as
        delimited text, any other as a workbook.
    sheet_names
        The workbook's sheets (the first is read).

    Returns
    -------
    tuple of (list of list, str)
        The rows, and the place name used in errors (``file`` or ``file [sheet]``).

    Raises
    ------
    ExportParseError
        A binary file that is not a workbook, or a file that cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_text("Well,Cq\nA1,24.1\n", encoding="utf-8")
    >>> rows, where = first_table_rows(path, "text", [])
    >>> rows, where.endswith("run.csv")
    ([['Well', 'Cq'], ['A1', '24.1']], True)
    >>> folder.cleanup()
    """
    if kind == "text":
        return list(split_rows(read_text(path))), str(path)
    if not sheet_names:
        raise ExportParseError(
            f"a {kind} file that is not a workbook; expected delimited text or a workbook table",
            where=str(path),
            hint="Run 'qpcr formats' to see which reader fits the file, or drop --format",
        )
    sheet = sheet_names[0]
    return workbook_rows(path, sheet), f"{path} [{sheet}]"


def find_header_row(
    rows: Iterable[Sequence[Any]], required: Iterable[str], any_of: Iterable[str] = ()
) -> int | None:
    """Index of the first row holding the header cells.

    Parameters
    ----------
    rows
        The table's rows.
    required
        Normalised names (:func:`norm_header`) the header must all contain.
    any_of
        Normalised names of which the header must contain one, when given.

    Returns
    -------
    int or None
        The row's index; None when no row qualifies.

    Examples
    --------
    >>> rows = [["Run", "x"], [], ["Well", "Sample Name", "CT"]]
    >>> find_header_row(rows, {"well"}, {"ct", "cq"})
    2
    >>> find_header_row(rows, {"well", "target"}) is None
    True
    """
    required = set(required)
    any_of = set(any_of)
    for i, row in enumerate(rows):
        cells = {norm_header(c) for c in row if c is not None and str(c).strip()}
        if required <= cells and (not any_of or cells & any_of):
            return i
    return None


def parse_cq(values: Iterable[object], decimal: str = ".") -> tuple[np.ndarray, list[str]]:
    """Parse Cq cells into floats and statuses (``ok``, ``undetermined``, ``invalid``).

    For single typed cells (the bench template); the export readers use
    :func:`qpcr.io.numbers.read_cq`, which also decides the file's decimal mark and refuses
    impossible values.

    Parameters
    ----------
    values
        The cells.
    decimal
        The decimal mark of text cells.

    Returns
    -------
    tuple of (numpy.ndarray, list of str)
        The Cq (NaN unless ``ok``) and the status of each cell. Non-detect tokens
        (``Undetermined``, ``NaN``, ``No Ct``, empty ...) are ``undetermined``; unreadable text
        is ``invalid``; Cq <= 0 is ``undetermined`` (some software writes 0 or -1 for no
        amplification).

    Examples
    --------
    >>> cq, status = parse_cq(["24.1", "Undetermined", "abc", 0, None, 31.5])
    >>> cq
    array([24.1,  nan,  nan,  nan,  nan, 31.5])
    >>> status
    ['ok', 'undetermined', 'invalid', 'undetermined', 'undetermined', 'ok']
    """
    cqs: list[float] = []
    statuses: list[str] = []
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            cqs.append(np.nan)
            statuses.append("undetermined")
            continue
        text = str(value).strip()
        if not text or text.lower() in NON_DETECT_TOKENS:
            cqs.append(np.nan)
            statuses.append("undetermined")
            continue
        number = to_number(value, decimal)
        if np.isnan(number):
            cqs.append(np.nan)
            statuses.append("invalid")
        elif number <= 0:
            cqs.append(np.nan)
            statuses.append("undetermined")
        else:
            cqs.append(number)
            statuses.append("ok")
    return np.asarray(cqs, dtype=float), statuses


_TRUE = {"true", "1", "y", "yes", "1.0"}


def parse_bool(value: object) -> bool:
    """Instrument booleans: Excel booleans, ``true/TRUE/1/Y``; anything else False.

    Parameters
    ----------
    value
        A cell.

    Returns
    -------
    bool
        True for a true boolean, a non-zero number, or ``true``, ``1``, ``y``, ``yes``
        (any case).

    Examples
    --------
    >>> parse_bool("Y"), parse_bool("no"), parse_bool(1.0), parse_bool(float("nan"))
    (True, False, True, False)
    """
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return bool(value) and value == value
    return str(value).strip().lower() in _TRUE


def parse_bools(values: Iterable[object]) -> list[bool]:
    """:func:`parse_bool` of each cell of a column, each distinct text cell parsed once.

    Parameters
    ----------
    values
        The cells.

    Returns
    -------
    list of bool
        The booleans.

    Examples
    --------
    >>> parse_bools(["false", "TRUE", "false", 1.0, None])
    [False, True, False, True, False]
    """
    known: dict[str, bool] = {}
    return [
        (known[v] if v in known else known.setdefault(v, parse_bool(v)))
        if type(v) is str
        else parse_bool(v)
        for v in values
    ]


def as_text(value: object) -> str:
    """Cell as text; whole floats lose their ``.0`` (sample ``200.0`` → ``200``).

    Parameters
    ----------
    value
        A cell.

    Returns
    -------
    str
        The stripped text ('' for None and NaN).

    Examples
    --------
    >>> as_text(200.0), as_text(" A1 "), as_text(None)
    ('200', 'A1', '')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def as_texts(values: Iterable[object]) -> list[str]:
    """:func:`as_text` of each cell of a column (a text cell is stripped without a call).

    Parameters
    ----------
    values
        The cells.

    Returns
    -------
    list of str
        The texts.

    Examples
    --------
    >>> as_texts([" A1 ", 200.0, None, "x"])
    ['A1', '200', '', 'x']
    """
    return [v.strip() if type(v) is str else as_text(v) for v in values]


def frame(rows: list[list[Any]], header: int) -> pd.DataFrame:
    """DataFrame of the rows after ``header`` up to the first fully empty row.

    Parameters
    ----------
    rows
        The rows of a sheet or a delimited file.
    header
        Index of the header row; its cells name the columns (duplicates suffixed ``.2``,
        ``.3`` ...). Short rows are padded with None, long rows cut.

    Returns
    -------
    pandas.DataFrame
        The table, every column of dtype object.

    Examples
    --------
    >>> rows = [["Well", "Cq", "Cq"], ["A1", 24.1, 24.2], ["A2"], [None, ""], ["A3", 1, 2]]
    >>> frame(rows, 0)
      Well    Cq  Cq.2
    0   A1  24.1  24.2
    1   A2  None  None
    """
    names: list[str] = []
    taken: set[str] = set()
    last_k: dict[str, int] = {}  # the last suffix given to a name: linear in the duplicates
    for cell in rows[header]:
        name = base = as_text(cell)
        k = last_k.get(base, 1)
        while name in taken:
            k += 1
            name = f"{base}.{k}"
        last_k[base] = k
        taken.add(name)
        names.append(name)
    body: list[Sequence[Any]] = []
    for row in rows[header + 1 :]:
        first = row[0] if row else None  # a text in the first cell: not blank, at once
        if not (type(first) is str and first.strip()) and all(as_text(c) == "" for c in row):
            break
        body.append(row)
    # one object block (a list of lists would be framed column by column): at once when every
    # row has a cell per column, else filled row by row
    if body and all(len(line) == len(names) for line in body):
        cells = np.array(body, dtype=object)
    else:
        cells = np.full((len(body), len(names)), None, dtype=object)
        for i, line in enumerate(body):
            width = min(len(line), len(names))
            cells[i, :width] = line[:width]
    return pd.DataFrame(cells, columns=names, dtype=object)
