"""LinRegPCR on an array of curves (curves × cycles): baseline, window of linearity, per-reaction
efficiency, the amplicon's mean efficiency, its common threshold, Cq and N0.

The method follows Ruijter et al. 2009 (Nucleic Acids Res 37:e45, doi:10.1093/nar/gkp045) with
the exponential-phase detection and baseline search of its 2021 revision (Untergasser et al.
2021, BMC Bioinformatics 22:398, doi:10.1186/s12859-021-04306-1). Every step is a numpy
operation over all curves at once; the amplicon steps group the curves by an integer code.

1. **Exponential phase.** On the raw curve: the first differences; the cycle of the steepest
   rise; the second differences smoothed over three cycles, and their maximum before the
   steepest rise, refined to a fraction of a cycle by a parabola through its neighbours (the
   zero of the third derivative, "TD0", where the curve stops growing exponentially; at the
   edge of the cycles searched, where a curve still grows at the last cycle, the phase lasts at
   least to that cycle: :mod:`qpcr.calling.turning`). The
   exponential phase ends at the last whole cycle before TD0 and starts after the last cycle,
   going back from TD0, at which the fluorescence did not rise.
2. **Window of linearity.** The last (at most nine, at least four) cycles of the exponential
   phase. A curve without such a window, or whose window gives an efficiency of 1.4 or less,
   did not amplify.
3. **Baseline.** The constant that, subtracted from the window, makes the lower and the upper
   half of the window (log10 fluorescence against cycle) equally steep: a straight line, as
   exponential growth must be. It is found by bisection (50 halvings) between a floor (zero, or
   just below the curve's minimum when the curve is negative) and the window's first reading.
   When no constant does it, the curve's minimum is used. Either that, or a trend of the ground
   phase (least squares from the third cycle to three cycles before the window) that moves the
   baseline over the window by more than 5 % of the window's top reading, flags the baseline as
   drifting.
4. **Per-reaction efficiency.** ``E = 10^slope`` of the least-squares line through log10 of the
   baseline-corrected fluorescence over six consecutive cycles of the window, slid along it
   and kept where it is steepest (a sliding window of linearity as in Ramakers et al. 2003,
   Neurosci Lett 339:62, doi:10.1016/S0304-3940(02)01423-4; six cycles as qpcR's ``sliwin``).
   Efficiency only falls as product accumulates, and the window's top cycles, just before TD0,
   already amplify less: a line through all of them underestimates the efficiency. Its R² is
   reported; ``window_start`` and ``window_end`` are the run's. The baseline (step 3) and the
   amplification test (step 2) use the whole window.
5. **No plateau.** The run's line extended to the last cycle predicts a fluorescence less
   than five times the one read: the curve was still growing.
6. **Amplicon efficiency.** Over the amplified curves with a plateau and no drifting baseline,
   the median efficiency; curves more than 0.05 from it are outliers; the others' mean is the
   amplicon's efficiency, with its standard error (SD / √n).
7. **Threshold.** One per amplicon: 10 to the median, over the curves of step 6, of the middle
   of each run in log10 fluorescence, so that it lies inside the runs. An amplicon none of
   whose curves passes step 6 (all drifting, say) takes the median over its amplified curves:
   they get a Cq, with their QC flags, and the amplicon no mean efficiency.
8. **Cq and N0.** The first cycle ``c`` whose baseline-corrected fluorescence ``F_c`` passes
   the threshold ``T``: ``Cq = c − log(F_c / T) / log(E)`` with the amplicon's efficiency
   ``E`` (the curve's own where the amplicon has none), and ``N0 = T / E^Cq`` (fluorescence
   units).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from .turning import turning_point

__all__ = ["MIN_RISE", "OUTLIER_MARGIN", "LinReg", "linreg"]

#: A reaction whose efficiency differs by more than this from its amplicon's median is left out
#: of the amplicon's mean (LinRegPCR's default).
OUTLIER_MARGIN = 0.05

#: A curve whose window of linearity rises by this factor per cycle or less did not amplify.
MIN_RISE = 1.4

#: A ground-phase trend that moves the baseline, over the window, by more than this fraction of
#: the window's highest reading is a drifting baseline.
DRIFT = 0.05

#: The window of linearity: at most this many cycles, at least ``_MIN_WINDOW``.
_MAX_WINDOW = 9
_MIN_WINDOW = 4

#: The per-reaction efficiency is the slope of the steepest run of this many cycles inside the
#: window (the default window of qpcR's ``sliwin``).
_RUN = 6

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LinReg:
    """What :func:`linreg` finds, one entry per curve (cycles are the array's column numbers
    plus the first cycle: the caller's cycle numbers)."""

    corrected: Array  #: baseline-corrected fluorescence, curves × cycles
    baseline: Array
    window_start: Array  #: first cycle of the run the efficiency is fitted on (NaN: no window)
    window_end: Array
    efficiency: Array  #: per reaction (amplification factor), over its steepest run
    rise: Array  #: the amplification factor over the whole window (the amplification test)
    r_squared: Array
    amplified: Mask
    plateau: Mask
    baseline_drift: Mask
    outlier: Mask  #: amplified but its efficiency is an outlier of its amplicon
    deviation: Array  #: efficiency minus the median of its amplicon's candidates
    used: Mask  #: enters its amplicon's mean efficiency
    amplicon_efficiency: Array  #: the mean efficiency of the curve's amplicon
    amplicon_efficiency_se: Array
    threshold: Array  #: the amplicon's common threshold (baseline-corrected fluorescence)
    cq: Array
    n0: Array
    steepest: Array  #: column of the steepest rise (for other methods)


def linreg(values: Array, amplicon: npt.NDArray[np.int64], first_cycle: float = 1.0) -> LinReg:
    """LinRegPCR on curves × cycles (the module's docstring states the algorithm).

    Parameters
    ----------
    values
        Raw fluorescence, one row per curve, one column per cycle, no NaN.
    amplicon
        Per curve, an integer code of its amplicon (the curves sharing an efficiency and a
        threshold: one target on one plate).
    first_cycle
        The cycle of column 0.

    Returns
    -------
    LinReg
        Per curve: baseline, window, efficiencies, threshold, Cq and N0, and the QC flags.

    Examples
    --------
    >>> import numpy as np
    >>> cycles = np.arange(1, 41)
    >>> def grown(n0):  # efficiency 1.9 until it saturates at 5 fluorescence units
    ...     signal = n0 * 1.9**cycles
    ...     return signal / (1 + (signal / 5) ** 4) ** 0.25
    >>> curves = 100 + np.vstack([grown(1e-6), grown(1e-5), np.zeros(40)])
    >>> result = linreg(curves, np.array([0, 0, 0]))
    >>> result.efficiency.round(3), result.amplified
    (array([1.9, 1.9, nan]), array([ True,  True, False]))
    >>> result.baseline.round(2), result.window_start, result.window_end
    (array([100., 100., 100.]), array([15., 11., nan]), array([20., 16., nan]))
    >>> float((result.n0[1] / result.n0[0]).round(3)), float((result.cq[0] - result.cq[1]).round(2))
    (10.0, 3.59)
    """
    n, width = values.shape
    index = np.arange(width)
    rows = np.arange(n)
    td0, steepest = _turning_points(values)
    stop = (
        np.floor(np.nan_to_num(td0, nan=-1.0) + 0.5).astype(np.int64) - 1
    )  # last whole cycle before TD0 (columns)
    rising = np.ones((n, width), dtype=bool)
    rising[:, 1:] = values[:, 1:] > values[:, :-1]
    rising[:, :2] = False  # the phase starts at the third cycle at the earliest
    safe_stop = np.clip(stop, 0, width - 1)
    flat = np.maximum.accumulate(np.where(rising, 0, index), axis=1)[rows, safe_stop]
    start = np.maximum(flat + 1, stop - _MAX_WINDOW + 1)
    has_window = np.isfinite(td0) & (stop - start + 1 >= _MIN_WINDOW) & (stop < width)
    start = np.where(has_window, start, 0)
    stop = np.where(has_window, stop, _MIN_WINDOW - 1)
    offsets = np.arange(_MAX_WINDOW)
    columns = np.minimum(start[:, None] + offsets, width - 1)
    in_window = (start[:, None] + offsets) <= stop[:, None]
    window = values[rows[:, None], columns]
    baseline, found = _equal_slopes_baseline(window, in_window, _floor(values), window[:, 0])
    found &= has_window
    baseline = np.where(found, baseline, values.min(axis=1) - 1e-9 * np.abs(values).max(axis=1))
    corrected = values - baseline[:, None]
    x = (columns + first_cycle).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_window = np.log10(window - baseline[:, None])
        rise = np.where(has_window, 10.0 ** _line(x, log_window, in_window)[0], np.nan)
        run = _steepest_run(x, log_window, in_window)
        slope, intercept, r_squared = _line(x, log_window, run)
    efficiency = np.where(has_window, 10.0**slope, np.nan)
    amplified = has_window & (rise > MIN_RISE)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        last = first_cycle + width - 1
        predicted = 10.0 ** (intercept + slope * last)
        plateau = ~(predicted / corrected[:, -1] < 5.0)
    top = window[rows, np.maximum(in_window.sum(axis=1) - 1, 0)] - baseline
    drift = _drifts(values, start, stop, top) | (has_window & ~found)
    used = amplified & plateau & ~drift
    mean, se, deviation = _amplicon_efficiency(efficiency, used, amplicon)
    outlier = np.abs(deviation) > OUTLIER_MARGIN
    used &= ~outlier
    middle = np.where(
        _or_amplified(used, amplified, amplicon), _run_middle(log_window, run), np.nan
    )
    threshold = 10.0 ** _group_median(middle, amplicon)
    e = np.where(np.isfinite(mean), mean, efficiency)
    cq, n0 = _threshold_cycles(corrected, threshold, e, steepest, amplified, first_cycle)
    first = np.argmax(run, axis=1)
    return LinReg(
        corrected=corrected, baseline=baseline,
        window_start=np.where(has_window, start + first + first_cycle, np.nan),
        window_end=np.where(has_window, start + first + run.sum(axis=1) - 1 + first_cycle, np.nan),
        efficiency=efficiency, rise=rise, r_squared=np.where(has_window, r_squared, np.nan),
        amplified=amplified, plateau=plateau, baseline_drift=drift,
        outlier=outlier & amplified, deviation=deviation, used=used,
        amplicon_efficiency=mean, amplicon_efficiency_se=se,
        threshold=threshold, cq=cq, n0=n0, steepest=steepest.astype(float),
    )  # fmt: skip


def _turning_points(values: Array) -> tuple[Array, npt.NDArray[np.int64]]:
    """Per curve: TD0, the maximum of the three-cycle mean of the second differences before the
    steepest rise, as a fractional column (:func:`~qpcr.calling.turning.turning_point`; at the
    edge of the searched columns the exponential phase lasts at least to it; NaN when there is
    none), and the steepest rise's column (the later cycle of the steepest step)."""
    n, width = values.shape
    steepest = np.argmax(np.diff(values, axis=1), axis=1) + 1
    second = np.diff(values, n=2, axis=1)  # column j + 1
    smooth = np.full((n, width), -np.inf)
    smooth[:, 2:-2] = (second[:, :-2] + second[:, 1:-1] + second[:, 2:]) / 3.0
    return turning_point(smooth, steepest.astype(float))[0], steepest


def _drifts(values: Array, start: npt.NDArray[np.int64], stop: npt.NDArray[np.int64],
            top: Array) -> Mask:  # fmt: skip
    """Whether the ground phase (from the third cycle to three cycles before the window, at
    least three cycles) has a trend that, over the window's cycles, exceeds :data:`DRIFT` of
    the window's highest baseline-corrected reading (``top``)."""
    index = np.arange(values.shape[1])
    ground = (index[None, :] >= 2) & (index[None, :] <= start[:, None] - 3)
    x = np.broadcast_to(index.astype(float), values.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        trend = _line(x, values, ground)[0]
    measured = ground.sum(axis=1) >= 3
    return measured & (np.abs(trend) * (stop - start) > DRIFT * top)


def _floor(values: Array) -> Array:
    """The lowest baseline searched: zero, or 1 % of the curve's range below its minimum when
    the curve reaches zero (an export whose background was subtracted)."""
    low, high = values.min(axis=1), values.max(axis=1)
    return np.minimum(0.0, low - (high - low) / 100.0)


def _halves(in_window: Mask) -> tuple[Mask, Mask]:
    """The lower and upper half of each window (they share the middle cycle of an odd one)."""
    length = in_window.sum(axis=1)[:, None]
    offsets = np.arange(in_window.shape[1])[None, :]
    lower = offsets <= np.floor(length / 2.0 - 0.4)
    upper = (offsets >= np.floor(length / 2.0)) & in_window
    return lower, upper


def _line(x: Array, y: Array, mask: Mask) -> tuple[Array, Array, Array]:
    """Least-squares slope, intercept and R² of y on x per row, over the cells of ``mask``."""
    w = mask.astype(float)
    y = np.where(mask, y, 0.0)
    count = w.sum(axis=1)
    mx = (w * x).sum(axis=1) / count
    my = (w * y).sum(axis=1) / count
    dx, dy = (x - mx[:, None]) * w, (y - my[:, None]) * w
    sxx, syy, sxy = (dx * dx).sum(axis=1), (dy * dy).sum(axis=1), (dx * dy).sum(axis=1)
    slope = sxy / sxx
    return slope, my - slope * mx, sxy * sxy / (sxx * syy)


def _equal_slopes_baseline(window: Array, in_window: Mask, low: Array, high: Array
                           ) -> tuple[Array, Mask]:  # fmt: skip
    """Bisection for the constant that makes both halves of each window equally steep on the
    log scale; the flag says whether the floor and the first reading bracket it."""
    lower, upper = _halves(in_window)
    x = np.broadcast_to(np.arange(window.shape[1], dtype=float), window.shape)

    def excess(base: Array) -> Array:
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.log10(window - base[:, None])
            return _line(x, y, lower)[0] - _line(x, y, upper)[0]

    top = high - 1e-9 * np.maximum(np.abs(high), 1e-300)
    found = (excess(low) <= 0) & (excess(top) >= 0)
    for _ in range(50):
        middle = (low + top) / 2
        steeper_below = excess(middle) > 0
        top = np.where(steeper_below, middle, top)
        low = np.where(steeper_below, low, middle)
    return (low + top) / 2, found


def _steepest_run(x: Array, log_window: Array, in_window: Mask) -> Mask:
    """Per curve, the :data:`_RUN` consecutive cycles of the window whose line on the log scale
    is steepest (the whole window when it is shorter)."""
    offsets = np.arange(in_window.shape[1])[None, :]
    size = np.minimum(in_window.sum(axis=1), _RUN)[:, None]
    best = np.full(len(x), -np.inf)
    chosen = in_window & (offsets < size)
    for first in range(in_window.shape[1] - _RUN + 1):
        run = (offsets >= first) & (offsets < first + size) & in_window
        slope = _line(x, log_window, run)[0]
        steeper = (run.sum(axis=1) == size[:, 0]) & (slope > best)
        best = np.where(steeper, slope, best)
        chosen = np.where(steeper[:, None], run, chosen)
    return chosen


def _or_amplified(used: Mask, amplified: Mask, amplicon: npt.NDArray[np.int64]) -> Mask:
    """The curves that set their amplicon's threshold: the ``used`` ones, or all its amplified
    curves when none passed QC (every curve drifting, say), so that they still get a Cq."""
    any_used = pd.Series(used).groupby(amplicon).transform("any").to_numpy(bool)
    return np.where(any_used, used, amplified)


def _run_middle(log_window: Array, run: Mask) -> Array:
    """The middle of each curve's run in log10 baseline-corrected fluorescence."""
    first = np.argmax(run, axis=1)
    last = first + run.sum(axis=1) - 1
    rows = np.arange(len(run))
    return (log_window[rows, first] + log_window[rows, last]) / 2


def _group_median(values: Array, groups: npt.NDArray[np.int64]) -> Array:
    """Per element, the median of the finite values of its group (NaN when none)."""
    return pd.Series(values).groupby(groups).transform("median").to_numpy(float)


def _amplicon_efficiency(efficiency: Array, used: Mask, amplicon: npt.NDArray[np.int64]
                         ) -> tuple[Array, Array, Array]:  # fmt: skip
    """Per curve: its amplicon's mean efficiency and standard error over the ``used`` curves
    within :data:`OUTLIER_MARGIN` of their median, and the curve's distance from that median."""
    candidate = np.where(used, efficiency, np.nan)
    deviation = efficiency - _group_median(candidate, amplicon)
    kept = pd.Series(np.where(np.abs(deviation) > OUTLIER_MARGIN, np.nan, candidate))
    groups = kept.groupby(amplicon)
    mean = groups.transform("mean").to_numpy(float)
    se = (groups.transform("std") / np.sqrt(groups.transform("count"))).to_numpy(float)
    return mean, se, deviation


def _threshold_cycles(corrected: Array, threshold: Array, efficiency: Array,
                      steepest: npt.NDArray[np.int64], amplified: Mask, first_cycle: float
                      ) -> tuple[Array, Array]:  # fmt: skip
    """Cq (the threshold crossing, from the first reading above it and the efficiency) and N0."""
    n, width = corrected.shape
    index = np.arange(width)[None, :]
    below = (corrected <= threshold[:, None]) & (index <= steepest[:, None])
    crossing = np.where(below.any(axis=1), width - 1 - np.argmax(below[:, ::-1], axis=1), -1) + 1
    crossing = np.clip(crossing, 0, width - 1)
    above = corrected[np.arange(n), crossing]
    ok = amplified & (above > threshold) & np.isfinite(threshold) & (efficiency > 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cq = crossing + first_cycle - np.log(above / threshold) / np.log(efficiency)
        n0 = threshold / efficiency**cq
    return np.where(ok, cq, np.nan), np.where(ok, n0, np.nan)
