"""The quantification step of an analysis (:func:`quantify`): replicate means, ΔCq and
relative quantities, standard curves and quantities, plate calibration and reference-gene
stability."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..calibrator import CALIBRATOR_NOTE, calibrator_sample, relative_to_calibrator
from ..config import AnalysisConfig
from ..curves import efficiency_checks
from ..efficiency import amplification_agreement
from ..errors import ConfigError, MissingControlError
from ..groups import level_texts
from ..lowcopy import low_copy_replicates
from ..qc import event_table
from ..quant import located_pairing, normalise
from ..schema.wells import text_cells, unknown_rows
from ..validate import NOT_FACTORS
from .quality import Checked, _curve_events
from .replicates import _replicates

__all__ = ["Quantified", "quantify"]


@dataclass(frozen=True)
class Quantified:
    """What :func:`quantify` returns.

    ``efficiency`` and ``reference_genes`` are the values used: the settings' efficiencies
    plus those taken from standard curves, and the settings' reference genes or the pair
    chosen for ``["auto"]``. ``comparable``: a relative quantification against a control
    group, which :func:`qpcr.stages.comparisons.compare` takes on (not an absolute quantification,
    nor one relative to a calibrator sample).
    """

    wells: pd.DataFrame
    replicates: pd.DataFrame
    samples: pd.DataFrame
    qc: pd.DataFrame
    factors: tuple[str, ...]
    targets: tuple[str, ...]
    efficiency: dict[str, float]
    reference_genes: tuple[str, ...]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    comparable: bool = False
    efficiency_se: dict[str, float] = field(default_factory=dict)


class _Used(NamedTuple):
    """The reference genes and efficiencies a normalisation uses (with the SEs of curve-derived
    efficiencies, for error propagation), and the used sample wells when ΔCq is taken per
    well (``pairing``), else None."""

    reference_genes: tuple[str, ...]
    efficiency: dict[str, float]
    efficiency_se: dict[str, float]
    wells: pd.DataFrame | None = None


def quantify(
    checked: Checked, settings: AnalysisConfig, amplicons: pd.DataFrame | None = None
) -> Quantified:
    """Quantify: replicate means, ΔCq and relative quantities, or quantities off standard
    curves.

    Without reference genes and with standards that carry quantities this is an absolute
    quantification (quantities only). Otherwise efficiencies missing from the settings are
    taken from the standard curves (``use_curve_efficiency``), the reference genes are
    checked for stability (and chosen, for ``["auto"]``), and each sample is normalised
    (methods.md §2), plate by plate with an inter-run calibration when the samples span
    plates.

    Parameters
    ----------
    checked
        The wells after QC (:func:`qpcr.stages.quality.quality`).
    settings
        The analysis settings; they are read, never changed.
    amplicons
        The efficiencies the amplification curves give per plate × target (``efficiency``,
        ``efficiency_se``, ``n``; :attr:`qpcr.calling.CurveCalls.amplicons`), when the run's
        curves were called: used under ``efficiency_source = "curves"``, and held against
        the standard curves of the same plate.

    Returns
    -------
    Quantified
        ``replicates``: one row per sample × target (× plate when plates are calibrated)
        with ``n_used``, ``cq_mean``, ``cq_sd``, ``n_censored``, ``censored`` and the design
        columns; ``samples`` adds ``ref_cq``, ``delta_cq``, ``log2_rq``, ``se_log2_rq``,
        ``rel_quantity``, ``note``, ``upper_bound``, ``not_detected`` (``rq`` and its interval
        against a calibrator sample); ``tables``: ``standard_curves``, ``quantities``,
        ``reference_genes``, ``genorm_steps``, ``plate_calibration`` as they apply; ``qc``
        gains the efficiency, stability and missing-reference events.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.config import from_mapping
    >>> from qpcr.stages.quality import quality
    >>> wells = pd.DataFrame({
    ...     "plate": "p1", "well": [f"A{i}" for i in range(1, 9)],
    ...     "sample": ["n1", "n1", "n2", "n2",
    ...     "h1", "h1", "h2", "h2"], "target": ["GAPDH", "MYC"] * 4, "sample_type": "unkn",
    ...     "oxygen": ["normoxia"] * 4 + ["hypoxia"] * 4,
    ...     "cq": [18.0, 25.0, 18.0, 25.2, 18.0, 23.0, 18.0, 23.2], "cq_status": "ok",
    ... })
    >>> settings = from_mapping({"reference_genes": ["GAPDH"],
    ...                          "control": {"oxygen": "normoxia"}})
    >>> found = quantify(quality(wells, settings), settings)
    >>> found.samples[["sample", "target", "delta_cq", "log2_rq"]].query("target == 'MYC'")
      sample target  delta_cq  log2_rq
    0     n1    MYC       7.0     -7.0
    1     n2    MYC       7.2     -7.2
    2     h1    MYC       5.0     -5.0
    3     h2    MYC       5.2     -5.2
    >>> found.reference_genes, found.efficiency, found.comparable
    (('GAPDH',), {}, True)
    """
    wells, curves = checked.wells, checked.curves
    absolute, calibrator, targets, factors = _design(wells, settings)
    notes, warnings, qc = list(checked.notes), [], checked.qc
    tables: dict[str, pd.DataFrame] = {}
    efficiency = dict(settings.efficiency)
    plate_efficiency: dict[str, dict[str, float]] = {}
    if absolute:
        notes.append(_absolute_note(curves, targets, settings.where("reference_genes")))
    by_curves = settings.efficiency_source == "curves" and not absolute
    if not curves.empty:
        tables["standard_curves"] = curves
        tables["quantities"] = _quantities(wells, curves)
        if not absolute and not by_curves:
            efficiency, plate_efficiency, found, problems = _curve_efficiencies(
                wells, curves, settings, targets
            )
            notes += found
            warnings += problems
            checks = efficiency_checks(curves, targets, settings.efficiency, efficiency)
            qc = pd.concat([qc, _curve_events(checks)], ignore_index=True)
        if amplicons is not None:
            agreement = amplification_agreement(curves, amplicons, settings.alpha)
            qc = pd.concat([qc, _curve_events(agreement)], ignore_index=True)
    efficiency_se = _efficiency_se(curves, efficiency)
    if by_curves and amplicons is not None:
        efficiency, efficiency_se, plate_efficiency, found, problems = _amplicon_efficiencies(
            amplicons, settings, targets
        )
        notes += found
        warnings += problems
    replicates, strategy, ircs, note = _replicates(wells, settings, factors, absolute)
    replicates = low_copy_replicates(replicates, wells, settings, efficiency)
    notes += note
    quantified = Quantified(
        wells=wells, replicates=replicates, samples=pd.DataFrame(), qc=qc,
        factors=tuple(factors), targets=targets, efficiency=efficiency,
        reference_genes=tuple(settings.reference_genes), tables=tables, notes=tuple(notes),
        warnings=tuple(warnings), efficiency_se=efficiency_se,
    )  # fmt: skip
    if absolute:
        return quantified
    return _relative(quantified, settings, curves, (strategy, ircs, plate_efficiency), calibrator)


def _design(
    wells: pd.DataFrame, settings: AnalysisConfig
) -> tuple[bool, str | None, tuple[str, ...], list[str]]:
    """Whether the quantification is absolute (no reference genes, standards with
    quantities), the calibrator sample, the targets of the unknowns and the design factors;
    refused when a relative quantification lacks reference genes or a control group."""
    absolute = False
    if not settings.reference_genes:  # standards with quantities make it absolute
        quantity = pd.to_numeric(wells["quantity"], errors="coerce") if "quantity" in wells else 0
        absolute = bool((wells["sample_type"].eq("std") & (quantity > 0)).any())
    calibrator = calibrator_sample(settings)
    pairs = zip(wells["target"].tolist(), wells["sample_type"].tolist(), strict=True)
    targets = tuple(dict.fromkeys(target for target, kind in pairs if kind == "unkn"))
    if not absolute:
        _check_references(targets, settings)
    factors = [] if (absolute and not settings.control) or calibrator else _factors(wells, settings)
    return absolute, calibrator, targets, factors


def _relative(
    quantified: Quantified, settings: AnalysisConfig, curves: pd.DataFrame,
    plates: tuple[str, list[str], dict[str, dict[str, float]]], calibrator: str | None,
) -> Quantified:  # fmt: skip
    """Reference genes (stability, ``auto`` choice), ΔCq and relative quantities, the plates
    calibrated (``plates``: the strategy, the IRCs and each plate's own efficiencies), and
    the quantities relative to a calibrator sample when one is set."""
    strategy, ircs, plate_efficiency = plates
    replicates, efficiency = quantified.replicates, quantified.efficiency
    study = replicates[~replicates["sample"].isin(ircs)] if ircs else replicates
    refs, stability, events, found, problems = _reference_genes(
        study, list(quantified.factors), settings, efficiency
    )
    tables = {**quantified.tables, **stability}
    notes, warnings = [*quantified.notes, *found], [*quantified.warnings, *problems]
    every = quantified.wells
    mask = unknown_rows(every)  # the sample wells (None: every well)
    unkn = np.arange(len(every)) if mask is None else np.flatnonzero(mask)
    located = {c: every[c].to_numpy()[unkn] for c in ("plate", "well", "target") if c in every}
    by_well = located_pairing(located, refs, settings.pairing, settings.where("pairing")) == "well"
    wells = every.iloc[unkn[~every["excluded"].to_numpy(bool)[unkn]]] if by_well else None
    if by_well:
        notes.append("ΔCq taken per well (target and reference genes in the same well), then "
                     "averaged per sample (pairing)")  # fmt: skip
    used = _Used(refs, efficiency, quantified.efficiency_se, wells)
    if strategy == "single":
        samples = normalise(replicates, refs, efficiency, used.efficiency_se, wells)
    else:
        samples, calibration, note = _calibrate_plates(
            replicates, settings, ircs, strategy, used, plate_efficiency
        )
        tables["plate_calibration"] = calibration
        notes.append(note)
    # inserted as arrays: a Series set as a column is aligned to the table first
    not_detected = _not_detected(samples["n_censored"], samples["n_used"])
    samples.insert(len(samples.columns), "upper_bound", samples["censored"].array)
    samples.insert(len(samples.columns), "not_detected", not_detected)
    missing = _reference_events(samples)
    if events is _no_events() and missing is _no_events():
        qc = _with_no_events(quantified.qc)
    elif missing is _no_events() and not events.empty:  # reference-gene warnings alone
        qc = _with_no_events(quantified.qc, events)
    else:  # (a second empty event table would add nothing: the same columns and dtypes)
        added = [events] if events.empty and missing.empty else [events, missing]
        qc = pd.concat([quantified.qc, *added], ignore_index=True)
    assumed = [t for t in quantified.targets if t not in efficiency]
    if efficiency and assumed:
        warnings.append(
            "efficiency assumed 2.0 (100 %) for "
            + ", ".join(assumed)
            + "; give it under [efficiency] or from a standard curve"
        )
    if calibrator is not None:
        samples = relative_to_calibrator(samples, replicates, calibrator, refs, efficiency,
                                         settings.alpha)  # fmt: skip
        notes.append(CALIBRATOR_NOTE.format(name=calibrator, level=100 * (1 - settings.alpha)))
    return replace(
        quantified, samples=samples, qc=qc, reference_genes=refs, tables=tables,
        notes=tuple(notes), warnings=tuple(warnings), comparable=calibrator is None,
    )  # fmt: skip


def _not_detected(censored: pd.Series, used: pd.Series) -> Any:
    """Whether every used replicate is a non-detect: ``censored.eq(used) & used.gt(0)``, on the
    arrays when both hold numpy numbers (NaN equals nothing either way)."""
    if not all(isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf" for s in (censored, used)):
        return censored.eq(used) & used.gt(0)
    n_used = used.to_numpy()
    return (censored.to_numpy() == n_used) & (n_used > 0)


def _calibrate_plates(
    replicates: pd.DataFrame, config: AnalysisConfig, ircs: list[str], strategy: str,
    used: _Used, plate_efficiency: dict[str, dict[str, float]],
) -> tuple[pd.DataFrame, pd.DataFrame, str]:  # fmt: skip
    """Normalise each plate on its own, then put the plates on one scale: the qBase inter-run
    calibration with IRCs, or each plate calibrated to its own control group (``used``: the
    reference genes and efficiencies; ``plate_efficiency``: a plate's own, taking precedence)."""
    from ..plates import inter_run_calibration, per_plate_calibration

    per_plate = pd.concat(
        [normalise(part, used.reference_genes,
                   {**used.efficiency, **plate_efficiency.get(str(plate), {})}, used.efficiency_se,
                   None if used.wells is None else used.wells[used.wells["plate"].eq(plate)])
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


def _quantities(wells: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Unknowns read off their plate's standard curve: N0 = 10^((Cq̄ − intercept)/slope).

    Curves whose slope is not negative give none. A mean that includes non-detects set at the
    limit is a lower bound of Cq, so its quantity is an upper bound (``upper_bound``)."""
    from ..curves import curve_problems, interpolate_quantity

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
    for _, curve in table.groupby(["slope", "intercept"]):
        slope, intercept = float(curve["slope"].iloc[0]), float(curve["intercept"].iloc[0])
        cq = curve["cq_mean"].to_numpy(float)
        table.loc[curve.index, "quantity"] = interpolate_quantity(cq, slope, intercept)
    return table[[*keys, "n", "cq_mean", "quantity", "upper_bound"]]


def _absolute_note(curves: pd.DataFrame, targets: Sequence[str], where: str) -> str:
    """The note of an absolute quantification (no reference genes, standards with quantities);
    refused when no standard curve can give a quantity (``where``: where reference genes are
    set)."""
    from ..curves import curve_problems

    if curves.empty or not curve_problems(curves, min_r2=-np.inf).eq("").any():
        reasons = [] if curves.empty else [
            f"{t}: {p}" for t, p in zip(curves["target"], curve_problems(curves), strict=True)
        ]  # fmt: skip
        found = "; ".join(reasons[:3]) + ("; …" if len(reasons) > 3 else "")
        raise ConfigError(
            "no reference gene is set, and the standards give no standard curve to read "
            f"quantities off ({found or 'no usable standard wells'})",
            where=where,
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
) -> tuple[dict[str, float], dict[str, dict[str, float]], list[str], list[str]]:
    """Take each target's efficiency from its standard curve(s) when the settings give none.

    ``pooled_efficiency`` (default): one efficiency per target; with standards on several
    plates the pooled common-slope fit (:func:`qpcr.curves.pooled_efficiency`), since the
    efficiency is a property of the assay. Otherwise each plate's own curve: a target whose
    samples sit on one plate takes that plate's efficiency, and plates normalised separately
    (inter-run calibration) each use their own (returned as ``{plate: {target: E}}``).
    Returns the efficiencies to use (the settings' plus the curves'), the per-plate
    efficiencies, notes and warnings; the settings are left as given.
    """
    from ..curves import curve_problems, pooled_efficiency

    if not config.use_curve_efficiency or config.efficiency_source == "settings":
        return dict(config.efficiency), {}, [], []
    fitted = curves[curve_problems(curves).eq("") & curves["target"].isin(targets)]
    todo = [t for t in dict.fromkeys(fitted["target"].tolist()) if t not in config.efficiency]
    if not todo:
        return dict(config.efficiency), {}, [], []
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
    return efficiency, per_plate, notes, warnings


def _amplicon_efficiencies(
    amplicons: pd.DataFrame, config: AnalysisConfig, targets: Sequence[str]
) -> tuple[dict[str, float], dict[str, float], dict[str, dict[str, float]], list[str], list[str]]:
    """Each target's efficiency from its amplification curves (``efficiency_source =
    "curves"``) where the settings give none
    (:func:`qpcr.calling.wells.target_efficiencies`); with ``pooled_efficiency`` off, each
    plate's own too. Returns the efficiencies, their SEs, the per-plate efficiencies, notes
    and warnings."""
    from ..calling.wells import target_efficiencies

    efficiency, se = dict(config.efficiency), {}
    per_plate: dict[str, dict[str, float]] = {}
    notes, warnings = [], []
    found = {row["target"]: row for row in target_efficiencies(amplicons).to_dict("records")}
    for target in [t for t in targets if t not in config.efficiency]:
        if target not in found:
            warnings.append(f"no amplification curve of {target} gives an efficiency: E = 2 "
                            "assumed")  # fmt: skip
            continue
        row = found[target]
        e, plates = float(row["efficiency"]), int(row["plates"])
        if not 1.0 < e <= 2.2:
            warnings.append(f"the amplification curves of {target} give E = {e:.3f}, outside "
                            "(1, 2.2]: not used; E = 2 assumed")  # fmt: skip
            continue
        efficiency[target] = e
        se[target] = float(row["efficiency_se"])
        if not config.pooled_efficiency:
            own = amplicons[amplicons["target"].eq(target) & amplicons["efficiency"].notna()]
            for plate, value in zip(own["plate"], own["efficiency"], strict=True):
                if 1.0 < value <= 2.2:
                    per_plate.setdefault(str(plate), {})[target] = float(value)
                else:  # as the plate's standard curve would be: the pooled value instead
                    warnings.append(f"the amplification curves of {target} on plate {plate} "
                                    f"give E = {value:.3f}, outside (1, 2.2]: not used; "
                                    f"the pooled E = {e:.3f} instead")  # fmt: skip
        over = f" over {plates} plates" if plates > 1 else ""
        notes.append(f"efficiency of {target} from its amplification curves{over}: "
                     f"E = {e:.3f} ({100 * (e - 1):.1f} %, SE {se[target]:.4f}, "
                     f"{int(row['n'])} reactions)")  # fmt: skip
    return efficiency, se, per_plate, notes, warnings


def _efficiency_se(curves: pd.DataFrame, efficiency: dict[str, float]) -> dict[str, float]:
    """SE of each curve-derived efficiency, for qBase error propagation (one plate only)."""
    from ..curves import curve_problems

    if curves.empty:
        return {}
    fitted = curves[curve_problems(curves).eq("")]
    single = fitted.groupby("target").filter(lambda g: len(g) == 1)
    return {t: float(se) for t, se in zip(single["target"], single["se_efficiency"], strict=True)
            if t in efficiency}  # fmt: skip


def _reference_genes(
    replicates: pd.DataFrame,
    factors: list[str],
    config: AnalysisConfig,
    efficiency: dict[str, float],
) -> tuple[tuple[str, ...], dict[str, pd.DataFrame], pd.DataFrame, list[str], list[str]]:
    """Reference-gene stability over the candidates (geNorm, NormFinder, BestKeeper), the
    automatic choice for ``reference_genes = ["auto"]``, and warnings (methods.md §4).
    Returns the reference genes used, the stability tables, QC events, notes and warnings."""
    from ..stability import best_pair, cq_matrix, reference_gene_warnings, stability_table

    notes: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    refs = tuple(config.reference_genes)
    auto = refs == ("auto",)
    candidates = list(dict.fromkeys(
        [*(() if auto else config.reference_genes), *config.candidate_genes]))  # fmt: skip
    levels_of = [level_texts(replicates[f]) for f in factors]
    levels = {f: list(dict.fromkeys(values)) for f, values in zip(factors, levels_of, strict=True)}
    if len(candidates) >= 3:
        # the group label of each sample (its factor levels) in a column of a name no column
        # of the table has: a design factor of any name (even "group") stays itself
        label = "group"
        while label in replicates.columns:
            label = f"_{label}"
        unkn = replicates.assign(**{label: [", ".join(g) for g in zip(*levels_of, strict=True)]
                                            if factors else "all"})  # fmt: skip
        cq, groups, dropped = cq_matrix(unkn, candidates, group=label)
        every = reference_gene_warnings(replicates, candidates, levels, alpha=config.alpha)
        genes, steps = stability_table(cq, groups if factors else None, efficiency,
                                       warnings=every)  # fmt: skip
        tables = {"reference_genes": genes, "genorm_steps": steps}
        if dropped:
            notes.append(f"stability analysis left out {len(dropped)} sample(s) lacking a "
                         f"candidate: {', '.join(dropped[:5])}")  # fmt: skip
        if auto:
            clean = list(genes.loc[genes["warning"].eq(""), "target"])  # none a warning rejects
            pair = best_pair(cq[clean] if len(clean) >= 2 else cq, efficiency)
            refs = tuple(pair)
            notes.append(f"reference genes chosen by geNorm: {', '.join(pair)}")
    elif auto:
        raise ConfigError(
            "reference_genes = ['auto'] needs at least 3 candidate_genes",
            where=config.where("candidate_genes"),
            hint="List the housekeeping genes measured, e.g. candidate_genes = "
            '["TBP", "RPL13A", "B2M"]',
        )
    found = reference_gene_warnings(replicates, refs, levels, alpha=config.alpha)
    events = _no_events() if not found else event_table(
        [{"plate": "", "well": "", "sample": "", "target": w["target"], "code": w["rule"],
          "severity": "warn" if w["severity"] == "warning" else "info",
          "value": np.nan, "threshold": np.nan, "message": w["message"]} for w in found],
    )  # fmt: skip
    problems = [w["message"] for w in found if w["severity"] == "warning"]
    return refs, tables, events, notes, problems


def _factors(wells: pd.DataFrame, config: AnalysisConfig) -> list[str]:
    """The design factors: those of the control group (their names are checked by
    :func:`qpcr.validate.check_names`)."""
    if not config.control:
        candidates = [c for c in wells.columns if c not in NOT_FACTORS and c != config.replicate]
        raise MissingControlError(
            "no control group is set",
            where=config.where("control"),
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
            where=config.where("reference_genes"),
            hint=f"Choose one or more housekeeping genes among {', '.join(targets)} "
            '(reference_genes = ["..."]), or mark a dilution series as sample '
            "type 'std' with its quantities",
        )


@functools.cache
def _no_events() -> pd.DataFrame:
    """The empty event table (:func:`qpcr.qc.event_table` of no event), built once: it is only
    ever concatenated, never changed."""
    return event_table([])


def _with_no_events(qc: pd.DataFrame, *events: pd.DataFrame) -> pd.DataFrame:
    """``pd.concat([qc, *events, _no_events()], ignore_index=True)``: the QC table and event
    tables through an empty event table (a second one would add nothing: the same columns and
    dtypes). The empty table's columns are objects (``rule`` numbers): concatenated with text
    or numbers they make every column objects, which the tables' cells as objects, stacked,
    give for the text and float columns QC events have, without the concatenation; any other
    tables are concatenated."""
    empty = _no_events()
    tables = [qc, *events]
    if all(_becomes_objects(table, empty) for table in tables):
        # one block of objects, as astype(object) gives
        cells = np.concatenate([table.to_numpy(dtype=object) for table in tables])
        return pd.DataFrame(cells, pd.RangeIndex(len(cells)), qc.columns, dtype=object, copy=False)
    return pd.concat([*tables, empty], ignore_index=True)


def _becomes_objects(table: pd.DataFrame, empty: pd.DataFrame) -> bool:
    """Whether every column of ``table`` becomes objects concatenated with ``empty`` (the
    same columns): text, or floats where the empty table's are objects."""
    return list(table.columns) == list(empty.columns) and all(
        isinstance(mine, pd.StringDtype) or (mine == np.float64 and theirs == np.dtype(object))
        for mine, theirs in zip(table.dtypes, empty.dtypes, strict=True)
    )


def _reference_events(samples: pd.DataFrame) -> pd.DataFrame:
    """The QC events of the samples whose ``note`` says why they have no ΔCq."""
    cells = text_cells(samples["note"])  # compared on the array when every note is text
    noted = samples["note"].ne("").to_numpy(bool) if cells is None else cells != ""
    if not noted.any():
        return _no_events()
    bad = samples.loc[noted, ["sample", "target", "ref_cq", "note"]]
    bad = bad.drop_duplicates(["sample", "note"])
    rows = [
        {"plate": "", "well": "", "sample": r["sample"], "target": r["target"],
         "code": "missing_reference" if pd.isna(r["ref_cq"]) else "missing_target",
         "severity": "warn", "value": np.nan, "threshold": np.nan,
         "message": f"{r['sample']}: {r['note']}; no ΔCq for this sample"}
        for r in bad.to_dict("records")
    ]  # fmt: skip
    return event_table(rows)
