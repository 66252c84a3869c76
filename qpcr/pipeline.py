"""The whole analysis: exports (+ layout + settings) in, result tables out. No printing, no files
written (see :mod:`qpcr.report`)."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .compare import compare_groups, group_label, group_order, group_summary
from .config import AnalysisConfig
from .errors import ConfigError, InputError, MissingControlError
from .io import read_run
from .io.registry import RunInfo
from .layout import join_layout, load_layout
from .qc import EVENT_COLUMNS, apply_qc
from .quant import normalise, ratio_table, summarise_replicates
from .stats import adjust_pvalues

__all__ = ["Results", "analyze"]

#: Wells-table columns that are not design factors.
_NOT_FACTORS = {"plate", "well", "sample", "target", "sample_type", "cq", "cq_status", "reporter",
                "quantity", "tm", "omitted", "source", "in_layout", "row", "col", "excluded",
                "exclude_reason", "cq_used", "censored", "plate_export", "well_export"}  # fmt: skip


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


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _suggest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1)
    return f"did you mean '{close[0]}'?" if close else f"known: {', '.join(options)}"


def read_exports(
    exports: Sequence[str | Path], format: str | None = None
) -> tuple[pd.DataFrame, list[RunInfo], list[InputFile]]:
    """Read and stack several exports; each gets a ``plate`` (its file stem unless the export
    names plates) and a ``source`` column."""
    frames, runs, inputs = [], [], []
    stems = [Path(p).stem for p in exports]
    for path, stem in zip(exports, stems, strict=True):
        export = read_run(path, format)
        wells = export.wells.copy()
        if "plate" not in wells or wells["plate"].eq("").all():
            wells["plate"] = stem if stems.count(stem) == 1 else str(path)
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
        Instrument exports (any supported format, detected from content) or tidy tables.
    layout
        Plate layout file (long or grid, see :mod:`qpcr.layout`) or a layout DataFrame; not
        needed when the exports carry sample and factor columns themselves.
    config
        Analysis settings; ``reference_genes`` and ``control`` are required for fold changes.
    format
        Force a reader by name instead of detecting it.
    """
    config = config or AnalysisConfig()
    if not exports:
        raise InputError("no export given", where="analyze", hint="Pass at least one export file")
    wells, runs, inputs = read_exports(exports, format)
    warnings: list[str] = []
    if layout is not None:
        if isinstance(layout, pd.DataFrame):
            lay, where = layout, "layout"
        else:
            size = next((r.plate_size for r in runs if r.plate_size), None)
            lay, where = load_layout(layout, plate=size), str(layout)
            inputs.append(InputFile(str(layout), sha256(layout), "layout"))
        if "target" in lay and config.aliases:
            lay = lay.assign(target=lay["target"].replace(config.aliases))
        wells = wells.assign(target=wells["target"].replace(config.aliases))
        wells, messages = join_layout(wells, lay, where)
        warnings += messages
    else:
        wells = wells.assign(target=wells["target"].replace(config.aliases))
    if config.source and Path(config.source).is_file():
        inputs.append(InputFile(config.source, sha256(config.source), "settings"))

    factors = _factors(wells, config)
    replicate = _replicate(wells, config)
    targets = tuple(dict.fromkeys(wells.loc[wells["sample_type"].eq("unkn"), "target"]))
    _check_references(targets, config)
    wells = _fill_samples(wells, factors, replicate)

    wells, qc = apply_qc(wells, config)
    attrs = _sample_attributes(wells, factors, replicate)
    replicates = summarise_replicates(wells[~wells["excluded"]])
    replicates = replicates.merge(attrs, on="sample", how="left")
    samples = normalise(replicates, config.reference_genes, config.efficiency)
    samples["upper_bound"] = samples["censored"]
    qc = pd.concat([qc, _reference_events(samples)], ignore_index=True)
    assumed = [t for t in targets if t not in config.efficiency]
    if config.efficiency and assumed:
        warnings.append(
            "efficiency assumed 2.0 (100 %) for "
            + ", ".join(assumed)
            + "; give it under [efficiency] or from a standard curve"
        )

    cols = [*factors, *([replicate] if replicate else [])]
    common = dict(factors=factors, control=config.control, replicate=replicate,
                  contrasts=config.contrasts, test=config.test, alpha=config.alpha)  # fmt: skip
    fold = compare_groups(samples, value="log2_rq", item="target", **common)
    ratio_samples = ratio_table(samples, config.ratios, cols)
    missing_ratio = [n for n, pair in config.ratios.items() if not set(pair) <= set(targets)]
    if missing_ratio:
        raise ConfigError(
            f"ratio(s) {', '.join(missing_ratio)} name targets not in the data",
            where=f"{config.source or 'settings'} [ratios]",
            hint=f"targets are {', '.join(t for t in targets if t not in config.reference_genes)}",
        )
    ratios = _ratio_results(ratio_samples, factors, replicate, config, common)
    fold, ratios = _adjust(fold, ratios, config.adjust)
    return Results(
        wells=wells,
        replicates=replicates,
        samples=samples,
        fold_changes=fold,
        ratios=ratios,
        ratio_samples=ratio_samples,
        qc=qc,
        config=config,
        factors=tuple(factors),
        targets=targets,
        inputs=tuple(inputs),
        runs=tuple(runs),
        warnings=tuple(warnings),
    )


def _factors(wells: pd.DataFrame, config: AnalysisConfig) -> list[str]:
    candidates = [c for c in wells.columns if c not in _NOT_FACTORS and c != config.replicate]
    if not config.control:
        raise MissingControlError(
            "no control group is set",
            where="settings [control]",
            hint="Name the control level of each design factor, e.g. [control] oxygen = "
            f'"normoxia"; columns that look like factors: {", ".join(candidates) or "none"}',
        )
    for factor in config.control:
        if factor not in wells.columns:
            raise ConfigError(
                f"factor '{factor}' is not a column of the layout or export",
                where="settings [control]",
                hint=_suggest(factor, candidates),
            )
    return list(config.control)


def _replicate(wells: pd.DataFrame, config: AnalysisConfig) -> str | None:
    if config.replicate is None:
        return None
    if config.replicate not in wells.columns:
        cols = [c for c in wells.columns if c not in _NOT_FACTORS]
        raise ConfigError(
            f"replicate column '{config.replicate}' is not in the layout or export",
            where="settings replicate",
            hint=_suggest(config.replicate, cols),
        )
    return config.replicate


def _check_references(targets: Sequence[str], config: AnalysisConfig) -> None:
    if not config.reference_genes:
        raise ConfigError(
            "no reference gene is set",
            where="settings reference_genes",
            hint=f"Choose one or more housekeeping genes among {', '.join(targets)}",
        )
    for gene in config.reference_genes:
        if gene not in targets:
            raise ConfigError(
                f"reference gene '{gene}' is not among the targets measured",
                where="settings reference_genes",
                hint=_suggest(gene, targets),
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
    unkn = wells[wells["sample_type"].eq("unkn") & ~wells["exclude_reason"].eq("not in layout")]
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
         "rule": "missing-reference" if "reference" in r["note"] else "missing-target",
         "severity": "warn", "value": np.nan, "threshold": np.nan,
         "message": f"{r['sample']}: {r['note']}; no ΔCq for this sample"}
        for r in bad.to_dict("records")
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def _ratio_results(
    ratio_samples: pd.DataFrame, factors: list[str], replicate: str | None,
    config: AnalysisConfig, common: dict,
) -> pd.DataFrame:  # fmt: skip
    columns = ["ratio", "contrast", *factors, "n", "value", "ci_low", "ci_high", "fold_change",
               "fc_ci_low", "fc_ci_high", "p_value", "test", "note"]  # fmt: skip
    if ratio_samples.empty:
        return pd.DataFrame(columns=columns)
    summary = group_summary(ratio_samples, value="log2_ratio", item="ratio", factors=factors,
                            replicate=replicate, alpha=config.alpha)  # fmt: skip
    summary["value"] = 2.0 ** summary["mean_log2"]
    summary["ci_low"] = 2.0 ** summary["ci_low_log2"]
    summary["ci_high"] = 2.0 ** summary["ci_high_log2"]
    tests = compare_groups(ratio_samples, value="log2_ratio", item="ratio", **common)
    default = tests[tests["contrast"].str.endswith(" vs control")]
    default = default.rename(columns={"ci_low": "fc_ci_low", "ci_high": "fc_ci_high"})
    keep = ["ratio", "contrast", *factors, "fold_change", "fc_ci_low", "fc_ci_high", "p_value",
            "test", "note"]  # fmt: skip
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
        extra = extra.rename(columns={"ci_low": "fc_ci_low", "ci_high": "fc_ci_high"})
        table = pd.concat([table, extra[[*keep, "n"]]], ignore_index=True)
    return table.reset_index(drop=True)


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
