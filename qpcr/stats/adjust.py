"""Multiple-testing adjustment of a family of p-values."""

from __future__ import annotations

from typing import Any, get_args

import numpy as np

from qpcr.errors import ConfigError
from qpcr.vocabularies import Adjust

__all__ = ["ADJUST", "ADJUST_METHODS_TEXT", "Adjust", "adjust_pvalues"]

ADJUST: tuple[Adjust, ...] = get_args(Adjust)
#: Methods-text wording of each adjustment ("p-values were adjusted ... with ...").
ADJUST_METHODS_TEXT: dict[Adjust, str] = {
    "holm": "Holm's method",
    "bh": "the Benjamini-Hochberg method",
    "bonferroni": "Bonferroni's method",
    "none": "no adjustment",
}


def adjust_pvalues(p: Any, method: str = "holm") -> np.ndarray:
    """Adjust a family of p-values for multiple testing.

    ``"holm"`` (FWER; Holm 1979): sort ascending, p_(i)·(m − i + 1), cumulative max, cap 1.
    ``"bh"`` (FDR; Benjamini–Hochberg 1995): p_(i)·m/i, cumulative min from the largest, cap 1.
    ``"bonferroni"``: min(1, m·p). ``"none"``: unchanged. NaN stays NaN and does not count in m.

    Parameters
    ----------
    p
        The family's p-values (array-like, NaN allowed).
    method
        ``holm``, ``bh``, ``bonferroni`` or ``none``.

    Returns
    -------
    numpy.ndarray
        The adjusted p-values in the input order.

    Raises
    ------
    ConfigError
        An unknown ``method``, or a p-value outside [0, 1].

    Examples
    --------
    T19 in methods.md: p = {0.012, 0.030, 0.041, 0.20} → Holm {0.048, 0.090, 0.090, 0.200};
    BH {0.048, 0.054667, 0.054667, 0.200}. By hand, Holm: 4 × 0.012 = 0.048,
    3 × 0.030 = 0.090, 2 × 0.041 = 0.082 → 0.090 (cumulative max), 1 × 0.20 = 0.20;
    BH: 0.20 × 4/4 = 0.20, 0.041 × 4/3 = 0.054667, 0.030 × 4/2 = 0.060 → 0.054667
    (cumulative min from the largest), 0.012 × 4/1 = 0.048.

    >>> p = [0.012, 0.030, 0.041, 0.20]
    >>> adjust_pvalues(p, "holm").round(6).tolist()
    [0.048, 0.09, 0.09, 0.2]
    >>> adjust_pvalues(p, "bh").round(6).tolist()
    [0.048, 0.054667, 0.054667, 0.2]
    >>> adjust_pvalues(p, "bonferroni").round(6).tolist()
    [0.048, 0.12, 0.164, 0.8]

    A missing p-value stays missing and leaves the family smaller (m = 2):

    >>> adjust_pvalues([0.04, float("nan"), 0.01], "holm").tolist()
    [0.04, nan, 0.02]
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
