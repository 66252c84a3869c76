"""Outliers among technical replicates (methods §2.8): flag, never delete.

:func:`flag_replicate_outliers` works on one Cq per well and a grouping that defines the
technical replicates (e.g. plate × sample × target). Wells without a finite Cq are ignored (they
never count towards ``n`` and are never flagged).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd

from .errors import AssumptionWarning, ConfigError, InputError

__all__ = ["MOD_Z_FACTOR", "RULES", "flag_replicate_outliers", "grubbs_critical"]

#: 0.6745 = Φ^-1(0.75): makes the MAD a consistent estimate of σ for normal data.
MOD_Z_FACTOR = 0.6745

#: The ``outlier_rule`` setting: how technical-replicate outliers are found.
Method = Literal["range", "mad", "grubbs", "none"]
RULES: tuple[Method, ...] = get_args(Method)
_DEFAULT_THRESHOLD: dict[Method, float] = {"range": 0.5, "mad": 3.5, "grubbs": 0.05, "none": np.nan}
#: Methods-text wording of each rule; ``{threshold}`` is the range rule's threshold (cycles).
RULE_METHODS_TEXT: dict[Method, str] = {
    "range": "Technical replicates spanning more than {threshold:g} cycles were flagged",
    "mad": "Technical replicates whose modified z-score (median absolute deviation) exceeded "
    f"{_DEFAULT_THRESHOLD['mad']:g} were flagged",
    "grubbs": "Technical-replicate outliers were flagged by Grubbs' test "
    f"(α = {_DEFAULT_THRESHOLD['grubbs']:g})",
    "none": "Technical replicates were not screened for outliers",
}


def grubbs_critical(n: int | np.ndarray, alpha: float = 0.05) -> float | np.ndarray:
    """Two-sided Grubbs critical value (Grubbs 1969).

    ``G_crit = ((n−1)/√n)·sqrt(t²/(n−2+t²))`` with ``t = t_{1−α/(2n), n−2}``.

    Parameters
    ----------
    n
        Group size(s).
    alpha
        Significance level.

    Returns
    -------
    float or numpy.ndarray
        The critical value (an array for an array ``n``); NaN for n < 3.

    Examples
    --------
    >>> round(grubbs_critical(3), 6)
    1.154305
    >>> import numpy as np
    >>> grubbs_critical(np.array([2, 4, 10])).round(4)
    array([   nan, 1.4813, 2.29  ])
    """
    from .stats.dist import t_ppf

    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = t_ppf(1.0 - alpha / (2.0 * n), n - 2.0)
        g = (n - 1.0) / np.sqrt(n) * np.sqrt(t * t / (n - 2.0 + t * t))
    g = np.where(n >= 3, g, np.nan)
    return float(g) if g.ndim == 0 else g


def flag_replicate_outliers(
    cq: pd.Series,
    groups: pd.Series | pd.DataFrame | Sequence[pd.Series] | Sequence[Hashable],
    method: Method = "range",
    threshold: float | None = None,
    *,
    range_threshold: float = 0.5,
    z_threshold: float = 3.5,
) -> pd.DataFrame:
    """Flag technical-replicate outliers; returns one row per well (index of ``cq``).

    Parameters
    ----------
    cq
        Cq per well (cycles); NaN wells are skipped.
    groups
        Replicate-group keys aligned with ``cq``: a Series or array, a list of them, a
        DataFrame (e.g. ``df[["plate", "sample", "target"]]``), or names of index levels of
        ``cq``.
    method
        ``"range"`` (default, qbase+), ``"mad"``, ``"grubbs"`` or ``"none"``.
    threshold
        Of the chosen rule: range in cycles (default 0.5), modified-z cut-off (3.5), Grubbs
        α (0.05). ``range_threshold``/``z_threshold`` set the other rule where one rule falls
        back to the other.

    Returns
    -------
    pandas.DataFrame
        One row per well (index of ``cq``) with ``outlier`` (this well is the one to drop),
        ``group_flagged`` (its group failed the rule), ``rule`` (which rule produced
        ``value``), ``value`` (the well's statistic: group range, |modified z|, distance to
        the others' median, or G), ``threshold``, ``range`` (group max − min, cycles) and ``n``
        (finite Cq in the group).

    Raises
    ------
    ConfigError
        An unknown ``method``, or a threshold that is not a positive number.

    Notes
    -----
    ``range``: a group is flagged when ``max − min > threshold`` (``group_flagged``). In a
    flagged group of n ≥ 3 wells the well to drop is chosen by the modified z
    ``z = 0.6745·(x − median)/MAD``, ``MAD = median|x − median|``: every well with
    ``|z| > z_threshold`` is an outlier (rule ``modified_z``). When MAD = 0 (at least half the
    wells identical) the well farthest from the median of the others is the outlier if it lies
    more than ``threshold`` from it and the others agree within ``threshold`` (rule
    ``range_fallback``). Duplicates (n = 2) and groups where neither rule singles out a well
    stay flagged with no outlier (rule ``range``): the user must decide.

    ``mad``: modified z in every group of n ≥ 3 (``|z| > threshold``), with the same MAD = 0
    fallback using ``range_threshold``. Groups of n = 2 get the range rule (flag only).

    ``grubbs``: one pass of the two-sided Grubbs test, ``G = max|x − x̄|/s > G_crit`` flags
    the most extreme well (n ≥ 3). Emits :class:`AssumptionWarning` for triplicates, where
    ``G ≤ (n−1)/√n = 1.154701`` against ``G_crit = 1.154305``: it can hardly ever flag.

    ``none``: nothing is flagged.

    Examples
    --------
    The MYC triplicate spans 1.3 cycles (> 0.5), and its third well has |z| = 8.09 > 3.5;
    the GAPDH duplicate spans 0.1 cycles:

    >>> import pandas as pd
    >>> cq = pd.Series([24.0, 24.1, 25.3, 18.0, 18.1])
    >>> flag_replicate_outliers(cq, pd.Series(["MYC"] * 3 + ["GAPDH"] * 2))
       outlier  group_flagged        rule   value  threshold  range  n
    0    False           True  modified_z  0.6745        3.5    1.3  3
    1    False           True  modified_z  0.0000        3.5    1.3  3
    2     True           True  modified_z  8.0940        3.5    1.3  3
    3    False          False       range  0.1000        0.5    0.1  2
    4    False          False       range  0.1000        0.5    0.1  2
    """
    if method not in RULES:
        raise ConfigError(
            f"outlier method {method!r}; expected one of {', '.join(RULES)}",
            where="outlier detection",
        )
    limit = _DEFAULT_THRESHOLD[method] if threshold is None else float(threshold)
    if method != "none" and not (np.isfinite(limit) and limit > 0):
        raise ConfigError(
            f"outlier threshold {threshold!r}; expected a positive number",
            where=f"outlier detection ({method})",
        )
    x = pd.to_numeric(cq, errors="coerce").astype(float)
    keys = _group_keys(groups, x)
    finite = x.where(np.isfinite(x))
    grouped = finite.groupby(keys, dropna=False, sort=False)
    n = grouped.transform("count")
    spread = grouped.transform("max") - grouped.transform("min")
    out = pd.DataFrame(
        {
            "outlier": False,
            "group_flagged": False,
            "rule": method,
            "value": np.nan,
            "threshold": limit,
            "range": spread,
            "n": n.astype(int),
        },
        index=x.index,
    )
    if method == "none":
        return out
    if method == "grubbs":
        return _grubbs(finite, keys, out, limit)
    range_cut = limit if method == "range" else range_threshold
    z_cut = z_threshold if method == "range" else limit
    range_flag = spread > range_cut
    out["value"] = spread
    out["threshold"] = range_cut
    out["rule"] = "range"
    out["group_flagged"] = range_flag.to_numpy()
    candidates = n >= 3 if method == "mad" else range_flag & (n >= 3)
    median = grouped.transform("median")
    dev = (finite - median).abs()
    mad = dev.groupby(keys, dropna=False, sort=False).transform("median")
    use_z = candidates & (mad > 0)
    z = MOD_Z_FACTOR * dev / mad
    out.loc[use_z, "rule"] = "modified_z"
    out.loc[use_z, "value"] = z[use_z]
    out.loc[use_z, "threshold"] = z_cut
    out.loc[use_z, "outlier"] = z[use_z] > z_cut
    fallback = candidates & (mad == 0)
    if fallback.any():
        _mad_zero_fallback(finite, keys, dev, fallback, range_cut, out)
    if method == "mad":
        any_outlier = out["outlier"].groupby(keys, dropna=False, sort=False).transform("any")
        out["group_flagged"] = (any_outlier | ((n < 3) & range_flag)).to_numpy()
    return out


def _group_keys(groups: object, x: pd.Series) -> list[pd.Series]:
    """Replicate-group keys as a list of Series aligned with ``x``.

    Accepts a DataFrame, a Series or array, or a list of those; a name (str) in the list or
    alone selects an index level of ``x``.
    """
    if isinstance(groups, pd.DataFrame):
        items: list = [groups[c] for c in groups.columns]
    elif isinstance(groups, pd.Series | np.ndarray | str):
        items = [groups]
    else:
        items = list(groups)  # type: ignore[call-overload]
    keys = []
    for item in items:
        if isinstance(item, str):
            if item not in x.index.names:
                raise InputError(
                    f"replicate-group key '{item}' is not an index level of the Cq series "
                    f"(levels: {list(x.index.names)})",
                    where="outlier detection",
                    hint="Pass the grouping columns themselves, e.g. [df['sample'], df['target']]",
                )
            item = pd.Series(x.index.get_level_values(item), index=x.index)
        elif not isinstance(item, pd.Series):
            item = pd.Series(np.asarray(item), index=x.index if len(item) == len(x) else None)
        if len(item) != len(x) or not item.index.equals(x.index):
            raise InputError(
                f"replicate-group key of length {len(item)} does not line up with {len(x)} Cq "
                "values",
                where="outlier detection",
                hint="Pass grouping Series taken from the same table as the Cq column",
            )
        keys.append(item)
    return keys


def _mad_zero_fallback(
    x: pd.Series,
    keys: list[pd.Series],
    dev: pd.Series,
    rows: pd.Series,
    cut: float,
    out: pd.DataFrame,
) -> None:
    """MAD = 0: at least half the wells equal the median m, so the median of the wells other
    than any single non-m well is m itself. The candidate is the well farthest from m; it is the
    outlier when it is more than ``cut`` from m and the remaining wells span ≤ ``cut``."""
    sub = pd.DataFrame({"x": x[rows], "dev": dev[rows]})
    sub_keys = [k[rows] for k in keys]
    candidate = sub["dev"].groupby(sub_keys, dropna=False, sort=False).transform("idxmax")
    is_candidate = pd.Series(sub.index == candidate.to_numpy(), index=sub.index)
    others = sub["x"].where(~is_candidate)
    by = others.groupby(sub_keys, dropna=False, sort=False)
    others_range = by.transform("max") - by.transform("min")
    hit = is_candidate & (sub["dev"] > cut) & (others_range <= cut)
    out.loc[sub.index, "rule"] = "range_fallback"
    out.loc[sub.index, "value"] = sub["dev"]
    out.loc[sub.index, "threshold"] = cut
    out.loc[sub.index, "outlier"] = hit.to_numpy()


def _grubbs(x: pd.Series, keys: list[pd.Series], out: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Single-pass two-sided Grubbs test per group (see :func:`flag_replicate_outliers`)."""
    grouped = x.groupby(keys, dropna=False, sort=False)
    mean, sd = grouped.transform("mean"), grouped.transform("std")
    with np.errstate(invalid="ignore", divide="ignore"):
        g = (x - mean).abs() / sd
    n = out["n"]
    if (n == 3).any():
        warnings.warn(
            "Grubbs' test is practically useless for triplicates: G is at most "
            "(n-1)/sqrt(n) = 1.154701 while G_crit = 1.154305 (alpha 0.05), so it flags only "
            "when two replicates are identical; use the range rule or the modified z instead",
            AssumptionWarning,
            stacklevel=2,
        )
    critical = pd.Series(grubbs_critical(n.to_numpy(), alpha), index=x.index)
    g_max = g.groupby(keys, dropna=False, sort=False).transform("max")
    is_max = (g == g_max) & g.notna()
    first_max = is_max & ~is_max.groupby(keys, dropna=False, sort=False).cumsum().gt(1)
    testable = n >= 3
    out["rule"] = np.where(testable, "grubbs", "grubbs (n<3, not tested)")
    out["value"] = g.where(testable)
    out["threshold"] = critical
    out["outlier"] = (first_max & testable & (g > critical)).to_numpy()
    out["group_flagged"] = out["outlier"].groupby(keys, dropna=False, sort=False).transform("any")
    return out
