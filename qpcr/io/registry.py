"""Registry of export formats, with content sniffing.

Each format is an :class:`ExportFormat` record: a name, a one-line signature saying what
identifies it, a ``sniff`` predicate and a ``read`` function. A sniffer receives a
:class:`FileSample` (magic bytes, decoded head lines, sheet names) and must never raise.
:func:`detect` runs every sniffer; zero matches raise :class:`UnrecognizedFormatError`, several
raise :class:`AmbiguousFormatError`.

Adding a format: write ``qpcr/io/<vendor>.py`` defining ``sniff(sample) -> bool`` and
``read(path, sample) -> Export``, call :func:`register` at import, and list the module in
``_FORMAT_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import AmbiguousFormatError, InputError, UnrecognizedFormatError
from .checks import check_unique_wells
from .numbers import check_decimal

__all__ = [
    "MAX_INPUT_BYTES",
    "Export",
    "ExportFormat",
    "FileSample",
    "RunInfo",
    "detect",
    "formats",
    "read_run",
    "register",
]

#: Inputs larger than this are refused (a 384-well export with curves is a few MB).
MAX_INPUT_BYTES = 200 * 1024 * 1024

#: Modules that register formats, imported on first use (order = order of `qpcr formats`).
_FORMAT_MODULES: tuple[str, ...] = (
    "thermo", "tidy", "biorad", "roche", "rotorgene", "agilent", "rdml", "runfiles",
)  # fmt: skip

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class RunInfo:
    """Run metadata read from an export."""

    path: str
    format: str
    instrument: str | None = None
    software: str | None = None
    run_date: str | None = None
    plate_size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Export:
    """What a reader returns: the tidy wells table, run metadata and optional long tables
    (``amplification``, ``melt``) keyed by name."""

    wells: pd.DataFrame
    info: RunInfo
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


class FileSample:
    """Cheap, cached views of a file's head for sniffers. Nothing here raises."""

    HEAD_BYTES = 64 * 1024

    def __init__(self, path: Path, decimal: str | None = None) -> None:
        self.path = path
        #: The decimal mark the user gave (``","`` or ``"."``); None: readers detect it.
        self.decimal = decimal
        with path.open("rb") as handle:
            self.head: bytes = handle.read(self.HEAD_BYTES)

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
        from ._tabular import decode_bytes

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

    @cached_property
    def zip_names(self) -> list[str]:
        """Member names of a zip container ([] if not a readable zip)."""
        if self.kind != "zip":
            return []
        import zipfile

        try:
            with zipfile.ZipFile(self.path) as archive:
                return archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return []

    @cached_property
    def sheet_names(self) -> list[str]:
        """Sheet names of a workbook ([] if not a workbook calamine can open)."""
        if self.kind not in ("ole2", "zip"):
            return []
        try:
            from python_calamine import CalamineWorkbook

            return list(CalamineWorkbook.from_path(str(self.path)).sheet_names)
        except Exception:  # a sniffer view must never raise
            return []

    def sheet_head(self, name: str, rows: int = 60) -> list[list[Any]]:
        """First ``rows`` rows of a sheet as lists of cell values ([] on any failure)."""
        try:
            from python_calamine import CalamineWorkbook

            sheet = CalamineWorkbook.from_path(str(self.path)).get_sheet_by_name(name)
            return [list(r) for r in sheet.to_python(nrows=rows)]
        except Exception:  # a sniffer view must never raise
            return []


@dataclass(frozen=True)
class ExportFormat:
    """One supported export format."""

    name: str
    description: str
    signature: str
    sniff: Callable[[FileSample], bool]
    read: Callable[[Path, FileSample], Export]


_REGISTRY: dict[str, ExportFormat] = {}
_LOADED = False


def register(fmt: ExportFormat) -> ExportFormat:
    """Add a format to the registry (called by each format module at import)."""
    _REGISTRY[fmt.name] = fmt
    return fmt


def formats() -> list[ExportFormat]:
    """All registered formats, in registration order."""
    global _LOADED
    if not _LOADED:
        for module in _FORMAT_MODULES:
            importlib.import_module(f"{__package__}.{module}")
        _LOADED = True
    return list(_REGISTRY.values())


def _sample(path: Path, decimal: str | None = None) -> FileSample:
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        raise InputError("is a folder; expected an export file", where=str(path))
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty; expected an instrument export", where=str(path))
    if size > MAX_INPUT_BYTES:
        raise InputError(
            f"the file has {size / 1e6:.0f} MB, above the {MAX_INPUT_BYTES / 1e6:.0f} MB limit",
            where=str(path),
            hint="Export the results table only, without raw curves",
        )
    return FileSample(path, decimal)


def _claimants(sample: FileSample) -> list[ExportFormat]:
    found = []
    for fmt in formats():
        try:
            if fmt.sniff(sample):
                found.append(fmt)
        except Exception:  # a failing sniffer means "not mine"
            continue
    return found


def detect(path: str | Path) -> ExportFormat:
    """The one format that claims ``path``; raises if none or several do."""
    path = Path(path)
    sample = _sample(path)
    found = _claimants(sample)
    if not found:
        raise UnrecognizedFormatError(
            f"not a supported export ({_describe(sample)}); "
            f"expected one of: {', '.join(f.name for f in formats())}",
            where=str(path),
            hint="Run 'qpcr formats' to see what identifies each format, or pass --format NAME",
        )
    if len(found) > 1:
        raise AmbiguousFormatError(
            f"the file fits several formats: {', '.join(f.name for f in found)}",
            where=str(path),
            hint="Choose one with --format NAME",
        )
    return found[0]


def _describe(sample: FileSample) -> str:
    if sample.kind == "ole2":
        return "a legacy Excel/OLE2 file"
    if sample.kind == "zip":
        return "a zip container (xlsx, rdml or a run file)"
    if sample.kind == "gzip":
        return "a gzip-compressed file"
    first = next((line.strip() for line in sample.lines if line.strip()), "")
    return f"a text file starting '{first[:60]}'" if first else "a text file with no content"


def read_run(path: str | Path, format: str | None = None, decimal: str | None = None) -> Export:
    """Read an export, detecting its format from content unless ``format`` names one.

    ``decimal`` (``","`` or ``"."``) is the decimal mark of a text export when the file alone
    cannot tell; None detects it from the file.
    """
    path = Path(path)
    decimal = check_decimal(decimal)
    if format is None or format == "auto":
        fmt = detect(path)
        sample = FileSample(path, decimal)
    else:
        by_name = {f.name: f for f in formats()}
        if format not in by_name:
            raise InputError(
                f"unknown format '{format}'; expected one of: {', '.join(by_name)}",
                where="--format",
            )
        fmt = by_name[format]
        sample = _sample(path, decimal)
    export = fmt.read(path, sample)
    if export.wells.empty:
        raise InputError(
            "the export holds no wells", where=str(path), hint="Export the results table again"
        )
    check_unique_wells(export.wells, str(path))
    return export
