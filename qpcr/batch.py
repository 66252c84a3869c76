"""Many independent plates, one call: :func:`run_batch` (the CLI's ``qpcr batch``).

Each export is analysed on its own (:func:`qpcr.pipeline.analyze` of that export alone; not
the multi-plate calibration of ``qpcr analyze`` with several exports), with one layout and one
settings file for all, or per export from a manifest CSV. The tables of every plate are
appended to one CSV per table as the plates finish, each row led by the plate's ``export``
(and the manifest's extra columns), so memory stays flat in the number of plates; a plate that
fails is listed in ``errors.csv`` and does not stop the others. The output folder is written as
a unit (:func:`qpcr.atomic.replace_folder`).

The plates share their settings: an ``[efficiency]`` or ``[assay_single_copy_cq]`` entry, or a
ratio, naming a target a plate lacks applies to the plates that measure it (a note on the
others, :func:`qpcr.validate.on_plate`); one that applies to no plate is an error of the batch.
"""

from __future__ import annotations

import csv
import functools
import gc
import os
import sys
from collections import Counter
from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .atomic import replace_folder
from .batch_settings import (
    Applied,
    Reach,
    applied_entries,
    partial_entries,
    unmatched_entries,
    write_reach,
)
from .batch_spool import Spool
from .config import AnalysisConfig, load_config, read_utf8
from .errors import InputError, QpcrError

__all__ = ["BATCH_FILES", "BATCH_TABLES", "BatchResult", "Plate", "plates_of", "run_batch"]

#: The tables a batch gathers, one CSV each, every row led by its plate's ``export``.
BATCH_TABLES = ("fold_changes", "ratios", "samples", "qc", "wells")
#: The warnings and notes of each plate's analysis (what ``qpcr analyze`` prints), one a row.
MESSAGES_TABLE = "warnings"
#: The files of a batch's output folder (beside them ``plates/`` with ``reports``):
#: ``settings_applied.csv`` lists the plates each per-target entry applied to
#: (:data:`qpcr.schema.TABLES`).
BATCH_FILES = (
    *(f"{name}.csv" for name in (*BATCH_TABLES, MESSAGES_TABLE)),
    "errors.csv",
    "settings_applied.csv",
)
#: The long table written with ``tidy`` (:meth:`qpcr.results.Results.to_long`).
LONG_TABLE = "results_long"
_OWNED = frozenset({*BATCH_FILES, f"{LONG_TABLE}.csv", "plates"})
#: Manifest columns that say how to analyse a plate; any other column is carried into the
#: outputs.
_MANIFEST_COLUMNS = ("export", "layout", "config")


@dataclass(frozen=True)
class Plate:
    """One plate of a batch: the export, its name in the outputs (the ``export`` column and
    the folder under ``plates/``), its layout and settings (None: the shared ones) and the
    manifest's extra columns (name, value)."""

    export: Path
    name: str
    layout: Path | None = None
    config: Path | None = None
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` did: the output folder, the number of plates, the failed
    ones as (export, message), the errors of the shared settings: entries that applied to
    no plate (:func:`qpcr.validate.on_plate`), a line per entry left out on some of the
    plates (``settings_applied.csv`` holds every entry), and the plates whose analysis gave
    warnings with how many (``warnings.csv`` holds them)."""

    outdir: Path
    plates: int
    errors: tuple[tuple[str, str], ...]
    unmatched: tuple[str, ...] = ()
    partial: tuple[str, ...] = ()
    warned: tuple[tuple[str, int], ...] = ()

    @property
    def failed(self) -> int:
        """The number of plates that failed."""
        return len(self.errors)


def plates_of(
    exports: Sequence[str | Path] = (),
    manifest: str | Path | None = None,
    inputs: Sequence[str | Path] = (),
) -> list[Plate]:
    """The plates of a batch: the exports (a folder stands for every file in it, hidden files
    aside, in name order), or the rows of a manifest CSV.

    Parameters
    ----------
    exports
        Export files and folders of exports.
    manifest
        A CSV with a column ``export`` and optionally ``layout`` and ``config`` (blank: the
        shared ones), paths relative to the manifest's folder; any other column is carried
        into the outputs.
    inputs
        The batch's own input files (the shared layout and settings): never plates, though a
        folder of exports (or a shell pattern) holds them too.

    Returns
    -------
    list of Plate
        One per export; ``name`` is the file stem, or the path as given where two stems
        coincide.

    Raises
    ------
    InputError
        Both or neither of ``exports`` and ``manifest``, a missing file, an empty folder, or a
        manifest without an ``export`` column.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> root = Path(folder.name)
    >>> for name in ("b.txt", "a.txt", ".hidden"):
    ...     _ = (root / name).write_text("")
    >>> [plate.name for plate in plates_of([root])]
    ['a', 'b']
    >>> _ = (root / "layout.csv").write_text("well,sample,target\\n")
    >>> [plate.name for plate in plates_of([root], inputs=[root / "layout.csv"])]
    ['a', 'b']
    >>> text = "export,layout,operator\\na.txt,,ann\\nb.txt,a.txt,bo\\n"
    >>> _ = (root / "runs.csv").write_text(text)
    >>> for plate in plates_of(manifest=root / "runs.csv"):
    ...     print(plate.name, plate.layout and plate.layout.name, plate.extra)
    a None (('operator', 'ann'),)
    b a.txt (('operator', 'bo'),)
    >>> folder.cleanup()
    """
    if bool(exports) == (manifest is not None):
        raise InputError(
            "give the exports or a manifest, not both" if exports else "no export given",
            where="exports",
            hint="List exports or folders of exports, or pass --manifest runs.csv",
        )
    if manifest is not None:
        return _manifest_plates(Path(manifest))
    own = {Path(path).resolve() for path in inputs}
    files = [f for path in exports for f, real in _files(Path(path)) if real not in own]
    if not files:
        raise InputError(
            "no export left once the batch's layout and settings files are set aside; "
            "expected instrument exports",
            where=", ".join(map(str, exports)),
            hint="List the exports (or their folder), not the layout or settings",
        )
    stems = Counter(f.stem for f in files)
    return [Plate(f, f.stem if stems[f.stem] == 1 else str(f)) for f in files]


def _files(path: Path) -> list[tuple[Path, Path]]:
    """``path`` itself, or the files in the folder ``path``, each with its resolved path (the
    folder's resolved once: a file that is no link resolves to it and its name)."""
    if path.is_dir():
        folder = path.resolve()
        with os.scandir(path) as entries:
            files = sorted(
                (path / e.name, (path / e.name).resolve() if e.is_symlink() else folder / e.name)
                for e in entries
                if e.is_file() and not e.name.startswith(".")
            )
        if not files:
            raise InputError("the folder holds no file; expected exports", where=str(path))
        return files
    if not path.is_file():
        raise InputError("not found; expected an export file or a folder of exports",
                         where=str(path), hint="Check the path")  # fmt: skip
    return [(path, path.resolve())]


def _manifest_plates(manifest: Path) -> list[Plate]:
    """The plates listed in a manifest CSV (see :func:`plates_of`)."""
    rows = list(csv.reader(read_utf8(manifest, "manifest").splitlines()))
    header = [cell.strip() for cell in rows[0]] if rows else []
    if "export" not in header or len(set(header)) < len(header) or "" in header:
        raise InputError(
            f"columns {', '.join(header) or 'none'}; expected a column 'export' and distinct "
            "column names",
            where=str(manifest),
            hint="One row per export: export,layout,config and any columns to carry along",
        )
    base = manifest.parent
    plates = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(f"line {number} has {len(row)} cells; expected {len(header)}",
                             where=str(manifest))  # fmt: skip
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        if not cells["export"]:
            raise InputError(f"line {number} names no export; expected a file",
                             where=str(manifest))  # fmt: skip
        paths = {key: base / cells[key] if cells.get(key) else None for key in _MANIFEST_COLUMNS}
        for key, path in paths.items():
            if path is not None and not path.is_file():
                raise InputError(
                    f"line {number}: {key} {cells[key]} not found; expected a file",
                    where=str(manifest),
                    hint="Paths are relative to the manifest's folder",
                )
        extra = tuple((k, v) for k, v in cells.items() if k not in _MANIFEST_COLUMNS)
        export = paths["export"]
        assert export is not None  # checked above
        plates.append(Plate(export, "", paths["layout"], paths["config"], extra))
    if not plates:
        raise InputError("lists no export; expected one row per export", where=str(manifest))
    stems = Counter(p.export.stem for p in plates)
    return [
        Plate(p.export, s if stems[s] == 1 else str(p.export), p.layout, p.config, p.extra)
        for p, s in ((p, p.export.stem) for p in plates)
    ]


@dataclass(frozen=True)
class _Job:
    """What a worker needs for one plate: the plate, the shared layout and settings, and where
    to write its full report (None: no report)."""

    plate: Plate
    layout: Path | None
    config: AnalysisConfig | None
    overrides: tuple[tuple[str, Any], ...]
    origins: tuple[tuple[str, str], ...]
    report: Path | None
    tidy: bool = False
    #: The settings of a plate without its own (``config`` with the overrides, checked once
    #: for the batch: :func:`_settled`); None: worked out on the plate.
    settled: AnalysisConfig | None = None


@dataclass(frozen=True)
class _Outcome:
    """A plate's tables as CSV rows without the header, each with its header (columns), and
    (key, where, entry, applied here) for each entry of its per-target settings
    (:func:`_applied`); or its error."""

    name: str
    tables: dict[str, tuple[tuple[str, ...], str]]
    error: QpcrError | None = None
    applied: tuple[Applied, ...] = ()
    warnings: int = 0


def run_batch(
    exports: Sequence[str | Path] = (),
    out: str | Path = "qpcr_batch",
    *,
    layout: str | Path | None = None,
    config: str | Path | AnalysisConfig | None = None,
    overrides: Mapping[str, Any] | None = None,
    origins: Mapping[str, str] | None = None,
    manifest: str | Path | None = None,
    jobs: int | None = None,
    reports: bool = False,
    tidy: bool = False,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    describe: Callable[[QpcrError], str] = str,
) -> BatchResult:
    """Analyse each export on its own and gather the tables of all of them in ``out``.

    Parameters
    ----------
    exports
        Export files and folders of exports (see :func:`plates_of`).
    out
        The output folder: ``fold_changes.csv``, ``ratios.csv``, ``samples.csv``, ``qc.csv``
        and ``wells.csv``, each with the columns ``export`` (the plate: the export's file
        stem), the manifest's extra columns, then the table's own columns (a plate lacking a
        column another has leaves it blank); ``errors.csv`` (``export``, ``message``) lists
        the plates that failed, and (``export`` blank) each entry of the per-target settings
        that applied to none of the plates analysed.
    layout, config
        The layout and settings (file or :class:`~qpcr.config.AnalysisConfig`) of every
        plate, unless its manifest row names its own. Without settings, a filled template's
        Settings sheet, else the defaults.
    overrides
        Settings (name → typed value) set on top of every plate's settings.
    origins
        Where each override was given (setting → e.g. its command-line option), for messages
        (:meth:`~qpcr.config.AnalysisConfig.with_overrides`); an override it leaves out is
        named ``overrides`` (``overrides reference_genes``).
    manifest
        A CSV listing the plates instead of ``exports`` (see :func:`plates_of`).
    jobs
        Worker processes (default: the CPUs this process may use).
    reports
        Also write every plate's full results folder (:func:`qpcr.report.write_report`) to
        ``plates/<export stem>/``.
    tidy
        Also write ``results_long.csv``: every plate's quantities in the long form of
        :meth:`~qpcr.results.Results.to_long`, led by the same ``export`` and manifest columns.
    force
        Replace earlier batch results in ``out``.
    progress
        Called with (plates done, plates) after each plate.
    describe
        The text of a plate's error in ``errors.csv`` (the CLI names its options there).

    Returns
    -------
    BatchResult
        The folder, the number of plates, the plates' errors and the settings' errors.

    Raises
    ------
    InputError
        Unreadable inputs or settings, ``out`` holding earlier results without ``force`` or
        other files, two exports with one stem under ``reports``. A plate that cannot be
        analysed is not raised: it is listed in ``errors.csv``.

    Examples
    --------
    Two plates of the tidy T12 table of methods.md (fold change 4.702192) and one file that is
    no export:

    >>> import tempfile
    >>> import pandas as pd
    >>> from qpcr.config import from_mapping
    >>> folder = tempfile.TemporaryDirectory()
    >>> root = Path(folder.name)
    >>> rows = ["sample,target,cq,group"]
    >>> for sample, group, cq in [("c1", "ctrl", 25.0), ("c2", "ctrl", 25.3), ("c3", "ctrl", 24.8),
    ...                           ("t1", "drug", 22.8), ("t2", "drug", 23.1), ("t3", "drug", 22.5)]:
    ...     rows += [f"{sample},GAPDH,20.0,{group}", f"{sample},MYC,{cq},{group}"]
    >>> for name in ("run1.csv", "run2.csv"):
    ...     _ = (root / name).write_text("\\n".join(rows) + "\\n")
    >>> _ = (root / "notes.csv").write_text("nothing here\\n")
    >>> config = from_mapping({"reference_genes": ["GAPDH"], "control": {"group": "ctrl"}})
    >>> done = run_batch([root], root / "out", config=config, jobs=1)
    >>> done.plates, done.failed
    (3, 1)
    >>> fold = pd.read_csv(root / "out" / "fold_changes.csv")
    >>> print(fold[["export", "target", "fold_change"]].round(6).to_string(index=False))
    export target  fold_change
      run1    MYC     4.702192
      run2    MYC     4.702192
    >>> pd.read_csv(root / "out" / "errors.csv")["export"].tolist()
    ['notes']
    >>> folder.cleanup()
    """
    own = [path for path in (layout, config) if isinstance(path, (str, Path))]
    plates = plates_of(exports, manifest, inputs=own)
    if reports:
        _refuse_shared_stems(plates)
    shared = load_config(config) if isinstance(config, (str, Path)) else config
    if overrides:  # checked once here rather than on every plate
        from .validate import OVERRIDES

        origins = {name: (origins or {}).get(name, OVERRIDES) for name in overrides}
        (shared or AnalysisConfig()).with_overrides(origins, **overrides)
    if layout is not None and not Path(layout).is_file():
        raise InputError("not found; expected a layout file", where=str(layout))
    outdir = Path(out)
    errors: list[tuple[str, str]] = []
    seen: dict[tuple[str, str, str], Reach] = {}  # the entries, by source, setting and name
    warned: list[tuple[str, int]] = []
    with replace_folder(outdir, _OWNED, check=lambda path: _check_out(path, force)) as tmp:
        report_root = tmp / "plates" if reports else None
        given, at = tuple((overrides or {}).items()), tuple((origins or {}).items())
        settled = _settled(shared, given, at)
        todo = [_Job(p, Path(layout) if layout else None, shared, given, at,
                     report_root / p.name if report_root else None, tidy, settled)
                for p in plates]  # fmt: skip
        tables = (*BATCH_TABLES, MESSAGES_TABLE, *([LONG_TABLE] if tidy else []))
        # closing: the workers are stopped before the folder is removed, should this loop raise
        # (said outright, not left to when the interpreter frees the generator)
        with Spool(tmp, tables) as spool, closing(_outcomes(todo, jobs)) as outcomes:
            for done, outcome in enumerate(outcomes, start=1):
                if outcome.error is not None:
                    errors.append((outcome.name, describe(outcome.error)))
                    spool.error(*errors[-1])
                for key, where, entry, used in outcome.applied:
                    reach = seen.setdefault(key, Reach(where, entry))
                    reach.plates += 1
                    if not used:
                        reach.missed.append(outcome.name)
                for name, (columns, rows) in outcome.tables.items():
                    spool.add(name, columns, rows)
                if outcome.warnings:
                    warned.append((outcome.name, outcome.warnings))
                if progress is not None:
                    progress(done, len(todo))
            unmatched = [describe(e) for e in unmatched_entries(seen.values())]
            for message in unmatched:
                spool.error("", message)
        write_reach(tmp / "settings_applied.csv", seen.values())
    partial = tuple(partial_entries(seen.values()))
    return BatchResult(outdir, len(plates), tuple(errors), tuple(unmatched), partial, tuple(warned))


def _refuse_shared_stems(plates: Sequence[Plate]) -> None:
    """Refuse two exports whose reports would share a folder name."""
    shared = sorted({p.name for p in plates if p.name != p.export.stem})
    if shared:
        raise InputError(
            f"two exports share a file name ({shared[0]}); expected one folder name per "
            "plate under plates/",
            where="reports",
            hint="Rename one of the exports, or leave out the full reports",
        )


def _check_out(outdir: Path, force: bool) -> None:
    """Refuse to replace earlier batch results unless ``force``."""
    existing = [name for name in (*BATCH_FILES, "plates") if (outdir / name).exists()]
    if existing and not force:
        raise InputError(
            f"already holds results ({', '.join(existing[:3])}"
            + (", ..." if len(existing) > 3 else "") + ")",
            where=str(outdir),
            hint="Choose another --out folder, or pass --force to replace them",
        )  # fmt: skip


def _cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _outcomes(todo: Sequence[_Job], jobs: int | None) -> Generator[_Outcome, None, None]:
    """Each plate's outcome, in the order of ``todo``; ``jobs`` worker processes (one: in this
    process; forked workers: after this process has analysed the first plate, whose imports
    and layout work (:mod:`qpcr.kept`) they inherit; :func:`qpcr.batch_workers.in_workers`).

    The first plate is analysed here too where the collector is paused (the command line):
    what exists then (the imports, the layout work) lasts the batch, and is frozen
    (:func:`gc.freeze`) so that the passes between plates (:func:`_analyse_all`) leave it
    out; without that, the first pass walked it all (22 ms).
    """
    if jobs is not None and jobs < 1:
        raise InputError(f"{jobs} jobs; expected at least 1", where="jobs")
    jobs = min(jobs or _cpus(), len(todo))
    fork = sys.platform.startswith("linux") and jobs > 1
    frozen = bool(todo) and (fork or (jobs <= 1 and not gc.isenabled()))
    if frozen:
        yield _analyse(todo[0])
        todo = todo[1:]
        jobs = min(jobs, len(todo))
        gc.freeze()
    try:
        if jobs <= 1:
            for job in todo:
                yield from _analyse_all((job,))
            return
        from .batch_workers import in_workers

        yield from in_workers(_analyse_all, todo, jobs, fork)
    finally:
        if frozen:
            gc.unfreeze()


@functools.lru_cache(maxsize=32)
def _settings(path: Path) -> AnalysisConfig:
    """A manifest row's settings file, read once per worker."""
    return load_config(path)


#: Container objects the plates may leave behind (the count of the collector's youngest
#: generation) before a pass between two plates (:func:`_analyse_all`).
_LEFT = 10_000


def _analyse_all(jobs: Sequence[_Job]) -> list[_Outcome]:
    """Analyse a run of plates (:func:`qpcr.batch_workers.runs`), in order.

    Where the collector is paused (a worker; the command line's batch process), it runs
    between two plates once they have left :data:`_LEFT` container objects, rather than
    every 700 objects during a plate: a plate to tables leaves no cycles (its passes, about
    0.3 ms of a 20 ms plate, freed nothing), while the figures of ``reports`` and a failed
    plate's traceback do.
    """
    outcomes = []
    for job in jobs:
        outcomes.append(_analyse(job))
        if not gc.isenabled() and gc.get_count()[0] > _LEFT:
            gc.collect()
    return outcomes


def _analyse(job: _Job) -> _Outcome:
    """Analyse one plate (in a worker): its tables as CSV text, or its error."""
    plate = job.plate
    try:
        tables, applied, warnings = _tables(job)
        return _Outcome(plate.name, tables, applied=applied, warnings=warnings)
    except QpcrError as exc:  # sent back as the base class: a subclass may not pickle
        error = QpcrError(exc.message, exc.where, exc.hint)
    except Exception as exc:  # a bug on one plate must not lose the others
        error = QpcrError(f"internal error, please report it: {exc!r}", str(plate.export))
    return _Outcome(plate.name, {}, error)


def _own(job: _Job) -> AnalysisConfig:
    """A plate's settings: its manifest row's, the batch's or its template's, with the
    overrides (:func:`qpcr.template.settings_for`)."""
    from .template import settings_for

    plate = job.plate
    given = _settings(plate.config) if plate.config else job.config
    config = settings_for([plate.export], given)
    config = config.with_overrides(dict(job.origins), **dict(job.overrides))
    # Settings every plate shares (the batch's settings file, the options) apply to the plates
    # with their targets; a plate's own settings (its manifest row's, its template's) are
    # checked as `qpcr analyze` checks them.
    shared = (plate.config is None and job.config is not None) or bool(job.overrides)
    return replace(config, shared=shared)


def _settled(
    config: AnalysisConfig | None,
    overrides: tuple[tuple[str, Any], ...],
    origins: tuple[tuple[str, str], ...],
) -> AnalysisConfig | None:
    """What :func:`_own` gives every plate without settings of its own when the batch has
    settings (``config``): worked out once rather than on every plate. None without them
    (each plate's come from its template) or where they fail their check (each plate
    reports it, as it did)."""
    if config is None:
        return None
    try:
        return replace(config.with_overrides(dict(origins), **dict(overrides)), shared=True)
    except QpcrError:
        return None


def _tables(
    job: _Job,
) -> tuple[dict[str, tuple[tuple[str, ...], str]], tuple[Applied, ...], int]:
    """The analysis of one plate: the batch tables, led by the plate's columns, as CSV rows
    with their header (its warnings and notes among them), which per-target entries of the
    settings applied (:func:`_applied`) and how many warnings the analysis gave; the full
    report written when asked."""
    import pandas as pd

    from .pipeline import analyze
    from .report.safe import csv_rows
    from .report.tables import result_columns

    plate = job.plate
    config = job.settled if plate.config is None and job.settled is not None else _own(job)
    results = analyze([plate.export], layout=plate.layout or job.layout, config=config)
    if job.report is not None:
        from .report import write_report

        write_report(results, job.report, tidy=job.tidy)
    lead = (("export", plate.name), *plate.extra)
    tables: dict[str, Any] = result_columns(results, BATCH_TABLES)
    kinds = ["warning"] * len(results.warnings) + ["note"] * len(results.notes)
    tables[MESSAGES_TABLE] = {
        "kind": pd.Series(kinds, dtype=object),
        "message": pd.Series([*results.warnings, *results.notes], dtype=object),
    }
    if job.tidy:
        tables[LONG_TABLE] = results.to_long()
    out = {}
    for name, table in tables.items():
        clash = [key for key, _ in plate.extra if key in table]
        if clash:
            raise InputError(
                f"the manifest column {clash[0]} is also a column of {name}.csv; expected "
                "other names for the columns carried along",
                where=str(plate.export),
                hint="Rename that manifest column",
            )
        out[name] = csv_rows(table, lead)
    return out, applied_entries(config, results.config), len(results.warnings)
