"""Failures of the parsers the readers use that mean a damaged file, not a bug.

The readers call zipfile, zlib, gzip, csv, the XML parser, codecs and python-calamine. When one
of them fails on a damaged file (a bad CRC, a cut deflate stream, a cell longer than the csv
limit, a calamine panic), the user gets one :class:`~qpcr.errors.ExportParseError` naming the
file, from :func:`damaged_file` around each entry point (:func:`qpcr.io.read_run` for every
reader, :func:`qpcr.layout.load_layout`), instead of a traceback. Anything else a reader raises
(``TypeError``, ``KeyError``, ``StopIteration`` ...) is a bug of that reader and keeps its
traceback.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ExportParseError, InputError, InternalError
from .sample import is_rust_panic

__all__ = ["PARSER_FAILURES", "damaged_file", "is_parser_failure"]

#: What the parsers but the XML parser raise on damaged input (``OSError`` covers gzip's
#: ``BadGzipFile`` and unreadable files, ``EOFError`` a cut gzip or zip stream,
#: ``OverflowError`` a number too large for its type).
_NOT_XML: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    csv.Error,
    UnicodeError,
    OSError,
    OverflowError,
)

if TYPE_CHECKING:
    #: What the parsers raise on damaged input: :data:`_NOT_XML` and the XML parser's
    #: ``ParseError``; made once, by the module's ``__getattr__`` on first use, so that a text
    #: export imports no XML parser.
    PARSER_FAILURES: tuple[type[BaseException], ...]


def __getattr__(name: str) -> tuple[type[BaseException], ...]:
    """``PARSER_FAILURES``, made when first asked for (PEP 562)."""
    if name != "PARSER_FAILURES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _parser_failures()


@functools.cache
def _parser_failures() -> tuple[type[BaseException], ...]:
    """:data:`PARSER_FAILURES`, made on first use and kept."""
    from xml.etree.ElementTree import ParseError  # asked for when a reader has failed

    return (*_NOT_XML, ParseError)


def is_parser_failure(exc: BaseException) -> bool:
    """Whether ``exc`` means a damaged file rather than a bug.

    Parameters
    ----------
    exc
        What a reader raised.

    Returns
    -------
    bool
        True for :data:`PARSER_FAILURES`, python-calamine's Rust panics, and the
        ``NotImplementedError`` / ``RuntimeError`` zipfile raises for an unknown compression
        method or an encrypted member; False for qpcr's own errors and everything else.

    Examples
    --------
    >>> import zlib
    >>> is_parser_failure(zlib.error("invalid distance")), is_parser_failure(KeyError("x"))
    (True, False)
    """
    if isinstance(exc, (InputError, InternalError)):
        return False
    if isinstance(exc, _parser_failures()) or is_rust_panic(exc):
        return True
    return isinstance(exc, (NotImplementedError, RuntimeError)) and _raised_by_zipfile(exc)


def _raised_by_zipfile(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    source = Path(tb.tb_frame.f_code.co_filename)
    return source.name == "zipfile.py" or source.parent.name == "zipfile"


@contextlib.contextmanager
def damaged_file(
    where: str, error: type[InputError] = ExportParseError, what: str = "export"
) -> Iterator[None]:
    """Turn a parser failure inside the block into ``error`` naming ``where``.

    Parameters
    ----------
    where
        The file (or file and place) for the message.
    error
        The :class:`~qpcr.errors.InputError` subclass raised.
    what
        What the file should be (``export``, ``layout``), for the message.

    Yields
    ------
    None
        Inside the block, parser failures are converted; everything else passes unchanged.

    Raises
    ------
    InputError
        ``error``, for a parser failure (:func:`is_parser_failure`).

    Examples
    --------
    >>> import zlib
    >>> with damaged_file("run.xlsx"):
    ...     raise zlib.error("invalid stored block lengths")
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.xlsx: the file is damaged (zlib.error: invalid stored ...
    """
    try:
        yield
    except BaseException as exc:
        if not is_parser_failure(exc):
            raise
        module, name = type(exc).__module__, type(exc).__name__
        kind = name if module == "builtins" else f"{module}.{name}"
        detail = str(exc).splitlines()[0][:200] if str(exc).strip() else "no detail"
        raise error(
            f"the file is damaged ({kind}: {detail}); expected a complete {what}",
            where=where,
            hint="Export or copy the file again",
        ) from None
