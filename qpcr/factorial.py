"""Factorial analysis of every target and ratio: ANOVA and simple-effect / interaction contrasts
on per-sample log2 values, with the biological replicate as a block (methods.md §3.3-3.6).

The statistics themselves live in :mod:`qpcr.stats`; this module applies them per item, keeps
one value per biological unit (technical replicates and several samples of one unit are
averaged first), and adjusts each contrast's p-values across targets and ratios.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .config import AnalysisConfig
from .errors import QpcrError
from .groups import biological_units
from .schema import columns_of
from .stats import adjust_pvalues, factorial_anova, factorial_contrasts

__all__ = ["factorial_tables"]


def _items(
    samples: pd.DataFrame, ratio_samples: pd.DataFrame, factors: list[str],
    replicate: str | None, refs: Sequence[str],
):  # fmt: skip
    """(kind, name, biological units, value column) for every target and ratio: the units of
    all items come from one grouping, then are split per item."""
    tables = [("target", "target", samples[~samples["target"].isin(refs)], "log2_rq")]
    if not ratio_samples.empty:
        tables.append(("ratio", "ratio", ratio_samples, "log2_ratio"))
    for kind, column, table, value in tables:
        names = list(table.groupby(column, sort=False).groups)
        units = biological_units(table, value, column, factors, replicate)
        split: dict[Any, pd.DataFrame] = dict(list(units.groupby(column, sort=False)))
        for name in names:
            yield kind, name, split[name].reset_index(drop=True), value


def factorial_tables(
    samples: pd.DataFrame,
    ratio_samples: pd.DataFrame,
    factors: Sequence[str],
    replicate: str | None,
    config: AnalysisConfig,
    failed: Mapping[tuple[str, str], str] | None = None,
) -> dict[str, pd.DataFrame]:
    """``anova`` (one row per item × term) and ``contrasts`` (one row per item × contrast).

    ANOVA: Type II sums of squares on y = log2 RQ (−ΔCq) or the log2 ratio, factors crossed,
    the replicate as a fixed block when it is given (Type III with sum contrasts when the
    design is unbalanced; the ``ss_type`` column says which). Contrasts use
    ``config.factorial_method`` (``rcbd``: pooled block-model error). A donor missing a sample
    keeps its other samples: ANOVA and ``rcbd`` contrasts then come from the REML
    random-intercept mixed model with Satterthwaite df (methods.md §3.3). Items whose design cannot
    be fitted get a ``note`` instead of numbers; the ANOVA and the contrasts are tried apart,
    so an item whose ANOVA is refused (e.g. an empty cell) keeps its estimable contrasts.
    ``failed`` maps ``(kind, name)`` (``"target"``/``"ratio"``) to a reason (``fail_on_controls``):
    such an item keeps its rows with the numbers withheld and ``note`` "failed: <reason>
    (fail_on_controls)", and stays out of the p-value adjustment. Empty tables without factors.

    Parameters
    ----------
    samples
        One row per sample and target, with ``log2_rq`` and the factors.
    ratio_samples
        One row per sample and ratio, with ``log2_ratio`` and the factors.
    factors
        The design factors.
    replicate
        The column naming the biological replicate (a block), or None.
    config
        The analysis settings (``reference_genes`` are left out; ``control``, ``alpha``,
        ``factorial_method``, ``adjust``).
    failed
        ``(kind, name)`` → reason, for the items whose controls failed.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``{"anova": ..., "contrasts": ...}`` in the declared columns; ``{}`` without factors.

    Examples
    --------
    ``example_results()`` is a small analysis (MYC and HIF1A against GAPDH, hypoxia against
    normoxia, three samples each; see the repository's ``conftest.py``):

    >>> results = example_results()
    >>> tables = factorial_tables(results.samples, results.ratio_samples, results.factors,
    ...                           None, results.config)
    >>> anova = tables["anova"]
    >>> print(anova[anova["term"] == "oxygen"][["item", "name", "df", "F", "p_value"]]
    ...       .round(6).to_string(index=False))
      item      name  df          F  p_value
    target       MYC 1.0 133.884615 0.000319
    target     HIF1A 1.0 112.000000 0.000451
     ratio MYC/HIF1A 1.0   1.800000 0.250815
    >>> print(tables["contrasts"][["name", "fold_change", "p_adj"]].round(6).to_string(index=False))
         name  fold_change    p_adj
          MYC     3.908640 0.000956
        HIF1A     3.646890 0.000956
    MYC/HIF1A     1.071773 0.250815
    """
    if not factors:
        return {}
    anova_rows, contrast_rows = [], []
    block = "unit" if replicate else None
    failed = failed or {}
    items = _items(samples, ratio_samples, list(factors), replicate, config.reference_genes)
    for kind, name, units, value in items:
        item = {"item": kind, "name": name}
        units = units.dropna(subset=[value])
        try:
            anova = factorial_anova(units, value, list(factors), block=block)
        except QpcrError as exc:
            anova = pd.DataFrame([{"note": str(exc)}])
        try:
            contrasts = factorial_contrasts(
                units, value, list(factors), block=block, control=dict(config.control),
                alpha=config.alpha, method=config.factorial_method,
            )  # fmt: skip
        except QpcrError as exc:
            contrasts = pd.DataFrame([{"note": str(exc)}])
        if replicate and "term" in anova:
            anova["term"] = anova["term"].replace("unit", replicate)
        if (kind, name) in failed:
            anova, contrasts = (_withheld(t, failed[kind, name]) for t in (anova, contrasts))
        anova_rows += [{**item, **r} for r in anova.to_dict("records")]
        contrast_rows += [{**item, **r} for r in contrasts.to_dict("records")]
    anova = _declared(pd.DataFrame(anova_rows), "anova")
    # the model's interval is on log2; ci_low/ci_high always bound fold_change (fc_ci_* too,
    # for one release)
    contrasts = pd.DataFrame(contrast_rows).rename(
        columns={"ci_low": "ci_low_log2", "ci_high": "ci_high_log2"}
    )
    contrasts = contrasts.assign(ci_low=contrasts.get("fc_ci_low", float("nan")),
                                 ci_high=contrasts.get("fc_ci_high", float("nan")))  # fmt: skip
    contrasts = _declared(contrasts, "contrasts")
    for _, index in contrasts.groupby("contrast", sort=False).groups.items():
        contrasts.loc[index, "p_adj"] = adjust_pvalues(
            contrasts.loc[index, "p_value"].to_numpy(float), config.adjust
        )
    contrasts["adjust"] = config.adjust
    return {"anova": anova, "contrasts": contrasts}


def _declared(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` in the declared column order of table ``name``, with the columns it lacks (every
    item's model failed) added empty; any other column stays, for the writer's check."""
    return frame.reindex(columns=list(dict.fromkeys([*columns_of(name), *frame.columns])))


def _withheld(table: pd.DataFrame, reason: str) -> pd.DataFrame:
    """``table`` with every number blanked and the ``fail_on_controls`` reason as its note."""
    table = table.copy()
    numbers = [str(c) for c in table if pd.api.types.is_numeric_dtype(table[c]) and c != "n"]
    table[numbers] = np.nan
    table["note"] = f"failed: {reason} (fail_on_controls)"
    return table
