"""Statistics on the log2 expression scale: two-group tests, p-value adjustment.

Every function takes a response on the **log2 expression scale** (higher = more expression:
y = −ΔCq with E = 2, or y = log2 NRQ with gene-specific efficiencies), one value per
**biological** sample. An estimate "treated − control" is therefore a log2 fold change,
fold change = 2**estimate, and confidence intervals are computed on log2 and back-transformed
(they are asymmetric on the fold-change scale). Technical replicates are never n, and tests are
never computed on fold-change values (methods.md §3.1, §3.7).

scipy and statsmodels are imported inside the functions that need them (start-up time).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from qpcr.errors import ConfigError, DesignError

__all__ = ["adjust_pvalues", "permutation_test", "two_group_test"]

TWO_GROUP_TESTS = ("welch", "student", "mann-whitney", "permutation")
ADJUST_METHODS = ("holm", "bh", "bonferroni", "none")


def _as_values(values: Any, name: str) -> np.ndarray:
    """One-dimensional float array from a sequence/Series; reject anything else."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise DesignError(
            f"{name} has shape {arr.shape}",
            where=f"two_group_test({name}=...)",
            hint="expected one value per biological sample (a 1-D sequence of log2 values)",
        )
    return arr


def _paired_values(control: Any, treated: Any) -> tuple[np.ndarray, np.ndarray]:
    """Align control and treated by block; drop pairs with a NaN.

    Two Series are aligned on their index (the block, e.g. donor); anything else is aligned by
    position and must have equal length. A block that appears twice is a technical replicate
    counted as n and is refused.
    """
    if isinstance(control, pd.Series) and isinstance(treated, pd.Series):
        for name, s in (("control", control), ("treated", treated)):
            dup = s.index[s.index.duplicated()].unique().tolist()
            if dup:
                raise DesignError(
                    f"block(s) {dup} appear more than once in the {name} group",
                    where="two_group_test(paired=True)",
                    hint="expected one value per block (donor) and group; average technical "
                    "replicates first, they are not biological replicates",
                )
        both = pd.concat([control.rename("c"), treated.rename("t")], axis=1)
        c, t = both["c"].to_numpy(float), both["t"].to_numpy(float)
    else:
        c, t = _as_values(control, "control"), _as_values(treated, "treated")
        if c.size != t.size:
            raise DesignError(
                f"paired test got {c.size} control and {t.size} treated values",
                where="two_group_test(paired=True)",
                hint="expected equal-length arrays aligned by block (donor); pass two pandas "
                "Series indexed by donor to align them by label",
            )
    keep = ~(np.isnan(c) | np.isnan(t))
    return c[keep], t[keep]


def _t_ci(estimate: float, se: float, df: float, alpha: float) -> tuple[float, float]:
    """Two-sided (1 − alpha) t interval estimate ± t_{1−alpha/2, df}·se."""
    from scipy import stats

    if not (np.isfinite(se) and np.isfinite(df) and df > 0):
        return math.nan, math.nan
    half = float(stats.t.ppf(1 - alpha / 2, df)) * se
    return estimate - half, estimate + half


def _result(test: str, n: int, n_ref: int, estimate: float, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "test": test,
        "n": n,
        "n_ref": n_ref,
        "estimate": estimate,
        "se": math.nan,
        "df": math.nan,
        "statistic": math.nan,
        "p_value": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "note": "",
    }
    out.update(fields)
    return out


def two_group_test(
    control: Any,
    treated: Any,
    *,
    paired: bool = False,
    test: str = "welch",
    alpha: float = 0.05,
    min_n: int = 2,
) -> dict[str, Any]:
    """Compare two groups of log2 expression values (treated − control).

    Parameters
    ----------
    control, treated
        log2-scale responses (−ΔCq or log2 NRQ), one per biological sample. NaN values are
        dropped (in pairs when ``paired``). For a paired test pass equal-length arrays aligned
        by block, or two Series indexed by block (aligned by label).
    paired
        Paired by block (donor): d_i = y_t,i − y_c,i, SE = s_d/√n, df = n − 1 ("paired t"),
        or the sign-flip randomisation test when ``test="permutation"``.
    test
        ``"welch"`` (default; SE = √(s_t²/n_t + s_c²/n_c), Welch–Satterthwaite df),
        ``"student"`` (pooled variance, df = n_t + n_c − 2), ``"mann-whitney"`` (exact rank
        test; Wilcoxon signed-rank when paired; no CI) or ``"permutation"``
        (see :func:`permutation_test`).
    alpha
        1 − confidence level of the interval.
    min_n
        Fewer values than this in a group: the estimate is still returned, p and CI are NaN and
        ``note`` says why.

    Returns
    -------
    dict
        ``test, n`` (treated or pairs), ``n_ref`` (control or pairs), ``estimate`` (mean
        treated − mean control, log2; fold change = 2**estimate), ``se, df, statistic,
        p_value, ci_low, ci_high`` (log2, back-transform with 2**x) and ``note``.
    """
    if test not in TWO_GROUP_TESTS:
        raise ConfigError(
            f"unknown test {test!r}",
            where="two_group_test(test=...)",
            hint=f"expected one of {', '.join(TWO_GROUP_TESTS)}",
        )
    if not 0 < alpha < 1:
        raise ConfigError(
            f"alpha = {alpha}", where="two_group_test(alpha=...)", hint="expected 0 < alpha < 1"
        )
    if test == "permutation":
        return permutation_test(control, treated, paired=paired, alpha=alpha, min_n=min_n)
    if paired:
        c, t = _paired_values(control, treated)
    else:
        c, t = _as_values(control, "control"), _as_values(treated, "treated")
        c, t = c[~np.isnan(c)], t[~np.isnan(t)]
    return _parametric_or_rank(c, t, paired=paired, test=test, alpha=alpha, min_n=min_n)


def _too_few(c: np.ndarray, t: np.ndarray, paired: bool, min_n: int) -> str:
    """Note explaining why no p-value can be given, or '' when there are enough values."""
    need = max(min_n, 2)
    if paired and c.size < need:
        return f"fewer than {need} complete pairs (blocks with both groups)"
    if c.size < need:
        return f"fewer than {need} biological replicates in the control group"
    if t.size < need:
        return f"fewer than {need} biological replicates in the treated group"
    return ""


def _parametric_or_rank(
    c: np.ndarray, t: np.ndarray, *, paired: bool, test: str, alpha: float, min_n: int
) -> dict[str, Any]:
    from scipy import stats

    name = {"welch": "paired t", "student": "paired t", "mann-whitney": "wilcoxon"}[test]
    if not paired:
        name = test
    estimate = float(np.mean(t) - np.mean(c)) if c.size and t.size else math.nan
    res = _result(name, int(t.size), int(c.size), estimate)
    note = _too_few(c, t, paired, min_n)
    if note:
        res["note"] = note
        return res

    if test == "mann-whitney":
        if paired:
            r = stats.wilcoxon(t - c, alternative="two-sided", method="auto")
            k = c.size
            p_min = 2.0 / 2**k
        else:
            r = stats.mannwhitneyu(t, c, alternative="two-sided", method="auto")
            p_min = 2.0 / math.comb(c.size + t.size, c.size)
        res.update(statistic=float(r.statistic), p_value=float(r.pvalue))
        res["note"] = (
            f"rank test: no CI for the mean difference; with these group sizes the smallest "
            f"possible exact two-sided p is {p_min:.4g}"
        )
        return res

    if paired:
        d = t - c
        se = float(np.std(d, ddof=1) / math.sqrt(d.size))
        df = float(d.size - 1)
    elif test == "welch":
        vt, vc = np.var(t, ddof=1) / t.size, np.var(c, ddof=1) / c.size
        se = float(math.sqrt(vt + vc))
        df = float((vt + vc) ** 2 / (vt**2 / (t.size - 1) + vc**2 / (c.size - 1)))
    else:
        df = float(t.size + c.size - 2)
        sp2 = ((t.size - 1) * np.var(t, ddof=1) + (c.size - 1) * np.var(c, ddof=1)) / df
        se = float(math.sqrt(sp2 * (1 / t.size + 1 / c.size)))
    if se == 0:
        res.update(se=0.0, df=df, note="zero variance in both groups: no test possible")
        return res
    tstat = estimate / se
    p = float(2 * stats.t.sf(abs(tstat), df))
    lo, hi = _t_ci(estimate, se, df, alpha)
    res.update(se=se, df=df, statistic=tstat, p_value=p, ci_low=lo, ci_high=hi)
    return res


def permutation_test(
    control: Any,
    treated: Any,
    *,
    paired: bool = False,
    n_resamples: int = 10000,
    seed: int = 0,
    alpha: float = 0.05,
    min_n: int = 2,
) -> dict[str, Any]:
    """Randomisation test of the mean log2 difference (REST-style; Pfaffl et al. 2002).

    Unpaired: the group labels are reallocated (all C(n_c + n_t, n_c) relabellings when that
    is at most ``n_resamples``, else ``n_resamples`` random ones); paired: the signs of the
    per-block differences are flipped (2**n). Statistic: mean treated − mean control (log2).
    Two-sided p = share of relabellings with |statistic| ≥ the observed one (the observed
    labelling is included). The CI is a percentile bootstrap (``n_resamples`` resamples within
    groups, or of the differences when paired).

    Returns the same keys as :func:`two_group_test`; ``test`` is "permutation".
    """
    from scipy import stats

    if paired:
        c, t = _paired_values(control, treated)
    else:
        c, t = _as_values(control, "control"), _as_values(treated, "treated")
        c, t = c[~np.isnan(c)], t[~np.isnan(t)]
    estimate = float(np.mean(t) - np.mean(c)) if c.size and t.size else math.nan
    res = _result("permutation", int(t.size), int(c.size), estimate)
    note = _too_few(c, t, paired, min_n)
    if note:
        res["note"] = note
        return res

    rng = np.random.default_rng(seed)

    def mean_diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    perm = stats.permutation_test(
        (t, c),
        mean_diff,
        permutation_type="samples" if paired else "independent",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=rng,
    )
    if paired:
        boot = stats.bootstrap(
            (t - c,), np.mean, n_resamples=n_resamples, method="percentile", rng=rng
        )
        total = 2**c.size
    else:
        boot = stats.bootstrap(
            (t, c), mean_diff, n_resamples=n_resamples, method="percentile", rng=rng
        )
        total = math.comb(c.size + t.size, c.size)
    exact = total <= n_resamples
    res.update(
        statistic=estimate,
        p_value=float(perm.pvalue),
        ci_low=float(boot.confidence_interval.low),
        ci_high=float(boot.confidence_interval.high),
        note=(
            f"{'exact' if exact else 'random'} randomisation test over "
            f"{total if exact else n_resamples} relabellings; percentile bootstrap CI"
        ),
    )
    return res


def adjust_pvalues(p: Any, method: str = "holm") -> np.ndarray:
    """Adjust a family of p-values for multiple testing.

    ``"holm"`` (FWER; Holm 1979): sort ascending, p_(i)·(m − i + 1), cumulative max, cap 1.
    ``"bh"`` (FDR; Benjamini–Hochberg 1995): p_(i)·m/i, cumulative min from the largest, cap 1.
    ``"bonferroni"``: min(1, m·p). ``"none"``: unchanged. NaN stays NaN and does not count in m.
    Returns an array in the input order.
    """
    if method not in ADJUST_METHODS:
        raise ConfigError(
            f"unknown p-value adjustment {method!r}",
            where="adjust_pvalues(method=...)",
            hint=f"expected one of {', '.join(ADJUST_METHODS)}",
        )
    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    if ((arr[ok] < 0) | (arr[ok] > 1)).any():
        raise ConfigError(
            "p-values outside [0, 1]",
            where="adjust_pvalues(p=...)",
            hint="expected probabilities between 0 and 1",
        )
    q = arr[ok]
    m = q.size
    if m == 0 or method == "none":
        out[ok] = q
        return out
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, q * m)
        return out
    order = np.argsort(q, kind="stable")
    ranked = q[order]
    i = np.arange(1, m + 1)
    if method == "holm":
        adj = np.maximum.accumulate(ranked * (m - i + 1))
    else:
        adj = np.minimum.accumulate((ranked * m / i)[::-1])[::-1]
    back = np.empty(m)
    back[order] = np.minimum(1.0, adj)
    out[ok] = back
    return out
