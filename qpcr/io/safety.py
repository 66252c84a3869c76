"""Guards for untrusted containers: XML without DTDs, capped zip members, capped gzip.

Every reader that opens XML, a zip member or a gzip stream goes through these functions, so an
export cannot expand entities (billion laughs, external entities) or inflate without bound
(zip/gzip bombs) beyond the input budget (:mod:`qpcr.io.budget`). Failures raise
:class:`~qpcr.errors.ExportParseError` naming the file.
"""

from __future__ import annotations

import contextlib
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ExportParseError
from .budget import InputBudget, amounts, budget

if TYPE_CHECKING:  # the XML parser is imported where XML is parsed: a text export has none
    from xml.etree import ElementTree as ET

__all__ = [
    "MAX_ZIP_MEMBERS",
    "gunzip",
    "open_zip",
    "parse_xml",
    "read_zip_head",
    "read_zip_member",
    "refuse_doctype",
    "zip_errors",
    "zip_member_names",
]


#: Most members a zip container may hold (an xlsx has ~20, an LC96 RDML 6, a .eds ~100).
MAX_ZIP_MEMBERS = 5000

_CHUNK = 1024 * 1024
#: What zipfile raises for a damaged container: ValueError covers a member name that is not the
#: UTF-8 its flag claims, struct.error a truncated record.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
               ValueError, struct.error)  # fmt: skip


#: What a refused DTD is told to do: the RDML and run-file readers' default.
_EXPORT_AGAIN = "Export the file again from the instrument software"


def parse_xml(data: bytes, where: str) -> ET.Element:
    """Parse an XML document that must not contain a DTD.

    Any ``<!DOCTYPE`` (and therefore any ``<!ENTITY`` declaration, internal or external) is
    refused before it is processed (:func:`refuse_doctype`); undeclared entities are an XML
    error anyway.

    Parameters
    ----------
    data : bytes
        The document (its XML declaration decides the encoding; UTF-8 by default).
    where : str
        File (and member) named in errors.

    Returns
    -------
    xml.etree.ElementTree.Element
        The root element.

    Raises
    ------
    ExportParseError
        A DTD, or broken XML (its line and column named).

    Examples
    --------
    >>> parse_xml(b"<run><well id='A1'/></run>", "run.xml").find("well").get("id")
    'A1'
    >>> parse_xml(b"<!DOCTYPE r [<!ENTITY a 'x'>]><r>&a;</r>", "run.xml")
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.xml: the XML contains a document type declaration ...
    """
    from xml.etree.ElementTree import XMLParser

    refuse_doctype((data,), where)
    with _xml_errors(where):
        parser = XMLParser()  # its own C tree builder: no Python call per element
        parser.feed(data)
        return parser.close()


class _Stop(Exception):
    """Raised inside the prolog check at a DTD (``doctype``) or the root's start tag."""

    def __init__(self, doctype: bool) -> None:
        self.doctype = doctype


def refuse_doctype(pieces: Iterable[bytes], where: str, hint: str = _EXPORT_AGAIN) -> None:
    r"""Refuse an XML document whose prolog holds a document type declaration (``<!DOCTYPE``).

    A DTD can only stand before the root element, so expat reads ``pieces`` (the document in
    order, or just its start) up to the root's start tag and stops there: a part is read only
    as far as its prolog goes. A syntax error before the root is left to the parser that reads
    the document, which meets it at the same place and sees no DTD before it either.

    Parameters
    ----------
    pieces
        The document's bytes in order, in pieces of any size (read lazily).
    where
        File (and member) named in the error.
    hint
        What the user can do (default: export the file again).

    Raises
    ------
    ExportParseError
        A ``<!DOCTYPE`` before the root element.

    Examples
    --------
    >>> refuse_doctype([b"<?xml version='1.0'?><!-- a note --><r>", b"<!DOCTYPE later>"], "ok.xml")
    >>> refuse_doctype([b"\xef\xbb\xbf<!-- a note -->", b"<!DOCTYPE r SYSTEM 'x.dtd'><r/>"],
    ...                "run.xlsx [xl/worksheets/sheet1.xml]", hint="Re-save the workbook")
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.xlsx [xl/worksheets/sheet1.xml]: the XML contains a ...
    """

    from xml.parsers import expat

    def stop(doctype: bool) -> Callable[..., None]:
        def handler(*_: object) -> None:
            raise _Stop(doctype)

        return handler

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = stop(True)
    parser.StartElementHandler = stop(False)
    try:
        for piece in pieces:
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        return
    except _Stop as found:
        if found.doctype:
            raise ExportParseError(
                "the XML contains a document type declaration (<!DOCTYPE>/<!ENTITY>); expected "
                "plain XML without a DTD (refused for safety: its entities can expand to "
                "gigabytes or read other files)",
                where=where,
                hint=hint,
            ) from None


@contextlib.contextmanager
def _xml_errors(where: str) -> Iterator[None]:
    """Turn an expat error into :class:`ExportParseError`."""
    from xml.etree.ElementTree import ParseError

    try:
        yield
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(": line ")[0]
        raise ExportParseError(
            f"the XML is broken: {reason}; expected a complete XML document",
            where=f"{where} line {line} column {column + 1}",
            hint="Is the file complete and saved as UTF-8?",
        ) from None


@contextlib.contextmanager
def zip_errors(where: str) -> Iterator[None]:
    """Turn the zip/zlib exceptions of a damaged member into :class:`ExportParseError`.

    Parameters
    ----------
    where
        The file and member named in the error.

    Yields
    ------
    None
        Within the block, zip/zlib failures become an :class:`ExportParseError`.

    Examples
    --------
    >>> import zlib
    >>> with zip_errors("run.xlsx [xl/worksheets/sheet1.xml]"):
    ...     zlib.decompress(b"not deflated")
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.xlsx [xl/worksheets/sheet1.xml]: cannot decompress the ...
    """
    try:
        yield
    except ExportParseError:  # a ValueError too: already says what is wrong
        raise
    except _ZIP_ERRORS as exc:
        raise ExportParseError(
            f"cannot decompress the member ({exc}); expected an intact zip member",
            where=where,
            hint="Is the file complete?",
        ) from None


def _member_info(archive: zipfile.ZipFile, path: Path, name: str, limit: int) -> zipfile.ZipInfo:
    """The member's directory entry, checked for declared size and compression method."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ExportParseError(
            f"no member '{name}' in the zip container", where=str(path)
        ) from None
    where = f"{path} [{name}]"
    if info.file_size > limit:
        raise _too_big(where, info.file_size, limit, declared=True)
    _check_method(info, where)
    return info


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip container, refusing a damaged one or one of more than
    :data:`MAX_ZIP_MEMBERS` members.

    Parameters
    ----------
    path
        The zip container.

    Returns
    -------
    zipfile.ZipFile
        The open archive (close it, or use it as a context manager).

    Raises
    ------
    ExportParseError
        A damaged container, or one with too many members.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.xlsx"
    >>> _ = path.write_bytes(b"PK\\x03\\x04 cut short")
    >>> open_zip(path)
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: ...run.xlsx: cannot open the zip container (...); expected ...
    >>> folder.cleanup()
    """
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise ExportParseError(
            f"cannot open the zip container ({exc}); expected a complete zip archive",
            where=str(path),
            hint="Is the file complete?",
        ) from None
    count = len(archive.infolist())
    if count > MAX_ZIP_MEMBERS:
        archive.close()
        raise ExportParseError(
            f"the zip holds {count} members; expected at most {MAX_ZIP_MEMBERS}", where=str(path)
        )
    return archive


def zip_member_names(path: Path) -> list[str]:
    """Names of the files in a zip container (folders left out), checking the member count.

    Parameters
    ----------
    path
        The zip container.

    Returns
    -------
    list of str
        The member names, in directory order.

    Raises
    ------
    ExportParseError
        A damaged zip, or one with more than :data:`MAX_ZIP_MEMBERS` members.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.zip"
    >>> with zipfile.ZipFile(path, "w") as archive:
    ...     archive.writestr("data/", "")
    ...     archive.writestr("data/run.xml", "<run/>")
    >>> zip_member_names(path)
    ['data/run.xml']
    >>> folder.cleanup()
    """
    with open_zip(path) as archive:
        return [info.filename for info in archive.infolist() if not info.is_dir()]


def read_zip_member(path: Path, name: str, limit: int | None = None) -> bytes:
    """The decompressed bytes of one member, refusing members that inflate beyond ``limit``.

    Both the size declared in the zip directory and the bytes actually produced are checked,
    so a member lying about its size is stopped too; only stored and deflated members are read.

    Parameters
    ----------
    path
        The zip container.
    name
        The member's name.
    limit
        Most decompressed bytes accepted (None: the budget's ``inflated_bytes``).

    Returns
    -------
    bytes
        The member's content.

    Raises
    ------
    ExportParseError
        A missing, damaged or oversized member, or one compressed otherwise than stored or
        deflated.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.zip"
    >>> with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
    ...     archive.writestr("run.xml", "<run/>")
    ...     archive.writestr("big.txt", "0" * 5000)
    >>> read_zip_member(path, "run.xml")
    b'<run/>'
    >>> read_zip_member(path, "big.txt", limit=1000)
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: ...run.zip [big.txt]: the content inflates to 5.0 kB; expected ...
    >>> folder.cleanup()
    """
    where = f"{path} [{name}]"
    limit = budget().inflated_bytes if limit is None else limit
    parts: list[bytes] = []
    size = 0
    with open_zip(path) as archive, zip_errors(where):
        info = _member_info(archive, path, name, limit)
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_big(where, size, limit)
                parts.append(chunk)
    return b"".join(parts)


def read_zip_head(path: Path, name: str, size: int = 4096) -> bytes:
    """The first ``size`` decompressed bytes of a member (bounded, for sniffing).

    Parameters
    ----------
    path
        The zip container.
    name
        The member's name.
    size
        How many bytes to read at most.

    Returns
    -------
    bytes
        The head of the member.

    Raises
    ------
    ExportParseError
        A missing or damaged member, or an unsupported compression method.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.zip"
    >>> with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
    ...     archive.writestr("run.xml", "<run><well id='A1'/></run>")
    >>> read_zip_head(path, "run.xml", size=10)
    b'<run><well'
    >>> folder.cleanup()
    """
    with open_zip(path) as archive, zip_errors(f"{path} [{name}]"):
        info = _member_info(archive, path, name, limit=2**63)
        with archive.open(info) as member:
            return member.read(size)


def _check_method(info: zipfile.ZipInfo, where: str) -> None:
    """Only stored and deflated members: the standard library inflates bzip2/LZMA members
    without an output bound, so a lying size header could exhaust memory."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ExportParseError(
            f"the member uses zip compression method {info.compress_type}; expected stored (0) "
            "or deflated (8)",
            where=where,
            hint="Refused as a possible decompression bomb; re-save the file with a standard tool",
        )


def gunzip(data: bytes, where: str, limit: int | None = None) -> bytes:
    r"""Decompress gzip data (all members), refusing output beyond ``limit`` bytes.

    Parameters
    ----------
    data
        The gzip file's bytes.
    where
        The file, named in errors.
    limit
        Most decompressed bytes accepted (None: the budget's ``inflated_bytes``).

    Returns
    -------
    bytes
        The decompressed content of every member, concatenated.

    Raises
    ------
    ExportParseError
        Damaged or truncated data, or output beyond ``limit``.

    Examples
    --------
    >>> import gzip
    >>> gunzip(gzip.compress(b"Well,Cq\n") + gzip.compress(b"A1,24.1\n"), "run.csv.gz")
    b'Well,Cq\nA1,24.1\n'
    >>> gunzip(gzip.compress(b"0" * 5000), "run.csv.gz", limit=1000)
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.csv.gz: the content inflates to more than ...
    """
    limit = budget().inflated_bytes if limit is None else limit
    parts: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest:
            inflater = zlib.decompressobj(wbits=31)
            pending = rest
            while True:
                chunk = inflater.decompress(pending, limit - size + 1)
                size += len(chunk)
                if size > limit:
                    raise _too_big(where, size, limit)
                parts.append(chunk)
                pending = inflater.unconsumed_tail
                if inflater.eof or not (pending or chunk):
                    break
            if not inflater.eof:
                raise ExportParseError(
                    "the gzip stream ends early; expected a complete gzip file",
                    where=where,
                    hint="Is the file complete?",
                )
            rest = inflater.unused_data.lstrip(b"\x00")
    except zlib.error as exc:
        raise ExportParseError(
            f"cannot decompress the gzip data ({exc}); expected a gzip file", where=where
        ) from None
    return b"".join(parts)


def _too_big(where: str, size: int, limit: int, declared: bool = False) -> ExportParseError:
    """A member or stream inflating beyond ``limit``: ``size`` is what its directory entry
    declares (``declared``), or where decompression stopped."""
    shown, allowed = amounts(size, limit, "bytes")
    what = f"inflates to {shown}" if declared else f"inflates to more than {allowed}"
    return ExportParseError(
        f"the content {what}; expected at most {allowed} (limit inflated_bytes)",
        where=where,
        hint="Refused as a possible decompression bomb; export the data without raw curves, or "
        f"raise the limit with {InputBudget.variable('inflated_bytes')}=...",
    )
