"""Helpers shared by the readers: decoding, delimiter guessing, header normalisation,
Cq token parsing and reading spreadsheet or text tables as lists of rows."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportParseError, InputError
from ..schema import NON_DETECT_TOKENS
from .numbers import to_number

__all__ = [
    "CQ_HEADERS",
    "decode_bytes",
    "find_header_row",
    "first_table_rows",
    "norm_header",
    "parse_bool",
    "parse_cq",
    "read_text",
    "sniff_delimiter",
    "split_rows",
    "workbook_rows",
]

#: Cyrillic and Greek homoglyphs seen in instrument headers, mapped to Latin.
_HOMOGLYPHS = str.maketrans(
    {"т": "t", "Т": "T", "С": "C", "с": "c", "о": "o", "О": "O", "р": "p", "Р": "P",
     "а": "a", "А": "A", "е": "e", "Е": "E", "∆": "Δ", "\u00a0": " "}
)  # fmt: skip

#: Normalised header names accepted as the Cq column.
CQ_HEADERS = frozenset({"cq", "ct", "cp", "crt", "c(t)", "cq (δr)", "cq (δrn)", "ct (dr)",
                        "ct (drn)", "cт"})  # fmt: skip


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` trying BOM (UTF-8/UTF-16), strict UTF-8, UTF-16 without BOM, cp1252.

    Returns ``(text, encoding)``. CRLF and CR become LF.
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
    raise InputError("cannot decode the file as text (tried UTF-8, UTF-16, Windows-1252)")


def read_text(path: Path) -> str:
    """Whole file decoded with :func:`decode_bytes`; errors name the file."""
    try:
        return decode_bytes(path.read_bytes())[0]
    except InputError as exc:
        raise ExportParseError(exc.message, where=str(path)) from None


def sniff_delimiter(lines: Sequence[str]) -> str:
    """TAB if present in the data lines, else ``;`` when it out-numbers ``,``, else ``,``."""
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
    """Split text into rows of cells (csv module, quotes honoured), cells stripped."""
    lines = text.split("\n")
    delimiter = delimiter or sniff_delimiter(lines)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [[cell.strip() for cell in row] for row in reader]


def workbook_rows(path: Path, sheet: str) -> list[list[Any]]:
    """All rows of one sheet via python-calamine (cells typed: str, float, bool, date)."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        return [list(row) for row in book.get_sheet_by_name(sheet).to_python()]
    except Exception as exc:  # calamine raises its own types for broken files
        raise ExportParseError(
            f"cannot read sheet '{sheet}' ({exc})", where=str(path), hint="Is the file complete?"
        ) from None


def first_table_rows(
    path: Path, kind: str, sheet_names: Sequence[str]
) -> tuple[list[list[Any]], str]:
    """All rows of a delimited text file, or of a workbook's first sheet, and the place name
    used in errors (``file`` or ``file [sheet]``)."""
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


def norm_header(value: object) -> str:
    """Lower-case, homoglyph-free, single-spaced header text (``Cт`` → ``ct``)."""
    text = unicodedata.normalize("NFKC", str(value)).translate(_HOMOGLYPHS)
    return re.sub(r"\s+", " ", text).strip().lower()


def find_header_row(
    rows: Iterable[Sequence[Any]], required: Iterable[str], any_of: Iterable[str] = ()
) -> int | None:
    """Index of the first row whose normalised cells contain all of ``required`` and, if given,
    one of ``any_of``; None when there is none."""
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

    Non-detect tokens (``Undetermined``, ``NaN``, ``No Ct``, empty ...) give NaN with status
    ``undetermined``; unreadable text gives NaN with ``invalid``; Cq <= 0 is ``undetermined``
    (some software writes 0 or -1 for no amplification).
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
    """Instrument booleans: Excel booleans, ``true/TRUE/1/Y``; anything else False."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return bool(value) and value == value
    return str(value).strip().lower() in _TRUE


def as_text(value: object) -> str:
    """Cell as text; whole floats lose their ``.0`` (sample ``200.0`` → ``200``)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def frame(rows: list[list[Any]], header: int) -> pd.DataFrame:
    """DataFrame of the rows after ``header`` up to the first fully empty row, with the header
    row's cells as column names (duplicates suffixed)."""
    names: list[str] = []
    for cell in rows[header]:
        name = as_text(cell)
        base, k = name, 1
        while name in names:
            k += 1
            name = f"{base}.{k}"
        names.append(name)
    body: list[list[Any]] = []
    for row in rows[header + 1 :]:
        if all(as_text(c) == "" for c in row):
            break
        padded = list(row[: len(names)]) + [None] * (len(names) - len(row))
        body.append(padded)
    return pd.DataFrame(body, columns=names, dtype=object)
