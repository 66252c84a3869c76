"""Two-group tests of log2 expression values: Welch, Student, paired t and the rank tests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, get_args

import numpy as np

from qpcr.errors import ConfigError
from qpcr.vocabularies import Test

from ._common import NEGLIGIBLE_SE, _groups, _join, _result, _too_few
from .dist import t_ppf, t_sf
from .permutation import permutation_test

__all__ = [
    "TESTS",
    "TEST_LABELS",
    "TEST_METHODS_TEXT",
    "TWO_GROUP_TESTS",
    "Test",
    "two_group_test",
    "two_group_tests",
]

TESTS: tuple[Test, ...] = get_args(Test)
TWO_GROUP_TESTS = ("welch", "student", "mann-whitney", "permutation")
#: Every label :func:`two_group_test` writes in the ``test`` column of fold_changes and ratios
#: → whether that test pairs the groups by biological replicate (the primary-result rule of
#: :mod:`qpcr.labels` reads it).
TEST_LABELS: dict[str, bool] = {
    "welch": False,
    "student": False,
    "paired t": True,
    "mann-whitney (Hodges-Lehmann)": False,
    "wilcoxon signed-rank (Hodges-Lehmann)": True,
    "permutation": False,
    "paired permutation": True,
}
#: Methods-text wording of each test ("Groups were compared with ...").
TEST_METHODS_TEXT: dict[Test, str] = {
    "auto": "a paired t-test on per-donor differences when the compared groups held the same "
    "biological replicates, and Welch's t-test otherwise",
    "welch": "Welch's t-test",
    "paired": "a paired t-test",
    "student": "Student's t-test",
    "mann-whitney": "the exact Mann-Whitney (or signed-rank) test, fold changes being "
    "2^(Hodges-Lehmann shift) with its distribution-free interval",
    "permutation": "a randomisation test",
}


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
        ``"student"`` (pooled variance, df = n_t + n_c − 2), ``"mann-whitney"`` (rank test,
        exact p without ties and n < 50; Wilcoxon signed-rank when paired; the estimate is the
        Hodges-Lehmann shift, also under the key ``hodges_lehmann``, and the CI its
        distribution-free interval, exact or asymptotic; ``test`` ends in
        "(Hodges-Lehmann)") or ``"permutation"`` (see :func:`permutation_test`).
    alpha
        1 − confidence level of the interval.
    min_n
        Fewer values than this in a group: the estimate is still returned, p and CI are NaN and
        ``note`` says why.

    Returns
    -------
    dict
        ``test, n`` (treated or pairs), ``n_ref`` (control or pairs), ``estimate`` (mean
        treated − mean control, log2, or the Hodges-Lehmann shift of the rank tests; fold
        change = 2**estimate), ``se, df, statistic,
        p_value, ci_low, ci_high`` (log2, back-transform with 2**x) and ``note``.

    Raises
    ------
    ConfigError
        An unknown ``test`` or an ``alpha`` outside (0, 1).

    Examples
    --------
    T12 in methods.md: ΔCq control {5.0, 5.3, 4.8}, treated {2.8, 3.1, 2.5} (y = −ΔCq).
    Welch: ΔΔCq = −2.233333, SE 0.226078, t = 9.878611 (sign: treated − control on −ΔCq),
    df 3.882569, p 0.000682, 95 % CI of the log2 fold change [1.598082, 2.868584]:

    >>> result = two_group_test([-5.0, -5.3, -4.8], [-2.8, -3.1, -2.5])
    >>> {key: round(value, 6) for key, value in result.items() if isinstance(value, float)}
    ... # doctest: +NORMALIZE_WHITESPACE
    {'estimate': 2.233333, 'se': 0.226078, 'df': 3.882569, 'statistic': 9.878611,
     'p_value': 0.000682, 'ci_low': 1.598082, 'ci_high': 2.868584}
    >>> result["test"], result["n"], result["n_ref"]
    ('welch', 3, 3)

    T22: control {5.0, 5.8, 4.2}, treated {4.0, 4.3, 3.7}: Welch t = 2.0272 (−2.0272 on
    ΔCq), df 2.5516, p 0.1516:

    >>> result = two_group_test([-5.0, -5.8, -4.2], [-4.0, -4.3, -3.7])
    >>> round(result["statistic"], 4), round(result["df"], 4), round(result["p_value"], 4)
    (2.0272, 2.5516, 0.1516)

    T17, BMP2 HT vs HV paired by donor: mean ΔΔCq −1.4217, paired p 0.002781:

    >>> result = two_group_test([-4.79, -5.34, -4.715], [-3.495, -3.785, -3.30], paired=True)
    >>> result["test"], round(result["estimate"], 4), round(result["p_value"], 6)
    ('paired t', 1.4217, 0.002781)

    The exact rank test of 3 against 3 cannot give p below 2/C(6, 3) = 0.1:

    >>> result = two_group_test([-5.0, -5.3, -4.8], [-2.8, -3.1, -2.5], test="mann-whitney")
    >>> result["test"], result["p_value"], result["estimate"]
    ('mann-whitney (Hodges-Lehmann)', 0.1, 2.2)
    """
    return two_group_tests([(control, treated, paired)], test=test, alpha=alpha, min_n=min_n)[0]


def two_group_tests(
    cases: Sequence[tuple[Any, Any, bool]],
    *,
    test: str = "welch",
    alpha: float = 0.05,
    min_n: int = 2,
) -> list[dict[str, Any]]:
    """:func:`two_group_test` of each ``(control, treated, paired)`` case, the t distribution's
    tail areas and quantiles evaluated once for all of them (the same numbers, one call each).

    Parameters
    ----------
    cases
        ``(control, treated, paired)`` per comparison, as :func:`two_group_test` takes them.
    test, alpha, min_n
        As :func:`two_group_test`, for every case.

    Returns
    -------
    list of dict
        One result per case, in order.

    Raises
    ------
    ConfigError
        An unknown ``test`` or an ``alpha`` outside (0, 1).

    Examples
    --------
    T12 in methods.md (Welch) and T17 (paired by donor) at once:

    >>> welch, paired = two_group_tests([([-5.0, -5.3, -4.8], [-2.8, -3.1, -2.5], False),
    ...                                  ([-4.79, -5.34, -4.715], [-3.495, -3.785, -3.30], True)])
    >>> welch["test"], round(welch["p_value"], 6), paired["test"], round(paired["p_value"], 6)
    ('welch', 0.000682, 'paired t', 0.002781)
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
    found: list[dict[str, Any]] = []
    pending, parts = [], []
    for control, treated, paired in cases:
        if test == "permutation":
            found.append(permutation_test(control, treated, paired=paired, alpha=alpha,
                                          min_n=min_n))  # fmt: skip
            continue
        parts.append((len(found), *_groups(control, treated, paired), paired))
        found.append({})
    moments = _moments([(c, t, paired) for _, c, t, _, paired in parts])
    for (i, c, t, dropped, paired), m in zip(parts, moments, strict=True):
        res = _parametric_or_rank(c, t, m, paired=paired, test=test, alpha=alpha, min_n=min_n)
        if res.pop("t pending", False):
            pending.append(res)
        res["note"] = _join(dropped, res["note"])
        found[i] = res
    _t_tails(pending, alpha)
    return found


def _moments(cases: list[tuple[np.ndarray, np.ndarray, bool]]) -> list[tuple[Any, ...]]:
    """Per ``(c, t, paired)`` case: ``np.mean`` of c and of t and ``np.var`` (ddof 1) of c,
    of t and, paired, of t − c (NaN where not defined: an empty group, one value, unpaired).
    Cases of equal sizes are taken together, row by row: each row reduced as numpy reduces one
    array, the same numbers to the last bit."""
    nan = np.float64(math.nan)
    out: list[tuple[Any, ...]] = [(nan,) * 5] * len(cases)
    by_size: dict[tuple[int, int, bool], list[int]] = {}
    for i, (c, t, paired) in enumerate(cases):
        by_size.setdefault((c.size, t.size, paired), []).append(i)
    for (m, n, paired), at in by_size.items():
        if not (m and n):
            continue
        c, t = (np.array([cases[i][k] for i in at], dtype=float) for k in (0, 1))
        none = np.full(len(at), nan)
        spread = (c.var(axis=1, ddof=1), t.var(axis=1, ddof=1)) if m > 1 and n > 1 else (none,) * 2
        paired_spread = (t - c).var(axis=1, ddof=1) if paired and m > 1 else none
        columns = (c.mean(axis=1), t.mean(axis=1), *spread, paired_spread)
        for k, i in enumerate(at):
            out[i] = tuple(column[k] for column in columns)
    return out


def _t_tails(results: list[dict[str, Any]], alpha: float) -> None:
    """Each t test's two-sided p-value and its estimate's (1 − alpha) t interval, as
    :func:`~qpcr.stats._common._t_ci` gives it (NaN unless the SE and df are finite and df > 0),
    for all ``results`` (with ``estimate``, ``se``, ``df``, ``statistic``) at once."""
    if not results:
        return
    se, df, tstat = (np.array([r[k] for r in results], dtype=float)
                     for k in ("se", "df", "statistic"))  # fmt: skip
    p = 2 * t_sf(np.abs(tstat), df)
    half = t_ppf(1 - alpha / 2, df) * se
    finite = np.isfinite(se) & np.isfinite(df) & (df > 0)
    for r, p_value, h, ok in zip(results, p.tolist(), half.tolist(), finite.tolist(), strict=True):
        lo, hi = (r["estimate"] - h, r["estimate"] + h) if ok else (math.nan, math.nan)
        r.update(p_value=p_value, ci_low=lo, ci_high=hi)


def _parametric_or_rank(
    c: np.ndarray, t: np.ndarray, moments: tuple[Any, ...], *, paired: bool, test: str,
    alpha: float, min_n: int,
) -> dict[str, Any]:  # fmt: skip
    """The test's result (``moments`` of ``c`` and ``t``: :func:`_moments`); a t test's
    p-value and interval are left to :func:`_t_tails` (``"t pending"`` set)."""
    mean_c, mean_t, var_c, var_t, var_d = moments
    name = "paired t" if paired else test
    estimate = float(mean_t - mean_c) if c.size and t.size else math.nan
    res = _result(name, int(t.size), int(c.size), estimate)
    note = _too_few(c, t, paired, min_n)
    if note:
        res["note"] = note
        return res

    if test == "mann-whitney":
        res.update(_rank_test(c, t, paired=paired, alpha=alpha))
        return res

    if paired:
        se = float(np.sqrt(var_d) / math.sqrt(t.size))
        df = float(t.size - 1)
    elif test == "welch":
        vt, vc = var_t / t.size, var_c / c.size
        se = float(math.sqrt(vt + vc))
        denominator = vt**2 / (t.size - 1) + vc**2 / (c.size - 1)
        df = float((vt + vc) ** 2 / denominator) if denominator > 0 else math.nan
    else:
        df = float(t.size + c.size - 2)
        sp2 = ((t.size - 1) * var_t + (c.size - 1) * var_c) / df
        se = float(math.sqrt(sp2 * (1 / t.size + 1 / c.size)))
    if se < NEGLIGIBLE_SE:  # zero, or the rounding of zero
        res.update(se=0.0, df=df, note="zero variance in both groups: no test possible")
        return res
    res.update({"se": se, "df": df, "statistic": estimate / se, "t pending": True})
    return res


def _rank_null_counts(m: int, n: int | None) -> np.ndarray:
    """Exact null counts of the rank statistic, index = statistic value.

    ``n`` given: Mann-Whitney U for samples of m and n, the Gaussian binomial coefficient
    [m+n choose m]_q = Π_{i=1..m} (1 − q^(n+i)) / (1 − q^i). ``n`` None: Wilcoxon signed-rank
    V for m pairs, Π_{i=1..m} (1 + q^i). Exact Python integers (object array).
    """
    if n is None:
        counts = np.zeros(m * (m + 1) // 2 + 1, dtype=object)
        counts[0] = 1
        for i in range(1, m + 1):
            counts[i:] = counts[i:] + counts[:-i].copy()
        return counts
    counts = np.zeros(m * n + 1, dtype=object)
    counts[0] = 1
    for i in range(1, m + 1):
        counts[n + i :] -= counts[: -(n + i)].copy()  # × (1 − q^(n+i))
        for r in range(i):  # ÷ (1 − q^i): running sums with stride i
            counts[r::i] = np.cumsum(counts[r::i])
    return counts


def _rank_test(c: np.ndarray, t: np.ndarray, *, paired: bool, alpha: float) -> dict[str, Any]:
    """Mann-Whitney (Wilcoxon signed-rank when paired) with the Hodges-Lehmann shift and CI.

    Shift estimate: median of the pairwise differences t_i − c_j (paired: of the Walsh averages
    (d_i + d_j)/2, i ≤ j). CI: order statistics k and N − k + 1 of those differences, k from the
    exact null distribution of the rank statistic (Bauer 1972; as R's
    ``wilcox.test(conf.int=TRUE)``), or, with ties or n ≥ 50, from its normal approximation
    (tie-corrected variance, continuity correction): k = ⌈μ − z·σ + ½⌉.
    """
    from scipy import special, stats  # the rank tests' exact p (a rarely used path)

    if paired:
        d = t - c
        ties = np.unique(np.abs(d)).size < d.size or bool((d == 0).any())
        method = "exact" if d.size < 50 and not ties else "approx"
        r = stats.wilcoxon(d, alternative="two-sided", method=method)
        i, j = np.triu_indices(d.size)
        diffs = np.sort((d[i] + d[j]) / 2)
        n_pairs = d.size
        mean = n_pairs * (n_pairs + 1) / 4
        _, tied = np.unique(np.abs(d), return_counts=True)
        var = n_pairs * (n_pairs + 1) * (2 * n_pairs + 1) / 24 - np.sum(tied**3 - tied) / 48
        p_min = 2.0 / 2**d.size
        name = "wilcoxon signed-rank"
    else:
        ties = np.unique(np.concatenate([t, c])).size < t.size + c.size
        method = "exact" if max(t.size, c.size) < 50 and not ties else "asymptotic"
        r = stats.mannwhitneyu(t, c, alternative="two-sided", method=method)
        diffs = np.sort(np.subtract.outer(t, c).ravel())
        m, n = t.size, c.size
        mean = m * n / 2
        _, tied = np.unique(np.concatenate([t, c]), return_counts=True)
        var = m * n / 12 * ((m + n + 1) - np.sum(tied**3 - tied) / ((m + n) * (m + n - 1)))
        p_min = 2.0 / math.comb(c.size + t.size, c.size)
        name = "mann-whitney"
    if method == "exact":
        counts = _rank_null_counts(t.size, None if paired else c.size)
        total = int(counts.sum())
        cdf = np.array([int(k) / total for k in np.cumsum(counts)])
        qu = max(int(np.searchsorted(cdf, alpha / 2 - 1e-12)), 1)  # R: qwilcox / qsignrank
        achieved = 1 - 2 * cdf[qu - 1]
        interval = "exact distribution-free interval"
    else:
        z, sd = float(special.ndtri(1 - alpha / 2)), math.sqrt(var)
        qu = min(max(math.ceil(mean - z * sd + 0.5), 1), diffs.size // 2 + 1)
        achieved = 1 - 2 * float(special.ndtr((qu - 1 + 0.5 - mean) / sd))
        interval = "asymptotic interval from the normal approximation (ties or n ≥ 50)"
    note = (
        f"rank test; fold change = 2^(Hodges-Lehmann shift), the median of the pairwise "
        f"differences, with its {interval}, achieved confidence {achieved:.3g}; with these "
        f"group sizes the smallest possible exact two-sided p is {p_min:.4g}"
    )
    if method != "exact":
        note += "; p from the normal approximation"
    shift = float(np.median(diffs))
    return {
        "test": f"{name} (Hodges-Lehmann)",
        "estimate": shift,
        "statistic": float(r.statistic),
        "p_value": float(r.pvalue),
        "hodges_lehmann": shift,
        "ci_low": float(diffs[qu - 1]),
        "ci_high": float(diffs[diffs.size - qu]),
        "note": note,
    }
