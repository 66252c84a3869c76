"""Factorial analysis of every target and ratio: ANOVA and simple-effect / interaction contrasts
on per-sample log2 values, with the biological replicate as a block (methods.md §3.3-3.6).

The statistics themselves live in :mod:`qpcr.stats`; this module applies them per item, keeps
one value per biological unit (technical replicates and several samples of one unit are
averaged first), and adjusts each contrast's p-values across targets and ratios.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from .config import AnalysisConfig
from .errors import QpcrError
from .grouped import records
from .groups import biological_units
from .kept import Kept
from .schema import columns_of
from .stats import adjust_pvalues
from .stats.design import _Design
from .stats.linear import _AnovaPlan, _ContrastPlan

__all__ = ["factorial_tables"]

#: The plans (:func:`_plans`) of text designs by their content (:func:`_items`) and settings,
#: kept across calls: the plates of a batch usually share their designs.
_PLANS = Kept[tuple[Any, Any]](size=64)


def _items(
    samples: pd.DataFrame, ratio_samples: pd.DataFrame, factors: list[str],
    replicate: str | None, refs: Sequence[str], units: tuple[pd.DataFrame, pd.DataFrame] | None,
):  # fmt: skip
    """(kind, name, design key, whether the key is text, biological units, the positions of
    the item's units with a value, their values) for every target but the reference genes and
    every ratio: the units of all items come from one grouping (``units`` when given), then are
    split per item. The design key holds what a plan reads besides the response (the value
    column's name, the units' columns, the factors' categories, the item's factor levels and
    units row by row): items with the same key share the model's design. When every level and
    unit is text, equal keys mean equal designs in any table (:data:`_PLANS` keeps them across
    calls)."""
    tables = [("target", samples, "log2_rq", refs)]
    if not ratio_samples.empty:
        tables.append(("ratio", ratio_samples, "log2_ratio", ()))
    for k, (kind, table, value, left_out) in enumerate(tables):
        # the items as ``groupby(kind, sort=False)`` orders them: by first row, NA left out
        names = [n for n in dict.fromkeys(table[kind].tolist()) if n not in left_out]
        names = [n for n in names if not pd.isna(n)]
        found = (
            biological_units(table, value, kind, factors, replicate) if units is None else units[k]
        )
        response = found[value].to_numpy(float)
        at: dict[Any, list[int]] = {name: [] for name in names}
        for i, (name, y) in enumerate(zip(found[kind].tolist(), response.tolist(), strict=True)):
            if y == y:  # the units with a value
                at.setdefault(name, []).append(i)
        columns = [found[c] for c in factors]
        design = [column.tolist() for column in [*columns, found["unit"]]]
        text = set(map(type, chain.from_iterable(design))) <= {str}
        cats = tuple(
            tuple(c.cat.categories) if isinstance(c.dtype, pd.CategoricalDtype) else None
            for c in columns
        )  # fmt: skip
        head = (value, tuple(found.columns), cats)
        keys: dict[tuple[int, ...], tuple[Any, ...]] = {}  # by rows: items often share them
        for name in names:
            rows = tuple(at[name])
            if rows not in keys:
                keys[rows] = (*head, *(tuple(column[i] for i in rows) for column in design))
            yield kind, name, keys[rows], text, found, at[name], response[at[name]]


def factorial_tables(
    samples: pd.DataFrame,
    ratio_samples: pd.DataFrame,
    factors: Sequence[str],
    replicate: str | None,
    config: AnalysisConfig,
    failed: Mapping[tuple[str, str], str] | None = None,
    units: tuple[pd.DataFrame, pd.DataFrame] | None = None,
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
    units
        The biological units (:func:`qpcr.groups.biological_units`) of ``samples`` and of
        ``ratio_samples`` when already computed.

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
    anova_parts: list[dict[str, list[Any]]] = []  # per item, its rows' columns
    contrast_parts: list[dict[str, list[Any]]] = []
    block = "unit" if replicate else None
    failed = failed or {}
    items = _items(samples, ratio_samples, list(factors), replicate, config.reference_genes, units)
    # the plans' settings: with the design key (:func:`_items`), what a plan is built from
    settings = (tuple(factors), block, tuple(config.control.items()), config.alpha,
                config.factorial_method)  # fmt: skip
    local: dict[Any, tuple[Any, Any]] = {}  # the plans of designs that are not all text
    for kind, name, shape, text, table, at, response in items:

        def plan_design(table: pd.DataFrame = table, at: Any = at, shape: Any = shape) -> Any:
            return _plans(
                table.iloc[at].reset_index(drop=True), shape[0], list(factors), block, config
            )

        if text:
            plan = _PLANS.get((settings, shape), plan_design)
        elif (settings, shape) in local:
            plan = local[settings, shape]
        else:
            plan = local[settings, shape] = plan_design()
        # a plan reads only the response of an item that shares its design
        found, compared = (_columns(part, response) for part in plan)
        if replicate and "term" in found:
            found["term"] = [replicate if t == "unit" else t for t in found["term"]]
        if (kind, name) in failed:
            found, compared = (_withheld(c, failed[kind, name]) for c in (found, compared))
        for part, parts in ((found, anova_parts), (compared, contrast_parts)):
            n = len(next(iter(part.values())))
            if n:
                parts.append({"item": [kind] * n, "name": [name] * n, **part})
    anova = pd.DataFrame(_declared(anova_parts, "anova"))
    # the model's interval is on log2; ci_low/ci_high always bound fold_change (fc_ci_* too,
    # for one release)
    columns = _declared(contrast_parts, "contrasts", _FROM)
    size = len(columns["contrast"])
    p, adjusted = np.array(columns["p_value"], dtype=float), np.full(size, np.nan)
    by_label: dict[Any, list[int]] = {}  # the rows of each contrast
    for i, label in enumerate(columns["contrast"]):
        if isinstance(label, str):  # a failed model's row has none
            by_label.setdefault(label, []).append(i)
    for rows in by_label.values():
        adjusted[rows] = adjust_pvalues(p[rows], config.adjust)
    columns["p_adj"] = adjusted
    columns["adjust"] = pd.array([config.adjust] * size, dtype="str")
    contrasts = pd.DataFrame(columns)
    return {"anova": anova, "contrasts": contrasts}


def _plans(
    rows: pd.DataFrame, value: str, factors: list[str], block: str | None, config: AnalysisConfig
) -> tuple[Any, Any]:
    """The ANOVA's and the contrasts' plans of the design of ``rows`` (one item's biological
    units), each the error that refused it when it cannot be fitted."""
    design = _plan(_Design, rows, value, factors, block, "factorial_anova")
    design = None if isinstance(design, QpcrError) else design  # each says why
    return (
        _plan(_AnovaPlan, rows, value, factors, block, 2, design),
        _plan(_ContrastPlan, rows, value, factors, block, dict(config.control), config.alpha,
              config.factorial_method, design),
    )  # fmt: skip


def _plan(kind: Any, units: pd.DataFrame, *args: Any) -> Any:
    """The plan ``kind(units, *args)`` (the model work that depends on the design alone,
    shared by the items with the same design), or the error that refused the design (kept
    without its traceback, which would hold the frames of the call that made it)."""
    try:
        return kind(units, *args)
    except QpcrError as exc:
        return exc.with_traceback(None)


def _columns(plan: Any, response: np.ndarray) -> dict[str, list[Any]]:
    """The columns of the plan's table of the item's ``response`` (its units' values), or one
    row whose note says why there is none."""
    if isinstance(plan, QpcrError):
        return {"note": [str(plan)]}
    try:
        return plan.columns(response)
    except QpcrError as exc:
        return {"note": [str(exc)]}


#: The contrasts' columns taken from another key of the rows.
_FROM = {"ci_low_log2": "ci_low", "ci_high_log2": "ci_high", "ci_low": "fc_ci_low",
         "ci_high": "fc_ci_high"}  # fmt: skip


def _declared(
    parts: list[dict[str, list[Any]]], name: str, taken: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The columns of table ``name`` from ``parts`` (each a few rows' columns, all the same
    length), in the declared order, column ``c`` from the parts' key ``taken[c]`` (else ``c``),
    NaN where a part lacks it (every column when every item's model failed); any other key of
    the parts follows, for the writer's check."""
    taken = taken or {}
    keys = dict.fromkeys(k for part in parts for k in part)
    names = list(dict.fromkeys([*columns_of(name), *(k for k in keys if k not in taken.values())]))
    nan = float("nan")
    columns: dict[str, Any] = {}
    for c in names:
        column: list[Any] = []
        for part in parts:
            found = part.get(taken.get(c, c))
            column += [nan] * len(part["item"]) if found is None else found
        columns[c] = column
    return columns


def _withheld(columns: dict[str, list[Any]], reason: str) -> dict[str, list[Any]]:
    """``columns`` (one table's rows) with every number blanked and the ``fail_on_controls``
    reason as their note."""
    table = pd.DataFrame(columns)
    numbers = [str(c) for c in table if pd.api.types.is_numeric_dtype(table[c]) and c != "n"]
    table[numbers] = np.nan
    table["note"] = f"failed: {reason} (fail_on_controls)"
    rows = records(table)
    return {c: [row[c] for row in rows] for c in table.columns}
