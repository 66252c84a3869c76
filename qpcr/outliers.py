"""Outliers among technical replicates (methods §2.8): flag, never delete.

:func:`flag_replicate_outliers` works on one Cq per well and a grouping that defines the
technical replicates (e.g. plate × sample × target). Wells without a finite Cq are ignored (they
never count towards ``n`` and are never flagged).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Hashable, Sequence
from typing import Any, get_args

import numpy as np
import pandas as pd

from .errors import AssumptionWarning, ConfigError, InputError
from .grouped import group_codes, order_stats
from .vocabularies import OutlierRule as Method

__all__ = [
    "MOD_Z_FACTOR",
    "POISSON_COVERAGE",
    "RULES",
    "expected_replicate_sd",
    "flag_replicate_outliers",
    "grubbs_critical",
    "implied_copies",
    "normal_range_quantile",
    "poisson_cq_sd",
    "poisson_range_limit",
]

#: 0.6745 = Φ^-1(0.75): makes the MAD a consistent estimate of σ for normal data.
MOD_Z_FACTOR = 0.6745

RULES: tuple[Method, ...] = get_args(Method)
#: The sampling model of the ``poisson`` rule: ``(single_copy_cq, pipetting_sd[, efficiency])``.
Sampling = tuple[Any, float] | tuple[Any, float, Any]
_DEFAULT_THRESHOLD: dict[Method, float] = {
    "range": 0.5, "poisson": 0.5, "mad": 3.5, "grubbs": 0.05, "none": np.nan,
}  # fmt: skip
#: The ``poisson`` rule lets a replicate group span up to this quantile of the range of n
#: normal replicates with the expected technical SD: a group drawn from the sampling model is
#: flagged with probability 1 − POISSON_COVERAGE (methods §2.8).
POISSON_COVERAGE = 0.999
#: normal_range_quantile(n) at POISSON_COVERAGE, n = 2-4 (~3 ms each; a test recomputes them)
_RANGE_QUANTILES = {2: 4.6535075310270155, 3: 5.063452578036193, 4: 5.308803982132545}
#: Above this many copies per well the Poisson SD uses its large-λ form 1/(ln E·√λ).
_EXACT_COPIES = 2000.0
#: Methods-text wording of each rule; ``{threshold}`` is the range rule's threshold (cycles).
RULE_METHODS_TEXT: dict[Method, str] = {
    "range": "Technical replicates spanning more than {threshold:g} cycles were flagged",
    "poisson": "Technical replicates spanning more than the larger of {threshold:g} cycles and "
    f"the {100 * POISSON_COVERAGE:g} % range expected from Poisson sampling of the template "
    "copies plus pipetting noise were flagged, and non-detects among mostly amplified "
    "replicates at 1-10 copies per well were left out as wells without template",
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


def implied_copies(cq: Any, single_copy_cq: Any = 35.0, efficiency: Any = 2.0) -> Any:
    """Template copies per well that a Cq implies: ``λ = E^(Cq₁ − Cq)``.

    Parameters
    ----------
    cq
        Cq (cycles; scalar or array).
    single_copy_cq
        Cq₁, the Cq of a well holding one template copy (cycles; scalar or array).
    efficiency
        Amplification factor E (2 = doubling per cycle; scalar or array).

    Returns
    -------
    float or numpy.ndarray
        Copies per well.

    Examples
    --------
    >>> implied_copies(32.0), round(implied_copies(25.0), 1)
    (8.0, 1024.0)
    """
    out = np.power(efficiency, single_copy_cq - np.asarray(cq, dtype=float))
    return float(out) if out.ndim == 0 else out


def poisson_cq_sd(copies: Any, efficiency: Any = 2.0) -> Any:
    """SD (cycles) of Cq from Poisson sampling alone: the SD of ``log_E N`` over the wells
    that amplified, ``N ~ Poisson(λ)`` given ``N ≥ 1``.

    Exact (a sum over N) up to 2000 copies; above, the large-λ form ``1/(ln E·√λ)``
    (Ståhlberg & Kubista 2014).

    Parameters
    ----------
    copies
        Mean copies per well λ (scalar or array; ≤ 0 or NaN gives NaN).
    efficiency
        Amplification factor E (scalar, or an array like ``copies``).

    Returns
    -------
    float or numpy.ndarray
        The SD in cycles.

    Examples
    --------
    About 0.67 cycles at 6 copies per well, 0.145 at 100 and 0.046 at 1000:

    >>> import numpy as np
    >>> poisson_cq_sd(np.array([6.0, 100.0, 1000.0])).round(3)
    array([0.673, 0.145, 0.046])
    """
    lam = np.asarray(copies, dtype=float)
    flat = lam.ravel()
    log_e = np.log(np.broadcast_to(np.asarray(efficiency, dtype=float), lam.shape)).ravel()
    out = np.full(flat.shape, np.nan)
    with np.errstate(invalid="ignore"):
        large = np.isfinite(flat) & (flat > _EXACT_COPIES)
        exact = (flat > 0) & (flat <= _EXACT_COPIES)
    out[large] = 1.0 / (log_e[large] * np.sqrt(flat[large]))
    pairs = zip(flat[exact].tolist(), log_e[exact].tolist(), strict=True)
    out[exact] = [_exact_cq_sd(c, e) for c, e in pairs]  # each (λ, E) summed once: cached
    shaped = out.reshape(lam.shape)
    return float(shaped) if shaped.ndim == 0 else shaped


@functools.lru_cache(maxsize=4096)
def _exact_cq_sd(copies: float, log_e: float) -> float:
    """:func:`poisson_cq_sd` at ``copies`` ≤ 2000 by the sum over N (``log_e``: ln E), once."""
    terms = _terms(copies)
    k, log_k, log_factorial = (column[:terms] for column in _sum_terms())
    p = np.exp(k * math.log(copies) - copies - log_factorial)
    p /= p.sum()
    x = log_k / log_e
    mean = float(p @ x)
    return math.sqrt(float(p @ (x - mean) ** 2))


def _terms(copies: float) -> int:
    """How many N (1, 2, …) the sum of :func:`_exact_cq_sd` at ``copies`` runs over."""
    return math.ceil(copies + 12.0 * math.sqrt(copies) + 30.0) - 1


@functools.cache
def _sum_terms() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N, ln N and ln N! for every N a sum of :func:`_exact_cq_sd` may take (up to
    ``copies`` = 2000), computed once: each sum takes its first terms (an element of a numpy
    or scipy function does not depend on the array around it, so the sums are unchanged)."""
    from scipy import special

    k = np.arange(1.0, _terms(_EXACT_COPIES) + 1.0)
    return k, np.log(k), special.gammaln(k + 1.0)


def expected_replicate_sd(
    cq: Any, single_copy_cq: Any = 35.0, pipetting_sd: float = 0.08, efficiency: Any = 2.0
) -> Any:
    """Expected technical SD (cycles) of replicates at a Cq: Poisson sampling of the copies
    the Cq implies (at least one copy) plus a pipetting floor, ``√(σ_pip² + σ_P(λ)²)``.

    Parameters
    ----------
    cq
        The replicates' typical Cq (cycles; scalar or array).
    single_copy_cq
        Cq₁, the Cq of one template copy (scalar, or an array like ``cq``).
    pipetting_sd
        The pipetting floor (cycles).
    efficiency
        Amplification factor E (scalar, or an array like ``cq``).

    Returns
    -------
    float or numpy.ndarray
        The expected SD in cycles.

    Examples
    --------
    >>> round(expected_replicate_sd(32.4), 3), round(expected_replicate_sd(22.0), 3)
    (0.674, 0.082)
    """
    copies = np.maximum(implied_copies(cq, single_copy_cq, efficiency), 1.0)
    out = np.sqrt(pipetting_sd**2 + np.asarray(poisson_cq_sd(copies, efficiency)) ** 2)
    return float(out) if np.ndim(out) == 0 else out


@functools.lru_cache(maxsize=64)
def normal_range_quantile(n: int, p: float = POISSON_COVERAGE) -> float:
    """Quantile of the range of n independent standard normal values (in SDs).

    ``P(R ≤ r) = n ∫ φ(x)·(Φ(x + r) − Φ(x))^(n−1) dx``, solved for r by bisection.

    Parameters
    ----------
    n, p
        Number of values (≥ 2) and the probability.

    Returns
    -------
    float
        r with P(R ≤ r) = p.

    Examples
    --------
    Tables of the studentized range at infinite df give 3.64 (n = 2) and 4.12 (n = 3) at 0.99:

    >>> round(normal_range_quantile(2, 0.99), 2), round(normal_range_quantile(3, 0.99), 2)
    (3.64, 4.12)
    """
    if p == POISSON_COVERAGE and n in _RANGE_QUANTILES:
        return _RANGE_QUANTILES[n]
    from scipy import special

    if n < 2:
        raise ConfigError(f"range of {n} value(s); expected at least 2", where="outlier detection")
    x = np.linspace(-9.0, 9.0, 3601)
    phi = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    cdf = special.ndtr(x)

    def below(r: float) -> float:
        return float(np.trapezoid(n * phi * (special.ndtr(x + r) - cdf) ** (n - 1), x))

    lo, hi = 0.0, 20.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if below(mid) < p else (lo, mid)
    return 0.5 * (lo + hi)


def flag_replicate_outliers(
    cq: pd.Series,
    groups: pd.Series | pd.DataFrame | Sequence[pd.Series] | Sequence[Hashable],
    method: Method = "range",
    threshold: float | None = None,
    *,
    range_threshold: float = 0.5,
    z_threshold: float = 3.5,
    sampling: Sampling = (35.0, 0.08),
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
        ``"range"`` (default, qbase+), ``"poisson"``, ``"mad"``, ``"grubbs"`` or ``"none"``.
    threshold
        Of the chosen rule: range in cycles (default 0.5; for ``poisson`` the least range
        flagged), modified-z cut-off (3.5), Grubbs α (0.05). ``range_threshold``/``z_threshold``
        set the other rule where one rule falls back to the other.
    sampling
        ``(single_copy_cq, pipetting_sd[, efficiency])`` of the ``poisson`` rule: cycles,
        cycles, the amplification factor E (2.0 when left out); ``single_copy_cq`` and E
        one number, or one per well (aligned with ``cq``, the same within a group).

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

    ``poisson``: the range rule with a group's range limit widened to what sampling allows:
    the larger of ``threshold`` and ``normal_range_quantile(n)`` ×
    :func:`expected_replicate_sd` at the group's median Cq (Poisson sampling of the copies the
    Cq implies plus the pipetting floor), so a group drawn from the sampling model is flagged
    with probability 0.1 %. Far above single-copy level the limit is ``threshold``: the range
    rule exactly.

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
    limit = _limit(method, threshold)
    x = pd.to_numeric(cq, errors="coerce").astype(float)
    code = group_codes(_group_keys(groups, x), len(x))
    found = flag_groups(x.to_numpy(), code, method, limit, range_threshold=range_threshold,
                        z_threshold=z_threshold, sampling=sampling)  # fmt: skip
    return pd.DataFrame(found, index=x.index)


def flag_groups(
    cq: np.ndarray,
    code: np.ndarray,
    method: Method = "range",
    threshold: float | None = None,
    *,
    range_threshold: float = 0.5,
    z_threshold: float = 3.5,
    sampling: Sampling = (35.0, 0.08),
    every_limit: bool = True,
) -> dict[str, np.ndarray]:
    """:func:`flag_replicate_outliers` on arrays: the replicate groups already numbered, the
    result's columns as arrays (what the QC rules read, without building a table).

    Parameters
    ----------
    cq
        Cq per well (float; NaN or infinite wells are skipped).
    code
        Each well's replicate group, numbered 0, 1, … (:func:`qpcr.grouped.group_codes`).
    method, threshold, range_threshold, z_threshold, sampling
        As :func:`flag_replicate_outliers`.
    every_limit
        False: under ``poisson``, no Poisson range limit for a group whose range ``threshold``
        clears (it is never flagged): its wells' ``threshold`` is NaN.

    Returns
    -------
    dict of numpy.ndarray
        The columns of :func:`flag_replicate_outliers`' table, in its order.

    Examples
    --------
    >>> import numpy as np
    >>> found = flag_groups(np.array([24.0, 24.1, 25.3, 18.0, 18.1]), np.array([0, 0, 0, 1, 1]))
    >>> found["outlier"], str(found["rule"][2]), float(found["value"][2].round(4))
    (array([False, False,  True, False, False]), 'modified_z', 8.094)
    """
    limit = _limit(method, threshold)
    values = np.where(np.isfinite(cq), cq, np.nan)
    low, high, median, count = order_stats(values, code)
    n, spread = count[code], (high - low)[code]
    if method in ("none", "grubbs"):
        out = _arrays(np.full(len(values), method), np.nan, limit, spread, n)
        return out if method == "none" else _grubbs(values, code, out, limit)
    if method == "poisson":
        cq1, pipetting_sd, *factor = sampling  # Cq₁ and E per group: as its wells'
        own = np.empty((1 + len(factor), len(count)))
        own[:, code] = [np.broadcast_to(np.asarray(v, float), len(code)) for v in (cq1, *factor)]
        need = np.ones(len(count), dtype=bool) if every_limit else high - low > limit
        limits = np.full(len(count), np.nan)
        limits[need] = poisson_range_limit(
            median[need], count[need], limit, (own[0, need], pipetting_sd, *own[1:, need])
        )
        range_cut = limits[code]
    else:
        range_cut = np.full(len(values), limit if method == "range" else range_threshold)
    z_cut = z_threshold if method in ("range", "poisson") else limit
    range_flag = spread > range_cut
    candidates = n >= 3 if method == "mad" else range_flag & (n >= 3)
    dev = np.abs(values - median[code])
    mad = order_stats(dev, code)[2][code]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = MOD_Z_FACTOR * dev / mad
    use_z = candidates & (mad > 0)
    out = _arrays(np.where(use_z, "modified_z", "range"), np.where(use_z, z, spread),
                  np.where(use_z, z_cut, range_cut), spread, n)  # fmt: skip
    out["group_flagged"] = range_flag
    out["outlier"] = use_z & (z > z_cut)
    fallback = candidates & (mad == 0)
    if fallback.any():
        _mad_zero_fallback(values, code, dev, np.flatnonzero(fallback), range_cut, out)
    if method == "mad":
        hits = np.bincount(code, weights=out["outlier"], minlength=len(count))
        out["group_flagged"] = (hits > 0)[code] | ((n < 3) & range_flag)
    return out


def _limit(method: str, threshold: float | None) -> float:
    """The threshold of ``method`` (its default for None), checked."""
    if method not in RULES:
        raise ConfigError(f"outlier method {method!r}; expected one of {', '.join(RULES)}",
                          where="outlier detection")  # fmt: skip
    limit = _DEFAULT_THRESHOLD[method] if threshold is None else float(threshold)
    if method != "none" and not (np.isfinite(limit) and limit > 0):
        raise ConfigError(f"outlier threshold {threshold!r}; expected a positive number",
                          where=f"outlier detection ({method})")  # fmt: skip
    return limit


def _arrays(rule: np.ndarray, value: Any, threshold: Any, spread: Any, n: Any) -> dict[str, Any]:
    """The columns of :func:`flag_replicate_outliers`, no well singled out yet."""
    size = len(rule)
    return {"outlier": np.zeros(size, dtype=bool), "group_flagged": np.zeros(size, dtype=bool),
            "rule": rule, "value": np.broadcast_to(value, size).astype(float),
            "threshold": np.broadcast_to(threshold, size).astype(float), "range": spread,
            "n": n.astype(int)}  # fmt: skip


def poisson_range_limit(
    median_cq: Any, n: Any, floor: float = 0.5, sampling: Sampling = (35.0, 0.08)
) -> Any:
    """The range a replicate group may span under the ``poisson`` rule: the larger of
    ``floor`` and ``normal_range_quantile(n)`` × :func:`expected_replicate_sd` at the group's
    median Cq.

    Parameters
    ----------
    median_cq
        The group's median Cq (cycles; scalar or array).
    n
        Replicates in the group (scalar or array; fewer than 2 gives ``floor``).
    floor
        The least limit (``outlier_threshold``, cycles).
    sampling
        ``(single_copy_cq, pipetting_sd[, efficiency])``: cycles, cycles, the amplification
        factor E (2.0 when left out); ``single_copy_cq`` and E scalar or one per group.

    Returns
    -------
    float or numpy.ndarray
        The range limit in cycles.

    Examples
    --------
    Triplicates at about 6 copies per well may span 3.41 cycles; at Cq 22, 0.5 as the range
    rule:

    >>> import numpy as np
    >>> poisson_range_limit(np.array([32.4, 22.0]), np.array([3, 3])).round(2)
    array([3.41, 0.5 ])
    """
    single_copy_cq, pipetting_sd, *factor = sampling
    sd = np.asarray(expected_replicate_sd(median_cq, single_copy_cq, pipetting_sd, *factor))
    counts = np.broadcast_to(np.asarray(n), sd.shape).ravel()
    q = np.array([normal_range_quantile(int(k)) if k >= 2 else np.nan for k in counts])
    out = np.fmax(q.reshape(sd.shape) * sd, floor)
    out = np.where(np.isfinite(out), out, floor)
    return float(out) if out.ndim == 0 else out


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
    values: np.ndarray,
    code: np.ndarray,
    dev: np.ndarray,
    rows: np.ndarray,
    cut: np.ndarray,
    out: dict[str, Any],
) -> None:
    """MAD = 0: at least half the wells equal the median m, so the median of the wells other
    than any single non-m well is m itself. The candidate is the well farthest from m (the
    first of equals); it is the outlier when it is more than ``cut`` from m and the remaining
    wells span ≤ ``cut``. ``rows``: the positions of the wells of such groups."""
    group, far, cut = code[rows], dev[rows], cut[rows]
    order = np.lexsort((np.arange(len(rows)), -far, group))  # farthest first, NaN last
    first = np.ones(len(rows), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    is_candidate = np.zeros(len(rows), dtype=bool)
    is_candidate[order[first]] = True
    low, high = order_stats(np.where(is_candidate, np.nan, values[rows]), group)[:2]
    with np.errstate(invalid="ignore"):
        hit = is_candidate & (far > cut) & ((high - low)[group] <= cut)
    out["rule"] = out["rule"].astype(object)
    out["rule"][rows] = "range_fallback"
    out["value"][rows] = far
    out["threshold"][rows] = cut
    out["outlier"][rows] = hit


def _grubbs(
    values: np.ndarray, code: np.ndarray, out: dict[str, Any], alpha: float
) -> dict[str, Any]:
    """Single-pass two-sided Grubbs test per group (see :func:`flag_replicate_outliers`)."""
    x = pd.Series(values)
    grouped = x.groupby(code, sort=False)
    mean, sd = grouped.transform("mean"), grouped.transform("std")
    with np.errstate(invalid="ignore", divide="ignore"):
        g = ((x - mean).abs() / sd).to_numpy()
    n = out["n"]
    if (n == 3).any():
        warnings.warn("Grubbs' test is practically useless for triplicates: G is at most "
                      "(n-1)/sqrt(n) = 1.154701 while G_crit = 1.154305 (alpha 0.05), so it "
                      "flags only when two replicates are identical; use the range rule or the "
                      "modified z instead", AssumptionWarning, stacklevel=3)  # fmt: skip
    critical = np.asarray(grubbs_critical(n, alpha), dtype=float)
    g_max = pd.Series(g).groupby(code, sort=False).transform("max").to_numpy()
    is_max = (g == g_max) & ~np.isnan(g)
    first_max = is_max & (pd.Series(is_max).groupby(code, sort=False).cumsum().to_numpy() <= 1)
    testable = n >= 3
    out["rule"] = np.where(testable, "grubbs", "grubbs (n<3, not tested)")
    out["value"] = np.where(testable, g, np.nan)
    out["threshold"] = critical
    with np.errstate(invalid="ignore"):
        out["outlier"] = first_max & testable & (g > critical)
    hits = np.bincount(code, weights=out["outlier"], minlength=int(code.max(initial=-1)) + 1)
    out["group_flagged"] = (hits > 0)[code]
    return out
