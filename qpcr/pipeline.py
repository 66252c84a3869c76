"""The whole analysis: exports (+ layout + settings) in, result tables out. No printing, no files
written (see :mod:`qpcr.report`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .calibrator import CALIBRATOR_NOTE, calibrator_sample, relative_to_calibrator
from .compare import compare_groups, group_label, group_order, group_summary
from .config import AnalysisConfig
from .curves import efficiency_checks
from .errors import ConfigError, InputError, MissingControlError
from .factorial import factorial_tables
from .io import read_run
from .io.registry import RunInfo
from .layout import join_layout, load_layout, renamed_samples
from .plates import plate_strategy
from .qc import apply_qc, event_table
from .quant import normalise, ratio_table, summarise_replicates
from .schema import columns_of
from .stats import adjust_pvalues
from .template import template_config
from .validate import NOT_FACTORS, check_names

__all__ = ["Results", "analyze"]


@dataclass(frozen=True)
class InputFile:
    """An input file with its SHA-256 and what was read from it."""

    path: str
    sha256: str
    role: str
    format: str = ""
    instrument: str | None = None


@dataclass(frozen=True)
class Results:
    """Every table of an analysis (the CLI writes each to a file)."""

    wells: pd.DataFrame
    replicates: pd.DataFrame
    samples: pd.DataFrame
    fold_changes: pd.DataFrame
    ratios: pd.DataFrame
    ratio_samples: pd.DataFrame
    qc: pd.DataFrame
    config: AnalysisConfig
    factors: tuple[str, ...]
    targets: tuple[str, ...]
    inputs: tuple[InputFile, ...]
    runs: tuple[RunInfo, ...]
    warnings: tuple[str, ...] = ()
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plate_names(exports: Sequence[str | Path]) -> list[str]:
    """Each export's plate name: its file stem, or its path when two stems coincide."""
    stems = [Path(p).stem for p in exports]
    return [s if stems.count(s) == 1 else str(p) for p, s in zip(exports, stems, strict=True)]


def _load_layouts(
    layout: str | Path | pd.DataFrame | Sequence[str | Path],
    exports: Sequence[str | Path],
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

    names = dict(zip(map(str, exports), plate_names(exports), strict=True))
    pairs = match_layouts([Path(e) for e in exports], files)
    layouts = {names[str(e)]: load_layout(f, plate=size, decimal=decimal) for e, f in pairs}
    stacked = stack_layouts(layouts)
    return stacked, ", ".join(f"{f} (plate {names[str(e)]})" for e, f in pairs), files


def read_exports(
    exports: Sequence[str | Path], format: str | None = None, decimal: str | None = None
) -> tuple[pd.DataFrame, list[RunInfo], list[InputFile]]:
    """Read and stack several exports; each gets a ``plate`` (its file stem unless the export
    names plates) and a ``source`` column. ``decimal``: the decimal mark of text exports
    (None: detected)."""
    frames, runs, inputs = [], [], []
    for path, stem in zip(exports, plate_names(exports), strict=True):
        export = read_run(path, format, decimal)  # a filled template too (format 'template')
        wells = export.wells.copy()
        if "plate" not in wells or wells["plate"].eq("").all():
            wells["plate"] = stem
        wells["source"] = Path(path).name
        frames.append(wells)
        runs.append(export.info)
        inputs.append(
            InputFile(str(path), sha256(path), "export", export.info.format, export.info.instrument)
        )
    return pd.concat(frames, ignore_index=True), runs, inputs


def analyze(
    exports: Sequence[str | Path],
    layout: str | Path | pd.DataFrame | None = None,
    config: AnalysisConfig | None = None,
    format: str | None = None,
) -> Results:
    """Run the analysis: read, join the layout, QC, quantify, compare, adjust.

    Parameters
    ----------
    exports
        Instrument exports (any supported format, detected from content), tidy tables or
        filled bench-scientist templates (:mod:`qpcr.template`, layout already joined).
    layout
        Plate layout file (long or grid, see :mod:`qpcr.layout`) or a layout DataFrame; not
        needed when the exports carry sample and factor columns themselves.
    config
        Analysis settings; ``reference_genes`` and ``control`` are required for fold changes.
        Without it, a template's Settings sheet is used.
    format
        Force a reader by name instead of detecting it.
    """
    config = config or template_config(exports) or AnalysisConfig()
    if not exports:
        raise InputError("no export given", where="analyze", hint="Pass at least one export file")
    wells, runs, inputs = read_exports(exports, format, config.decimal)
    exported_targets = set(wells["target"].astype(str))
    warnings: list[str] = []
    notes: list[str] = []
    if layout is not None:
        lay, where, files = _load_layouts(layout, exports, runs, config.decimal)
        inputs += [InputFile(str(f), sha256(f), "layout") for f in files]
        if "target" in lay and config.aliases:
            lay = lay.assign(target=lay["target"].replace(config.aliases))
        wells = wells.assign(target=wells["target"].replace(config.aliases))
        wells, messages = join_layout(wells, lay, where, config.sample_names)
        warnings += messages
    else:
        wells = wells.assign(target=wells["target"].replace(config.aliases))
    warnings += check_names(wells, config, exported_targets)
    if config.source and Path(config.source).is_file():
        inputs.append(InputFile(config.source, sha256(config.source), "settings"))

    wells = _fill_from_export(wells, "quantity")
    quantity = pd.to_numeric(wells["quantity"], errors="coerce") if "quantity" in wells else 0
    standards = wells["sample_type"].eq("std") & (quantity > 0)
    absolute = not config.reference_genes and bool(standards.any())
    calibrator = calibrator_sample(config)
    targets = tuple(dict.fromkeys(wells.loc[wells["sample_type"].eq("unkn"), "target"]))
    if not absolute:
        _check_references(targets, config)
    factors = [] if (absolute and not config.control) or calibrator else _factors(wells, config)
    replicate = config.replicate
    wells = _fill_samples(wells, factors, replicate)

    wells, qc = apply_qc(wells, config)
    renamed, rename_events = renamed_samples(wells)
    if renamed:
        notes += renamed
        qc = pd.concat([qc, event_table(rename_events)], ignore_index=True)
    tables: dict[str, pd.DataFrame] = {}
    plate_efficiency: dict[str, dict[str, float]] = {}
    curves, curve_events = _standard_curves(wells)
    if absolute:
        notes.append(_absolute_note(curves, targets))
    if not curves.empty:
        tables["standard_curves"] = curves
        tables["quantities"] = _quantities(wells, curves)
        if not absolute:
            setting = config.efficiency
            config, plate_efficiency, found, problems = _curve_efficiencies(
                wells, curves, config, targets
            )
            notes += found
            warnings += problems
            checks = efficiency_checks(curves, targets, setting, config.efficiency)
            curve_events = pd.concat([curve_events, _curve_events(checks)], ignore_index=True)
        qc = pd.concat([qc, curve_events], ignore_index=True)
    ircs = _irc_samples(wells, config)
    attrs = _sample_attributes(wells[~wells["sample"].isin(ircs)], factors, replicate)
    used = wells[~wells["excluded"]]
    by_plate = summarise_replicates(used, keys=("plate", "sample", "target"))
    by_plate = by_plate.merge(attrs, on="sample", how="left")
    strategy = "single" if absolute else plate_strategy(by_plate, config, ircs, value="cq_mean")
    if strategy == "single":
        if ircs:  # one plate needs no inter-run calibration
            used = used[~used["sample"].isin(ircs)]
            notes.append(f"inter-run calibrator(s) {', '.join(ircs)} not used: one plate")
        replicates = summarise_replicates(used).merge(attrs, on="sample", how="left")
    else:
        replicates = by_plate
    empty = Results(
        wells=wells, replicates=replicates, samples=pd.DataFrame(), fold_changes=pd.DataFrame(),
        ratios=pd.DataFrame(), ratio_samples=pd.DataFrame(), qc=qc, config=config,
        factors=tuple(factors), targets=targets, inputs=tuple(inputs), runs=tuple(runs),
        warnings=tuple(warnings), tables=tables, notes=tuple(notes),
    )  # fmt: skip
    if absolute:
        return empty

    study = replicates[~replicates["sample"].isin(ircs)]
    config, stability, stability_events, found, problems = _reference_genes(study, factors, config)
    tables.update(stability)
    notes += found
    warnings += problems
    eff_se = _efficiency_se(curves, config)
    if strategy == "single":
        samples = normalise(replicates, config.reference_genes, config.efficiency, eff_se)
    else:
        samples, calibration, note = _calibrate_plates(
            replicates, config, ircs, strategy, eff_se, plate_efficiency
        )
        tables["plate_calibration"] = calibration
        notes.append(note)
    samples["upper_bound"] = samples["censored"]
    samples["not_detected"] = samples["n_censored"].eq(samples["n_used"]) & samples["n_used"].gt(0)
    qc = pd.concat([qc, stability_events, _reference_events(samples)], ignore_index=True)
    assumed = [t for t in targets if t not in config.efficiency]
    if config.efficiency and assumed:
        warnings.append(
            "efficiency assumed 2.0 (100 %) for "
            + ", ".join(assumed)
            + "; give it under [efficiency] or from a standard curve"
        )

    if calibrator is not None:
        samples = relative_to_calibrator(samples, replicates, calibrator, config.reference_genes,
                                         config.efficiency, config.alpha)  # fmt: skip
        notes.append(CALIBRATOR_NOTE.format(name=calibrator, level=100 * (1 - config.alpha)))
        return replace(empty, samples=samples, qc=qc, config=config, warnings=tuple(warnings),
                       tables=tables, notes=tuple(notes))  # fmt: skip

    cols = [*factors, *([replicate] if replicate else [])]
    common = dict(factors=factors, control=config.control, replicate=replicate,
                  contrasts=config.contrasts, test=config.test, alpha=config.alpha,
                  min_n=config.min_replicates)  # fmt: skip
    fold = compare_groups(samples, value="log2_rq", item="target", **common)
    ratio_samples = ratio_table(samples, config.ratios, cols)
    ratios = _ratio_results(ratio_samples, factors, replicate, config, common)
    failed = _control_failures(qc, config) if config.fail_on_controls else {}
    fold, ratios = _fail_on_controls(fold, ratios, failed)
    fold, ratios = _adjust(fold, ratios, config.adjust)
    tables.update(factorial_tables(samples, ratio_samples, factors, replicate, config, failed))
    return replace(
        empty, samples=samples, fold_changes=fold, ratios=ratios, ratio_samples=ratio_samples,
        qc=qc, config=config, warnings=tuple(warnings), tables=tables, notes=tuple(notes),
    )  # fmt: skip


def _irc_samples(wells: pd.DataFrame, config: AnalysisConfig) -> list[str]:
    """Inter-run calibrators: ``irc_samples`` of the settings plus samples marked in an
    ``irc`` layout column."""
    if not config.irc_samples and "irc" not in wells:
        return []
    from .plates import irc_sample_names

    return irc_sample_names(wells[wells["sample_type"].eq("unkn")], config.irc_samples)


def _calibrate_plates(
    replicates: pd.DataFrame, config: AnalysisConfig, ircs: list[str], strategy: str,
    efficiency_se: dict[str, float], plate_efficiency: dict[str, dict[str, float]],
) -> tuple[pd.DataFrame, pd.DataFrame, str]:  # fmt: skip
    """Normalise each plate on its own, then put the plates on one scale: the qBase inter-run
    calibration with IRCs, or each plate calibrated to its own control group."""
    from .plates import inter_run_calibration, per_plate_calibration

    per_plate = pd.concat(
        [normalise(part, config.reference_genes,
                   {**config.efficiency, **plate_efficiency.get(str(plate), {})}, efficiency_se)
         for plate, part in replicates.groupby("plate", sort=False)],
        ignore_index=True,
    )  # fmt: skip
    if strategy == "irc":
        calibrated, factors = inter_run_calibration(per_plate, irc_samples=ircs)
        calibrated = calibrated[~calibrated["irc"]].drop(columns="irc")
        note = f"plates calibrated with the inter-run calibrators {', '.join(ircs)} (qBase)"
    else:
        calibrated, factors = per_plate_calibration(per_plate, control=config.control)
        note = "each plate calibrated to its own control group (no inter-run calibrators)"
    calibrated = calibrated.assign(
        log2_rq=calibrated["log2_rq_calibrated"],
        se_log2_rq=calibrated["se_log2_rq_calibrated"],
        rel_quantity=2.0 ** calibrated["log2_rq_calibrated"],
    ).drop(columns=["log2_rq_calibrated", "se_log2_rq_calibrated"])
    return calibrated.reset_index(drop=True), factors, note


def _fill_from_export(wells: pd.DataFrame, column: str) -> pd.DataFrame:
    """Where the layout leaves ``column`` empty, keep the export's value (``<column>_export``)."""
    exported = f"{column}_export"
    if exported not in wells:
        return wells
    wells = wells.copy()
    wells[column] = pd.to_numeric(wells[column], errors="coerce").fillna(wells[exported])
    return wells.drop(columns=exported)


def _standard_curves(wells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Standard curves per plate × target from standard wells (methods.md §2.5) and their
    acceptance warnings as QC events."""
    from .curves import curve_warnings, standard_curves

    std = wells[wells["exclude_code"].eq("standard")]
    if std.empty or "quantity" not in std or std["quantity"].notna().sum() == 0:
        return pd.DataFrame(), event_table([])
    curves = standard_curves(std.drop(columns=["excluded"]))
    return curves, _curve_events(curve_warnings(curves))


def _curve_events(found: list[dict]) -> pd.DataFrame:
    """QC events ``standard_curve_<rule>`` from :mod:`qpcr.curves` warning dicts."""
    severity = {"warning": "warn", "error": "fail"}
    events = [
        {"plate": w.get("plate", ""), "well": "", "sample": "", "target": w.get("target", ""),
         "code": f"standard_curve_{w['rule']}",
         "severity": severity.get(str(w["severity"]), w["severity"]),
         "value": w.get("value", np.nan), "threshold": w.get("threshold", np.nan),
         "message": w["message"]}
        for w in found
    ]  # fmt: skip
    return event_table(events)


def _quantities(wells: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Unknowns read off their plate's standard curve: N0 = 10^((Cq̄ − intercept)/slope).

    Curves whose slope is not negative give none. A mean that includes non-detects set at the
    limit is a lower bound of Cq, so its quantity is an upper bound (``upper_bound``)."""
    from .curves import curve_problems, interpolate_quantity

    unkn = wells[~wells["excluded"] & wells["sample_type"].eq("unkn")]
    keys = ["plate", "sample", "target"]
    means = unkn.groupby(keys, observed=True).agg(
        n=("cq_used", "count"), cq_mean=("cq_used", "mean"), upper_bound=("censored", "any")
    )
    descending = curve_problems(curves, min_r2=-np.inf).eq("")  # fitted, negative slope
    table = means.reset_index().merge(
        curves.loc[descending, ["plate", "target", "slope", "intercept"]], on=["plate", "target"]
    )
    table["quantity"] = np.nan
    for (slope, intercept), index in table.groupby(["slope", "intercept"]).groups.items():
        cq = table.loc[index, "cq_mean"].to_numpy(float)
        table.loc[index, "quantity"] = interpolate_quantity(cq, slope, intercept)
    return table[[*keys, "n", "cq_mean", "quantity", "upper_bound"]]


def _absolute_note(curves: pd.DataFrame, targets: Sequence[str]) -> str:
    """The note of an absolute quantification (no reference genes, standards with quantities);
    refused when no standard curve can give a quantity."""
    from .curves import curve_problems

    if curves.empty or not curve_problems(curves, min_r2=-np.inf).eq("").any():
        reasons = [] if curves.empty else [
            f"{t}: {p}" for t, p in zip(curves["target"], curve_problems(curves), strict=True)
        ]  # fmt: skip
        found = "; ".join(reasons[:3]) + ("; …" if len(reasons) > 3 else "")
        raise ConfigError(
            "no reference gene is set, and the standards give no standard curve to read "
            f"quantities off ({found or 'no usable standard wells'})",
            where="settings reference_genes",
            hint=f"For fold changes choose one or more housekeeping genes among "
            f"{', '.join(targets) or 'the targets'}; for absolute quantification a target "
            "needs standards at 3 or more dilution levels",
        )
    return (
        "no reference genes given: absolute quantification, quantities read off the standard "
        "curves (set reference_genes for fold changes)"
    )


def _curve_efficiencies(
    wells: pd.DataFrame, curves: pd.DataFrame, config: AnalysisConfig, targets: Sequence[str]
) -> tuple[AnalysisConfig, dict[str, dict[str, float]], list[str], list[str]]:
    """Take each target's efficiency from its standard curve(s) when the settings give none.

    ``pooled_efficiency`` (default): one efficiency per target; with standards on several
    plates the pooled common-slope fit (:func:`qpcr.curves.pooled_efficiency`), since the
    efficiency is a property of the assay. Otherwise each plate's own curve: a target whose
    samples sit on one plate takes that plate's efficiency, and plates normalised separately
    (inter-run calibration) each use their own (returned as ``{plate: {target: E}}``).
    Returns the config, the per-plate efficiencies, notes and warnings.
    """
    from .curves import curve_problems, pooled_efficiency

    if not config.use_curve_efficiency:
        return config, {}, [], []
    fitted = curves[curve_problems(curves).eq("") & curves["target"].isin(targets)]
    todo = [t for t in dict.fromkeys(fitted["target"]) if t not in config.efficiency]
    if not todo:
        return config, {}, [], []
    std = wells[wells["exclude_code"].eq("standard")]
    std = std.merge(fitted[["plate", "target"]], on=["plate", "target"])  # usable curves only
    pooled = pooled_efficiency(std.drop(columns=["excluded"])).set_index("target")
    per_plate: dict[str, dict[str, float]] = {}
    if not config.pooled_efficiency:
        usable = fitted[fitted["target"].isin(todo) & fitted["efficiency"].between(1.0, 2.2)]
        for plate, target, e in usable[["plate", "target", "efficiency"]].itertuples(index=False):
            per_plate.setdefault(str(plate), {})[target] = float(e)
    unknowns = wells[wells["sample_type"].eq("unkn") & ~wells["excluded"]]
    sample_plates = unknowns.groupby("target")["plate"].unique()
    efficiency = dict(config.efficiency)
    notes, warnings = [], []
    for target in todo:
        plates = [str(p) for p in sample_plates.get(target, [])]
        own = per_plate.get(plates[0], {}).get(target) if len(plates) == 1 else None
        e = own if own is not None else float(pooled.loc[target, "efficiency"])
        if not 1.0 < e <= 2.2:
            warnings.append(f"the standard curve of {target} gives E = {e:.3f}, outside (1, 2.2]: "
                            "not used; E = 2 assumed")  # fmt: skip
            continue
        efficiency[target] = e
        n = int(pooled.loc[target, "n_plates"])
        source = (f" of plate {plates[0]}" if own is not None
                  else f" (pooled over {n} plates)" if n > 1 else "")  # fmt: skip
        notes.append(f"efficiency of {target} from its standard curve{source}: "
                     f"E = {e:.3f} ({100 * (e - 1):.1f} %)")  # fmt: skip
    return replace(config, efficiency=efficiency), per_plate, notes, warnings


def _efficiency_se(curves: pd.DataFrame, config: AnalysisConfig) -> dict[str, float]:
    """SE of each curve-derived efficiency, for qBase error propagation (one plate only)."""
    from .curves import curve_problems

    if curves.empty:
        return {}
    fitted = curves[curve_problems(curves).eq("")]
    single = fitted.groupby("target").filter(lambda g: len(g) == 1)
    return {t: float(se) for t, se in zip(single["target"], single["se_efficiency"], strict=True)
            if t in config.efficiency}  # fmt: skip


def _reference_genes(
    replicates: pd.DataFrame, factors: list[str], config: AnalysisConfig
) -> tuple[AnalysisConfig, dict[str, pd.DataFrame], pd.DataFrame, list[str], list[str]]:
    """Reference-gene stability over the candidates (geNorm, NormFinder, BestKeeper), the
    automatic choice for ``reference_genes = ["auto"]``, and warnings (methods.md §4)."""
    from .stability import best_pair, cq_matrix, reference_gene_warnings, stability_table

    notes: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    auto = config.reference_genes == ("auto",)
    candidates = list(dict.fromkeys(
        [*(() if auto else config.reference_genes), *config.candidate_genes]))  # fmt: skip
    unkn = replicates.assign(group=replicates[factors].astype(str).agg(", ".join, axis=1)
                             if factors else "all")  # fmt: skip
    levels = {f: list(dict.fromkeys(unkn[f].astype(str))) for f in factors}
    if len(candidates) >= 3:
        cq, groups, dropped = cq_matrix(unkn, candidates, group="group")
        every = reference_gene_warnings(unkn, candidates, levels, alpha=config.alpha)
        genes, steps = stability_table(cq, groups if factors else None, config.efficiency,
                                       warnings=every)  # fmt: skip
        tables = {"reference_genes": genes, "genorm_steps": steps}
        if dropped:
            notes.append(f"stability analysis left out {len(dropped)} sample(s) lacking a "
                         f"candidate: {', '.join(dropped[:5])}")  # fmt: skip
        if auto:
            clean = list(genes.loc[genes["warning"].eq(""), "target"])  # none a warning rejects
            pair = best_pair(cq[clean] if len(clean) >= 2 else cq, config.efficiency)
            config = config.with_overrides(reference_genes=tuple(pair))
            notes.append(f"reference genes chosen by geNorm: {', '.join(pair)}")
    elif auto:
        raise ConfigError(
            "reference_genes = ['auto'] needs at least 3 candidate_genes",
            where="settings candidate_genes",
            hint="List the housekeeping genes measured, e.g. candidate_genes = "
            '["TBP", "RPL13A", "B2M"]',
        )
    found = reference_gene_warnings(unkn, config.reference_genes, levels, alpha=config.alpha)
    events = event_table(
        [{"plate": "", "well": "", "sample": "", "target": w["target"], "code": w["rule"],
          "severity": "warn" if w["severity"] == "warning" else "info",
          "value": np.nan, "threshold": np.nan, "message": w["message"]} for w in found],
    )  # fmt: skip
    problems = [w["message"] for w in found if w["severity"] == "warning"]
    return config, tables, events, notes, problems


def _factors(wells: pd.DataFrame, config: AnalysisConfig) -> list[str]:
    """The design factors: those of the control group (their names are checked by
    :func:`qpcr.validate.check_names`)."""
    if not config.control:
        candidates = [c for c in wells.columns if c not in NOT_FACTORS and c != config.replicate]
        raise MissingControlError(
            "no control group is set",
            where="settings [control]",
            hint="Name the control level of each design factor, e.g. [control] oxygen = "
            f'"normoxia"; columns that look like factors: {", ".join(candidates) or "none"}',
        )
    return list(config.control)


def _check_references(targets: Sequence[str], config: AnalysisConfig) -> None:
    """Relative quantification needs reference genes (their names are checked by
    :func:`qpcr.validate.check_names`)."""
    if not config.reference_genes:
        raise ConfigError(
            "no reference gene is set, and no standard wells with quantities make it an "
            "absolute quantification",
            where="settings reference_genes",
            hint=f"Choose one or more housekeeping genes among {', '.join(targets)} "
            '(reference_genes = ["..."] or --reference), or mark a dilution series as sample '
            "type 'std' with its quantities",
        )


def _fill_samples(wells: pd.DataFrame, factors: list[str], replicate: str | None) -> pd.DataFrame:
    """Build missing sample names of unknowns from factor levels and the replicate."""
    wells = wells.copy()
    if "sample" not in wells:
        wells["sample"] = ""
    wells["sample"] = wells["sample"].fillna("").astype(str)
    blank = wells["sample"].eq("") & wells["sample_type"].eq("unkn")
    if blank.any():
        parts = [*factors, *([replicate] if replicate else [])]
        wells.loc[blank, "sample"] = wells.loc[blank, parts].astype(str).agg(" ".join, axis=1)
    return wells


def _sample_attributes(
    wells: pd.DataFrame, factors: list[str], replicate: str | None
) -> pd.DataFrame:
    cols = [*factors, *([replicate] if replicate else [])]
    unkn = wells[wells["sample_type"].eq("unkn") & wells["exclude_code"].ne("not_in_layout")]
    attrs = unkn[["sample", *cols]].astype({c: str for c in cols}).drop_duplicates()
    clash = attrs[attrs.duplicated("sample", keep=False)]
    if not clash.empty:
        name = clash["sample"].iloc[0]
        found = "; ".join(
            group_label(r) for r in clash[clash["sample"] == name][cols].to_dict("records")
        )
        raise InputError(
            f"sample '{name}' has different design values in different wells ({found})",
            where="layout",
            hint="A sample name must stand for one biological sample in one condition",
        )
    empty = attrs[cols].eq("").any(axis=1) | attrs[cols].eq("nan").any(axis=1)
    if empty.any():
        raise InputError(
            f"sample(s) {', '.join(attrs.loc[empty, 'sample'].head(8))} have no value for "
            f"{', '.join(cols)}",
            where="layout",
            hint="Fill every design factor and the replicate for every sample well",
        )
    return attrs.reset_index(drop=True)


def _reference_events(samples: pd.DataFrame) -> pd.DataFrame:
    bad = samples[samples["note"].ne("")].drop_duplicates(["sample", "note"])
    rows = [
        {"plate": "", "well": "", "sample": r["sample"], "target": r["target"],
         "code": "missing_reference" if pd.isna(r["ref_cq"]) else "missing_target",
         "severity": "warn", "value": np.nan, "threshold": np.nan,
         "message": f"{r['sample']}: {r['note']}; no ΔCq for this sample"}
        for r in bad.to_dict("records")
    ]  # fmt: skip
    return event_table(rows)


def _ratio_results(
    ratio_samples: pd.DataFrame, factors: list[str], replicate: str | None,
    config: AnalysisConfig, common: dict,
) -> pd.DataFrame:  # fmt: skip
    columns = [c for c in columns_of("ratios", factors) if c not in ("p_adj", "adjust")]
    if ratio_samples.empty:
        return pd.DataFrame(columns=columns)
    summary = group_summary(ratio_samples, value="log2_ratio", item="ratio", factors=factors,
                            replicate=replicate, alpha=config.alpha)  # fmt: skip
    summary["value"] = 2.0 ** summary["mean_log2"]
    summary["value_ci_low"] = 2.0 ** summary["ci_low_log2"]
    summary["value_ci_high"] = 2.0 ** summary["ci_high_log2"]
    summary = summary.drop(columns=["ci_low_log2", "ci_high_log2"])
    tests = compare_groups(ratio_samples, value="log2_ratio", item="ratio", **common)
    default = tests[tests["contrast"].str.endswith(" vs control")]
    keep = ["ratio", "contrast", *factors, "fold_change", "ci_low", "ci_high", "p_value", "test",
            "bound", "note"]  # fmt: skip
    merged = summary.merge(default[keep], on=["ratio", *factors], how="left")
    merged["contrast"] = merged["contrast"].fillna("")
    control = np.ones(len(merged), dtype=bool)
    for f in factors:
        control &= merged[f].astype(str).eq(config.control[f]).to_numpy()
    merged.loc[control, "fold_change"] = 1.0
    merged.loc[control, "note"] = "control group"
    merged.loc[control, "contrast"] = "control"
    order = {
        tuple(g.values()): i for i, g in enumerate(group_order(merged, factors, config.control))
    }
    merged["_order"] = [order[tuple(r)] for r in merged[factors].astype(str).to_numpy()]
    merged = merged.sort_values(["ratio", "_order"], kind="stable").drop(columns="_order")
    extra = tests[~tests["contrast"].str.endswith(" vs control")]
    table = merged[[c for c in columns if c in merged]]
    if not extra.empty:
        table = pd.concat([table, extra[[*keep, "n"]]], ignore_index=True)
    table = table.assign(fc_ci_low=table["ci_low"], fc_ci_high=table["ci_high"])
    return table[columns].reset_index(drop=True)


def _control_failures(qc: pd.DataFrame, config: AnalysisConfig) -> dict[tuple[str, str], str]:
    """For ``fail_on_controls``: the reason per ``("target", name)`` whose NTC or no-RT control
    amplified, and per ``("ratio", name)`` involving such a target."""
    rules = {"ntc_amplification": "NTC amplification", "nrt_amplification": "no-RT amplification"}
    hits = qc[qc["code"].isin(list(rules))]
    by_target = hits.groupby("target")["code"].agg(
        lambda r: " and ".join(sorted(set(r.map(rules))))
    )
    failed = {("target", str(t)): reason for t, reason in by_target.items()}
    for name, pair in config.ratios.items():
        reason = " and ".join(by_target[g] for g in pair if g in by_target.index)
        if reason:
            failed["ratio", name] = reason
    return failed


def _fail_on_controls(
    fold: pd.DataFrame, ratios: pd.DataFrame, failed: dict[tuple[str, str], str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A target whose NTC or no-RT control amplified gets no fold change (nor do ratios
    involving it; ``failed`` from :func:`_control_failures`); the rows stay, with the reason in
    ``note``."""
    numbers = ["log2_fold_change", "se", "df", "statistic", "fold_change", "ci_low", "ci_high",
               "p_value", "value_ci_low", "value_ci_high", "fc_ci_low", "fc_ci_high"]  # fmt: skip

    def fail(table: pd.DataFrame, reason: pd.Series) -> pd.DataFrame:
        table = table.copy()
        bad = reason.notna() & reason.ne("")
        table.loc[bad, [c for c in numbers if c in table]] = np.nan
        table.loc[bad, "note"] = "failed: " + reason[bad] + " (fail_on_controls)"
        return table

    if not failed:
        return fold, ratios
    fold = fail(fold, fold["target"].map(lambda t: failed.get(("target", t))))
    if not ratios.empty:
        ratios = fail(ratios, ratios["ratio"].map(lambda r: failed.get(("ratio", r))))
    return fold, ratios


def _adjust(
    fold: pd.DataFrame, ratios: pd.DataFrame, method: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adjust p-values within each contrast across targets and ratios (one family each)."""
    fold = fold.copy()
    ratios = ratios.copy()
    fold["p_adj"] = np.nan
    ratios["p_adj"] = np.nan
    for label in fold["contrast"].unique():
        f_idx = fold.index[fold["contrast"] == label]
        r_idx = ratios.index[ratios["contrast"] == label]
        p = np.concatenate([fold.loc[f_idx, "p_value"].to_numpy(float),
                            ratios.loc[r_idx, "p_value"].to_numpy(float)])  # fmt: skip
        adj = adjust_pvalues(p, method)
        fold.loc[f_idx, "p_adj"] = adj[: len(f_idx)]
        ratios.loc[r_idx, "p_adj"] = adj[len(f_idx) :]
    fold["adjust"] = method
    ratios["adjust"] = method
    return fold, ratios
