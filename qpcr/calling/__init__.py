"""Cq, efficiency and N0 called from raw amplification curves.

:func:`call_cq` takes the tidy curves table (:func:`qpcr.read_curves`) and returns one row per
curve (``curves.csv``, :data:`qpcr.schema.curves.CURVE_CALLS`), the QC events of the curves and
the per-amplicon efficiencies (what an analysis needs to use the curves' efficiency). Methods:

- ``linreg`` (default): LinRegPCR (:mod:`qpcr.calling.linreg`);
- ``cpd2``: the second-derivative maximum (:mod:`qpcr.calling.cpd2`); the baseline, window and
  efficiencies are LinRegPCR's.

An amplicon is one target on one plate: its curves share a mean efficiency and a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import InputError, did_you_mean
from ..schema.curves import CURVE_CALLS
from .cpd2 import cpd2
from .linreg import MIN_RISE, OUTLIER_MARGIN, LinReg, linreg
from .matrix import curve_matrix

__all__ = ["METHODS", "CurveCalls", "call_cq"]

#: Curve methods: name → what it calls the Cq.
METHODS: Final = {
    "linreg": "LinRegPCR: the crossing of the amplicon's common threshold",
    "cpd2": "the second-derivative maximum of the smoothed curve",
}

#: A curve is shallow below this fraction of its amplicon's median plateau.
SHALLOW = 0.25

#: Curve QC codes → their severity.
_SEVERITY = {"curve_no_amplification": "info", "curve_no_plateau": "warn",
             "curve_baseline_drift": "warn", "curve_efficiency_outlier": "warn",
             "curve_late_shallow": "warn"}  # fmt: skip


@dataclass(frozen=True)
class CurveCalls:
    """What :func:`call_cq` returns.

    ``table``: one row per curve (``curves.csv``); ``events``: QC events (``qc.csv`` columns);
    ``amplicons``: one row per plate × target with ``efficiency``, ``efficiency_se``, ``n``
    (the reactions averaged) and ``threshold``; ``cycles`` and ``corrected`` (the
    baseline-corrected curves, rows in the order of ``table``) for figures; ``method``.
    """

    table: pd.DataFrame
    events: pd.DataFrame
    amplicons: pd.DataFrame
    cycles: npt.NDArray[np.float64]
    corrected: npt.NDArray[np.float64]
    method: str


def call_cq(curves: pd.DataFrame, method: str = "linreg") -> CurveCalls:
    """Call Cq, efficiency and N0 from the amplification curves of a tidy curves table.

    Parameters
    ----------
    curves
        A table as :func:`qpcr.read_curves` returns (melt rows are ignored).
    method
        ``linreg`` or ``cpd2`` (:data:`METHODS`).

    Returns
    -------
    CurveCalls
        Per curve, per amplicon, and the QC events.

    Raises
    ------
    InputError
        An unknown method, or no amplification curve.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> cycles = np.arange(1, 41.0)
    >>> def curve(well, n0):  # efficiency 1.9 until it saturates at 5 units, over 100 units
    ...     signal = n0 * 1.9**cycles
    ...     return pd.DataFrame({"plate": "p1", "well": well, "sample": "s", "target": "MYC",
    ...         "reporter": "", "cycle": cycles, "kind": "amplification",
    ...         "fluorescence": 100 + signal / (1 + (signal / 5) ** 4) ** 0.25})
    >>> curves = pd.concat([curve("A1", 1e-5), curve("A2", 1e-6), curve("A3", 0.0)])
    >>> calls = call_cq(curves)
    >>> table = calls.table.set_index("well")
    >>> table[["cq", "efficiency", "n0", "qc"]].round(3)
              cq  efficiency   n0                      qc
    well
    A1    13.706         1.9  0.0
    A2    17.294         1.9  0.0
    A3       NaN         NaN  NaN  curve_no_amplification
    >>> float((table.n0["A1"] / table.n0["A2"]).round(2))
    10.0
    >>> calls.amplicons.round(3)
      plate target  efficiency  efficiency_se  n  threshold
    0    p1    MYC         1.9            0.0  2      0.066
    """
    if method not in METHODS:
        raise InputError(
            f"unknown curve method {method!r}; expected one of {', '.join(METHODS)}", "method",
            did_you_mean(method, METHODS),
        )  # fmt: skip
    matrix = curve_matrix(curves)
    keys = matrix.keys
    amplicon: npt.NDArray[np.int64] = np.asarray(
        keys.groupby(["plate", "target"], sort=False).ngroup(), dtype=np.int64
    )
    values = np.nan_to_num(matrix.fluorescence)
    found = linreg(values, amplicon, float(matrix.cycles[0]))
    if method == "cpd2":
        cq = np.where(
            found.amplified, cpd2(values, found.steepest, float(matrix.cycles[0])), np.nan
        )
        n0 = threshold = np.full(len(keys), np.nan)
    else:
        cq, n0, threshold = found.cq, found.n0, found.threshold
    codes = _qc_codes(found, cq, amplicon)
    table = keys.assign(
        cq=cq, efficiency=found.efficiency, amplicon_efficiency=found.amplicon_efficiency,
        amplicon_efficiency_se=found.amplicon_efficiency_se, n0=n0, baseline=found.baseline,
        window_start=found.window_start, window_end=found.window_end, threshold=threshold,
        r_squared=found.r_squared, qc=[";".join(c for c in row if c) for row in codes.T],
    )[CURVE_CALLS.names()]  # fmt: skip
    amplicons = keys[["plate", "target"]].assign(
        efficiency=found.amplicon_efficiency, efficiency_se=found.amplicon_efficiency_se,
        n=found.used, threshold=found.threshold,
    ).groupby(["plate", "target"], sort=False, as_index=False).agg(
        efficiency=("efficiency", "first"), efficiency_se=("efficiency_se", "first"),
        n=("n", "sum"), threshold=("threshold", "first"),
    )  # fmt: skip
    events = _events(table, found, codes)
    return CurveCalls(table, events, amplicons, matrix.cycles, found.corrected, method)


def _qc_codes(found: LinReg, cq: npt.NDArray[np.float64], amplicon: npt.NDArray[np.int64]
              ) -> npt.NDArray[np.str_]:  # fmt: skip
    """Per code (rows, in :data:`_SEVERITY` order) and curve: the code or ''."""
    plateau = found.corrected[:, -3:].mean(axis=1)
    typical = pd.Series(np.where(found.used, plateau, np.nan)).groupby(amplicon)
    usual_cq = pd.Series(np.where(found.used, cq, np.nan)).groupby(amplicon).transform("median")
    late_shallow = (
        found.amplified
        & found.plateau
        & (plateau < SHALLOW * typical.transform("median").to_numpy(float))
        & (cq > usual_cq.to_numpy(float))
    )
    flags = (~found.amplified, found.amplified & ~found.plateau, found.baseline_drift,
             found.outlier, late_shallow)  # fmt: skip
    return np.array([np.where(flag, code, "") for code, flag in zip(_SEVERITY, flags, strict=True)])


def _events(table: pd.DataFrame, found: LinReg, codes: npt.NDArray[np.str_]) -> pd.DataFrame:
    """One QC event per curve and code, with the number its rule tested."""
    from ..qc import event_table

    tested = {
        "curve_no_amplification": (found.rise, MIN_RISE),
        "curve_no_plateau": (np.full(len(table), np.nan), np.nan),
        "curve_baseline_drift": (np.full(len(table), np.nan), np.nan),
        "curve_efficiency_outlier": (np.abs(found.deviation), OUTLIER_MARGIN),
        "curve_late_shallow": (np.full(len(table), np.nan), SHALLOW),
    }
    rows = []
    for code, flagged in zip(_SEVERITY, codes, strict=True):
        observed, limit = tested[code]
        for i in np.flatnonzero(flagged != ""):
            curve = table.iloc[i]
            rows.append({
                "plate": curve["plate"], "well": curve["well"], "sample": curve["sample"],
                "target": curve["target"], "code": code, "severity": _SEVERITY[code],
                "observed": observed[i], "threshold": limit,
                "message": f"{curve['well']} {curve['target']}: {_MESSAGES[code]}",
            })  # fmt: skip
    return event_table(rows)


#: The event's words (the QC_EVENTS text says the rest).
_MESSAGES = {
    "curve_no_amplification": "no amplification in the curve; no Cq",
    "curve_no_plateau": "no plateau: the curve still grows at its last cycle",
    "curve_baseline_drift": "the baseline drifts (no constant baseline fits)",
    "curve_efficiency_outlier": "efficiency more than 0.05 from the amplicon's median",
    "curve_late_shallow": "late, shallow curve (primer dimers or unspecific product?)",
}
