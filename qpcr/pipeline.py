"""The whole analysis: exports (+ layout + settings) in, result tables out. No printing, no files
written (see :mod:`qpcr.report`).

:func:`analyze` composes the public steps, each usable on its own (see docs/internals.md):
:func:`read_wells` → :func:`quality` → :func:`quantify` →
:func:`compare` → :func:`adjust` (the last four in :mod:`qpcr.stages`) →
:func:`qpcr.labels.labelled` (the ``comparison`` column).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .calibrator import calibrator_sample
from .config import AnalysisConfig
from .errors import ExportParseError, InputError
from .io import read_run
from .io.registry import Export, RunInfo
from .labels import labelled
from .layout import join_layout, load_layout
from .lowcopy import unused_warnings
from .results import InputFile, Results
from .schema.wells import text_cells, unknown_rows
from .stages.comparisons import Compared, adjust, compare
from .stages.quality import Checked, quality
from .stages.quantify import Quantified, quantify
from .template import settings_for
from .validate import check_names, on_plate

if TYPE_CHECKING:
    from .calling import CurveCalls

__all__ = [
    "Checked",
    "Compared",
    "InputFile",
    "Quantified",
    "Results",
    "Wells",
    "adjust",
    "analyze",
    "compare",
    "quality",
    "quantify",
    "read_wells",
]


@dataclass(frozen=True)
class Wells:
    """What :func:`read_wells` returns: the wells table, the runs read and the input files
    (with their SHA-256), and the warnings of the layout join and the name checks;
    ``curves`` (the tidy curves table, :func:`qpcr.read_curves`) and ``curve_calls`` when
    Cq or efficiencies were called from raw curves (``cq_source``, ``efficiency_source``);
    ``settings`` as they apply to these plates and their ``notes`` (settings shared by a
    batch leave out what names an absent target, :func:`qpcr.validate.on_plate`)."""

    table: pd.DataFrame
    runs: tuple[RunInfo, ...]
    inputs: tuple[InputFile, ...]
    warnings: tuple[str, ...] = ()
    curves: pd.DataFrame | None = None
    curve_calls: CurveCalls | None = None
    settings: AnalysisConfig | None = None
    notes: tuple[str, ...] = ()


#: The methods ``cq_source`` names that call Cq from the curves (``auto`` calls with linreg).
CURVE_METHODS = ("linreg", "cpd2")


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: An export: a file, or a tidy wells table given as a DataFrame.
ExportInput = str | Path | pd.DataFrame


def frame_name(index: int) -> str:
    """The name of the ``index``-th (0-based) input given as a DataFrame: ``DataFrame 1``..."""
    return f"DataFrame {index + 1}"


def plate_names(exports: Sequence[ExportInput]) -> list[str]:
    """Each export's plate name: its file stem, or its path when two stems coincide; an export
    given as a DataFrame is ``DataFrame <n>`` (its place among the exports)."""
    stems = [frame_name(i) if isinstance(p, pd.DataFrame) else Path(p).stem
             for i, p in enumerate(exports)]  # fmt: skip
    return [s if stems.count(s) == 1 else str(p) for p, s in zip(exports, stems, strict=True)]


def _load_layouts(
    layout: str | Path | pd.DataFrame | Sequence[str | Path],
    exports: Sequence[ExportInput],
    runs: Sequence[RunInfo],
    decimal: str | None = None,
) -> tuple[pd.DataFrame, str, list[Path]]:
    """One layout (file or DataFrame), or one layout file per plate paired with the exports
    (:func:`qpcr.plates.match_layouts`) and stacked with a ``plate`` column; ``decimal``: the
    decimal mark of the layout files (None: detected)."""
    if isinstance(layout, pd.DataFrame):
        return layout, "layout", []
    files = [Path(layout)] if isinstance(layout, (str, Path)) else [Path(p) for p in layout]
    size = next((r.plate_size for r in runs if r.plate_size), None)
    if len(files) == 1:
        return load_layout(files[0], plate=size, decimal=decimal), str(files[0]), files
    from .plates import match_layouts, stack_layouts

    paths = [e for e in exports if not isinstance(e, pd.DataFrame)]
    if len(paths) < len(exports):
        raise InputError(
            f"{len(files)} layout files with wells given as a DataFrame; expected one layout",
            where="layout",
            hint="Layout files are paired with export files by name; give one layout (a file "
            "or a DataFrame with a plate column)",
        )
    names = dict(zip(map(str, paths), plate_names(paths), strict=True))
    pairs = match_layouts([Path(e) for e in paths], files)
    layouts = {names[str(e)]: load_layout(f, plate=size, decimal=decimal) for e, f in pairs}
    stacked = stack_layouts(layouts)
    return stacked, ", ".join(f"{f} (plate {names[str(e)]})" for e, f in pairs), files


def read_exports(
    exports: Sequence[ExportInput],
    format: str | None = None,
    decimal: str | None = None,
    run: Sequence[str] = (),
    cq_source: str = "instrument",
) -> tuple[pd.DataFrame, list[RunInfo], list[InputFile], pd.DataFrame, list[str]]:
    """Read and stack several exports; each gets a ``plate`` (its file stem unless the export
    names plates) and a ``source`` column. ``decimal``: the decimal mark of text exports
    (None: detected); ``run`` picks runs of multi-run files (:func:`qpcr.io.read_run`). A
    DataFrame is read as a tidy table (:func:`qpcr.io.tidy.read_frame`); its SHA-256 is that
    of its CSV text.

    The curves an export carries (amplification, melt) are read too. ``cq_source``
    ``instrument`` refuses a run without any Cq value; ``linreg`` and ``cpd2`` call every
    run's Cq from its amplification curves; ``auto`` those of the runs without any Cq (a
    raw-curve export). Returns the wells, runs and input files, the tidy curves table and the
    plates whose Cq is to be called from it."""
    frames, runs, inputs, curves, called = [], [], [], [], []
    for i, (path, stem) in enumerate(zip(exports, plate_names(exports), strict=True)):
        if isinstance(path, pd.DataFrame):
            from .io.tidy import read_frame

            export = read_frame(path, frame_name(i), decimal)
            name, digest, curve = frame_name(i), _frame_sha256(path), None
        else:
            export, curve = _read_file(Path(path), stem, (format, decimal, run), cq_source)
            name, digest = str(path), sha256(path)
        wells = export.wells.copy(deep=False)  # copy on write: the export's stays as read
        if "plate" not in wells or wells["plate"].eq("").all():
            wells["plate"] = stem
        if wells["plate"].dtype != "str":  # pandas' text already: astype(str) would copy it
            wells["plate"] = wells["plate"].astype(str)
        mine = _plates_to_call(wells, curve, cq_source)
        called += mine
        kept = wells[~wells["plate"].isin(mine)] if mine else wells
        if len(kept):
            _refuse_runs_without_cq(kept, name)
        wells["source"] = Path(name).name
        frames.append(wells)
        curves += [] if curve is None else [curve]
        runs.append(export.info)
        inputs.append(InputFile(name, digest, "export", export.info.format, export.info.instrument))
    stacked = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    return _stack(frames), runs, inputs, stacked, called


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames one under the other, numbered from 0 (``pd.concat(frames,
    ignore_index=True)``); one frame already numbered so is that frame."""
    index = frames[0].index
    if (
        len(frames) == 1
        and isinstance(index, pd.RangeIndex)
        and (index.start, index.step, index.name) == (0, 1, None)
    ):
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def _melt_tables(wells: Wells) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The melt table of the exports' melt curves, labelled by the wells, and their −dF/dT
    (:func:`qpcr.melt.melt_analysis`); None, None without melt curves."""
    if wells.curves is None or not wells.curves["kind"].eq("melt").any():
        return None, None
    from .melt import melt_analysis

    return melt_analysis(wells.curves, wells.table)


def _plates_to_call(wells: pd.DataFrame, curves: pd.DataFrame | None, cq_source: str) -> list[str]:
    """The plates (runs) of an export whose Cq is to be called from its curves: every plate
    with curves under ``linreg``/``cpd2``, those without any Cq under ``auto``."""
    if curves is None or cq_source not in (*CURVE_METHODS, "auto"):
        return []
    if cq_source == "auto":
        without = _without_cq(wells)
        bare = set(without[without].index)
    else:
        bare = set(wells["plate"])
    amplified = curves.loc[curves["kind"].eq("amplification"), "plate"].astype(str)
    return [p for p in dict.fromkeys(amplified) if p in bare]


def _without_cq(wells: pd.DataFrame) -> pd.Series:
    """Per plate of a wells table with a text ``plate`` column, in order of appearance: whether
    none of its wells has a Cq (every ``cq_status`` ``missing``)."""
    return wells["cq_status"].eq("missing").groupby(wells["plate"], sort=False).all()


def _read_file(
    path: Path, stem: str, how: tuple[str | None, str | None, Sequence[str]], cq_source: str
) -> tuple[Export, pd.DataFrame | None]:
    """An export file and the curves it carries (the tidy curves table; None when it has
    none). ``how``: the format, decimal mark and runs. A raw-curve export, which
    :func:`qpcr.io.read_run` refuses as holding no Cq, is read as its curves with one well
    per curve (:func:`qpcr.calling.wells.curve_wells`) unless ``cq_source`` is
    ``instrument``."""
    format, decimal, run = how
    try:
        export = read_run(path, format, decimal, run=run)  # a filled template too
    except ExportParseError as refusal:
        if cq_source == "instrument":
            raise
        from .io.curves import raw_curves_of

        curves = raw_curves_of(path, refusal, format, decimal, run, plate=stem)
        from .calling.wells import curve_wells

        info = RunInfo(path=str(path), format="curves", extra={"curves": True})
        return Export(curve_wells(curves), info), curves
    if not any(len(table) for table in export.tables.values()):
        return export, None  # no curves: their readers are not imported
    from .io.curves import export_curves

    curves = export_curves(export, stem)
    return export, curves if len(curves) else None


def _frame_sha256(frame: pd.DataFrame) -> str:
    """Hex SHA-256 of a DataFrame's CSV text (what it would be as a file)."""
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def _refuse_runs_without_cq(wells: pd.DataFrame, path: str) -> None:
    """Refuse an export's wells (with a text ``plate`` column) holding a run whose Cq was never
    called (every ``cq_status`` of the run or plate ``missing``; some wells without Cq, as in a
    partly filled template, pass)."""
    statuses = text_cells(wells["cq_status"])
    if statuses is not None and not (statuses == "missing").any():
        return  # every run has a Cq
    without_cq = _without_cq(wells)
    bare = [str(p) for p, none in without_cq.items() if none]
    if not bare:
        return
    called = [str(p) for p, none in without_cq.items() if not none]
    named = ", ".join(bare[:5]) + (f" ... ({len(bare)} runs)" if len(bare) > 5 else "")
    if not called:
        raise InputError(
            f"no Cq in the file for run {named}; call Cq in the instrument software first",
            where=str(path),
            hint="qpcr reads Cq values; it does not call them from the curves",
        )
    raise InputError(
        f"no Cq in the file for run {named}; call Cq in the instrument software first, or "
        "pick runs with run=...",
        where=str(path),
        hint=f"Runs with Cq: {', '.join(called)}",
    )


def analyze(
    exports: Sequence[ExportInput],
    layout: str | Path | pd.DataFrame | Sequence[str | Path] | None = None,
    config: AnalysisConfig | None = None,
    format: str | None = None,
) -> Results:
    r"""Run the analysis: read, join the layout, QC, quantify, compare, adjust.

    Parameters
    ----------
    exports
        Instrument exports (any supported format, detected from content), tidy tables (files
        or DataFrames) or filled bench-scientist templates (:mod:`qpcr.template`, layout
        already joined).
    layout
        Plate layout file (long or grid, see :mod:`qpcr.layout`) or a layout DataFrame; not
        needed when the exports carry sample and factor columns themselves.
    config
        Analysis settings; ``reference_genes`` and ``control`` are required for fold changes.
        Without it, a template's Settings sheet is used.
    format
        Force a reader by name instead of detecting it.

    Returns
    -------
    Results
        Every table; ``config`` is the settings as given, ``efficiency`` and
        ``reference_genes`` the values used.

    Examples
    --------
    T12 in methods.md as a tidy table (GAPDH at 20.0 throughout, so ΔCq control
    {5.0, 5.3, 4.8}, treated {2.8, 3.1, 2.5}): fold change 4.702192, 95 % CI
    [3.027407, 7.303481], Welch p 0.000682:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from qpcr.config import from_mapping
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> rows = ["sample,target,cq,group"]
    >>> for sample, group, cq in [("c1", "ctrl", 25.0), ("c2", "ctrl", 25.3), ("c3", "ctrl", 24.8),
    ...                           ("t1", "drug", 22.8), ("t2", "drug", 23.1), ("t3", "drug", 22.5)]:
    ...     rows += [f"{sample},GAPDH,20.0,{group}", f"{sample},MYC,{cq},{group}"]
    >>> _ = path.write_text("\n".join(rows) + "\n")
    >>> config = from_mapping({"reference_genes": ["GAPDH"], "control": {"group": "ctrl"}})
    >>> results = analyze([path], config=config)
    >>> results.factors, results.targets
    (('group',), ('GAPDH', 'MYC'))
    >>> columns = ["target", "fold_change", "ci_low", "ci_high", "p_value", "test"]
    >>> print(results.fold_changes[columns].round(6).to_string(index=False))
    target  fold_change   ci_low  ci_high  p_value  test
       MYC     4.702192 3.027407 7.303481 0.000682 welch
    >>> folder.cleanup()
    """
    files = [e for e in exports if not isinstance(e, pd.DataFrame)]
    config = settings_for(files, config)
    wells = read_wells(exports, layout, config, format)
    config = wells.settings or config
    calls, (melt, derivative) = wells.curve_calls, _melt_tables(wells)
    found = quantify(quality(wells.table, config, melt=melt), config,
                     None if calls is None else calls.amplicons)  # fmt: skip
    if calls is not None:
        found = replace(found, qc=pd.concat([found.qc, calls.events], ignore_index=True),
                        tables={**found.tables, "curves": calls.table})  # fmt: skip
    if melt is not None:
        from .melt import melt_qc_events
        from .qc import event_table

        events = event_table(melt_qc_events(melt).to_dict("records"))
        found = replace(found, qc=pd.concat([found.qc, events], ignore_index=True),
                        tables={**found.tables, "melt": melt})  # fmt: skip
    results = Results(
        wells=found.wells, replicates=found.replicates, samples=found.samples,
        fold_changes=pd.DataFrame(), ratios=pd.DataFrame(), ratio_samples=pd.DataFrame(),
        qc=found.qc, config=config, factors=found.factors, targets=found.targets,
        inputs=wells.inputs, runs=wells.runs, warnings=(*wells.warnings, *found.warnings),
        tables=found.tables, notes=(*wells.notes, *found.notes), efficiency=found.efficiency,
        reference_genes=found.reference_genes, curve_calls=calls, curves=wells.curves,
        melt_derivative=derivative,
    )  # fmt: skip
    if not found.comparable:
        return results
    compared = compare(found.samples, config, factors=found.factors,
                       reference_genes=found.reference_genes, qc=found.qc)  # fmt: skip
    return labelled(adjust(replace(
        results, fold_changes=compared.fold_changes, ratios=compared.ratios,
        ratio_samples=compared.ratio_samples, tables={**found.tables, **compared.tables},
        groups=compared.groups,
    )))  # fmt: skip


def read_wells(
    exports: Sequence[ExportInput],
    layouts: str | Path | pd.DataFrame | Sequence[str | Path] | None = None,
    settings: AnalysisConfig | None = None,
    format: str | None = None,
) -> Wells:
    """Read the exports and join the plate layout(s): one row per well.

    Parameters
    ----------
    exports
        Instrument exports (any supported format), tidy tables or filled templates.
    layouts
        One layout (file or DataFrame), or one layout file per export (paired by name).
    settings
        ``aliases`` (target names mapped), ``sample_names``, ``decimal``, ``control`` and
        ``replicate`` (blank sample names built from them) are read, and the names the
        settings give are checked against the table (:func:`qpcr.validate.check_names`).
    format
        Force a reader by name instead of detecting it.

    Returns
    -------
    Wells
        ``table``: the export's columns (``plate``, ``well``, ``sample``, ``target``,
        ``sample_type``, ``cq``, ``cq_status``, …) plus ``source`` (the export's file
        name) and the layout's columns (the design factors, ``in_layout``); ``runs``,
        ``inputs`` (files with SHA-256) and ``warnings``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from qpcr.config import from_mapping
    >>> folder = tempfile.TemporaryDirectory()
    >>> export = Path(folder.name) / "run.csv"
    >>> _ = export.write_text("well,sample,target,cq\\nA1,n1,gapdh,18.0\\nA2,n1,MYC,25.0\\n")
    >>> layout = pd.DataFrame({"well": ["A1", "A2"], "oxygen": ["normoxia", "normoxia"]})
    >>> settings = from_mapping({"aliases": {"gapdh": "GAPDH"}})
    >>> wells = read_wells([export], layout, settings)
    >>> wells.table[["plate", "well", "sample", "target", "cq", "oxygen", "source"]]
      plate well sample target    cq    oxygen   source
    0   run   A1     n1  GAPDH  18.0  normoxia  run.csv
    1   run   A2     n1    MYC  25.0  normoxia  run.csv
    >>> [(i.role, i.format) for i in wells.inputs]
    [('export', 'tidy')]
    >>> folder.cleanup()
    """
    settings = settings or AnalysisConfig()
    if not exports:
        raise InputError("no export given", where="analyze", hint="Pass at least one export file")
    wells, runs, inputs, curves, called = read_exports(
        exports, format, settings.decimal, settings.run, settings.cq_source
    )
    exported_targets = _names_as_text(wells["target"])
    warnings: list[str] = []
    aliases = settings.aliases
    if layouts is not None:
        lay, where, files = _load_layouts(layouts, exports, runs, settings.decimal)
        inputs += [InputFile(str(f), sha256(f), "layout") for f in files]
        if "target" in lay and aliases:
            lay = lay.assign(target=lay["target"].replace(aliases))
        if aliases:
            wells = wells.assign(target=wells["target"].replace(aliases))
        wells, messages = join_layout(wells, lay, where, settings.sample_names)
        warnings += messages
    elif aliases:
        wells = wells.assign(target=wells["target"].replace(aliases))
    _refuse_what_a_layout_must_give(wells, runs, layouts is not None)
    settings, notes = on_plate(wells, settings)
    warnings += check_names(wells, settings, exported_targets) + unused_warnings(settings)
    if settings.source and Path(settings.source).is_file():
        inputs.append(InputFile(settings.source, sha256(settings.source), "settings"))
    wells = _fill_from_export(wells, "quantity")
    factors = [] if calibrator_sample(settings) else list(settings.control)
    wells = _fill_samples(wells, factors, settings.replicate)
    amplified = not curves.empty and bool(curves["kind"].eq("amplification").any())
    if not amplified:
        _refuse_curves_missing(settings, inputs)
    if curves.empty:
        return Wells(wells, tuple(runs), tuple(inputs), tuple(warnings), settings=settings,
                     notes=tuple(notes))  # fmt: skip
    from .calling.wells import call_wells, named_curves

    curves = named_curves(curves.assign(target=curves["target"].replace(aliases)), wells)
    calls = None
    if amplified and (called or settings.efficiency_source == "curves"):
        method = settings.cq_source if settings.cq_source in CURVE_METHODS else "linreg"
        wells, calls = call_wells(wells, curves, method, called)
    return Wells(wells, tuple(runs), tuple(inputs), tuple(warnings), curves, calls, settings,
                 tuple(notes))  # fmt: skip


def _names_as_text(column: pd.Series) -> set[str]:
    """The distinct cells of ``column`` as ``astype(str)`` gives them (not a Series cell by
    cell); a column of pandas' text is that already."""
    return set((column if column.dtype == "str" else column.astype(str)).tolist())


def _refuse_curves_missing(settings: AnalysisConfig, inputs: Sequence[InputFile]) -> None:
    """Refuse ``cq_source`` linreg/cpd2 or ``efficiency_source`` curves on exports without
    amplification curves."""
    wanted = (f"cq_source = '{settings.cq_source}'" if settings.cq_source in CURVE_METHODS
              else "efficiency_source = 'curves'" if settings.efficiency_source == "curves"
              else "")  # fmt: skip
    if wanted:
        raise InputError(
            f"{wanted} needs raw amplification curves, and the exports hold none",
            where=", ".join(i.path for i in inputs if i.role == "export") or "exports",
            hint="Give the export with amplification data (RDML with <adp>, the CFX "
            "'Quantification Amplification Results' file, the LightCycler raw-data text), or "
            "set cq_source = 'instrument' and efficiency_source = 'standard_curve'",
        )


def _refuse_what_a_layout_must_give(
    wells: pd.DataFrame, runs: Sequence[RunInfo], with_layout: bool
) -> None:
    """Refuse wells without a target name (an export that names none, and no layout target for
    the well) and, without a layout, a genotyping run (it has no ΔΔCq design)."""
    unnamed = _blank(wells["target"])
    if with_layout and "in_layout" in wells:
        unnamed &= wells["in_layout"].to_numpy(dtype=bool)
    if unnamed.any():
        named = wells.loc[unnamed, "well"].astype(str).tolist()
        shown = ", ".join(named[:8]) + (f" ... ({len(named)} wells)" if len(named) > 8 else "")
        raise InputError(
            f"no target name for well(s) {shown}: the export names no targets (a Design & "
            "Analysis Primary Analysis export holds wells, dyes and Cq only); expected "
            + ("a target for these wells in the layout" if with_layout else "a layout naming "
               "the sample and target of each well"),
            where=str(wells.loc[unnamed, "source"].iloc[0]) if "source" in wells else "export",
            hint="Give a layout with well, sample and target columns (--layout FILE; "
            "'qpcr template' writes one)",
        )  # fmt: skip
    genotyping = [run for run in runs if run.experiment == "genotyping"]
    if genotyping and not with_layout:
        raise InputError(
            "a genotyping run (allele Cts and genotype calls) has no ΔΔCq design; expected a "
            "layout that gives one (design factors, and reference genes among its targets)",
            where=genotyping[0].path,
            hint="See the wells and calls with 'qpcr inspect FILE'; to compare allele Cqs "
            "between groups, give --layout with the groups and set reference_genes",
        )


def _blank(column: pd.Series) -> np.ndarray:
    """Which cells are missing or blank (``fillna("").astype(str).str.strip().eq("")``): a
    column of text only is looked at once per distinct value."""
    values = text_cells(column)
    if values is None:
        return column.fillna("").astype(str).str.strip().eq("").to_numpy(dtype=bool)
    if all(v.strip() for v in set(values.tolist())):
        return np.zeros(len(values), dtype=bool)
    codes, distinct = pd.factorize(values)
    return np.array([not v.strip() for v in distinct], dtype=bool)[codes]


def _fill_from_export(wells: pd.DataFrame, column: str) -> pd.DataFrame:
    """Where the layout leaves ``column`` empty, keep the export's value (``<column>_export``)."""
    exported = f"{column}_export"
    if exported not in wells:
        return wells
    wells = wells.copy()
    wells[column] = pd.to_numeric(wells[column], errors="coerce").fillna(wells[exported])
    return wells.drop(columns=exported)


def _fill_samples(wells: pd.DataFrame, factors: list[str], replicate: str | None) -> pd.DataFrame:
    """Build missing sample names of unknowns from factor levels and the replicate (a new
    table; a text ``sample`` column without missing names is kept as it is)."""
    if "sample" not in wells:
        wells = wells.assign(sample="")
    column = wells["sample"]
    if column.dtype == "str" and not column.hasnans:
        wells = wells.copy(deep=False)  # copy on write: the caller's table stays as it is
    elif text_cells(column) is not None:  # text in every cell: none to fill
        wells = wells.assign(sample=column.astype(str))
    else:
        wells = wells.assign(sample=column.fillna("").astype(str))
    unknown = unknown_rows(wells)  # None: no sample types, every row an unknown
    blank = wells["sample"].to_numpy() == ""
    if unknown is not None:
        blank &= unknown
    if blank.any():
        parts = [*factors, *([replicate] if replicate else [])]
        wells.loc[blank, "sample"] = wells.loc[blank, parts].astype(str).agg(" ".join, axis=1)
    return wells
