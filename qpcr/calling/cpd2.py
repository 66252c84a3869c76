"""The second-derivative maximum ("cpD2"; what the LightCycler software calls Cp) of curves ×
cycles.

Each curve is smoothed and differentiated twice in one step by the Savitzky–Golay filter of a
quartic over seven cycles (coefficients (−13, 67, −19, −70, −19, 67, −13) / 132; Savitzky &
Golay 1964, Anal Chem 36:1627, doi:10.1021/ac60214a047). A quartic follows the peak of the
second derivative closely: on logistic curves with a slope of 1–2.5 cycles the maximum found lies
0.19 cycles (at most 0.38) before the exact one, against 0.59 (0.87) for a quadratic. The
largest second derivative before the curve's steepest rise is located to a fraction of a cycle
by the parabola through it and its two neighbours (:func:`qpcr.calling.turning.turning_point`);
one at the edge of the cycles the filter reaches gives no Cq. Only curves that amplified (as
:func:`qpcr.calling.linreg.linreg` decides) get one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .turning import turning_point

__all__ = ["cpd2"]

#: Savitzky–Golay second derivative: quartic, seven points, unit spacing.
_KERNEL = np.array([-13.0, 67.0, -19.0, -70.0, -19.0, 67.0, -13.0]) / 132.0


def cpd2(
    values: npt.NDArray[np.float64],
    steepest: npt.NDArray[np.float64],
    first_cycle: float = 1.0,
) -> npt.NDArray[np.float64]:
    """The cycle of the maximum of the smoothed second derivative of each curve.

    Parameters
    ----------
    values
        Fluorescence, one row per curve, one column per cycle (at least nine), no NaN.
    steepest
        Per curve, the column of its steepest rise (:attr:`qpcr.calling.linreg.LinReg.steepest`);
        the maximum is sought at or before it.
    first_cycle
        The cycle of column 0.

    Returns
    -------
    numpy.ndarray
        The fractional cycle per curve; NaN when the second derivative has no maximum above
        zero inside the searched cycles (one at their edge may lie beyond them).

    Examples
    --------
    >>> import numpy as np
    >>> cycles = np.arange(1, 41)
    >>> curve = 100 / (1 + np.exp(-(cycles - 25.0) / 1.5))  # cpD2 of a sigmoid: 25 − 1.317 × 1.5
    >>> cpd2(curve[None, :], np.array([24.0])).round(2)
    array([22.82])
    """
    n, width = values.shape
    half = len(_KERNEL) // 2
    windows = np.lib.stride_tricks.sliding_window_view(values, len(_KERNEL), axis=1)
    second = np.full((n, width), -np.inf)
    second[:, half : width - half] = windows @ _KERNEL
    column, inside = turning_point(second, steepest)
    return np.where(inside, column + first_cycle, np.nan)
