"""Input files held to the budget (:mod:`qpcr.io.budget`) before any parser allocates.

:func:`check_input` is the gate every export passes (and every layout and template workbook):
the file's size, then by its signature the zip directory and sheet extents (xlsx, xlsm, ods) or
the compound file (.xls, whose parse is tried in a child process); :func:`open_workbook` opens a
workbook with python-calamine only after that. Text is read whole within ``file_bytes`` and its
shape (lines, line length, columns, cells) counted on the raw bytes by :func:`check_text`
before it is decoded and split. :func:`describe_bytes` says what a file that is not text holds.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..regex import lazy_pattern
from .budget import InputBudget, budget, over_budget
from .workbooks import check_ole2, check_zip

__all__ = [
    "OLE2_MAGIC",
    "ZIP_MAGIC",
    "check_input",
    "check_text",
    "describe_bytes",
    "open_workbook",
    "read_input",
]

#: The first bytes of a legacy .xls (OLE2 compound file) and of a zip container.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_GZIP_MAGIC = b"\x1f\x8b"
#: A zip written with a spanning marker first (Bio-Rad CFX Manager's RDML).
_ZIP_SPANNED = b"PK\x07\x08"

#: Files that passed :func:`check_input`: (path, size, mtime, budget); a few are kept.
_PASSED: dict[tuple[str, int, int, InputBudget], None] = {}


def read_input(path: Path, limits: InputBudget | None = None) -> bytes:
    """The whole file, refused before reading when it is larger than ``file_bytes``.

    Parameters
    ----------
    path
        The file.
    limits
        The budget (None: the one in force).

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    InputError
        A missing file or a folder; :class:`~qpcr.errors.ExportParseError` for a file beyond
        the budget.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_bytes(b"Well,Cq\\n" + b"A1,24.1\\n" * 200)
    >>> len(read_input(path))
    1608
    >>> read_input(path, InputBudget(file_bytes=1000))
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: ...run.csv: the file has 1.6 kB; expected at most 1.0 kB ...
    >>> folder.cleanup()
    """
    limits = limits or budget()
    size = _size(path)
    if size > limits.file_bytes:
        raise over_budget(str(path), "the file has", size, "file_bytes", limits)
    return path.read_bytes()


def _size(path: Path) -> int:
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        raise InputError("is a folder; expected a file", where=str(path))
    return path.stat().st_size


def check_input(path: Path) -> None:
    """Refuse a file beyond the budget before any parser opens it: its size; a zip's directory
    and sheets; a legacy .xls's compound file and a trial parse in a child process; the shape
    of plain text (:func:`check_text`).

    A file that passed is remembered (by path, size, modification time and budget), so the
    sniffers, the reader and the layout do not check it again.

    Parameters
    ----------
    path
        The input file.

    Raises
    ------
    InputError
        A missing file or a folder; :class:`~qpcr.errors.ExportParseError` for a file beyond
        the budget or a damaged container.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_bytes(b"Well,Cq\\nA1,24.1\\n")
    >>> check_input(path)
    >>> os.environ["QPCR_MAX_FILE_BYTES"] = "10"
    >>> check_input(path)
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: ...run.csv: the file has 16 bytes; expected at most 10 bytes ...
    >>> del os.environ["QPCR_MAX_FILE_BYTES"]
    >>> folder.cleanup()
    """
    limits = budget()
    _size(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, limits)
    if key in _PASSED:
        return
    if stat.st_size > limits.file_bytes:
        raise over_budget(str(path), "the file has", stat.st_size, "file_bytes", limits)
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith((ZIP_MAGIC, _ZIP_SPANNED)):
        check_zip(path, limits)
    elif magic == OLE2_MAGIC:
        check_ole2(path.read_bytes(), str(path), limits)
    elif not magic.startswith(_GZIP_MAGIC):
        data = path.read_bytes()
        if _is_plain_text(data[:4096]):
            check_text(data, str(path), limits)
    if len(_PASSED) > 32:
        _PASSED.clear()
    _PASSED[key] = None


def open_workbook(path: Path) -> Any:
    """The workbook opened by python-calamine, after :func:`check_input` passed it; its kind
    (xlsx, xlsm, xls, ods) is told by content, whatever the file's name.

    Parameters
    ----------
    path
        An xlsx, xlsm, xls or ods file.

    Returns
    -------
    python_calamine.CalamineWorkbook
        The open workbook.

    Raises
    ------
    InputError
        A file beyond the budget (calamine's own errors and panics pass through to the caller,
        which names the sheet).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from openpyxl import Workbook
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.xlsx"
    >>> Workbook().save(path)
    >>> open_workbook(path).sheet_names
    ['Sheet']
    >>> folder.cleanup()
    """
    check_input(path)
    from python_calamine import CalamineWorkbook

    # from its bytes, so calamine tells xlsx, xls and ods apart by content, not by the name
    return CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))


_DELIMITERS = (b",", b";", b"\t")


def _is_plain_text(head: bytes) -> bool:
    """Whether the shape of a file with this head is checked up front: text without control
    bytes (binary data is described when no reader claims it), and not XML (which has its own
    guards and may be written as one long line)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start != b"<" and _CONTROL.search(head) is None


def check_text(data: bytes, where: str, limits: InputBudget | None = None) -> None:
    r"""Refuse text whose shape is beyond the budget, counted on the raw bytes before decoding:
    lines (``rows``), the longest line (``line_bytes``), delimiters in a line (``columns``)
    and in the whole text (``cells``).

    Parameters
    ----------
    data
        The text's bytes.
    where
        The file, named in errors.
    limits
        The budget (None: the one in force).

    Raises
    ------
    ExportParseError
        The first limit exceeded, with what was found.

    Examples
    --------
    >>> check_text(b"Well,Cq\nA1,24.1\n", "run.csv")
    >>> check_text(b"Well," * 20_000 + b"Cq\n", "run.csv")
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.csv: line 1 (split at ',') has 20,001 columns; expected ...
    """
    limits = limits or budget()
    newline = b"\n" if b"\n" in data else b"\r"
    rows = data.count(newline) + (not data.endswith(newline))
    if rows > limits.rows:
        raise over_budget(where, "the text has", rows, "rows", limits)
    cells = rows + max(data.count(d) for d in _DELIMITERS)
    if cells > limits.cells:
        raise over_budget(where, "the text has about", cells, "cells", limits)
    if len(data) <= min(limits.line_bytes, limits.columns):
        return
    lines = data.split(newline)
    if max(map(len, lines)) <= min(limits.line_bytes, limits.columns):
        return  # no line long enough for either limit
    for number, line in enumerate(lines, start=1):
        if len(line) > limits.line_bytes:
            raise over_budget(where, f"line {number} has", len(line), "line_bytes", limits)
        if len(line) > limits.columns:  # a shorter line cannot hold more columns
            count, mark = max((line.count(d), d) for d in _DELIMITERS)
            if count + 1 > limits.columns:
                what = f"line {number} (split at {mark.decode()!r}) has"
                raise over_budget(where, what, count + 1, "columns", limits)


_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
#: The bytes Windows-1252 leaves undefined: text holding one (and not UTF-8) cannot be decoded.
_NOT_CP1252 = lazy_pattern(rb"[\x81\x8d\x8f\x90\x9d]")


def describe_bytes(data: bytes) -> str:
    r"""What bytes that do not decode as text hold, in a few words for a message.

    Parameters
    ----------
    data
        A file's head.

    Returns
    -------
    str
        ``binary data: ...``, ``text with NUL bytes: ...`` or ``text in an unknown
        encoding: ...``.

    Examples
    --------
    >>> describe_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00")
    'binary data: 13 of the first 16 bytes are control bytes, the first at byte 1'
    >>> describe_bytes(b"Well,Cq\nA1,24.1\x00\n")
    'text with NUL bytes: the first at byte 16 of 17'
    >>> describe_bytes(b"Well,Cq\nA1,\x81\x8d24.1\n")
    'text in an unknown encoding: byte 0x81 at byte 12 is not UTF-8, UTF-16 or Windows-1252'
    """
    controls = len(_CONTROL.findall(data))
    first = _CONTROL.search(data)
    if first is not None and controls >= 8 and controls * 50 > len(data):
        return (
            f"binary data: {controls:,} of the first {len(data):,} bytes are control bytes, "
            f"the first at byte {first.start() + 1:,}"
        )
    if b"\x00" in data:
        return f"text with NUL bytes: the first at byte {data.index(0) + 1:,} of {len(data):,}"
    bad = _NOT_CP1252.search(data)
    if bad is None:
        return "text"
    return (
        f"text in an unknown encoding: byte 0x{data[bad.start()]:02x} at byte "
        f"{bad.start() + 1:,} is not UTF-8, UTF-16 or Windows-1252"
    )
