"""Workbooks held to the input budget before python-calamine opens them.

calamine allocates the whole used rectangle of a sheet (32 bytes a cell) and trusts the sizes a
legacy ``.xls`` declares, so a small file can ask for gigabytes and abort the process. Here:

* **xlsx/xlsm/ods** (zip): the central directory (member count, every declared size, their
  total against ``inflated_bytes``), then each sheet's ``<dimension ref>`` and the sheet stream
  itself, scanned for its real extent (cell references, rows, repeated ods rows and cells)
  against ``rows``, ``columns`` and ``cells``. The scan decompresses at most
  ``inflated_bytes``, so a missing or lying dimension is still bounded. Every XML part
  (``.xml``, ``.rels``) with a ``<!DOCTYPE`` in its prolog is refused (entity bombs, external
  entities), as :func:`qpcr.io.safety.parse_xml` refuses it.
* **.xls** (OLE2 compound file): the header and the directory's stream sizes (a compound file
  stores streams uncompressed, so none can be larger than the file), then calamine's parse in a
  child process with ``parse_memory`` of address space and ``parse_seconds`` of time; its death
  (abort, out of memory, timeout) becomes one :class:`~qpcr.errors.ExportParseError`.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ExportParseError
from ..regex import lazy_pattern
from .budget import InputBudget, amounts, over_budget
from .safety import open_zip, refuse_doctype, zip_errors

__all__ = ["check_ole2", "check_zip"]

_CHUNK = 1024 * 1024
_RESAVE = "Re-save the workbook from the instrument software or Excel"
_SHEET_ROOT = lazy_pattern(rb"<(\w+:)?(worksheet|document-content)[\s>]")
_DIMENSION = lazy_pattern(rb"<(?:\w+:)?dimension\s[^>]*?\bref=\"([A-Z]*)(\d*):?([A-Z]*)(\d*)\"")
#: A row's or a cell's reference (``<row r="12">``, ``<c r="B12">``): no other element of a
#: worksheet has an attribute named ``r``.
_REFERENCE = lazy_pattern(rb' r="([A-Z]{0,6})(\d{1,12})"')
_ODS_TOKEN = lazy_pattern(
    rb"<(?:\w+:)?(table-row|table-cell|covered-table-cell)(\s[^>]*?)?(/?)>|</(?:\w+:)?table>"
)
_REPEAT = lazy_pattern(rb"number-(?:rows|columns)-repeated=\"(\d{1,12})\"")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


class _Extent:
    """The used rectangle of one sheet, checked against the budget as it grows."""

    def __init__(self, where: str, limits: InputBudget) -> None:
        self.where, self.limits = where, limits
        self.rows = self.columns = 0

    def grow(self, rows: int, columns: int, what: str = "the sheet uses") -> None:
        self.rows, self.columns = max(self.rows, rows), max(self.columns, columns)
        limits = self.limits
        if self.rows > limits.rows:
            raise over_budget(self.where, what, self.rows, "rows", limits)
        if self.columns > limits.columns:
            raise over_budget(self.where, what, self.columns, "columns", limits)
        if self.rows * self.columns > limits.cells:
            cells = self.rows * self.columns
            raise over_budget(
                self.where, f"{what} {self.rows:,} rows × {self.columns:,} columns =",
                cells, "cells", limits,
            )  # fmt: skip


def check_zip(path: Path, limits: InputBudget) -> None:
    """Refuse a zip container (xlsx, xlsm, ods, RDML, run file) beyond the budget: the sizes
    its directory declares, and the extent of every sheet it holds; and one whose XML parts
    carry a DTD.

    Parameters
    ----------
    path
        The container.
    limits
        The budget in force.

    Raises
    ------
    ExportParseError
        A damaged container, members declaring more than ``inflated_bytes`` together, a sheet
        beyond ``rows``, ``columns`` or ``cells``, or an XML part with a ``<!DOCTYPE``.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.xlsx"
    >>> cells = '<c r="A1"><v>1</v></c><c r="XFD1048576"><v>2</v></c>'
    >>> with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
    ...     archive.writestr("xl/worksheets/sheet1.xml", f"<worksheet><sheetData><row>{cells}"
    ...                      "</row></sheetData></worksheet>")
    >>> check_zip(path, InputBudget())
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: ...run.xlsx [xl/worksheets/sheet1.xml]: the sheet uses ...
    >>> folder.cleanup()
    """
    with open_zip(path) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        total = sum(info.file_size for info in infos)
        if total > limits.inflated_bytes:
            packed = sum(info.compress_size for info in infos) or 1
            raise over_budget(
                str(path), f"the zip's members (packed {amounts(packed, packed, 'bytes')[0]}, "
                f"{total / packed:,.0f}× smaller) inflate to", total, "inflated_bytes", limits,
            )  # fmt: skip
        for info in infos:
            name, where = info.filename.lower(), f"{path} [{info.filename}]"
            if name.endswith((".xml", ".rels")) and info.file_size:
                _refuse_dtd(archive, info, where)
            if name.endswith(".xml") and info.file_size:
                _check_sheet(archive, info, where, limits)


def _refuse_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> None:
    """Refuse an XML part with a DTD (an entity bomb calamine would stop only after reading
    it, or an external entity), reading the part only as far as its prolog goes."""
    with zip_errors(where), archive.open(info) as member:
        refuse_doctype(iter(partial(member.read, 4096), b""), where, hint=_RESAVE)


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> Iterator[bytes]:
    """The member's bytes in pieces that end before a ``<`` (so no tag is cut), within its
    declared size (already within the budget)."""
    carry: list[bytes] = []  # pieces since the last "<" (joined once: no quadratic copying)
    size = 0
    with zip_errors(where), archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            size += len(chunk)
            if size > info.file_size:
                raise ExportParseError(
                    f"the member inflates beyond the {info.file_size:,} bytes it declares; "
                    "expected an intact zip member",
                    where=where,
                    hint="Refused as a possible decompression bomb",
                )
            cut = chunk.rfind(b"<")
            if cut <= 0:
                carry.append(chunk)
                continue
            yield b"".join([*carry, chunk[:cut]])
            carry = [chunk[cut:]]
    yield b"".join(carry)


def _check_sheet(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limits: InputBudget
) -> None:
    """Refuse a worksheet (xlsx) or spreadsheet content (ods) whose used rectangle is beyond the
    budget. Every XML member is measured, whatever its name or head says (a workbook may point
    to a sheet anywhere); members that are not sheets hold no rows or cells and pass."""
    chunks = _chunks(archive, info, where)
    head = next(chunks, b"")
    # the literal tests first: the patterns take ~12 ms per MiB of a head without them (RDML)
    sheet = b"worksheet" in head or b"document-content" in head
    root = _SHEET_ROOT.search(head) if sheet else None
    extent = _Extent(where, limits)
    if info.filename == "content.xml" or (root is not None and root.group(2) != b"worksheet"):
        _scan_ods(head, chunks, extent)
        return
    dimension = _DIMENSION.search(head) if b"dimension" in head else None
    if dimension is not None:
        first_col, first_row, last_col, last_row = (g.decode() for g in dimension.groups())
        ref = f"{first_col}{first_row}" + (f":{last_col}{last_row}" if last_col else "")
        extent.grow(
            int(last_row or first_row or 0),
            _column_number((last_col or first_col).encode()),
            f"the sheet declares the range {ref}:",
        )
        extent.rows = extent.columns = 0
    _scan_xlsx(head, chunks, root.group(1) or b"" if root is not None else b"", extent)


def _largest(numbers: list[bytes]) -> bytes:
    """The largest of equally based numerals (digits, or column letters) without converting
    each: the longest, then the last in order."""
    if not numbers:
        return b""
    length = max(map(len, numbers))
    return max(number for number in numbers if len(number) == length)


def _scan_xlsx(head: bytes, chunks: Iterator[bytes], prefix: bytes, extent: _Extent) -> None:
    """The used rectangle of a worksheet: the largest row and column referenced, or, for rows
    and cells written without references, their count (rows) and most in one row (columns)."""
    row_tag, cell_tag = b"<" + prefix + b"row", b"<" + prefix + b"c"
    rows = open_row = 0  # rows so far; cells of the row still open at the end of a part
    for part in (head, *chunks):
        row_starts = _tags(part, row_tag)
        rows += len(row_starts)
        references = _REFERENCE.findall(part)
        letters = [column for column, _ in references if column]
        columns = _column_number(_largest(letters))
        cell_starts = _tags(part, cell_tag)
        if len(cell_starts) > len(letters) or open_row:  # cells placed one after another
            per_row = np.bincount(np.searchsorted(row_starts, cell_starts, side="right"),
                                  minlength=len(row_starts) + 1)  # fmt: skip
            per_row[0] += open_row
            columns, open_row = max(columns, int(per_row.max())), int(per_row[-1])
        last = int(_largest([number for _, number in references]) or 0)
        extent.grow(max(rows, last), columns)


#: Bytes that may follow a tag's name: space, tab, line breaks, ``>`` and ``/``.
_TAG_END = np.zeros(256, dtype=bool)
_TAG_END[list(b" \t\r\n>/")] = True


def _tags(part: bytes, tag: bytes) -> Any:
    """Offsets of every ``tag`` element start in ``part`` (``<row`` but not ``<rowBreaks``),
    found with array comparisons: no Python work per element. Each byte of ``tag`` narrows
    the offsets left by the bytes before it, so one pass over ``part`` finds the ``<``.

    Examples
    --------
    >>> _tags(b'<row r="1"><c r="A1"/><cq/></row><rowBreaks/><row>', b"<row").tolist()
    [0, 45]
    >>> _tags(b'<row r="1"><c r="A1"/><cq/></row>', b"<c").tolist()
    [11]
    """
    data = np.frombuffer(part, np.uint8)
    starts = np.flatnonzero(data[: max(len(data) - len(tag), 0)] == tag[0])
    for k, byte in enumerate(tag[1:], start=1):
        starts = starts[data[starts + k] == byte]
    return starts[_TAG_END[data[starts + len(tag)]]]


def _scan_ods(head: bytes, chunks: Iterator[bytes], extent: _Extent) -> None:
    """The used rectangle of every table in an ods ``content.xml``: repeated rows and cells
    count as many times as repeated, empty trailing cells and rows not at all."""
    row = row_repeat = column = 0  # rows before the current one, its repeat, cells before
    for part in (head, *chunks):
        for match in _ODS_TOKEN.finditer(part):
            kind, attributes, closed = match.groups()
            if kind is None:  # </table:table>: the next table starts afresh
                extent = _Extent(extent.where, extent.limits)
                row = row_repeat = column = 0
                continue
            attributes = attributes or b""
            repeat = _REPEAT.search(attributes)
            count = int(repeat.group(1)) if repeat else 1
            if kind == b"table-row":
                row, row_repeat, column = row + row_repeat, count, 0
                continue
            column += count
            if not closed or b"value-type" in attributes:
                extent.grow(row + row_repeat, column)


def check_ole2(data: bytes, where: str, limits: InputBudget) -> None:
    """Refuse a legacy ``.xls`` (OLE2 compound file) whose header or directory is impossible, or
    that calamine cannot parse within ``parse_memory`` and ``parse_seconds``.

    Parameters
    ----------
    data
        The file's bytes (within ``file_bytes``).
    where
        The file, named in errors.
    limits
        The budget in force.

    Raises
    ------
    ExportParseError
        A broken header, a stream larger than the file, or a parse that died or ran out of time
        in the child process.

    Examples
    --------
    >>> header = bytearray(512)
    >>> header[:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    >>> header[30:32] = (15).to_bytes(2, "little")  # sectors of 32 kB: not a valid file
    >>> check_ole2(bytes(header), "run.xls", InputBudget())
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.xls: the compound file's header is broken (sector size ...
    """
    _check_ole2_directory(data, where)
    _parse_in_child(data, where, limits)


def _broken(where: str, what: str) -> ExportParseError:
    return ExportParseError(
        f"the compound file's header is broken ({what}); expected an intact .xls workbook",
        where=where,
        hint="Is the file complete? Open it in Excel and save it as .xlsx",
    )


def _check_ole2_directory(data: bytes, where: str) -> None:
    """The header's sizes, then every directory entry's stream size, against the file size."""
    if len(data) < 512:
        raise _broken(where, f"{len(data)} bytes, shorter than its 512-byte header")
    major, _order, shift, mini_shift = struct.unpack_from("<HHHH", data, 26)
    if (major, shift) not in ((3, 9), (4, 12)) or mini_shift != 6:
        raise _broken(where, f"sector size 2^{shift}, version {major}")
    sector = 1 << shift  # the header fills sector -1: sector n starts at (n + 1) * sector
    sectors = (len(data) + sector - 1) // sector - 1
    fat_sectors, first_dir = struct.unpack_from("<II", data, 44)
    if fat_sectors > sectors:
        raise _broken(where, f"{fat_sectors:,} FAT sectors in a file of {sectors:,} sectors")
    difat = list(struct.unpack_from("<109I", data, 76))[:fat_sectors]
    fat: list[int] = []
    for number in difat:
        start = (number + 1) * sector
        if number >= sectors or start + sector > len(data):
            raise _broken(where, f"FAT sector {number:,} beyond the file's {sectors:,}")
        fat.extend(struct.unpack_from(f"<{sector // 4}I", data, start))
    seen: set[int] = set()
    current = first_dir
    while current < sectors and current not in seen and current < len(fat):
        seen.add(current)
        start = (current + 1) * sector
        for entry in range(start, min(start + sector, len(data) - 127), 128):
            _check_entry(data, entry, major, where)
        current = fat[current]


def _check_entry(data: bytes, entry: int, major: int, where: str) -> None:
    """One 128-byte directory entry: a stream or the root (mini stream) no larger than the
    file (version 3 files keep only the low 32 bits of the size)."""
    name_length, kind = struct.unpack_from("<HB", data, entry + 64)
    if kind not in (2, 5):
        return
    size = struct.unpack_from("<Q", data, entry + 120)[0]
    if major == 3:
        size &= 0xFFFFFFFF
    if size > len(data):
        name = data[entry : entry + min(name_length, 64)].decode("utf-16-le", "replace")
        shown, allowed = amounts(size, len(data), "bytes")
        raise _broken(where, f"stream '{name.rstrip(chr(0))}' declares {shown} in a file of "
                      f"{allowed}")  # fmt: skip


#: The child: python-calamine parses the workbook from stdin, every sheet in full, within an
#: address-space limit; exit 0 means it fits, anything else (a Rust abort, MemoryError) not.
_CHILD = """
import io, resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from python_calamine import CalamineWorkbook
try:
    book = CalamineWorkbook.from_filelike(io.BytesIO(sys.stdin.buffer.read()))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python()
except MemoryError:
    sys.exit(3)
except BaseException:
    sys.exit(0)  # an ordinary failure: the reader in the parent reports it with its place
"""


def _parse_in_child(data: bytes, where: str, limits: InputBudget) -> None:
    """Parse ``data`` with calamine in a child held to the budget; refuse on its death."""
    command = [sys.executable, "-I", "-c", _CHILD, str(limits.parse_memory)]
    hint = "Is the file complete? Open it in Excel and save it as .xlsx"
    try:
        run = subprocess.run(command, input=data, capture_output=True, timeout=limits.parse_seconds)
    except subprocess.TimeoutExpired:
        raise ExportParseError(
            f"the .xls parser did not finish within {limits.parse_seconds} s (limit "
            "parse_seconds); expected a workbook that reads within the budget",
            where=where,
            hint=f"{hint}; or raise the limit with {InputBudget.variable('parse_seconds')}=...",
        ) from None
    if run.returncode == 0:
        return
    memory = amounts(limits.parse_memory, limits.parse_memory, "bytes")[0]
    died = {-6: "aborted", 3: "ran out of memory", -9: "was killed"}.get(
        run.returncode, f"died (exit status {run.returncode})"
    )
    raise ExportParseError(
        f"the .xls parser {died} reading it (limit parse_memory: {memory}); expected a workbook "
        "that reads within the budget",
        where=where,
        hint=f"{hint}; or raise the limit with {InputBudget.variable('parse_memory')}=...",
    )
