"""Westgard multirules and Levey-Jennings limits over the history of a reference plate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from .rules import RESULT_COLUMNS
from .spec import WESTGARD_RULES, HistorySettings, Spec, _did_you_mean

__all__ = ["Violation", "westgard"]


_WESTGARD_MEANING = {
    "1-3s": "one value beyond 3 SD (random error or a blunder)",
    "2-2s": "two values in a row beyond 2 SD on one side (systematic shift)",
    "R-4s": "two values in a row 4 SD apart (random error)",
    "4-1s": "four values in a row beyond 1 SD on one side (shift or drift)",
    "10-x": "ten values in a row on one side of the mean (slow drift)",
}


@dataclass(frozen=True)
class Violation:
    """A Westgard rule violated by the window of points ``indices`` ending at ``index``."""

    rule: str
    index: int
    indices: tuple[int, ...]


def westgard(
    values: Sequence[float] | np.ndarray,
    mean: float,
    sd: float,
    rules: Iterable[str] = WESTGARD_RULES,
) -> list[Violation]:
    """Westgard multirule violations of a control series, z = (x - mean) / sd.

    * ``1-3s``: one point with |z| > 3;
    * ``2-2s``: two consecutive points beyond 2 SD on the same side;
    * ``R-4s``: two consecutive points, one above +2 SD and the other below -2 SD (range > 4 SD);
    * ``4-1s``: four consecutive points beyond 1 SD on the same side;
    * ``10-x``: ten consecutive points on the same side of the mean.

    Each violation is reported at every point where its window ends (a run of 12 points above
    the mean gives 10-x at indices 9, 10 and 11). NaN points are skipped, keeping indices.

    Parameters
    ----------
    values : sequence of float
        The control series in run order (NaN for a missing value).
    mean, sd : float
        The established mean and SD (``sd`` > 0).
    rules : iterable of str
        The rules to apply (:data:`WESTGARD_RULES` by default).

    Returns
    -------
    list of Violation
        Rule by rule in the order of ``rules``, each by the index of the point ending it.

    Raises
    ------
    InputError
        If ``sd`` is not positive or a rule is unknown.

    Examples
    --------
    >>> westgard([0.1, 3.5, float("nan"), -0.2, 2.2, 2.4], mean=0.0, sd=1.0)
    [Violation(rule='1-3s', index=1, indices=(1,)),
     Violation(rule='2-2s', index=5, indices=(4, 5))]
    >>> westgard([20.2, 20.3, 20.2, 20.4], mean=20.0, sd=0.1, rules=["4-1s"])
    [Violation(rule='4-1s', index=3, indices=(0, 1, 2, 3))]
    """
    values = np.asarray(values, dtype=float)
    if not sd > 0:
        raise InputError(f"control SD is {sd}; expected a positive number", where="westgard")
    windows = {"1-3s": 1, "2-2s": 2, "R-4s": 2, "4-1s": 4, "10-x": 10}
    rules = tuple(rules)
    for rule in rules:
        if rule not in windows:
            raise InputError(
                f"unknown Westgard rule {rule!r}; expected one of {', '.join(windows)}",
                where="westgard",
                hint=_did_you_mean(str(rule), tuple(windows)),
            )
    index = np.flatnonzero(np.isfinite(values))
    z = (values[index] - mean) / sd
    out = []
    for rule in rules:
        size = windows[rule]
        if len(z) < size:
            continue
        win = np.lib.stride_tricks.sliding_window_view(z, size)
        if rule == "1-3s":
            hit = np.abs(win[:, 0]) > 3
        elif rule == "R-4s":
            hit = ((win[:, 0] > 2) & (win[:, 1] < -2)) | ((win[:, 0] < -2) & (win[:, 1] > 2))
        else:
            hit = _one_side(win, {"2-2s": 2, "4-1s": 1, "10-x": 0}[rule])
        for end in np.flatnonzero(hit) + size - 1:
            span = tuple(int(i) for i in index[end - size + 1 : end + 1])
            out.append(Violation(rule, int(index[end]), span))
    return out


def _one_side(win: np.ndarray, limit: float) -> np.ndarray:
    """Which windows (rows of ``win``) lie wholly above ``limit`` or wholly below ``-limit``."""
    return np.asarray((win > limit).all(axis=1) | (win < -limit).all(axis=1))


def _series_limits(
    settings: HistorySettings, key: tuple[str, str, str], series: np.ndarray
) -> tuple[float, float, str] | None:
    """Established (mean, sd, origin) of a series, or None while the baseline is incomplete."""
    if key in settings.limits:
        mean, sd = settings.limits[key]
        return mean, sd, "spec"
    base = series[np.isfinite(series)][: settings.baseline_runs]
    if len(base) < settings.baseline_runs:
        return None
    sd = float(np.std(base, ddof=1))
    return (float(np.mean(base)), sd, f"first {settings.baseline_runs} runs") if sd > 0 else None


def _westgard_results(
    history: pd.DataFrame, current: pd.DataFrame, spec: Spec, run: str
) -> pd.DataFrame:
    """Result rows of the Westgard rules for the current run's history values."""
    settings = spec.history
    records = []
    columns = (current[c] for c in ("metric", "target", "sample", "value"))
    for metric, target, sample, value in zip(*columns, strict=True):
        if metric not in settings.metrics or not np.isfinite(value):
            continue
        past = history[
            history["metric"].eq(metric)
            & history["target"].eq(target)
            & history["sample"].eq(sample)
        ]
        series = np.append(past["value"].to_numpy(float), value)
        limits = _series_limits(settings, (metric, target, sample), series)
        now = len(series) - 1
        if limits is not None and limits[2] != "spec" and now < settings.baseline_runs:
            limits = None  # the run is one of the baseline runs
        hits = {}
        if limits is not None:
            mean, sd, origin = limits
            hits = {v.rule: v for v in westgard(series, mean, sd, settings.rules) if v.index == now}
            z = (value - mean) / sd
            expected = f"mean {mean:.2f}, SD {sd:.3f} ({origin})"
            observed = f"{value:.2f} (z {z:+.2f})"
        else:
            done = int(np.isfinite(series).sum())
            expected = f"baseline of {settings.baseline_runs} runs"
            observed = f"{value:.2f} ({done}/{settings.baseline_runs} baseline runs)"
            if done > settings.baseline_runs:  # baseline complete but without spread
                expected = f"baseline of {settings.baseline_runs} runs has SD 0: no limits"
                observed = f"{value:.2f}"
        for rule in settings.rules:
            severity = settings.severity[rule]
            status = "skip" if limits is None else severity if rule in hits else "pass"
            records.append(
                {
                    "run": run,
                    "rule_id": f"westgard-{rule}/{metric}",
                    "severity": severity,
                    "target": target,
                    "sample": sample,
                    "expected": expected,
                    "observed": observed,
                    "value": value,
                    "status": status,
                    "message": f"{metric}: {_WESTGARD_MEANING[rule]}",
                }
            )
    return pd.DataFrame.from_records(records, columns=list(RESULT_COLUMNS))
