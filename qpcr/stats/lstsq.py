"""Least squares of the factorial models: their model matrices, ranks and fits."""

from __future__ import annotations

import numpy as np


def _matrix(n: int, blocks: list[np.ndarray]) -> np.ndarray:
    """The model matrix: an intercept and ``blocks`` of columns."""
    return np.column_stack([np.ones(n), *blocks])


def _rank(x: np.ndarray) -> int:
    """The rank least squares finds for ``x`` (it does not depend on the response)."""
    return int(np.linalg.lstsq(x, np.zeros(len(x)), rcond=None)[2])


def _solve(matrices: list[np.ndarray], y: np.ndarray) -> list[np.ndarray]:
    """``np.linalg.lstsq(x, y, rcond=None)[0]`` for each float matrix ``x`` of ``matrices`` (as
    many rows as ``y``), one problem per call: a stacked solve would change the last bits.
    (Calling numpy's private LAPACK gufunc directly would save a third of these small fits,
    about 0.3 ms a plate; not worth depending on a private name.)"""
    return [np.linalg.lstsq(x, y, rcond=None)[0] for x in matrices]


def _rss(matrices: list[np.ndarray], y: np.ndarray) -> list[float]:
    """Residual sum of squares of the least-squares fit of ``y`` on each of ``matrices``."""
    return [
        float(((y - x @ beta) ** 2).sum())
        for x, beta in zip(matrices, _solve(matrices, y), strict=True)
    ]
