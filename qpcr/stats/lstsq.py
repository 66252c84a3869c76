"""Least squares of the factorial models: their model matrices, ranks and fits, each fit
with the bits of ``np.linalg.lstsq`` (numpy's per-problem LAPACK ``gelsd``)."""

from __future__ import annotations

import importlib

import numpy as np


def _matrix(n: int, blocks: list[np.ndarray]) -> np.ndarray:
    """The model matrix: an intercept and ``blocks`` of columns."""
    return np.column_stack([np.ones(n), *blocks])


def _rank(x: np.ndarray) -> int:
    """The rank least squares finds for ``x`` (it does not depend on the response)."""
    return int(np.linalg.lstsq(x, np.zeros(len(x)), rcond=None)[2])


#: numpy's LAPACK least-squares gufunc (numpy ≥ 2), which ``np.linalg.lstsq`` calls.
_GELSD = getattr(importlib.import_module("numpy.linalg._umath_linalg"), "lstsq", None)


def _svd_failed(err: str, flag: int) -> None:
    """The error ``np.linalg.lstsq`` raises when LAPACK reports no convergence."""
    raise np.linalg.LinAlgError("SVD did not converge in Linear Least Squares")


def _solve(matrices: list[np.ndarray], y: np.ndarray) -> list[np.ndarray]:
    """``np.linalg.lstsq(x, y, rcond=None)[0]`` for each float matrix ``x`` of ``matrices`` (as
    many rows as ``y``): the same per-problem LAPACK call (so the same bits), without the
    wrapper's checks and conversions, which cost a third of a fit this small."""
    if _GELSD is None:
        return [np.linalg.lstsq(x, y, rcond=None)[0] for x in matrices]
    eps, b = np.finfo(float).eps, y[:, np.newaxis]
    with np.errstate(call=_svd_failed, invalid="call", over="ignore", divide="ignore",
                     under="ignore"):  # fmt: skip
        return [_GELSD(x, b, eps * max(x.shape), signature="ddd->ddid")[0][:, 0] for x in matrices]


def _rss(matrices: list[np.ndarray], y: np.ndarray) -> list[float]:
    """Residual sum of squares of the least-squares fit of ``y`` on each of ``matrices``."""
    return [
        float(((y - x @ beta) ** 2).sum())
        for x, beta in zip(matrices, _solve(matrices, y), strict=True)
    ]
