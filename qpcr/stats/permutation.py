"""Randomisation (permutation) test of a log2 difference, with the interval by test inversion."""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np

from qpcr.errors import ConfigError

from ._common import _groups, _join, _result, _too_few

__all__ = ["permutation_test"]


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

    Parameters
    ----------
    control, treated
        log2-scale responses, one per biological sample (aligned by block when ``paired``).
    paired
        Flip the signs of per-block differences instead of reallocating values.
    n_resamples
        The most reallocations enumerated exactly; beyond it, this many random ones (≥ 100).
    seed
        Seed of the random reallocations.
    alpha
        1 − confidence level of the interval.
    min_n
        Fewer values than this in a group: no p-value or interval (``note`` says why).

    Returns
    -------
    dict
        The same keys as :func:`qpcr.stats.tests.two_group_test`; ``test`` is
        "permutation", or "paired permutation" when ``paired``.

    Raises
    ------
    ConfigError
        ``n_resamples`` below 100.

    Examples
    --------
    The groups of T12 in methods.md (y = −ΔCq): every value of the treated group is above
    every control value, so of the C(6, 3) = 20 reallocations only the observed one and its
    mirror are as extreme: p = 2/20 = 0.1, too few for a 95 % interval:

    >>> result = permutation_test([-5.0, -5.3, -4.8], [-2.8, -3.1, -2.5])
    >>> round(result["estimate"], 6), result["p_value"], result["ci_low"], result["ci_high"]
    (2.233333, 0.1, -inf, inf)
    >>> print(result["note"])  # doctest: +NORMALIZE_WHITESPACE
    exact randomisation test over 20 reallocations; CI by inverting the test; too few
    reallocations for a 95 % interval (unbounded)

    Five against five: p = 2/C(10, 5) = 2/252, and the inverted test bounds the interval:

    >>> result = permutation_test([-5.0, -5.3, -4.8, -5.1, -4.9], [-2.8, -3.1, -2.5, -3.0, -2.7])
    >>> round(result["p_value"], 6), round(result["ci_low"], 6), round(result["ci_high"], 6)
    (0.007937, 1.9, 2.55)

    Paired by block, the 2³ = 8 sign patterns of T17's per-donor differences give p = 2/8:

    >>> result = permutation_test([-4.79, -5.34, -4.715], [-3.495, -3.785, -3.30], paired=True)
    >>> result["test"], result["p_value"]
    ('paired permutation', 0.25)
    """
    c, t, dropped = _groups(control, treated, paired)
    estimate = float(np.mean(t) - np.mean(c)) if c.size and t.size else math.nan
    res = _result("paired permutation" if paired else "permutation", int(t.size), int(c.size),
                  estimate)  # fmt: skip
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
