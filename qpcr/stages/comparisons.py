"""The comparison steps of an analysis: fold changes, ratios and factorial tables
(:func:`compare`), then p-values adjusted across targets and ratios (:func:`adjust`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..config import AnalysisConfig
from ..factorial import factorial_tables
from ..groups import (
    _compared,
    _group_order,
    _Layout,
    _summary,
    _table,
    _units,
    level_texts,
)
from ..quant import ratio_table
from ..results import Results
from ..schema import columns_of
from ..stats import adjust_pvalues

__all__ = ["Compared", "adjust", "compare"]


@dataclass(frozen=True)
class Compared:
    """What :func:`compare` adds: the per-target and per-ratio comparisons (p-values not yet
    adjusted), the per-sample ratios, the factorial tables (``anova``, ``contrasts``, …) and
    each target's group means with their CIs (``groups``)."""

    fold_changes: pd.DataFrame
    ratios: pd.DataFrame
    ratio_samples: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    groups: pd.DataFrame


def compare(
    samples: pd.DataFrame,
    settings: AnalysisConfig,
    *,
    factors: Sequence[str] | None = None,
    reference_genes: Sequence[str] | None = None,
    qc: pd.DataFrame | None = None,
) -> Compared:
    """Compare the groups: fold changes per target, ratios of targets, factorial tables.

    Parameters
    ----------
    samples
        One row per sample × target with ``log2_rq`` (``Quantified.samples`` of
        :func:`qpcr.stages.quantify.quantify`) and a column per design factor.
    settings
        ``control``, ``replicate``, ``contrasts``, ``test``, ``alpha``, ``min_replicates``,
        ``ratios`` and ``fail_on_controls`` are read.
    factors
        The design factors (default: those of ``settings.control``).
    reference_genes
        The reference genes used (default: ``settings.reference_genes``; give the pair chosen
        for ``["auto"]``, ``Quantified.reference_genes``).
    qc
        The QC events; with ``fail_on_controls``, a target whose NTC or no-RT control
        amplified gets no fold change.

    Returns
    -------
    Compared
        ``fold_changes``: one row per target × comparison with ``contrast``,
        ``log2_fold_change``, ``se``, ``df``, ``statistic``, ``fold_change``, ``ci_low``,
        ``ci_high``, ``p_value``, ``test``, ``n``, ``note`` (``p_adj`` comes from
        :func:`adjust`); ``ratio_samples``: ``log2_ratio`` per sample and ratio; ``ratios``:
        per ratio and group ``value`` with ``value_ci_low``/``value_ci_high`` and the fold
        change against the control; ``tables``: the factorial tables; ``groups``: per target
        and group ``n``, ``mean_log2``, ``sd_log2``, ``ci_low_log2``, ``ci_high_log2``.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.config import from_mapping
    >>> samples = pd.DataFrame({
    ...     "sample": ["n1", "n2", "n3", "h1", "h2", "h3"], "target": "MYC",
    ...     "oxygen": ["normoxia"] * 3 + ["hypoxia"] * 3,
    ...     "log2_rq": [0.1, -0.1, 0.0, 2.0, 2.2, 1.8],
    ... })
    >>> settings = from_mapping({"reference_genes": ["GAPDH"],
    ...                          "control": {"oxygen": "normoxia"}})
    >>> found = compare(samples, settings)
    >>> found.fold_changes[["target", "contrast", "log2_fold_change", "fold_change"]].round(3)
      target                   contrast  log2_fold_change  fold_change
    0    MYC  oxygen=hypoxia vs control               2.0          4.0
    """
    factors = list(settings.control if factors is None else factors)
    replicate = settings.replicate
    refs = tuple(settings.reference_genes if reference_genes is None else reference_genes)
    cols = [*factors, *([replicate] if replicate else [])]
    common: dict[str, Any] = dict(factors=factors, control=settings.control, replicate=replicate,
                  contrasts=settings.contrasts, test=settings.test, alpha=settings.alpha,
                  min_n=settings.min_replicates,
                  where={k: settings.where(k) for k in ("control", "contrasts")})  # fmt: skip
    units, layout = _units(samples, "log2_rq", "target", factors, replicate)
    fold = _table(_compared(samples, value="log2_rq", item="target", units=units, layout=layout,
                            **common))  # fmt: skip
    ratio_samples = ratio_table(samples, settings.ratios, cols)
    ratio_units, ratio_layout = pd.DataFrame(), None
    if not ratio_samples.empty:
        ratio_units, ratio_layout = _units(ratio_samples, "log2_ratio", "ratio", factors, replicate)
    ratios = _ratio_results(ratio_samples, ratio_units, ratio_layout, settings, common)
    failed = {}
    if settings.fail_on_controls and qc is not None:
        failed = _control_failures(qc, settings)
    fold, ratios = _fail_on_controls(fold, ratios, failed)
    used = replace(settings, reference_genes=refs)  # the factorial tables leave out the refs
    tables = factorial_tables(samples, ratio_samples, factors, replicate, used, failed,
                              units=(units, ratio_units))  # fmt: skip
    groups = pd.DataFrame(_summary(units, "log2_rq", "target", factors, settings.alpha, layout))
    return Compared(fold, ratios, ratio_samples, tables, groups)


def adjust(results: Results) -> Results:
    """Adjust the p-values within each comparison across targets and ratios.

    Each ``contrast`` is one family: the p-values of every target's fold change and every
    ratio's under that contrast are adjusted together with ``settings.adjust`` (Holm by
    default, methods.md §3.6).

    Parameters
    ----------
    results
        An analysis whose ``fold_changes`` and ``ratios`` carry ``p_value``.

    Returns
    -------
    Results
        A copy whose ``fold_changes`` and ``ratios`` gain ``p_adj`` and ``adjust`` (the
        method's name). Results without comparisons come back as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.config import AnalysisConfig
    >>> from qpcr.results import Results
    >>> fold = pd.DataFrame({"target": ["MYC", "HIF1A"], "contrast": "hypoxia vs control",
    ...                      "p_value": [0.01, 0.04]})
    >>> ratios = pd.DataFrame({"ratio": ["MYC/HIF1A"], "contrast": "hypoxia vs control",
    ...                        "p_value": [0.03]})
    >>> empty = pd.DataFrame()
    >>> results = Results(empty, empty, empty, fold, ratios, empty, empty, AnalysisConfig(),
    ...                   (), (), (), ())
    >>> adjusted = adjust(results)
    >>> adjusted.fold_changes[["target", "p_value", "p_adj", "adjust"]]
      target  p_value  p_adj adjust
    0    MYC     0.01   0.03   holm
    1  HIF1A     0.04   0.06   holm
    >>> adjusted.ratios[["ratio", "p_adj"]]
           ratio  p_adj
    0  MYC/HIF1A   0.06
    """
    if "contrast" not in results.fold_changes:
        return results
    fold, ratios = _adjust(results.fold_changes, results.ratios, results.config.adjust)
    return replace(results, fold_changes=fold, ratios=ratios)


def _ratio_results(
    ratio_samples: pd.DataFrame, units: pd.DataFrame, layout: _Layout | None,
    config: AnalysisConfig, common: dict[str, Any],
) -> pd.DataFrame:  # fmt: skip
    """Per ratio and group: its value with CI, and its comparison with the control group (each
    group's row of the comparisons, matched by ratio and levels as a left merge matches them;
    the control group's own row says so), in group order; then the extra contrasts. ``units``:
    the ratios' biological units, made with ``layout`` (:func:`~qpcr.groups._units`)."""
    factors = common["factors"]
    columns = [c for c in columns_of("ratios", factors) if c not in ("p_adj", "adjust")]
    if ratio_samples.empty:
        return pd.DataFrame(columns=columns)
    summary = _summary(units, "log2_ratio", "ratio", factors, config.alpha, layout)
    tests = _compared(ratio_samples, value="log2_ratio", item="ratio", units=units,
                      layout=layout, **common)  # fmt: skip
    keys = ["ratio", *factors]
    contrast = list(tests["contrast"])
    matches: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(*(list(tests[k]) for k in keys), strict=True)):
        if contrast[i].endswith(" vs control"):
            matches.setdefault(key, []).append(i)
    texts = [level_texts(summary[f]) for f in factors]  # each factor's levels as text
    order = {
        tuple(g.values()): i
        for i, g in enumerate(_group_order(texts, factors, config.control, len(summary["n"])))
    }
    control = tuple(config.control[f] for f in factors)
    rows = []  # (sort key, summary row, test row or -1, the control group's own row)
    for i, key in enumerate(zip(*(summary[k].tolist() for k in keys), strict=True)):
        levels = tuple(t[i] for t in texts)
        for j in matches.get(key, [-1]):
            rows.append(((key[0], order[levels]), i, j, levels == control))
    rows.sort(key=lambda r: r[0])
    at, match = (np.array([r[k] for r in rows], dtype=np.intp) for k in (1, 2))
    own = np.array([r[3] for r in rows], dtype=bool)
    extra = np.flatnonzero(~np.array([c.endswith(" vs control") for c in contrast], bool))
    return _ratio_table(summary, tests, at, match, own, extra, columns)


_TEXTS = ("contrast", "test", "bound", "note")
#: The cells of the control group's own row in the ratios table.
_CONTROL_GROUP: dict[str, Any] = {
    "contrast": "control",
    "fold_change": 1.0,
    "note": "control group",
}


def _ratio_table(
    summary: dict[str, Any], tests: dict[str, Any], at: np.ndarray, match: np.ndarray,
    own: np.ndarray, extra: np.ndarray, columns: list[str],
) -> pd.DataFrame:  # fmt: skip
    """The ratios table of :func:`_ratio_results` from the columns of the group summary and of
    the comparisons: the summary's rows ``at`` with their comparison's row ``match`` (−1: none,
    NaN there; ``own``: the control group), then the comparisons' rows ``extra``."""
    found: dict[str, Any] = {}
    for c in columns:
        if c in summary:  # the groups' keys and n; the contrasts' own from the comparisons
            keys = [*np.asarray(summary[c])[at], *np.asarray(tests[c], dtype=object)[extra]]
            found[c] = pd.array(keys, dtype=summary[c].dtype)
        elif c in ("value", "value_ci_low", "value_ci_high"):
            log2 = summary[{"value": "mean_log2", "value_ci_low": "ci_low_log2",
                            "value_ci_high": "ci_high_log2"}[c]]  # fmt: skip
            found[c] = np.concatenate([2.0 ** log2[at], np.full(len(extra), np.nan)])
        else:
            name = {"fc_ci_low": "ci_low", "fc_ci_high": "ci_high"}.get(c, c)
            cells = np.asarray(tests[name], dtype=object if name in _TEXTS else None)
            # −1: the appended cell, '' for the contrast, NaN for the others
            first = np.append(cells, "" if name == "contrast" else np.nan)[match]
            if c in _CONTROL_GROUP:
                first = np.where(own, _CONTROL_GROUP[c], first)
            found[c] = np.concatenate([first, cells[extra]])
    index = pd.RangeIndex(len(at) + len(extra))  # one index: nothing to align
    for c in _TEXTS:  # objects; the contrast as text when there are comparisons
        if c != "contrast" or not len(tests[c]):
            found[c] = pd.Series(found[c], index=index, dtype=object)
    return pd.DataFrame(found, index=index, columns=columns)


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
    p_fold, p_ratio = (t["p_value"].to_numpy(float) for t in (fold, ratios))
    on_fold, on_ratio = (t["contrast"].to_numpy() for t in (fold, ratios))
    adj_fold, adj_ratio = np.full(len(fold), np.nan), np.full(len(ratios), np.nan)
    for label in dict.fromkeys(on_fold.tolist()):  # each contrast, in order of appearance
        f_at, r_at = np.flatnonzero(on_fold == label), np.flatnonzero(on_ratio == label)
        adj = adjust_pvalues(np.concatenate([p_fold[f_at], p_ratio[r_at]]), method)
        adj_fold[f_at], adj_ratio[r_at] = adj[: len(f_at)], adj[len(f_at) :]
    return fold.assign(p_adj=adj_fold, adjust=method), ratios.assign(p_adj=adj_ratio, adjust=method)
