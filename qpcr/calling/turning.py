"""The turning point both curve callers look for (:mod:`qpcr.calling.linreg`'s TD0 and
:mod:`qpcr.calling.cpd2`'s cpD2): the largest value of a smoothed second derivative at or before
a curve's steepest rise, refined to a fraction of a column by the parabola through it and its
two neighbours.

The edge rule: the maximum is refined only when both its neighbours were searched (computed,
and at or before the steepest rise). A maximum at the edge of the searched columns (the first
or last column the filter reaches, or the steepest rise itself) stays at its column and is
marked as not inside: the derivative may still be rising beyond it. What that means is the
caller's: TD0 bounds the exponential phase, which then lasts at least to that column (a late
curve still growing at the last cycle keeps its window); cpD2 *is* the maximum's place, so a
maximum not inside gives no Cq rather than a cycle that may lie cycles too early.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["turning_point"]


def turning_point(
    derivative: npt.NDArray[np.float64], last: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Per curve, the fractional column of the largest positive ``derivative`` at or before
    column ``last``, and whether it lies inside the searched columns (see the module
    docstring for the edge rule).

    Parameters
    ----------
    derivative
        One row per curve, one column per cycle; ``-inf`` where the filter cannot reach.
    last
        Per curve, the last column searched (its steepest rise); NaN searches nothing.

    Returns
    -------
    column : numpy.ndarray
        The maximum's fractional column; NaN when no searched value is above zero (or it lies
        at column 0 or the last column).
    inside : numpy.ndarray of bool
        Both its neighbours were searched, so the column is refined and the maximum seen.

    Examples
    --------
    >>> import numpy as np
    >>> inf = np.inf
    >>> rows = np.array([[-inf, 1.0, 3.0, 2.0, 0.5, -inf],   # inside: refined
    ...                  [-inf, 1.0, 2.0, 3.0, 4.0, -inf],   # still rising at the last column
    ...                  [-inf, 1.0, 2.0, 3.0, 4.0, -inf]])  # still rising at the steepest rise
    >>> column, inside = turning_point(rows, np.array([5.0, 5.0, 3.0]))
    >>> column.round(3).tolist(), inside.tolist()
    ([2.167, 4.0, 3.0], [True, False, False])
    """
    n, width = derivative.shape
    searched = np.where(np.arange(width)[None, :] <= last[:, None], derivative, -np.inf)
    peak = np.argmax(searched, axis=1)
    inner = np.clip(peak, 1, width - 2)
    rows = np.arange(n)
    a, b, c = (searched[rows, inner + k] for k in (-1, 0, 1))
    inside = np.isfinite(a + c)
    with np.errstate(invalid="ignore", divide="ignore"):
        curvature = a - 2 * b + c
        shift = np.where(inside & (curvature < 0), 0.5 * (a - c) / curvature, 0.0)
    found = np.isfinite(b) & (b > 0) & (peak == inner)
    return np.where(found, inner + shift, np.nan), found & inside
