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
    """Upper tail P(T > x) of Student's t with ``df`` degrees of freedom (NaN for df ≤ 0).

    Parameters
    ----------
    x
        The statistic (scalar or array).
    df
        Degrees of freedom (scalar or array; need not be whole).

    Returns
    -------
    float or numpy.ndarray
        A float for scalar input, else an array.

    Examples
    --------
    T12 in methods.md: Welch t = −9.878611 with df = 3.882569 has two-sided p = 0.000682:

    >>> round(2 * t_sf(9.878611, 3.882569), 6)
    0.000682
    >>> round(t_sf(2.228139, 10), 6), t_sf(1.0, 0)
    (0.025, nan)
    """
    from scipy import special

    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where(df > 0, special.stdtr(np.where(df > 0, df, 1.0), -np.asarray(x)), np.nan)
    return float(out) if out.ndim == 0 else out


def t_ppf(q: Any, df: Any) -> Any:
    """Quantile of Student's t: the x with P(T ≤ x) = q (NaN for df ≤ 0 or NaN).

    Parameters
    ----------
    q
        The probability (scalar or array).
    df
        Degrees of freedom (scalar or array; need not be whole).

    Returns
    -------
    float or numpy.ndarray
        A float for scalar input, else an array.

    Examples
    --------
    The two-sided 95 % critical values of t with 10, 2 and 30 degrees of freedom:

    >>> round(t_ppf(0.975, 10), 6)
    2.228139
    >>> t_ppf(0.975, [2, 30]).round(6).tolist()
    [4.302653, 2.042272]
    """
    from scipy import special

    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where(df > 0, special.stdtrit(np.where(df > 0, df, 1.0), q), np.nan)
    return float(out) if out.ndim == 0 else out


def f_sf(x: Any, dfn: Any, dfd: Any) -> Any:
    """Upper tail P(F > x) of the F distribution with (``dfn``, ``dfd``) degrees of freedom.

    Parameters
    ----------
    x
        The statistic (scalar or array).
    dfn, dfd
        Numerator and denominator degrees of freedom.

    Returns
    -------
    float or numpy.ndarray
        A float for scalar input, else an array.

    Examples
    --------
    T17 in methods.md: the O2×drug interaction of the donor-blocked ANOVA, F = 42.849 on
    (1, 6) df, has p = 0.000608; without the block, F = 7.975 on (1, 8) df, p = 0.0224:

    >>> round(f_sf(42.849, 1, 6), 6), round(f_sf(7.975, 1, 8), 4)
    (0.000608, 0.0224)
    """
    from scipy import special

    out = np.asarray(special.fdtrc(dfn, dfd, x), dtype=float)
    return float(out) if out.ndim == 0 else out


def pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Pearson's r and its two-sided p (exact under bivariate normality: (r + 1)/2 is
    Beta(n/2 − 1, n/2 − 1) under H0), computed as ``scipy.stats.pearsonr`` does.

    Parameters
    ----------
    x, y
        Paired observations of equal length.

    Returns
    -------
    r, p : float
        NaN for fewer than two pairs or a constant ``x`` or ``y``; p = 1 for two pairs.

    Examples
    --------
    x = {1, 2, 3, 4, 5}, y = {2, 4, 5, 4, 5}: Sxy = 6, Sxx = 10, Syy = 6, so
    r = 6/√60 = 0.774597:

    >>> import numpy as np
    >>> r, p = pearson(np.array([1.0, 2, 3, 4, 5]), np.array([2.0, 4, 5, 4, 5]))
    >>> round(r, 6), round(p, 4)
    (0.774597, 0.124)
    >>> pearson(np.array([1.0, 2.0]), np.array([3.0, 1.0]))
    (-1.0, 1.0)
    """
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
