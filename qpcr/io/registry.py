"""Registry of export formats, with content sniffing.

Each format is one :class:`ExportFormat` record: a unique name, a description, a one-line
signature saying what identifies it, a ``sniff`` function and a ``read`` function.
:func:`read_run` (and :func:`detect`) open a :class:`FileSample` of the file, ask every sniffer
whether the file is theirs, and hand the file to the one reader whose sniffer claimed it; no
claimant raises :class:`~qpcr.errors.UnrecognizedFormatError`, several raise
:class:`~qpcr.errors.AmbiguousFormatError`. ``read_run(path, format="NAME")`` skips the
sniffers and uses that reader.

The sniffer
    receives a :class:`FileSample`: ``kind`` (``text``, ``zip``, ``ole2``, ``gzip``), ``head``
    (the first 64 kB), ``text`` and ``lines`` (the head decoded), ``zip_names``,
    ``sheet_names`` and ``sheet_head(name, rows)``. The views are cached and never raise, so a
    sniffer is cheap: it runs for every file. It returns something falsy (``False``, ``None``)
    when the file is not its format, and ``True`` or any other truthy *sniff result* (a
    dict, a tuple, a small object) when it is. A sniffer should not raise: one that does
    (any ``Exception``, or python-calamine's Rust ``PanicException``) is reported with a
    :class:`~qpcr.errors.FormatWarning` naming the format and the exception, counts as not
    claiming the file, and is named in the error when no other format claims it.
The reader
    is called as ``read(path, sample)``, or ``read(path, sample, sniffed=result)`` when it
    declares a ``sniffed`` parameter: ``result`` is what its sniffer returned, so the reader
    need not detect a variant again; it is ``None`` when the sniffer returned a plain ``True``
    and when the user named the format (then the sniffer did not run). The reader returns an
    :class:`Export` whose ``wells`` table passes :func:`qpcr.schema.check_wells` (required
    columns ``well, sample, target, sample_type, cq, cq_status``, RDML sample types, ``cq``
    NaN unless ``cq_status`` is ``ok``). A file it cannot read raises
    :class:`~qpcr.errors.ExportParseError`; a table that breaks the schema is a bug of the
    reader, which :func:`read_run` reports with :class:`~qpcr.errors.ReaderOutputError`.

Adding a format: write ``qpcr/io/<vendor>.py`` with its sniffer and reader, call
:func:`register` at import and list the module in ``_FORMAT_MODULES`` (code outside qpcr
registers when its module is imported, before the files are read). A toy text format whose
first line is ``# toy-qpcr`` and whose sniffer passes the delimiter it saw to the reader::

    import numpy as np
    import pandas as pd

    from qpcr.io.registry import Export, ExportFormat, RunInfo, register

    def sniff(sample):
        if sample.kind != "text" or sample.lines[:1] != ["# toy-qpcr"]:
            return False
        return {"sep": "\\t" if "\\t" in "".join(sample.lines[1:2]) else ","}

    def read(path, sample, sniffed=None):
        sep = (sniffed or sniff(sample) or {"sep": ","})["sep"]  # None: format was named
        table = pd.read_csv(path, sep=sep, skiprows=1, dtype=str)  # well, sample, target, cq
        cq = pd.to_numeric(table["cq"], errors="coerce")
        wells = table[["well", "sample", "target"]].assign(
            sample_type="unkn", cq=cq, cq_status=np.where(cq.notna(), "ok", "undetermined")
        )
        return Export(wells=wells, info=RunInfo(path=str(path), format="toy"))

    register(ExportFormat(name="toy", description="Toy Cq list", signature="first line "
                          "'# toy-qpcr'", sniff=sniff, read=read))

A name can be registered once (:class:`~qpcr.errors.DuplicateRegistrationError`; ``auto`` is
reserved for detection). Tests add a format for a ``with`` block with :func:`registered`, or
remove one with :func:`unregister`.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import (
    AmbiguousFormatError,
    DuplicateRegistrationError,
    FormatWarning,
    InputError,
    InternalError,
    ReaderOutputError,
    UnrecognizedFormatError,
)
from ..schema import check_wells
from .checks import check_unique_wells
from .failures import damaged_file
from .inputs import check_input
from .numbers import check_decimal
from .sample import FileSample, is_rust_panic, reraise_unless_failure

__all__ = [
    "Claim",
    "Export",
    "ExportFormat",
    "FileSample",
    "RunInfo",
    "detect",
    "formats",
    "is_rust_panic",
    "open_export",
    "read_run",
    "register",
    "registered",
    "unregister",
]

#: Modules that register formats, imported on first use (order = order of `qpcr formats`;
#: ``qpcr.template.export``: the bench-scientist workbook).
_FORMAT_MODULES: tuple[str, ...] = (
    *(f"qpcr.io.{name}" for name in ("thermo", "tidy", "biorad", "roche", "rotorgene", "agilent",
                                     "rdml", "runfiles", "dpcr", "curve_table")),
    "qpcr.template.export",
)  # fmt: skip


@dataclass(frozen=True)
class RunInfo:
    """Run metadata read from an export (``experiment``: ``genotyping`` or
    ``presence/absence`` when the export says the run is one, else None)."""

    path: str
    format: str
    instrument: str | None = None
    software: str | None = None
    run_date: str | None = None
    plate_size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    experiment: str | None = None


@dataclass(frozen=True)
class Export:
    """What a reader returns: the tidy wells table, run metadata and optional long tables
    (``amplification``, ``melt``) keyed by name."""

    wells: pd.DataFrame
    info: RunInfo
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportFormat:
    """One supported export format (see the module docstring for the sniffer and reader)."""

    name: str
    description: str
    signature: str
    sniff: Callable[[FileSample], object]
    read: Callable[..., Export]

    @cached_property
    def takes_sniffed(self) -> bool:
        """Whether the reader declares a ``sniffed`` parameter (its sniffer's result)."""
        return "sniffed" in inspect.signature(self.read).parameters

    @cached_property
    def takes_run(self) -> bool:
        """Whether the reader declares a ``run`` parameter (the run ids to read)."""
        return "run" in inspect.signature(self.read).parameters


@dataclass(frozen=True)
class Claim:
    """A format whose sniffer claimed a file, with what the sniffer returned (``None`` for a
    plain ``True``, or when the user named the format): what :func:`open_export` returns."""

    format: ExportFormat
    sniffed: object = None

    def read(self, path: Path, sample: FileSample, run: Sequence[str] = ()) -> Export:
        """The checked export of the file :func:`open_export` opened (as :func:`read_run`)."""
        fmt = self.format
        options: dict[str, Any] = {"sniffed": self.sniffed} if fmt.takes_sniffed else {}
        runs = (run,) if isinstance(run, str) else tuple(run)
        if runs and fmt.takes_run:
            options["run"] = runs
        with damaged_file(str(path)):
            export = fmt.read(path, sample, **options)
        _check_export(export, fmt, path)
        if runs and not fmt.takes_run:
            _refuse_run(export.wells, fmt, path)
        check_unique_wells(export.wells, str(path))
        return export


_REGISTRY: dict[str, ExportFormat] = {}
_LOADED = False
#: Names :func:`read_run` gives a meaning of its own.
_RESERVED = frozenset({"auto"})


def register(fmt: ExportFormat) -> ExportFormat:
    """Add a format to the registry (called by each format module at import).

    Parameters
    ----------
    fmt
        The format.

    Returns
    -------
    ExportFormat
        ``fmt``.

    Raises
    ------
    DuplicateRegistrationError
        If a format of that name is registered already, or the name is reserved (``auto``).

    Examples
    --------
    >>> tidy = next(f for f in formats() if f.name == "tidy")
    >>> register(tidy)
    Traceback (most recent call last):
    ...
    qpcr.errors.DuplicateRegistrationError: ...: format name 'tidy' is taken (by qpcr.io.tidy); ...
    """
    taken = _REGISTRY.get(fmt.name)
    if taken is not None or fmt.name in _RESERVED:
        owner = f"by {_module(taken)}" if taken is not None else "for detection"
        raise DuplicateRegistrationError(
            f"format name '{fmt.name}' is taken ({owner}); expected a new name",
            where=f"{_module(fmt)}: register()",
            hint="Rename the format, or unregister() the other one first",
        )
    _REGISTRY[fmt.name] = fmt
    for known in sorted(_REGISTRY.values(), key=_built_in_rank):  # stable: else as registered
        _REGISTRY[known.name] = _REGISTRY.pop(known.name)
    return fmt


def _module(fmt: ExportFormat) -> str:
    """The module that defines a format's reader (for messages)."""
    return getattr(fmt.read, "__module__", None) or "an unknown module"


def unregister(name: str) -> ExportFormat:
    """Remove the format ``name`` from the registry and return it (for tests and plug-ins).

    Parameters
    ----------
    name
        A registered format's name.

    Returns
    -------
    ExportFormat
        The removed format.

    Raises
    ------
    InternalError
        No format of that name is registered.

    Examples
    --------
    >>> toy = ExportFormat("toy", "Toy", "never", lambda sample: False, lambda path, sample: None)
    >>> _ = register(toy)
    >>> unregister("toy") is toy
    True
    >>> unregister("toy")
    Traceback (most recent call last):
    ...
    qpcr.errors.InternalError: unregister(): no format named 'toy' is registered; expected ...
    """
    formats()
    if name not in _REGISTRY:
        raise InternalError(
            f"no format named '{name}' is registered; expected one of: {', '.join(_REGISTRY)}",
            where="unregister()",
        )
    return _REGISTRY.pop(name)


@contextlib.contextmanager
def registered(fmt: ExportFormat) -> Iterator[ExportFormat]:
    r"""Register ``fmt`` for the duration of a ``with`` block.

    The built-in formats are registered first, so a clash with one of them raises at once.

    Parameters
    ----------
    fmt
        The format.

    Yields
    ------
    ExportFormat
        ``fmt``, unregistered again when the block ends.

    Examples
    --------
    A format whose files start with the line ``# toy-qpcr`` (the module's example shows a
    sniffer that passes what it saw to the reader):

    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> def sniff(sample):
    ...     return sample.kind == "text" and sample.lines[:1] == ["# toy-qpcr"]
    >>> def read(path, sample):
    ...     table = pd.read_csv(path, skiprows=1).assign(sample_type="unkn", cq_status="ok")
    ...     return Export(wells=table, info=RunInfo(path=str(path), format="toy"))
    >>> toy = ExportFormat("toy", "Toy Cq list", "first line '# toy-qpcr'", sniff, read)
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "toy.txt"
    >>> _ = path.write_text("# toy-qpcr\nwell,sample,target,cq\nA1,s1,GAPDH,18.1\n")
    >>> with registered(toy):
    ...     read_run(path).wells
      well sample target    cq sample_type cq_status
    0   A1     s1  GAPDH  18.1        unkn        ok
    >>> "toy" in [f.name for f in formats()]
    False
    >>> folder.cleanup()
    """
    formats()
    register(fmt)
    try:
        yield fmt
    finally:
        unregister(fmt.name)


def formats() -> list[ExportFormat]:
    """All registered formats: the built-in ones first, in the order of ``qpcr formats``.

    Returns
    -------
    list of ExportFormat
        The formats.

    Examples
    --------
    >>> sorted(f.name for f in formats())[:6]
    ['agilent', 'biorad', 'curve_table', 'dpcr', 'rdml', 'roche']
    """
    global _LOADED
    if not _LOADED:
        for module in _FORMAT_MODULES:
            importlib.import_module(module)
        _LOADED = True
    return list(_REGISTRY.values())


def _built_in_rank(fmt: ExportFormat) -> int:
    """``fmt``'s module's place in :data:`_FORMAT_MODULES` (other code's formats after them):
    the registry's order, whichever module a run happened to import first."""
    module = f"{_module(fmt)}."
    ranks = (i for i, name in enumerate(_FORMAT_MODULES) if module.startswith(f"{name}."))
    return next(ranks, len(_FORMAT_MODULES))


def _sample(path: Path, decimal: str | None = None) -> FileSample:
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        raise InputError("is a folder; expected an export file", where=str(path))
    if path.stat().st_size == 0:
        raise InputError(
            "the file is empty; expected an instrument export",
            where=str(path),
            hint="Was it saved before it was copied? Export it again from the instrument software",
        )
    check_input(path)
    return FileSample(path, decimal)


def _sniff(fmt: ExportFormat, sample: FileSample) -> tuple[Claim | None, str]:
    """(the claim or None, '' or a note saying the sniffer crashed). A crash warns."""
    try:
        result = fmt.sniff(sample)
    except BaseException as exc:
        reraise_unless_failure(exc)
        crash = f"reader '{fmt.name}' crashed while sniffing it ({type(exc).__name__}: {exc})"
        warnings.warn(
            FormatWarning(
                f"{sample.path}: {crash}; treated as not '{fmt.name}'. This is a bug in that "
                "reader's sniffer: please report it with the file"
            ),
            stacklevel=5,
        )
        return None, crash
    if not result:
        return None, ""
    return Claim(fmt, None if isinstance(result, bool) else result), ""


def _claims(sample: FileSample) -> tuple[list[Claim], list[str]]:
    """Every format's verdict on ``sample``: the claims and the notes of crashed sniffers."""
    verdicts = [_sniff(fmt, sample) for fmt in formats()]
    return [claim for claim, _ in verdicts if claim is not None], [n for _, n in verdicts if n]


def _detect(sample: FileSample) -> Claim:
    claims, crashes = _claims(sample)
    where = str(sample.path)
    if not claims:
        crashed = "".join(f"; {note}" for note in crashes)
        raise UnrecognizedFormatError(
            f"not a supported export ({_describe(sample)}){crashed}; "
            f"expected one of: {', '.join(f.name for f in formats())}",
            where=where,
            hint='See what identifies each format with qpcr.io.formats(), or pass format="NAME"',
        )
    if len(claims) > 1:
        raise AmbiguousFormatError(
            f"the file fits several formats: {', '.join(c.format.name for c in claims)}",
            where=where,
            hint='Choose one with format="NAME"',
        )
    return claims[0]


def detect(path: str | Path) -> ExportFormat:
    r"""The one format that claims ``path``.

    Parameters
    ----------
    path
        An export file.

    Returns
    -------
    ExportFormat
        The format whose sniffer claimed the file.

    Raises
    ------
    InputError
        The file is missing, empty or too large; :class:`~qpcr.errors.UnrecognizedFormatError`
        when no format claims it, :class:`~qpcr.errors.AmbiguousFormatError` when several do.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_text("well,sample,target,cq\nA1,s1,GAPDH,18.1\n", encoding="utf-8")
    >>> detect(path).name
    'tidy'
    >>> _ = path.write_text("# my notes\n", encoding="utf-8")
    >>> detect(path)
    Traceback (most recent call last):
    ...
    qpcr.errors.UnrecognizedFormatError: ...run.csv: not a supported export (a text file ...
    >>> folder.cleanup()
    """
    return _detect(_sample(Path(path))).format


def _describe(sample: FileSample) -> str:
    if sample.kind == "ole2":
        return "a legacy Excel/OLE2 file"
    if sample.kind == "zip":
        return "a zip container (xlsx, rdml or a run file)"
    if sample.kind == "gzip":
        return "a gzip-compressed file"
    first = next((line.strip() for line in sample.lines if line.strip()), "")
    return f"a text file starting '{first[:60]}'" if first else sample.found


def read_run(
    path: str | Path,
    format: str | None = None,
    decimal: str | None = None,
    run: Sequence[str] = (),
) -> Export:
    r"""Read an export, detecting its format from content unless ``format`` names one.

    Parameters
    ----------
    path
        The export file.
    format
        A registered format's name; None or ``auto`` detects it.
    decimal
        The decimal mark of a text export (``","`` or ``"."``) when the file alone cannot
        tell; None detects it from the file.
    run
        The runs to read from a file holding several (RDML, by the ids ``qpcr inspect``
        lists); empty reads all. A file holding one run ignores it; a reader that cannot pick
        runs refuses it when the file holds several plates.

    Returns
    -------
    Export
        The wells table (checked with :func:`qpcr.schema.check_wells`; no well × target twice),
        the run metadata and any curve tables.

    Raises
    ------
    InputError
        The file is missing, unrecognised, ambiguous or unreadable, or ``format`` is unknown.
    ReaderOutputError
        The reader returned an invalid table (a bug in that reader).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_text("well,sample,target,cq\nA1,s1,GAPDH,18.1\nA2,s1,MYC,Undetermined\n",
    ...                     encoding="utf-8")
    >>> export = read_run(path)
    >>> export.wells
      well sample target sample_type    cq     cq_status
    0   A1     s1  GAPDH        unkn  18.1            ok
    1   A2     s1    MYC        unkn   NaN  undetermined
    >>> export.info.format, export.info.software
    ('tidy', 'tidy table')
    >>> folder.cleanup()
    """
    path = Path(path)
    decimal = check_decimal(decimal)
    sample, claim = open_export(path, format, decimal)
    return claim.read(path, sample, run)


def open_export(
    path: Path, format: str | None = None, decimal: str | None = None
) -> tuple[FileSample, Claim]:
    """The file's head through the gate every file passes, and the format that reads it: the
    one named, or the one its content claims (``claim.read(path, sample)`` reads it).

    Parameters
    ----------
    path, format, decimal
        As for :func:`read_run`.

    Returns
    -------
    tuple of (FileSample, Claim)
        The file's head and the claiming format with what its sniffer returned.

    Raises
    ------
    InputError
        As :func:`detect`, or ``format`` is unknown.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_text("well,sample,target,cq\\nA1,s1,GAPDH,18.1\\n", encoding="utf-8")
    >>> sample, claim = open_export(path)
    >>> claim.format.name, len(claim.read(path, sample).wells)
    ('tidy', 1)
    >>> folder.cleanup()
    """
    if format is None or format == "auto":
        sample = _sample(path, decimal)
        return sample, _detect(sample)
    by_name = {f.name: f for f in formats()}
    if format not in by_name:
        raise InputError(
            f"unknown format '{format}'; expected one of: {', '.join(by_name)}",
            where="format",
        )
    return _sample(path, decimal), Claim(by_name[format])


def _refuse_run(wells: pd.DataFrame, fmt: ExportFormat, path: Path) -> None:
    """A run choice the reader cannot honour: refused unless the file holds one plate."""
    plates = list(wells["plate"].dropna().unique()) if "plate" in wells else []
    if len(plates) > 1:
        raise InputError(
            f"the {fmt.name} reader cannot pick runs, and the file holds {len(plates)} plates "
            f"({', '.join(map(str, plates[:5]))}); expected run=... only for RDML files",
            where=str(path),
            hint="Drop the run setting, or export each run to its own file",
        )


def _check_export(export: object, fmt: ExportFormat, path: Path) -> None:
    """Refuse an empty export (the file's fault) and an invalid one (the reader's fault)."""
    if isinstance(export, Export) and isinstance(export.wells, pd.DataFrame):
        if export.wells.empty:
            raise InputError(
                "the export holds no wells", where=str(path), hint="Export the results table again"
            )
        problems = check_wells(export.wells)
        what = f"an invalid wells table ({'; '.join(problems)})"
    else:
        problems = ["not an Export"]
        what = f"a {type(export).__name__}, not an Export with a wells DataFrame"
    if problems:
        raise ReaderOutputError(
            f"reader '{fmt.name}' ({_module(fmt)}) returned {what}; expected an Export "
            "whose wells pass qpcr.schema.check_wells",
            where=str(path),
            hint="This is a bug in the reader, not in the file: please report it with the file",
        )
