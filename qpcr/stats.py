"""Statistics on the log2 expression scale: two-group tests, factorial designs, p-value adjustment.

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
import re
from itertools import combinations, product
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from qpcr.errors import ConfigError, DesignError

__all__ = [
    "adjust_pvalues",
    "factorial_anova",
    "factorial_contrasts",
    "permutation_test",
    "two_group_test",
]

#: The ``test`` setting: how a group is compared with its control (``auto`` and ``paired`` are
#: resolved per comparison in :mod:`qpcr.compare`; the others run in :func:`two_group_test`).
Test = Literal["auto", "welch", "paired", "student", "mann-whitney", "permutation"]
TESTS: tuple[Test, ...] = get_args(Test)
TWO_GROUP_TESTS = ("welch", "student", "mann-whitney", "permutation")
#: Methods-text wording of each test ("Groups were compared with ...").
TEST_METHODS_TEXT: dict[Test, str] = {
    "auto": "a paired t-test on per-donor differences when the compared groups held the same "
    "biological replicates, and Welch's t-test otherwise",
    "welch": "Welch's t-test",
    "paired": "a paired t-test",
    "student": "Student's t-test",
    "mann-whitney": "the exact Mann-Whitney (or signed-rank) test",
    "permutation": "a randomisation test",
}

#: The ``adjust`` setting: multiple-testing adjustment (:func:`adjust_pvalues`).
Adjust = Literal["holm", "bh", "bonferroni", "none"]
ADJUST: tuple[Adjust, ...] = get_args(Adjust)
#: Methods-text wording of each adjustment ("p-values were adjusted ... with ...").
ADJUST_METHODS_TEXT: dict[Adjust, str] = {
    "holm": "Holm's method",
    "bh": "the Benjamini-Hochberg method",
    "bonferroni": "Bonferroni's method",
    "none": "no adjustment",
}


def _as_values(values: Any, name: str) -> np.ndarray:
    """One-dimensional float array from a sequence/Series; reject anything else."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DesignError(
            f"{name} holds non-numeric values ({exc})",
            where=f"{name} values",
            hint="expected numbers on the log2 scale (−ΔCq or log2 NRQ)",
        ) from None
    if arr.ndim != 1:
        raise DesignError(
            f"{name} has shape {arr.shape}",
            where=f"{name} values",
            hint="expected one value per biological sample (a 1-D sequence of log2 values)",
        )
    return arr


def _paired_values(control: Any, treated: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """Align control and treated by block; drop pairs with a NaN (returns how many).

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
    return c[keep], t[keep], int((~keep).sum())


def _groups(control: Any, treated: Any, paired: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """Clean value arrays and a note on dropped incomplete pairs (paired) or NaN values."""
    if paired:
        c, t, n_drop = _paired_values(control, treated)
        return c, t, f"{n_drop} incomplete pair(s) dropped" if n_drop else ""
    c, t = _as_values(control, "control"), _as_values(treated, "treated")
    return c[~np.isnan(c)], t[~np.isnan(t)], ""


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
        ``"student"`` (pooled variance, df = n_t + n_c − 2), ``"mann-whitney"`` (rank test,
        exact p without ties and n < 50; Wilcoxon signed-rank when paired; the CI is the
        distribution-free interval of the Hodges-Lehmann shift, returned as the extra key
        ``hodges_lehmann``) or ``"permutation"`` (see :func:`permutation_test`).
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
    c, t, dropped = _groups(control, treated, paired)
    res = _parametric_or_rank(c, t, paired=paired, test=test, alpha=alpha, min_n=min_n)
    res["note"] = _join(dropped, res["note"])
    return res


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

    name = "paired t" if paired else test
    estimate = float(np.mean(t) - np.mean(c)) if c.size and t.size else math.nan
    res = _result(name, int(t.size), int(c.size), estimate)
    note = _too_few(c, t, paired, min_n)
    if note:
        res["note"] = note
        return res

    if test == "mann-whitney":
        res.update(_rank_test(c, t, paired=paired, alpha=alpha))
        return res

    if paired:
        d = t - c
        se = float(np.std(d, ddof=1) / math.sqrt(d.size))
        df = float(d.size - 1)
    elif test == "welch":
        vt, vc = np.var(t, ddof=1) / t.size, np.var(c, ddof=1) / c.size
        se = float(math.sqrt(vt + vc))
        denominator = vt**2 / (t.size - 1) + vc**2 / (c.size - 1)
        df = float((vt + vc) ** 2 / denominator) if denominator > 0 else math.nan
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
    exact null distribution (Bauer 1972; as R's ``wilcox.test(conf.int=TRUE)``).
    """
    from scipy import stats

    if paired:
        d = t - c
        ties = np.unique(np.abs(d)).size < d.size or bool((d == 0).any())
        method = "exact" if d.size < 50 and not ties else "approx"
        r = stats.wilcoxon(d, alternative="two-sided", method=method)
        i, j = np.triu_indices(d.size)
        diffs = np.sort((d[i] + d[j]) / 2)
        counts = _rank_null_counts(d.size, None)
        p_min = 2.0 / 2**d.size
        name = "wilcoxon signed-rank"
    else:
        ties = np.unique(np.concatenate([t, c])).size < t.size + c.size
        method = "exact" if max(t.size, c.size) < 50 and not ties else "asymptotic"
        r = stats.mannwhitneyu(t, c, alternative="two-sided", method=method)
        diffs = np.sort(np.subtract.outer(t, c).ravel())
        counts = _rank_null_counts(t.size, c.size)
        p_min = 2.0 / math.comb(c.size + t.size, c.size)
        name = "mann-whitney"
    total = int(counts.sum())
    cdf = np.array([int(k) / total for k in np.cumsum(counts)])
    qu = max(int(np.searchsorted(cdf, alpha / 2 - 1e-12)), 1)  # R: qwilcox / qsignrank
    achieved = 1 - 2 * cdf[qu - 1]
    note = (
        f"rank test; estimate is the mean difference, hodges_lehmann the median shift; CI is the "
        f"distribution-free shift interval (achieved confidence {achieved:.3g}); with these "
        f"group sizes the smallest possible exact two-sided p is {p_min:.4g}"
    )
    if method != "exact":
        note += "; ties or n ≥ 50: p from the normal approximation"
    return {
        "test": name,
        "statistic": float(r.statistic),
        "p_value": float(r.pvalue),
        "hodges_lehmann": float(np.median(diffs)),
        "ci_low": float(diffs[qu - 1]),
        "ci_high": float(diffs[diffs.size - qu]),
        "note": note,
    }


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

    Unpaired: the pooled values are reallocated to groups of the observed sizes (every one of
    the C(n_c + n_t, n_c) reallocations when that is at most ``n_resamples``, else
    ``n_resamples`` random ones). Paired: the signs of the per-block differences are flipped
    (2**n patterns, or random ones). Statistic: mean treated − mean control (log2; with y =
    log2 expression of target relative to reference per replicate, REST's pair-wise fixed
    reallocation). Two-sided p = share of reallocations with |statistic| ≥ |observed|
    (random: (count + 1)/(n_resamples + 1)). CI: the shifts Δ not rejected at level alpha
    when the test is applied to (control, treated − Δ), i.e. the test inverted (found by
    bisection); unbounded when no reallocation set is small enough (e.g. 3 vs 3: min p = 0.1).

    Returns the same keys as :func:`two_group_test`; ``test`` is "permutation".
    """
    c, t, dropped = _groups(control, treated, paired)
    estimate = float(np.mean(t) - np.mean(c)) if c.size and t.size else math.nan
    res = _result("permutation", int(t.size), int(c.size), estimate)
    note = _too_few(c, t, paired, min_n)
    if note:
        res["note"] = _join(dropped, note)
        return res
    if n_resamples < 100:
        raise ConfigError(
            f"n_resamples = {n_resamples}",
            where="permutation_test(n_resamples=...)",
            hint="expected at least 100 (10000 or more for p-values near 0.001)",
        )
    rng = np.random.default_rng(seed)
    if paired:
        d = t - c
        total = 2**d.size
        exact = total <= n_resamples
        if exact:
            signs = 1 - 2 * ((np.arange(total)[:, None] >> np.arange(d.size)) & 1)
        else:
            signs = rng.choice(np.array([-1, 1]), size=(n_resamples, d.size))
        # statistic of each reallocation when the treated values are shifted by −Δ: a + b·Δ
        a, b = (signs * d).mean(axis=1), -signs.mean(axis=1)
    else:
        pooled = np.concatenate([c, t])
        total = math.comb(pooled.size, c.size)
        exact = total <= n_resamples
        if exact:
            idx = np.array(list(combinations(range(pooled.size), c.size)))
        else:
            idx = rng.permuted(np.tile(np.arange(pooled.size), (n_resamples, 1)), axis=1)
            idx = idx[:, : c.size]
        c_sum = pooled[idx].sum(axis=1)
        moved = (idx >= c.size).sum(axis=1)  # treated values relabelled as control
        a = (pooled.sum() - c_sum) / t.size - c_sum / c.size
        b = moved / t.size + moved / c.size - 1

    def p_at(delta: float) -> float:
        """Two-sided randomisation p of H0: true difference = delta."""
        obs = abs(estimate - delta)
        hits = int(np.sum(np.abs(a + b * delta) >= obs - 1e-9 * max(1.0, obs)))
        return hits / total if exact else (hits + 1) / (len(a) + 1)

    lo, hi = (_invert(p_at, estimate, side, alpha, float(np.ptp(a)) + 1e-9) for side in (-1, 1))
    res.update(
        statistic=estimate,
        p_value=float(p_at(0.0)),
        ci_low=lo,
        ci_high=hi,
        note=_join(
            dropped,
            f"{'exact' if exact else 'random'} randomisation test over "
            f"{total if exact else n_resamples} reallocations; CI by inverting the test",
        ),
    )
    if not (np.isfinite(lo) and np.isfinite(hi)):
        res["note"] += f"; too few reallocations for a {100 * (1 - alpha):g} % interval (unbounded)"
    return res


def _invert(p_at: Any, estimate: float, side: int, alpha: float, scale: float) -> float:
    """Outer end of {Δ : p(Δ) > alpha} on one side of the estimate (bisection), or ±inf."""
    inside, step = estimate, scale
    for _ in range(40):  # expand until rejected
        outside = estimate + side * step
        if p_at(outside) <= alpha:
            break
        inside, step = outside, 2 * step
    else:
        return side * math.inf
    for _ in range(60):
        mid = (inside + outside) / 2
        if p_at(mid) > alpha:
            inside = mid
        else:
            outside = mid
    return float(inside)


def adjust_pvalues(p: Any, method: str = "holm") -> np.ndarray:
    """Adjust a family of p-values for multiple testing.

    ``"holm"`` (FWER; Holm 1979): sort ascending, p_(i)·(m − i + 1), cumulative max, cap 1.
    ``"bh"`` (FDR; Benjamini–Hochberg 1995): p_(i)·m/i, cumulative min from the largest, cap 1.
    ``"bonferroni"``: min(1, m·p). ``"none"``: unchanged. NaN stays NaN and does not count in m.
    Returns an array in the input order.
    """
    if method not in ADJUST:
        raise ConfigError(
            f"unknown p-value adjustment {method!r}",
            where="adjust_pvalues(method=...)",
            hint=f"expected one of {', '.join(ADJUST)}",
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


# ---------------------------------------------------------------- factorial designs

#: Response column names that are on the linear (fold-change) scale: tests on them are refused.
_LINEAR_NAME = re.compile(
    r"^(fold[ _-]?change|fc|rq|nrq|cnrq|rel(ative)?[ _-]?(quantity|expression)|ratio|2\^.*)$",
    re.IGNORECASE,
)
#: The ``factorial_method`` setting: the error model of factorial contrasts
#: (:func:`factorial_contrasts`).
ContrastMethod = Literal["rcbd", "paired", "welch"]
CONTRAST_METHODS: tuple[ContrastMethod, ...] = get_args(ContrastMethod)


class _Design:
    """Validated long table of one response: columns ``y``, one per factor, optional ``block``."""

    def __init__(
        self,
        data: pd.DataFrame,
        response: str,
        factors: list[str] | str,
        block: str | None,
        where: str,
    ) -> None:
        self.factors = [factors] if isinstance(factors, str) else list(factors)
        self.response, self.block, self.where = response, block, where
        if not self.factors:
            raise ConfigError("no factor given", where=where, hint="expected 1 or more columns")
        wanted = [response, *self.factors, *([block] if block else [])]
        missing = [c for c in wanted if c not in data.columns]
        if missing:
            raise ConfigError(
                f"column(s) {missing} not in the data",
                where=where,
                hint=f"expected columns among {list(data.columns)}",
            )
        if len(set(wanted)) != len(wanted):
            raise ConfigError(
                f"a column is used twice in {wanted}",
                where=where,
                hint="response, factors and block must be different columns",
            )
        if _LINEAR_NAME.match(response.strip()):
            raise DesignError(
                f"response column {response!r} looks like a fold change (linear scale)",
                where=f"{where}, column {response!r}",
                hint="expected a log2-scale response (−ΔCq or log2 NRQ); tests on fold-change "
                "values are biased, so compute them on log2 and back-transform",
            )
        y = pd.to_numeric(data[response], errors="coerce")
        bad = data.index[y.isna() & data[response].notna()]
        if len(bad):
            raise DesignError(
                f"non-numeric response {data[response].loc[bad[0]]!r}",
                where=f"{where}, row {bad[0]}, column {response!r}",
                hint="expected a number (log2 scale) or an empty cell",
            )
        frame = pd.DataFrame({"y": y.astype(float)}, index=data.index)
        self.levels: dict[str, list[str]] = {}
        for f in self.factors:
            col = data[f]
            order = (
                [str(v) for v in col.cat.categories]
                if isinstance(col.dtype, pd.CategoricalDtype)
                else list(dict.fromkeys(col.dropna().astype(str)))
            )
            frame[f] = col.astype(str).where(col.notna())
            self.levels[f] = order
        if block:
            frame["block"] = data[block].astype(str).where(data[block].notna())
        keep = frame.notna().all(axis=1)
        self.dropped = int((~keep).sum())
        self.frame = frame[keep]
        if self.frame.empty:
            raise DesignError("no complete row", where=where, hint="expected numeric responses")
        self.levels = {
            f: [lvl for lvl in lv if lvl in set(self.frame[f])] for f, lv in self.levels.items()
        }
        for f, lv in self.levels.items():
            if len(lv) < 2:
                raise DesignError(
                    f"factor {f!r} has {len(lv)} level(s) with data ({lv})",
                    where=f"{where}, column {f!r}",
                    hint="expected at least 2 levels to compare; drop the factor from the list",
                )
        self._refuse_technical_replicates(data)

    def _refuse_technical_replicates(self, data: pd.DataFrame) -> None:
        if self.block:
            dup = self.frame.duplicated(["block", *self.factors], keep=False)
            what = f"block {self.block!r} × factors {self.factors}"
        elif "sample" in data.columns:
            sample = data.loc[self.frame.index, "sample"]
            dup = sample.duplicated(keep=False) & sample.notna()
            what = "column 'sample'"
        else:
            return
        if dup.any():
            rows = self.frame.index[dup].tolist()[:6]
            raise DesignError(
                f"{int(dup.sum())} rows share the same {what} (rows {rows})",
                where=f"{self.where}, column {self.response!r}",
                hint="expected one value per biological sample; these look like technical "
                "replicates, which are not n: average them first (qpcr.quant)",
            )

    @property
    def cells(self) -> list[tuple[str, ...]]:
        """Every combination of factor levels (present or not), control levels first."""
        return list(product(*(self.levels[f] for f in self.factors)))

    def cell_key(self) -> pd.Series:
        """Integer code of each row's cell: its position in :attr:`cells`."""
        code = {c: i for i, c in enumerate(self.cells)}
        rows = zip(*(self.frame[f] for f in self.factors), strict=True)
        return pd.Series([code[c] for c in rows], index=self.frame.index, dtype=int)

    def block_status(self) -> tuple[list[str], list[str]]:
        """Blocks present in every non-empty cell, and the others."""
        if not self.block:
            return [], []
        cell = self.cell_key()
        present = cell.groupby(self.frame["block"]).nunique()
        n_cells = cell.nunique()
        complete = sorted(present.index[present == n_cells])
        return complete, sorted(present.index[present < n_cells])

    def use_complete_blocks(self) -> str:
        """Keep only blocks present in every non-empty cell; say what was done.

        Incomplete blocks are dropped when at least 2 complete blocks remain; otherwise the
        block is left out of the analysis (unblocked fit).
        """
        complete, incomplete = self.block_status()
        if not incomplete:
            return ""
        if len(complete) >= 2:
            self.frame = self.frame[self.frame["block"].isin(complete)]
            return f"block(s) {incomplete} dropped (missing in a cell)"
        self.block = None
        self.frame = self.frame.drop(columns="block")
        return f"fewer than 2 complete blocks (missing: {incomplete}): unblocked fit"

    def balanced(self) -> bool:
        counts = self.frame.groupby(self.factors).size()
        if len(counts) < math.prod(len(v) for v in self.levels.values()):
            return False
        return counts.nunique() == 1 and not self.block_status()[1]


def _safe_names(design: _Design) -> tuple[pd.DataFrame, dict[str, str]]:
    """Frame with formula-safe columns ``y, f0, f1, …, blk`` and a map back to the user names."""
    cols = {f: f"f{i}" for i, f in enumerate(design.factors)}
    frame = design.frame.rename(columns=cols)
    back = {v: k for k, v in cols.items()}
    if design.block:
        frame = frame.rename(columns={"block": "blk"})
        back["blk"] = design.block
    return frame, back


def factorial_anova(
    data: pd.DataFrame,
    response: str,
    factors: list[str] | str,
    block: str | None = None,
    typ: int = 2,
) -> pd.DataFrame:
    """ANOVA of a log2 response on crossed factors (with interactions) and an optional block.

    Model (two factors): y_ijk = μ + α_i + β_j + (αβ)_ij + u_k + ε_ijk, the block (donor) u_k
    fitted as a fixed effect (randomized complete block design). In a balanced design (every
    block once in every cell) its F tests equal those of the REML mixed model with a random
    donor (methods.md §3.3). Fitted with statsmodels OLS (``C(f)`` terms) and ``anova_lm``.

    Parameters
    ----------
    data
        One row per biological sample.
    response
        log2-scale column (−ΔCq, log2 NRQ or a per-sample log2 ratio).
    factors
        One or more factor columns; all interactions are included.
    block
        Block column (donor), or None for no block.
    typ
        2 (Type II sums of squares) or 3 (Type III with Sum-to-zero contrasts). An unbalanced
        design (unequal cell sizes) always uses Type III with Sum contrasts; ``ss_type`` says
        which was used. A block missing from a cell is dropped (or, with fewer than 2 complete
        blocks left, the block is left out), as in :func:`factorial_contrasts`; ``note`` says so.

    Returns
    -------
    DataFrame
        ``term`` (factor names, ``a × b`` for interactions, the block name, ``Residual``),
        ``sum_sq, df, F, p_value, ss_type, note``.
    """
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    where = "factorial_anova"
    if typ not in (2, 3):
        raise ConfigError(f"typ = {typ!r}", where=f"{where}(typ=...)", hint="expected 2 or 3")
    design = _Design(data, response, factors, block, where)
    present = set(design.cell_key())
    empty = [c for i, c in enumerate(design.cells) if i not in present]
    if empty:
        raise DesignError(
            f"no data in cell(s) {empty} of {design.factors}",
            where=f"{where}, column {response!r}",
            hint="expected every combination of factor levels; use factorial_contrasts for "
            "the comparisons that remain estimable",
        )
    notes = [design.use_complete_blocks()]
    balanced = design.balanced()
    if balanced and typ == 2:
        ss_type, coding = "II", ""
    else:
        ss_type, coding = "III (Sum contrasts)", ", Sum"
        if not balanced:
            ss_type = "III (Sum contrasts, unbalanced)"
            notes.append("unbalanced design: Type III sums of squares with Sum contrasts")
    if design.dropped:
        notes.append(f"{design.dropped} row(s) with a missing value dropped")
    frame, back = _safe_names(design)
    rhs = "*".join(f"C({back_k}{coding})" for back_k in frame.columns if back_k.startswith("f"))
    if design.block:
        rhs += f" + C(blk{coding})"
    fit = smf.ols(f"y ~ {rhs}", data=frame).fit()
    if fit.df_resid <= 0:
        raise DesignError(
            "no residual degrees of freedom",
            where=f"{where}, column {response!r}",
            hint="expected more than one biological sample per cell (or more blocks)",
        )
    table = anova_lm(fit, typ=typ if balanced else 3)
    table = table.drop(index="Intercept", errors="ignore")

    def term_name(term: str) -> str:
        if term == "Residual":
            return term
        parts = [re.match(r"C\((\w+)", p).group(1) for p in term.split(":")]  # type: ignore[union-attr]
        return " × ".join(back[p] for p in parts)

    return pd.DataFrame(
        {
            "term": [term_name(t) for t in table.index],
            "sum_sq": table["sum_sq"].to_numpy(float),
            "df": table["df"].to_numpy(float),
            "F": table["F"].to_numpy(float),
            "p_value": table["PR(>F)"].to_numpy(float),
            "ss_type": ss_type,
            "note": _join(*notes),
        }
    )


def _contrast_specs(
    design: _Design, control: dict[str, str]
) -> list[tuple[str, str, dict[int, float]]]:
    """(label, kind, {cell: coefficient}) for every simple effect and two-way interaction."""
    fs = design.factors
    specs = []

    def within(others: list[str], lv: tuple[str, ...]) -> str:
        return (
            " | " + ", ".join(f"{g}={v}" for g, v in zip(others, lv, strict=True)) if others else ""
        )

    code = {c: i for i, c in enumerate(design.cells)}

    def cell(assign: dict[str, str]) -> int:
        return code[tuple(assign[f] for f in fs)]

    for f in fs:
        others = [g for g in fs if g != f]
        for lv in product(*(design.levels[g] for g in others)):
            base = dict(zip(others, lv, strict=True))
            for level in design.levels[f]:
                if level == control[f]:
                    continue
                coef = {cell({**base, f: level}): 1.0, cell({**base, f: control[f]}): -1.0}
                specs.append((f"{f}: {level} vs {control[f]}{within(others, lv)}", "simple", coef))
    for f, g in combinations(fs, 2):
        others = [h for h in fs if h not in (f, g)]
        pairs = list(
            product(
                [v for v in design.levels[f] if v != control[f]],
                [v for v in design.levels[g] if v != control[g]],
            )
        )
        for lv in product(*(design.levels[h] for h in others)):
            base = dict(zip(others, lv, strict=True))
            for a, b in pairs:
                coef = {
                    cell({**base, f: a, g: b}): 1.0,
                    cell({**base, f: control[f], g: b}): -1.0,
                    cell({**base, f: a, g: control[g]}): -1.0,
                    cell({**base, f: control[f], g: control[g]}): 1.0,
                }
                detail = (
                    f": ({a} vs {control[f]}) × ({b} vs {control[g]})" if len(pairs) > 1 else ""
                )
                specs.append(
                    (f"interaction {f} × {g}{detail}{within(others, lv)}", "interaction", coef)
                )
    return specs


def _fill(row: dict[str, Any], estimate: float, se: float, df: float, alpha: float) -> None:
    """t statistic, two-sided p and (1 − alpha) CI of a contrast from estimate, SE and df."""
    from scipy import stats

    row["estimate_log2"] = estimate
    if not (np.isfinite(se) and se > 0 and np.isfinite(df) and df > 0):
        row.update(se=se, df=df)
        if np.isfinite(se) and se == 0:
            row["note"] = _join(row["note"], "zero residual variance: no test possible")
        return
    tstat = estimate / se
    lo, hi = _t_ci(estimate, se, df, alpha)
    row.update(
        se=se,
        df=df,
        statistic=tstat,
        p_value=float(2 * stats.t.sf(abs(tstat), df)),
        ci_low=lo,
        ci_high=hi,
    )


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _rcbd_evaluator(design: _Design, key: pd.Series) -> tuple[Any, str, str]:
    """Least-squares fit of cell means (+ fixed block); returns (evaluate, test name, note).

    Blocks missing from a non-empty cell are dropped when at least 2 complete blocks remain,
    otherwise the block is left out of the model (pooled two-way ANOVA error).
    """
    note = design.use_complete_blocks()
    blocked = bool(design.block)
    frame = design.frame.assign(cell=key.loc[design.frame.index])
    cells = list(dict.fromkeys(frame["cell"]))
    x = np.column_stack([(frame["cell"] == c).to_numpy(float) for c in cells])
    if blocked:
        blocks = sorted(set(frame["block"]))
        x = np.column_stack([x, *[(frame["block"] == b).to_numpy(float) for b in blocks[1:]]])
    y = frame["y"].to_numpy(float)
    beta, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    df = float(len(y) - rank)
    mse = float(np.sum((y - x @ beta) ** 2) / df) if df > 0 else math.nan
    xtx_inv = np.linalg.pinv(x.T @ x)
    counts = frame["cell"].value_counts()
    test = "rcbd" if blocked else "pooled (no block)"

    def evaluate(coef: dict[int, float]) -> tuple[float, float, float, int, str]:
        lvec = np.zeros(x.shape[1])
        for c, w in coef.items():
            lvec[cells.index(c)] = w
        se = math.sqrt(mse * float(lvec @ xtx_inv @ lvec)) if df > 0 else math.nan
        why = "" if df > 0 else "no residual degrees of freedom"
        return float(lvec @ beta), se, df, int(sum(counts[c] for c in coef)), why

    return evaluate, test, note


def _paired_evaluate(
    design: _Design, key: pd.Series, coef: dict[int, float]
) -> tuple[float, float, float, int, str]:
    """Per-block contrast d_k = Σ c·y_k,cell; one-sample t on d (SE = s_d/√n, df = n − 1)."""
    frame = design.frame.assign(cell=key)
    wide = frame[frame["cell"].isin(list(coef))].pivot(index="block", columns="cell", values="y")
    wide = wide.reindex(columns=list(coef))
    d = (wide * pd.Series(coef)).sum(axis=1, min_count=len(coef))
    d = d.where(wide.notna().all(axis=1))
    dropped = sorted(d.index[d.isna()])
    d = d.dropna().to_numpy(float)
    why = f"block(s) {dropped} dropped (missing in a cell)" if dropped else ""
    if d.size < 2:
        return (
            float(np.mean(d)) if d.size else math.nan,
            math.nan,
            math.nan,
            int(d.size),
            _join(why, "fewer than 2 complete blocks"),
        )
    return (
        float(d.mean()),
        float(d.std(ddof=1) / math.sqrt(d.size)),
        float(d.size - 1),
        int(d.size),
        why,
    )


def _welch_evaluate(
    design: _Design, key: pd.Series, coef: dict[int, float]
) -> tuple[float, float, float, int, str]:
    """Σ c·mean with SE² = Σ c²·s²/n and Welch–Satterthwaite df = (Σ w)² / Σ w²/(n − 1)."""
    g = design.frame.groupby(key)["y"]
    mean, var, n = g.mean(), g.var(ddof=1), g.size()
    cs = list(coef)
    w = np.array([coef[c] for c in cs])
    m, v, k = mean[cs].to_numpy(), var[cs].to_numpy(), n[cs].to_numpy()
    est = float(w @ m)
    if (k < 2).any():
        return est, math.nan, math.nan, int(k.sum()), "fewer than 2 biological replicates in a cell"
    parts = w**2 * v / k
    se = float(math.sqrt(parts.sum()))
    df = float(parts.sum() ** 2 / np.sum(parts**2 / (k - 1))) if se > 0 else math.nan
    return est, se, df, int(k.sum()), ""


def factorial_contrasts(
    data: pd.DataFrame,
    response: str,
    factors: list[str] | str,
    block: str | None = None,
    *,
    control: dict[str, str],
    alpha: float = 0.05,
    method: str = "rcbd",
) -> pd.DataFrame:
    """Simple effects and interaction contrasts of a factorial design on the log2 scale.

    For each factor, every level is compared with its control level within each combination of
    the other factors' levels (simple effects, e.g. HT − HV); for each pair of factors the
    interaction is the difference of differences, (HT − HV) − (NT − NV) on log2, i.e. the ratio
    of fold changes. Fold change = 2**estimate, CI back-transformed from the log2 CI.

    Methods (methods.md §3.3-3.4):

    * ``"rcbd"``: least squares with cell means and a fixed block; SE = √(MSE·Σ c²/n_cell) in
      a balanced design, df = (cells − 1)(blocks − 1). Without ``block`` the pooled two-way
      ANOVA error is used (df = N − cells). Blocks missing from a cell are dropped (or the block
      is left out when fewer than 2 complete blocks remain), as said in ``note``.
    * ``"paired"``: per-block contrast d_k, one-sample t (SE = s_d/√n, df = n − 1); needs
      ``block``; blocks missing from an involved cell are dropped for that contrast.
    * ``"welch"``: unpaired, SE² = Σ c²·s²/n, Welch–Satterthwaite df.

    Parameters
    ----------
    data, response, factors, block
        As for :func:`factorial_anova` (one row per biological sample; log2 response).
    control
        Control (reference) level of every factor, e.g. ``{"oxygen": "normoxia",
        "treatment": "vehicle"}``.
    alpha
        1 − confidence level.
    method
        ``"rcbd"`` (default), ``"paired"`` or ``"welch"``.

    Returns
    -------
    DataFrame
        ``contrast`` (label), ``kind`` ("simple" | "interaction"), ``estimate_log2, se, df,
        statistic, p_value, ci_low, ci_high`` (log2), ``fold_change, fc_ci_low, fc_ci_high``,
        ``test``, ``n`` (biological samples, or blocks when paired) and ``note``.
    """
    where = "factorial_contrasts"
    if method not in CONTRAST_METHODS:
        raise ConfigError(
            f"unknown method {method!r}",
            where=f"{where}(method=...)",
            hint=f"expected one of {', '.join(CONTRAST_METHODS)}",
        )
    if not 0 < alpha < 1:
        raise ConfigError(
            f"alpha = {alpha}", where=f"{where}(alpha=...)", hint="expected 0 < alpha < 1"
        )
    if method == "paired" and block is None:
        raise ConfigError(
            "method 'paired' needs a block column",
            where=f"{where}(block=...)",
            hint="name the donor/batch column, or use method='welch' for independent samples",
        )
    design = _Design(data, response, factors, block, where)
    control = {str(k): str(v) for k, v in control.items()}
    for f in design.factors:
        if f not in control or control[f] not in design.levels[f]:
            raise ConfigError(
                f"control level of factor {f!r} is {control.get(f)!r}",
                where=f"{where}(control=...)",
                hint=f"expected one of {design.levels[f]}",
            )
        design.levels[f] = [control[f], *(v for v in design.levels[f] if v != control[f])]
    key = design.cell_key()
    present = set(key)
    base_note = f"{design.dropped} row(s) with a missing value dropped" if design.dropped else ""
    if method == "rcbd":
        rcbd, test, fit_note = _rcbd_evaluator(design, key)
    else:
        test, fit_note = ("paired t" if method == "paired" else "welch"), ""
    rows = []
    for label, kind, coef in _contrast_specs(design, control):
        row: dict[str, Any] = {
            "contrast": label,
            "kind": kind,
            "estimate_log2": math.nan,
            "se": math.nan,
            "df": math.nan,
            "statistic": math.nan,
            "p_value": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "test": test,
            "n": 0,
            "note": _join(base_note, fit_note),
        }
        empty = [design.cells[c] for c in coef if c not in present]
        if empty:
            row["note"] = _join(row["note"], f"no data in cell(s) {empty}: not estimable")
            rows.append(row)
            continue
        if method == "rcbd":
            est, se, df, n, why = rcbd(coef)
        elif method == "paired":
            est, se, df, n, why = _paired_evaluate(design, key, coef)
        else:
            est, se, df, n, why = _welch_evaluate(design, key, coef)
        row["n"], row["note"] = n, _join(row["note"], why)
        _fill(row, est, se, df, alpha)
        rows.append(row)
    out = pd.DataFrame(rows)
    for log_col, fc_col in (
        ("estimate_log2", "fold_change"),
        ("ci_low", "fc_ci_low"),
        ("ci_high", "fc_ci_high"),
    ):
        out[fc_col] = np.exp2(out[log_col].astype(float))
    cols = ["contrast", "kind", "estimate_log2", "se", "df", "statistic", "p_value", "ci_low"]
    cols += ["ci_high", "fold_change", "fc_ci_low", "fc_ci_high", "test", "n", "note"]
    return out[cols]
