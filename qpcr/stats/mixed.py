"""Random-intercept linear mixed model by REML, with Satterthwaite degrees of freedom.

y = Xβ + Zu + ε, u ~ N(0, σ²_u I) one intercept per block (donor), ε ~ N(0, σ²_e I), so
V = σ²_e I + σ²_u ZZ'. ZZ' = QΛQ' is diagonalised once; in the rotated data Q'y, Q'X the
covariance is diagonal, σ²_e + σ²_u λ_i, and the REML criterion profiled over σ²_e is a
function of the variance ratio γ = σ²_u / σ²_e alone (a one-dimensional optimisation).
Contrasts l'β get SE √(l'Cl) with C = (X'V⁻¹X)⁻¹ and the Satterthwaite df
2(l'Cl)² / (g'Ag), g the gradient of l'Cl in (σ²_u, σ²_e) and A the inverse of the
observed REML information (as lmerTest computes them; methods.md §3.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["MixedFit", "fit_random_intercept"]


@dataclass(frozen=True)
class MixedFit:
    """A fitted random-intercept model: ``beta``, the variance components ``sigma2_block``
    (σ²_u) and ``sigma2_resid`` (σ²_e), ``cov`` = Var(β̂) and what the Satterthwaite df need
    (``_xv``: V⁻¹X rotated, ``_lam``: eigenvalues of ZZ', ``_acov``: covariance of the
    variance estimates)."""

    beta: np.ndarray
    cov: np.ndarray
    sigma2_block: float
    sigma2_resid: float
    _xv: np.ndarray
    _lam: np.ndarray
    _acov: np.ndarray

    def contrast(self, lvec: np.ndarray) -> tuple[float, float, float]:
        """Estimate l'β, its SE and the Satterthwaite df.

        Parameters
        ----------
        lvec
            The contrast's coefficients, one per column of X.

        Returns
        -------
        tuple of float
            ``(estimate, se, df)``.

        Examples
        --------
        Two cells, three donors, the third donor lacks cell b; the contrast b − a (R
        lmerTest ``contest``: 0.99269846, SE 0.15406132, df 0.88671137):

        >>> import numpy as np
        >>> y = np.array([1.0, 2.1, 1.4, 2.2, 0.7])
        >>> x = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 0]], dtype=float)
        >>> fit = fit_random_intercept(y, x, np.array(["d1", "d1", "d2", "d2", "d3"]))
        >>> [round(v, 4) for v in fit.contrast(np.array([-1.0, 1.0]))]
        [0.9927, 0.1541, 0.8867]
        """
        cl = self.cov @ lvec
        var = float(lvec @ cl)
        grad = self._gradient(cl)
        denominator = float(grad @ self._acov @ grad)
        df = 2 * var**2 / denominator if denominator > 0 else math.nan
        return float(lvec @ self.beta), math.sqrt(var), df

    def f_test(self, lmat: np.ndarray) -> tuple[float, int, float]:
        """F statistic of H0: Lβ = 0, its numerator df and the Satterthwaite denominator df
        (lmerTest's rule: the eigen-contrasts' df ν_m combined as 2E/(E − q),
        E = Σ ν_m/(ν_m − 2); 2 when some ν_m ≤ 2).

        Parameters
        ----------
        lmat
            The hypothesis, one row per contrast (full row rank).

        Returns
        -------
        tuple
            ``(F, numerator df, denominator df)``.

        Examples
        --------
        One row gives F = t² and the contrast's df:

        >>> import numpy as np
        >>> y = np.array([1.0, 2.1, 1.4, 2.2, 0.7])
        >>> x = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 0]], dtype=float)
        >>> fit = fit_random_intercept(y, x, np.array(["d1", "d1", "d2", "d2", "d3"]))
        >>> f, q, ddf = fit.f_test(np.array([[-1.0, 1.0]]))
        >>> round(f, 4), q, round(ddf, 4)
        (41.5191, 1, 0.8867)
        """
        lcl = lmat @ self.cov @ lmat.T
        eigval, eigvec = np.linalg.eigh(lcl)
        rotated = eigvec.T @ lmat
        estimates = rotated @ self.beta
        q = lmat.shape[0]
        f = float(np.sum(estimates**2 / eigval) / q)
        nu = np.array([self.contrast(row)[2] for row in rotated])
        if q == 1 or np.allclose(nu, nu[0], rtol=0, atol=1e-8):
            return f, q, float(nu[0])
        if (nu <= 2).any():
            return f, q, 2.0
        e = float(np.sum(nu / (nu - 2)))
        return f, q, 2 * e / (e - q)

    def _gradient(self, cl: np.ndarray) -> np.ndarray:
        """∂(l'Cl)/∂(σ²_u, σ²_e) = (Cl)'X'V⁻¹ V_i V⁻¹X(Cl), V_u = ZZ', V_e = I (rotated)."""
        a = self._xv @ cl
        grad = np.array([np.sum(self._lam * a**2), np.sum(a**2)])
        return grad if self.sigma2_block > 0 else grad * np.array([0.0, 1.0])


def _rotate(x: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues λ of ZZ' and the rotation Q' (rows: eigenvectors)."""
    _, codes = np.unique(groups, return_inverse=True)
    z = np.eye(int(codes.max()) + 1)[codes]
    lam, q = np.linalg.eigh(z @ z.T)
    return np.clip(lam, 0.0, None), q.T


def _profile(gamma: float, y: np.ndarray, x: np.ndarray, lam: np.ndarray) -> float:
    """REML deviance profiled over σ²_e, up to a constant, at variance ratio ``gamma``."""
    w = 1.0 / (1.0 + gamma * lam)
    xtwx = x.T @ (w[:, None] * x)
    beta = np.linalg.solve(xtwx, x.T @ (w * y))
    rss = float(np.sum(w * (y - x @ beta) ** 2))
    n_free = len(y) - x.shape[1]
    _, logdet = np.linalg.slogdet(xtwx)
    return n_free * math.log(rss / n_free) + float(np.sum(np.log1p(gamma * lam))) + logdet


def fit_random_intercept(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> MixedFit:
    """Fit y = Xβ + (random intercept per group) + ε by REML.

    The ratio γ = σ²_u/σ²_e is found by bounded Brent search over φ = γ/(1 + γ) ∈ [0, 1)
    (``scipy.optimize``); γ = 0 (no block variance) is taken when it is as good.

    Parameters
    ----------
    y
        The response (log2 scale), one value per biological sample.
    x
        The fixed-effects design, full column rank, fewer columns than rows.
    groups
        The block (donor) of each row.

    Returns
    -------
    MixedFit
        Estimates, Var(β̂), the variance components and what contrasts need.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1.0, 2.1, 1.4, 2.2, 0.7])
    >>> x = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 0]], dtype=float)
    >>> fit = fit_random_intercept(y, x, np.array(["d1", "d1", "d2", "d2", "d3"]))
    >>> [round(float(b), 4) for b in fit.beta], round(fit.sigma2_block, 4)
    ([1.0333, 2.026], 0.072)
    """
    from scipy.optimize import minimize_scalar

    lam, qt = _rotate(x, groups)
    yr, xr = qt @ y, qt @ x

    def deviance(phi: float) -> float:
        return _profile(phi / (1.0 - phi), yr, xr, lam)

    found = minimize_scalar(deviance, bounds=(0.0, 1.0 - 1e-9), method="bounded",
                            options={"xatol": 1e-12})  # fmt: skip
    phi = float(found.x) if deviance(float(found.x)) < deviance(0.0) else 0.0
    gamma = phi / (1.0 - phi)
    w = 1.0 / (1.0 + gamma * lam)
    xtwx_inv = np.linalg.inv(xr.T @ (w[:, None] * xr))
    beta = xtwx_inv @ (xr.T @ (w * yr))
    sigma2 = float(np.sum(w * (yr - xr @ beta) ** 2)) / (len(y) - x.shape[1])
    vinv = w / sigma2  # diagonal of V⁻¹ (rotated)
    cov = xtwx_inv * sigma2
    xv = vinv[:, None] * xr
    proj = np.diag(vinv) - xv @ cov @ xv.T  # REML projection P
    py = proj @ yr
    parts = [np.diag(lam), np.eye(len(y))]
    info = np.empty((2, 2))
    for i, vi in enumerate(parts):
        for j, vj in enumerate(parts):
            info[i, j] = -0.5 * np.trace(proj @ vi @ proj @ vj) + py @ vi @ proj @ vj @ py
    # on the boundary (γ = 0) only σ²_e is free
    acov = np.linalg.inv(info) if gamma > 0 else np.diag([0.0, 1.0 / info[1, 1]])
    return MixedFit(beta, cov, gamma * sigma2, sigma2, xv, lam, acov)
