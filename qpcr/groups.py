"""Group comparisons on the log2 scale: fold changes and ratios against the control group.

Input is a long table with one value per biological sample and item (a target's log2 RQ = −ΔCq,
or a ratio's log2 value), the design factors and, optionally, the biological-replicate column.
Several samples of one biological replicate in one group are averaged first (they are not n).
Each group (a combination of factor levels) is compared with the control group, and each extra
:class:`~qpcr.config.Contrast` numerator with its denominator; groups given by only some
factors pool the others within each biological replicate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .config import Contrast
from .errors import ConfigError, MissingControlError, did_you_mean
from .grouped import level_texts, moments
from .kept import content_key
from .selection import _NO_UNITS, _UNITS, _group_keys, _Layout, _Selector, _Units
from .stats.tests import two_group_tests

__all__ = [
    "biological_units",
    "compare_groups",
    "group_label",
    "group_order",
    "group_summary",
    "level_texts",
]


def group_label(levels: Mapping[str, str]) -> str:
    """``oxygen=hypoxia, treatment=vehicle`` (factors in the given order).

    Parameters
    ----------
    levels
        Factor → level of one group.

    Returns
    -------
    str
        The group's label.

    Examples
    --------
    >>> group_label({"oxygen": "hypoxia", "treatment": "vehicle"})
    'oxygen=hypoxia, treatment=vehicle'
    """
    return ", ".join(f"{k}={v}" for k, v in levels.items())


def group_order(
    table: pd.DataFrame, factors: Sequence[str], control: Mapping[str, str]
) -> list[dict[str, str]]:
    """The groups present in ``table``: the control group first, then by each factor's levels
    in order of first appearance (control level first).

    Parameters
    ----------
    table
        Rows with a column per factor.
    factors
        The design factors, in order.
    control
        Factor → control level.

    Returns
    -------
    list of dict
        Factor → level, one dict per group.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"oxygen": ["normoxia", "hypoxia", "hypoxia"],
    ...                       "drug": ["none", "none", "ABC"]})
    >>> group_order(table, ["oxygen", "drug"], {"oxygen": "hypoxia", "drug": "none"})
    [{'oxygen': 'hypoxia', 'drug': 'none'}, {'oxygen': 'hypoxia', 'drug': 'ABC'},
     {'oxygen': 'normoxia', 'drug': 'none'}]
    """
    return _group_order([level_texts(table[f]) for f in factors], factors, control,
                        len(table))  # fmt: skip


def _group_order(
    columns: Sequence[list], factors: Sequence[str], control: Mapping[str, str], length: int
) -> list[dict[str, str]]:
    """:func:`group_order` of the factors' levels as text (``columns``, ``length`` rows)."""
    rank = {}
    for f, column in zip(factors, columns, strict=True):
        levels = list(dict.fromkeys(column))
        if control.get(f) in levels:
            levels.remove(control[f])
            levels.insert(0, control[f])
        rank[f] = {level: i for i, level in enumerate(levels)}
    groups = dict.fromkeys(zip(*columns, strict=True)) if factors else [()] * length
    records = [{str(f): str(v) for f, v in zip(factors, g, strict=True)} for g in groups]
    return sorted(records, key=lambda g: tuple(rank[f][g[f]] for f in factors))


def biological_units(
    values: pd.DataFrame, value: str, item: str, factors: Sequence[str], replicate: str | None
) -> pd.DataFrame:
    """One value per item × group × biological replicate (mean of its samples, log2 scale).

    Without ``replicate`` each sample is its own biological unit. Adds ``n_samples``, the
    bound flags ``upper_bound``/``lower_bound`` (any of the unit's samples is a bound: it
    includes a non-detect set at the detection limit, see :mod:`qpcr.censoring`) and
    ``not_detected`` (every sample of the unit is flagged ``not_detected``: all its wells are
    non-detects; False when ``values`` has no such column).

    Parameters
    ----------
    values
        One row per sample and item: ``sample``, ``item``, the factors, ``value`` (and
        ``replicate`` when given).
    value
        The column holding the log2 values.
    item
        The column naming the target (or ratio).
    factors
        The design factors.
    replicate
        The column naming the biological replicate, or None.

    Returns
    -------
    pandas.DataFrame
        ``item, <factors>, unit, value, n_samples, upper_bound, lower_bound, not_detected``.

    Examples
    --------
    Two samples of donor d1 become one unit (their mean):

    >>> import pandas as pd
    >>> values = pd.DataFrame({"target": "MYC", "sample": ["s1", "s2", "s3"],
    ...                        "donor": ["d1", "d1", "d2"], "group": "ctrl",
    ...                        "log2_rq": [-5.0, -5.3, -4.8]})
    >>> biological_units(values, "log2_rq", "target", ["group"], "donor")
      target group unit  log2_rq  n_samples  upper_bound  lower_bound  not_detected
    0    MYC  ctrl   d1    -5.15          2        False        False         False
    1    MYC  ctrl   d2    -4.80          1        False        False         False
    """
    return _units(values, value, item, factors, replicate)[0]


def _units(
    values: pd.DataFrame, value: str, item: str, factors: Sequence[str], replicate: str | None
) -> tuple[pd.DataFrame, _Layout]:
    """:func:`biological_units` and the :class:`_Layout` of its key columns."""
    keys = [item, *factors, replicate if replicate else "sample"]
    layout = _UNITS.get(content_key(values, keys), lambda: _Layout(values, keys))
    code = layout.code
    found = dict(layout.keyed)  # the table copies the kept cells
    found[value] = moments(values[value].to_numpy(float), code)[0]
    found["n_samples"] = counts = np.bincount(code)
    for flag, every in (("upper_bound", False), ("lower_bound", False), ("not_detected", True)):
        flagged = np.zeros(len(code), dtype=bool)
        if flag in values:  # NaN is skipped, as groupby's any/all skip it
            column = values[flag]
            flagged = (column if column.dtype == bool else column.fillna(every)).to_numpy(bool)
        counted = np.bincount(code[flagged != every], minlength=len(counts))
        found[flag] = counted == 0 if every else counted > 0
    return pd.DataFrame(found), layout


def _check_levels(
    texts: Mapping[str, list], spec: Mapping[str, str], factors: Sequence[str], where: str
) -> None:
    """Refuse a ``spec`` naming a factor that is not a design factor, or a level that is not
    in the data (``texts``: each factor's levels as text, :attr:`_Selector.texts`)."""
    for factor, level in spec.items():
        if factor not in factors:
            raise ConfigError(
                f"'{factor}' is not a design factor; expected one of {', '.join(factors)}",
                where=where,
                hint=did_you_mean(factor, factors),
            )
        levels = sorted(set(texts[factor]))
        if level not in levels:
            raise ConfigError(
                f"level '{level}' of factor '{factor}' is not in the data; expected one of "
                f"{', '.join(levels)}",
                where=where,
                hint=did_you_mean(level, levels),
            )


def _comparisons(
    texts: Mapping[str, list], length: int, factors: Sequence[str], control: Mapping[str, str],
    contrasts: Sequence[Contrast], contrasts_at: str,
) -> list[tuple[str, dict[str, str], dict[str, str]]]:  # fmt: skip
    out = []
    for levels in _group_order([texts[f] for f in factors], factors, control, length):
        if all(levels[f] == control[f] for f in factors):
            continue
        out.append((f"{group_label(levels)} vs control", levels, dict(control)))
    for c in contrasts:
        for side, spec in (("numerator", c.numerator), ("denominator", c.denominator)):
            _check_levels(texts, spec, factors, f"{contrasts_at} '{c.name}' {side}")
        out.append((c.name, dict(c.numerator), dict(c.denominator)))
    return out


def compare_groups(
    values: pd.DataFrame,
    *,
    value: str,
    item: str,
    factors: Sequence[str],
    control: Mapping[str, str],
    replicate: str | None = None,
    contrasts: Sequence[Contrast] = (),
    test: str = "auto",
    alpha: float = 0.05,
    min_n: int = 2,
    units: pd.DataFrame | None = None,
    where: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Compare every group with the control group (and each extra contrast), per item.

    ``test``: ``auto`` pairs by biological replicate when both groups hold the same replicates
    (paired t on the differences), else Welch; ``welch``/``student`` never pair; ``paired``
    always pairs (on the replicates present in both groups); ``mann-whitney`` and
    ``permutation`` pair like ``auto``. Groups with fewer than ``min_n`` biological units get
    their fold change without a test (``note`` says why).

    Parameters
    ----------
    values
        One row per sample and item (see :func:`biological_units`); an optional boolean
        ``not_detected`` column.
    value
        The column holding the log2 values (e.g. ``log2_rq``).
    item
        The column naming the target (or ratio).
    factors
        The design factors.
    control
        Factor → control level (every factor needs one).
    replicate
        The column naming the biological replicate, or None (each sample is one).
    contrasts
        Extra comparisons beyond every group vs control.
    test
        ``auto``, ``welch``, ``student``, ``paired``, ``mann-whitney`` or ``permutation``.
    alpha
        1 − the confidence level of the intervals.
    min_n
        The fewest biological units per group for a test.
    units
        ``biological_units(values, value, item, factors, replicate)`` when already computed.
    where
        Where ``control`` and ``contrasts`` were given, for errors (e.g. ``{"control":
        "--control"}``, from :meth:`~qpcr.config.AnalysisConfig.where`); by default the
        parameter's name.

    Returns
    -------
    pandas.DataFrame
        One row per contrast × item: ``contrast, item, <factors>`` (the compared group's
        levels; '' where a contrast pools a factor), ``n, n_ref, log2_fold_change, se, df,
        statistic, fold_change, ci_low, ci_high`` (fold-change scale), ``p_value, test``,
        ``bound`` (``≤``/``≥`` when non-detects make the fold change a bound) and ``note``. A
        group whose every unit is ``not_detected`` (an optional boolean column of ``values``:
        all wells of the sample are non-detects) is "not detected", without a number; a group
        with some detected wells gets its fold change as a bound (methods.md §2.9).

    Raises
    ------
    MissingControlError
        ``control`` names no level for a factor.
    ConfigError
        A control level or contrast names an unknown factor or level.

    Examples
    --------
    T12 in methods.md: ΔCq control {5.0, 5.3, 4.8}, treated {2.8, 3.1, 2.5} (log2 RQ = −ΔCq);
    fold change 4.702192, 95 % CI [3.027407, 7.303481], Welch p 0.000682:

    >>> import pandas as pd
    >>> values = pd.DataFrame({"target": "MYC", "sample": ["c1", "c2", "c3", "t1", "t2", "t3"],
    ...                        "group": ["ctrl"] * 3 + ["drug"] * 3,
    ...                        "log2_rq": [-5.0, -5.3, -4.8, -2.8, -3.1, -2.5]})
    >>> result = compare_groups(values, value="log2_rq", item="target", factors=["group"],
    ...                         control={"group": "ctrl"})
    >>> columns = ["contrast", "n", "fold_change", "ci_low", "ci_high", "p_value", "test"]
    >>> print(result[columns].round(6).to_string(index=False))
                 contrast  n  fold_change   ci_low  ci_high  p_value  test
    group=drug vs control  3     4.702192 3.027407 7.303481 0.000682 welch
    """
    found = _compared(values, value=value, item=item, factors=factors, control=control,
                      replicate=replicate, contrasts=contrasts, test=test, alpha=alpha,
                      min_n=min_n, units=units, where=where)  # fmt: skip
    return _table(found)


def _table(found: dict[str, Any]) -> pd.DataFrame:
    """:func:`compare_groups`' table of its columns (:func:`_compared`)."""
    index = pd.RangeIndex(len(found["contrast"]))  # one index: nothing to align
    found.update({c: pd.Series(found[c], index=index, dtype=object) for c in _TEXTS})
    return pd.DataFrame(found, index=index)


def _compared(
    values: pd.DataFrame, *, value: str, item: str, factors: Sequence[str],
    control: Mapping[str, str], replicate: str | None, contrasts: Sequence[Contrast], test: str,
    alpha: float, min_n: int, units: pd.DataFrame | None, where: Mapping[str, str] | None,
    layout: _Layout | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The columns of :func:`compare_groups`' table (its parameters; ``layout``: the one
    ``units`` was made with, :func:`_units`), by name."""
    at = {"control": "control", "contrasts": "contrasts", **(where or {})}
    missing = [f for f in factors if f not in control]
    if missing:
        raise MissingControlError(
            f"the control group names no level for factor(s) {', '.join(missing)}",
            where=at["control"],
            hint='Give the control level of every design factor, e.g. oxygen = "normoxia"',
        )
    if units is None:
        units = biological_units(values, value, item, factors, replicate)
    selector = _Selector(units, factors, value, item, layout)
    texts = selector.keys.texts
    _check_levels(texts, control, factors, at["control"])
    rows, cases, tested = [], [], []
    items = list(dict.fromkeys(selector.keys.items))
    for label, num, den in _comparisons(texts, len(units), factors, control, contrasts,
                                        at["contrasts"]):  # fmt: skip
        treated, ref = selector.select(num), selector.select(den)
        for name in items:
            pair = (ref.get(name, _NO_UNITS), treated.get(name, _NO_UNITS))
            row, case = _case(label, name, num, factors, *pair, replicate, test)
            rows.append(row)
            if case is not None:
                cases.append(case)
                tested.append((row, pair))
    kind = {"auto": "welch", "paired": "welch"}.get(test, test)
    results = two_group_tests(cases, test=kind, alpha=alpha, min_n=min_n)
    for (row, (ref_units, treated_units)), res in zip(tested, results, strict=True):
        _with_result(row, res, treated_units, ref_units)
    return _columns_of_rows(rows, item, factors)


#: The columns of :func:`compare_groups` before and after the factors, ``item`` named after it.
_HEAD, _TAIL = ("contrast", "item"), ("n", "n_ref", "log2_fold_change", "se", "df", "statistic",
                                      "fold_change", "ci_low", "ci_high", "p_value")  # fmt: skip
_TEXTS = ("test", "bound", "note")


def _columns_of_rows(rows: list[dict], item: str, factors: Sequence[str]) -> dict[str, Any]:
    """The comparisons' rows (:func:`_case`, :func:`_with_result`) as columns: a table of them
    has the dtypes ``pd.DataFrame(rows)`` infers (a number missing from a row is NaN) when the
    texts ``test``/``bound``/``note`` ('' where missing) are made objects."""
    found: dict[str, Any] = {}
    for c in [*_HEAD, *factors, *_TAIL, *_TEXTS]:
        cells = [r.get(c, math.nan) for r in rows]
        if c in _TEXTS:
            found[c] = [v if isinstance(v, str) else "" for v in cells]
        elif c in _TAIL:  # numbers: numpy infers int64 or float64 as pandas would
            found[c] = np.asarray(cells, dtype=None if rows else float)
        else:  # no rows: NaN columns, as a table without rows reindexed
            found[item if c == "item" else c] = cells if rows else np.empty(0)
    return found


def _bound(treated: _Units, ref: _Units) -> str:
    """``≤`` when the fold change is an upper bound (non-detects in the compared group or a
    lower-bound control), ``≥`` for a lower bound, ``?`` when both, '' when exact."""
    upper = bool(treated.upper.any() or ref.lower.any())
    lower = bool(treated.lower.any() or ref.upper.any())
    return {(True, False): "≤", (False, True): "≥", (True, True): "?"}.get((upper, lower), "")


def _case(
    label: str, name: object, levels: Mapping[str, str], factors: Sequence[str],
    ref_units: _Units, treated_units: _Units, replicate: str | None, test: str,
) -> tuple[dict, tuple[np.ndarray, np.ndarray, bool] | None]:  # fmt: skip
    """One comparison's row (its keys) and its test's ``(control, treated, paired)`` case for
    :func:`~qpcr.stats.tests.two_group_tests`; no case when a group has no detected value (the
    row then says so and is complete)."""
    ref, treated = ref_units.value, treated_units.value
    pairable = bool(replicate) and len(ref) > 0 and set(ref_units.units) == set(treated_units.units)
    paired = test == "paired" or (test not in ("welch", "student") and pairable)
    row: dict = {"contrast": label, "item": name}
    row.update({f: levels.get(f, "") for f in factors})
    for units, where in ((treated_units, "compared group"), (ref_units, "control group")):
        present = ~np.isnan(units.value)
        if not (present & ~units.nd).any():
            why = "not detected" if present.any() else "no usable value"
            row.update(n=int((~np.isnan(treated)).sum()), n_ref=int((~np.isnan(ref)).sum()),
                       bound="", note=f"{why} in the {where}")  # fmt: skip
            return row, None
    if paired:  # the units of both groups, in the control group's (sorted) order
        at = {u: i for i, u in enumerate(treated_units.units)}
        common = [(i, at[u]) for i, u in enumerate(ref_units.units) if u in at]
        return row, (ref[[i for i, _ in common]], treated[[j for _, j in common]], True)
    return row, (ref, treated, False)


def _with_result(row: dict, res: dict, treated_units: _Units, ref_units: _Units) -> None:
    """Complete a comparison's row with its test's result ``res`` and its bound."""
    row.update(
        n=res["n"], n_ref=res["n_ref"], log2_fold_change=res["estimate"], se=res["se"],
        df=res["df"], statistic=res["statistic"], fold_change=2.0 ** res["estimate"],
        ci_low=2.0 ** res["ci_low"], ci_high=2.0 ** res["ci_high"], p_value=res["p_value"],
        test=res["test"], note=res["note"], bound=_bound(treated_units, ref_units),
    )  # fmt: skip
    if row["bound"]:
        what = {"≤": "an upper bound", "≥": "a lower bound", "?": "of unknown direction"}
        extra = f"includes non-detects set at the detection limit: {what[row['bound']]}"
        row["note"] = "; ".join(x for x in (row["note"], extra) if x)


def group_summary(
    values: pd.DataFrame, *, value: str, item: str, factors: Sequence[str],
    replicate: str | None = None, alpha: float = 0.05, units: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Per item × group: ``n`` biological units, ``mean_log2``, ``sd_log2`` and the t-interval
    of the mean (``ci_low_log2``, ``ci_high_log2``); NaN interval for n < 2.

    Parameters
    ----------
    values
        One row per sample and item (see :func:`biological_units`).
    value
        The column holding the log2 values.
    item
        The column naming the target (or ratio).
    factors
        The design factors.
    replicate
        The column naming the biological replicate, or None (each sample is one).
    alpha
        1 − the confidence level of the intervals.
    units
        ``biological_units(values, value, item, factors, replicate)`` when already computed.

    Returns
    -------
    pandas.DataFrame
        ``item, <factors>, n, mean_log2, sd_log2, ci_low_log2, ci_high_log2``.

    Examples
    --------
    The groups of T12 in methods.md (log2 RQ = −ΔCq):

    >>> import pandas as pd
    >>> values = pd.DataFrame({"target": "MYC", "sample": ["c1", "c2", "c3", "t1", "t2", "t3"],
    ...                        "group": ["ctrl"] * 3 + ["drug"] * 3,
    ...                        "log2_rq": [-5.0, -5.3, -4.8, -2.8, -3.1, -2.5]})
    >>> group_summary(values, value="log2_rq", item="target", factors=["group"]).round(6)
      target group  n  mean_log2   sd_log2  ci_low_log2  ci_high_log2
    0    MYC  ctrl  3  -5.033333  0.251661    -5.658494     -4.408172
    1    MYC  drug  3  -2.800000  0.300000    -3.545241     -2.054759
    """
    if units is None:
        units = biological_units(values, value, item, factors, replicate)
    return pd.DataFrame(_summary(units, value, item, factors, alpha))


def _summary(
    units: pd.DataFrame, value: str, item: str, factors: Sequence[str], alpha: float,
    layout: _Layout | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The columns of :func:`group_summary`'s table of ``units`` (made with ``layout``, when
    given: :func:`_units`), by name."""
    from .stats.dist import t_ppf

    keys = [item, *factors]
    ids, out = _group_keys(units, keys) if layout is None else layout.groups(units, keys)
    mean, sd, n = moments(units[value].to_numpy(float), ids)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t_ppf(1 - alpha / 2, n - 1) * sd / np.sqrt(n)
    return {**out, "n": n, "mean_log2": mean, "sd_log2": sd, "ci_low_log2": mean - half,
            "ci_high_log2": mean + half}  # fmt: skip
