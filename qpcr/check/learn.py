"""Limits learned from good runs for ``qpcr check --init-spec`` (methods §5).

A spec's limits should pass good runs: each limit is a prediction limit for one more good run,
from the runs given. A rule's per-run value (a mean Cq, a ΔCq) varies between runs by the
technical replicates' scatter within the run, ``v_w`` (the pooled replicate variance over the
number of wells), plus a run-to-run variance ``τ²`` that the runs share (cDNA load, threshold
setting), pooled over the rules of one type (the excess of each rule's between-run variance
over ``v_w``, weighted by ``1/(v_w + τ₀²)²``, τ₀² the median excess, so that rules whose
replicates scatter widely, such as a low-copy target's, weigh little):

    V = (τ² + v_w)·(1 + 1/k),   tolerance = t_{1−α/2, df}·√V,

with k runs and df the smaller of the two variance estimates' degrees of freedom (conservative
against Satterthwaite's). A replicate group's SD is judged against ``s_p·√F_{1−α}(n−1, df_p)``,
the prediction limit of a new sample variance from the pooled one. ``α`` is the false-alarm
budget (1 % by default) shared equally by every judged value (Bonferroni), so the chance that a
new good run fails any of them is at most the budget; the spec states the estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rules import MEASURED_TYPES, NO_AMPLIFICATION_TYPES

__all__ = ["Learned", "ntc_margins", "predict_tolerance", "replicate_limit", "run_statistics"]


@dataclass(frozen=True)
class Learned:
    """A learned limit: its value, the estimated chance a good run exceeds it, and the
    variance and degrees of freedom it came from (for the spec's comment)."""

    limit: float
    false_alarm: float
    sd: float
    df: float


def run_statistics(prepared: list[pd.DataFrame]) -> pd.DataFrame:
    """Per run and measured target × sample: mean Cq, replicate variance and wells.

    Parameters
    ----------
    prepared
        Wells tables with ``usable`` (:func:`qpcr.check.rules._prepare`).

    Returns
    -------
    pandas.DataFrame
        Columns ``run``, ``target``, ``sample``, ``mean``, ``var`` (ddof 1; NaN for one well)
        and ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> w = pd.DataFrame({"target": "MYC", "sample": "REF", "sample_type": "unkn",
    ...                   "cq": [24.0, 24.2], "usable": True})
    >>> run_statistics([w]).round(3)
       run target sample  mean   var  n
    0    0    MYC    REF  24.1  0.02  2
    """
    out = []
    for i, w in enumerate(prepared):
        m = w[w["usable"] & w["sample_type"].isin(MEASURED_TYPES)]
        stats = m.groupby(["target", "sample"])["cq"].agg(mean="mean", var="var", n="count")
        out.append(stats.reset_index().assign(run=i))
    return pd.concat(out, ignore_index=True)[["run", "target", "sample", "mean", "var", "n"]]


def _up(x: float) -> float:
    """``x`` rounded up to 0.01 (a spec's precision), so a written limit covers it."""
    return math.ceil(100.0 * x - 1e-9) / 100.0


def predict_tolerance(
    values: pd.DataFrame,
    within: pd.Series,
    within_df: pd.Series,
    alpha: float,
    default: float = 0.0,
) -> dict[str, Learned]:
    """Prediction tolerances of one rule type (see the module docstring).

    Parameters
    ----------
    values
        One column per rule (its id), one row per run: the rule's value in each run.
    within
        Per rule, the within-run variance of its value (pooled replicate variance / wells).
    within_df
        Per rule, the degrees of freedom of ``within``.
    alpha
        The false-alarm probability allowed to each rule.
    default
        The least tolerance.

    Returns
    -------
    dict
        Rule id → :class:`Learned` (``limit``: the half-width around the mean of the runs,
        at least ``default`` and the largest deviation of a given run, rounded up to 0.01;
        ``false_alarm`` at that limit; NaN with one run).

    Examples
    --------
    Three runs of two rules with between-run variance 0.09, 0.01 of it from the replicates:
    τ² = 0.08 on 4 df, V = 0.09·(1 + 1/3) = 0.12, and t_0.9975(4) = 5.5976:

    >>> import pandas as pd
    >>> values = pd.DataFrame({"a": [20.0, 20.3, 20.6], "b": [25.0, 25.3, 24.7]})
    >>> within = pd.Series({"a": 0.01, "b": 0.01})
    >>> got = predict_tolerance(values, within, pd.Series({"a": 6.0, "b": 6.0}), 0.005)
    >>> got["a"].limit, got["a"].df, round(got["a"].false_alarm, 5)
    (1.94, 4.0, 0.00499)
    """
    from ..stats.dist import t_ppf, t_sf

    k = len(values)
    if k < 2:
        return {c: Learned(np.nan, np.nan, np.nan, np.nan) for c in values.columns}
    between = values.var(ddof=1)
    excess = between - within
    # weights ∝ 1/Var(between): the rules whose value scatters least estimate τ² best
    start = max(0.0, float(excess.median()))
    weight = 1.0 / (within + start) ** 2
    tau2 = max(0.0, float((weight * excess).sum() / weight.sum()))
    tau_df = (k - 1) * values.shape[1]
    out = {}
    for rule in values.columns:
        df = float(min(tau_df, within_df[rule])) if tau2 > 0 else float(within_df[rule])
        sd = math.sqrt((tau2 + within[rule]) * (1.0 + 1.0 / k))
        dev = float((values[rule] - values[rule].mean()).abs().max())
        limit = _up(max(float(t_ppf(1.0 - alpha / 2.0, df)) * sd, dev, default))
        out[rule] = Learned(limit, 2.0 * float(t_sf(limit / sd, df)), sd, df)
    return out


def replicate_limit(var: pd.Series, n: pd.Series, alpha: float, floor: float = 0.0) -> Learned:
    """Prediction limit of a new replicate group's SD from the pooled variance of the given
    groups: ``s_p·√F_{1−α}(n−1, df_p)``, at least the largest SD seen.

    Parameters
    ----------
    var
        Replicate variances (ddof 1) of the training groups.
    n
        Their numbers of wells.
    alpha
        The false-alarm probability allowed to each new group.
    floor
        The least SD ``s_p`` is taken to be (cycles): the scatter Poisson sampling implies at
        the groups' Cq (:func:`qpcr.outliers.expected_replicate_sd`), which a few low-copy
        groups can underestimate.

    Returns
    -------
    Learned
        ``limit`` in cycles (SD, rounded up to 0.01), the chance a new group of the usual size
        exceeds it, the pooled SD and its degrees of freedom.

    Examples
    --------
    Five triplicates with SD 0.1: df 10, and F_0.999(2, 10) = 14.905:

    >>> import pandas as pd
    >>> got = replicate_limit(pd.Series([0.01] * 5), pd.Series([3] * 5), 0.001)
    >>> got.limit, got.df
    (0.39, 10.0)
    """
    from scipy import special

    df = float((n - 1).sum())
    pooled = max(float(((n - 1) * var).sum() / df), floor**2)
    size = float(n.median() - 1)
    limit = _up(max(math.sqrt(pooled * special.fdtri(size, df, 1.0 - alpha)), math.sqrt(var.max())))
    return Learned(limit, float(special.fdtrc(size, df, limit**2 / pooled)), math.sqrt(pooled), df)


def ntc_margins(prepared: list[pd.DataFrame]) -> pd.Series:
    """Per target, the smallest margin between an amplified NTC and the latest sample over the
    runs (no entry where every NTC stayed undetermined).

    Parameters
    ----------
    prepared
        Wells tables with ``usable``.

    Returns
    -------
    pandas.Series
        Margin in cycles by target.

    Examples
    --------
    >>> import pandas as pd
    >>> w = pd.DataFrame({"target": "MYC", "sample_type": ["unkn", "unkn", "ntc"],
    ...                   "cq": [24.0, 24.5, 37.0], "cq_status": "ok", "usable": True})
    >>> ntc_margins([w]).to_dict()
    {'MYC': 12.5}
    """
    found: dict[str, float] = {}
    for w in prepared:
        ntc = w[w["sample_type"].isin(("ntc", "nac")) & w["cq_status"].eq("ok")]
        samples = w[w["usable"] & ~w["sample_type"].isin(NO_AMPLIFICATION_TYPES)]
        latest = samples.groupby("target")["cq"].max()
        for target, lowest in ntc.groupby("target")["cq"].min().items():
            margin = float(lowest - latest.get(target, np.nan))
            if np.isfinite(margin):
                found[str(target)] = min(found.get(str(target), np.inf), margin)
    return pd.Series(found, dtype=float)
