"""Amplification curves of the tidy curves table as one 2-D array: curves × cycles.

One curve is one plate × well × target (the reporter names it when the export names no target:
a Bio-Rad curve file read without its Cq file). Gaps inside a curve are filled by linear
interpolation, and a curve shorter than the others is padded with its first and last reading,
so that every curve method works on a full array without a loop per well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import InputError

__all__ = ["CurveMatrix", "curve_matrix"]

#: The fewest cycles a run of curves may span.
MIN_CYCLES = 10

#: The columns that name one curve.
KEYS = ("plate", "well", "sample", "target")


@dataclass(frozen=True)
class CurveMatrix:
    """Curves as an array: ``keys`` (one row per curve: plate, well, sample, target),
    ``cycles`` (the cycle of each column) and ``fluorescence`` (curves × cycles)."""

    keys: pd.DataFrame
    cycles: npt.NDArray[np.float64]
    fluorescence: npt.NDArray[np.float64]


def curve_matrix(curves: pd.DataFrame) -> CurveMatrix:
    """The amplification curves of a tidy curves table as a curves × cycles array.

    Parameters
    ----------
    curves
        A table as :func:`qpcr.read_curves` returns; melt rows are ignored.

    Returns
    -------
    CurveMatrix
        One row per plate × well × target, in the order of first appearance; one column per
        whole cycle from the first to the last cycle read.

    Raises
    ------
    InputError
        No amplification curve, fewer than :data:`MIN_CYCLES` cycles, or a curve with two
        readings at one cycle.

    Examples
    --------
    >>> import pandas as pd
    >>> cycles = [*range(1, 11), *range(1, 11)]
    >>> curves = pd.DataFrame({"plate": "p", "well": ["A1"] * 10 + ["A2"] * 10, "sample": "s",
    ...     "target": "MYC", "reporter": "", "cycle": cycles, "kind": "amplification",
    ...     "fluorescence": [float(c) for c in cycles]})
    >>> matrix = curve_matrix(curves.drop(index=[11, 12]))  # A2 lacks cycles 2 and 3
    >>> matrix.cycles[[0, -1]], matrix.fluorescence[:, :5]
    (array([ 1., 10.]), array([[1., 2., 3., 4., 5.],
           [1., 2., 3., 4., 5.]]))
    >>> curve_matrix(curves[curves["cycle"] < 6])
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: curves: the curves span 5 cycles; expected at least 10. A curve ...
    """
    amplification = curves[curves["kind"] == "amplification"]
    amplification = amplification[amplification["cycle"].notna()]
    if amplification.empty:
        raise InputError(
            "no amplification curves",
            "curves",
            "Give an export with raw amplification data "
            "(RDML <adp>, a Bio-Rad amplification file, a Thermo 'Amplification Data' sheet).",
        )
    named = amplification["target"].where(amplification["target"] != "", amplification["reporter"])
    amplification = amplification.assign(target=named)
    ids = amplification.groupby(list(KEYS), sort=False).ngroup().to_numpy()
    cycle = np.rint(amplification["cycle"].to_numpy(float)).astype(np.int64)
    first = int(cycle.min())
    cycles = np.arange(first, int(cycle.max()) + 1, dtype=float)
    column = cycle - first
    if pd.Series(ids * len(cycles) + column).duplicated().any():
        raise InputError(
            "a curve has two readings at one cycle", "curves",
            "Each plate × well × target must be one curve; read one run at a time (--run).",
        )  # fmt: skip
    if len(cycles) < MIN_CYCLES:
        raise InputError(
            f"the curves span {len(cycles)} cycles; expected at least {MIN_CYCLES}", "curves",
            "A curve method needs the baseline, the exponential phase and the plateau: give "
            "the run's whole amplification data.",
        )  # fmt: skip
    values = np.full((ids.max() + 1, len(cycles)), np.nan)
    values[ids, column] = amplification["fluorescence"].to_numpy(float)
    values = pd.DataFrame(values).interpolate(axis=1, limit_direction="both").to_numpy(float)
    keys = amplification.drop_duplicates(list(KEYS))[list(KEYS)].reset_index(drop=True)
    return CurveMatrix(keys, cycles, values)
