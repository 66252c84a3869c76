"""Distribution functions for the tests, from :mod:`scipy.special`.

``scipy.stats`` costs over a second to import; the t, F and beta tail areas the analysis needs
are single special functions, evaluated here exactly as ``scipy.stats`` does (``t.sf(x, df) =
stdtr(df, −x)``, ``t.ppf(q, df) = stdtrit(df, q)``, ``f.sf = fdtrc``), so the p-values are the
same to the last bit. ``scipy.special`` itself (about 0.2 s) is imported on
first use, so that importing :mod:`qpcr.stats` (the settings vocabularies) stays light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["f_sf", "pearson", "t_ppf", "t_sf"]

#: numpy ≥ 2 has ``vector_norm``, which ``scipy.stats.pearsonr`` uses (the same bits).
_norm = getattr(np.linalg, "vector_norm", np.linalg.norm)


def t_sf(x: Any, df: Any) -> Any:
    """Upper tail P(T > x) of Student's t with ``df`` degrees of freedom (NaN for df ≤ 0)."""
    from scipy import special

    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where(df > 0, special.stdtr(np.where(df > 0, df, 1.0), -np.asarray(x)), np.nan)
    return float(out) if out.ndim == 0 else out


def t_ppf(q: Any, df: Any) -> Any:
    """Quantile of Student's t: the x with P(T ≤ x) = q (NaN for df ≤ 0 or NaN)."""
    from scipy import special

    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where(df > 0, special.stdtrit(np.where(df > 0, df, 1.0), q), np.nan)
    return float(out) if out.ndim == 0 else out


def f_sf(x: Any, dfn: Any, dfd: Any) -> Any:
    """Upper tail P(F > x) of the F distribution with (``dfn``, ``dfd``) degrees of freedom."""
    from scipy import special

    out = np.asarray(special.fdtrc(dfn, dfd, x), dtype=float)
    return float(out) if out.ndim == 0 else out


def pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Pearson's r and its two-sided p (exact under bivariate normality: (r + 1)/2 is
    Beta(n/2 − 1, n/2 − 1) under H0), computed as ``scipy.stats.pearsonr`` does."""
    from scipy import special

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = x.size
    xm, ym = x - x.mean(), y - y.mean()
    if n < 2 or not (xm.any() and ym.any()):
        return np.nan, np.nan
    xmax, ymax = np.abs(xm).max(), np.abs(ym).max()
    normx = xmax * _norm(xm / xmax)
    normy = ymax * _norm(ym / ymax)
    r = float(np.clip(np.dot(xm / normx, ym / normy), -1.0, 1.0))
    if n == 2:
        return float(round(r)), 1.0
    ab = n / 2 - 1
    return r, float(2 * special.betaincc(ab, ab, (abs(r) + 1) / 2))
