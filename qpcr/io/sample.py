"""The sniffers' view of a file: :class:`FileSample`, cheap cached views of its head that never
raise, and the test for python-calamine's Rust panics (which a view must survive)."""

from __future__ import annotations

import zipfile
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import InputError
from ._tabular import decode_bytes
from .budget import amounts
from .inputs import OLE2_MAGIC, ZIP_MAGIC, describe_bytes, open_workbook

__all__ = ["OLE2_MAGIC", "ZIP_MAGIC", "FileSample", "is_rust_panic", "reraise_unless_failure"]


def is_rust_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic surfaced by a pyo3 extension (python-calamine).

    pyo3 raises ``pyo3_runtime.PanicException``, which derives from ``BaseException`` (so
    ``except Exception`` misses it) and cannot be imported; it is recognised by name.

    Parameters
    ----------
    exc
        Any exception.

    Returns
    -------
    bool
        True for a pyo3 ``PanicException``.

    Examples
    --------
    >>> PanicException = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})
    >>> is_rust_panic(PanicException("index out of bounds")), is_rust_panic(ValueError())
    (True, False)
    """
    cls = type(exc)
    return cls.__name__ == "PanicException" and cls.__module__ == "pyo3_runtime"


def reraise_unless_failure(exc: BaseException) -> None:
    """Re-raise ``exc`` unless it is an ``Exception`` or a Rust panic.

    So ``KeyboardInterrupt``, ``SystemExit`` and ``GeneratorExit`` always propagate out of a
    sniffer's view or a sniffer.

    Parameters
    ----------
    exc
        What a ``except BaseException`` caught.

    Raises
    ------
    BaseException
        ``exc`` itself, when it is not a failure of the code that ran.

    Examples
    --------
    >>> reraise_unless_failure(ValueError("broken sheet"))  # a failure: swallowed
    >>> try:
    ...     reraise_unless_failure(KeyboardInterrupt())
    ... except KeyboardInterrupt:
    ...     print("re-raised")
    re-raised
    """
    if not (isinstance(exc, Exception) or is_rust_panic(exc)):
        raise exc


class FileSample:
    """Cheap, cached views of a file's head for sniffers. Nothing here raises."""

    HEAD_BYTES = 64 * 1024

    def __init__(self, path: Path, decimal: str | None = None) -> None:
        self.path = path
        #: The decimal mark the user gave (``","`` or ``"."``); None: readers detect it.
        self.decimal = decimal
        with path.open("rb") as handle:
            self.head: bytes = handle.read(self.HEAD_BYTES)
        self._heads: dict[tuple[str, int], list[list[Any]]] = {}

    @property
    def kind(self) -> str:
        """``ole2`` (legacy .xls), ``zip`` (.xlsx, .rdml, run files), ``gzip`` or ``text``."""
        if self.head.startswith(OLE2_MAGIC):
            return "ole2"
        if self.head.startswith(ZIP_MAGIC):
            return "zip"
        if self.head.startswith(b"\x1f\x8b"):
            return "gzip"
        return "text"

    @cached_property
    def text(self) -> str:
        """The head decoded as text (BOM-aware UTF-8/UTF-16, else Windows-1252); '' if binary."""
        if self.kind != "text":
            return ""
        try:
            return decode_bytes(self.head)[0]
        except InputError:
            return ""

    @cached_property
    def lines(self) -> list[str]:
        """Decoded head lines (the last, possibly cut, line dropped when the head is full)."""
        lines = self.text.splitlines()
        if len(self.head) >= self.HEAD_BYTES and lines:
            lines = lines[:-1]
        return lines

    @property
    def found(self) -> str:
        """What a text file without a readable line holds, in a few words for a message: binary
        data, NUL bytes, an unknown encoding, only whitespace, or one line of N MB."""
        if not self.text:
            return describe_bytes(self.head)
        start = len(self.head) - len(self.head.lstrip())
        if start == len(self.head):
            full = len(self.head) >= self.HEAD_BYTES
            return f"a text file {'starting with 64 kB' if full else 'made'} of whitespace"
        length = _line_length(self.path, start)
        return f"a text file whose first line has {amounts(length, length, 'bytes')[0]}"

    @cached_property
    def zip_names(self) -> list[str]:
        """Member names of a zip container ([] if not a readable zip)."""
        if self.kind != "zip":
            return []
        try:
            with zipfile.ZipFile(self.path) as archive:
                return archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return []

    @cached_property
    def _book(self) -> Any:
        """The workbook, opened once for every sniffer (None if calamine cannot open it)."""
        if self.kind not in ("ole2", "zip"):
            return None
        try:
            return open_workbook(self.path)
        except BaseException as exc:  # a sniffer view must never raise
            reraise_unless_failure(exc)
            return None

    @cached_property
    def sheet_names(self) -> list[str]:
        """Sheet names of a workbook ([] if not a workbook calamine can open)."""
        return [] if self._book is None else list(self._book.sheet_names)

    def sheet_head(self, name: str, rows: int = 60) -> list[list[Any]]:
        """First ``rows`` rows of a sheet as lists of cell values ([] on any failure); each
        sheet is read once however many sniffers ask."""
        key = (name, rows)
        if key not in self._heads:
            self._heads[key] = self._read_head(name, rows)
        return [list(row) for row in self._heads[key]]  # a sniffer may change its copy

    def _read_head(self, name: str, rows: int) -> list[list[Any]]:
        if self._book is None:
            return []
        try:
            sheet = self._book.get_sheet_by_name(name)
            return [list(r) for r in sheet.to_python(nrows=rows)]
        except BaseException as exc:  # a sniffer view must never raise
            reraise_unless_failure(exc)
            return []


def _line_length(path: Path, start: int, chunk: int = 1 << 20) -> int:
    """Bytes from ``start`` to the next line break of ``path`` (a file within the budget)."""
    length = 0
    with path.open("rb") as handle:
        handle.seek(start)
        while block := handle.read(chunk):
            ends = [i for i in (block.find(b"\n"), block.find(b"\r")) if i >= 0]
            if ends:
                return length + min(ends)
            length += len(block)
    return length
