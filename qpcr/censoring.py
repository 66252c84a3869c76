"""Non-detects, detection limits and negative controls (methods §2.9).

A non-detect is a reaction that did not cross the threshold within the cycle limit L: its Cq is
only known to be ≥ L (right-censored). Replacing it by L and treating it as a measurement biases
Cq downwards (expression upwards; McCall et al. 2014), so the default is to keep it as a bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .errors import AnalysisError, ConfigError, InputError

__all__ = [
    "NONDETECT_POLICIES",
    "apply_nondetect_policy",
    "censored_group_means",
    "nondetect_summary",
    "nrt_fraction",
    "ntc_margin",
    "poisson_detection_probability",
    "tobit_fit",
]

Policy = Literal["censor", "exclude", "substitute", "tobit"]

#: Non-detect policies and the label written to the ``nd_policy`` column.
NONDETECT_POLICIES: dict[str, str] = {
    "censor": "censor",
    "exclude": "exclude",
    "substitute": "substitute (sensitivity analysis)",
    "tobit": "tobit",
}


def tobit_fit(
    observed: Sequence[float] | np.ndarray, n_censored: int, limit: float
) -> tuple[float, float]:
    """Maximum-likelihood mean and SD of normal Cq values right-censored at ``limit``.

    ``L(μ, σ) = Π_obs (1/σ)·φ((Cq_i − μ)/σ) × [1 − Φ((L − μ)/σ)]^k`` for ``k = n_censored``
    non-detects (Tobit model). Without non-detects this is the sample mean and the SD with
    divisor n. Returns ``(mu, sigma)`` in cycles.

    Raises :class:`InputError` for observed values above the limit and :class:`AnalysisError`
    when fewer than 2 distinct observed values leave μ and σ unidentified.
    """
    from scipy import optimize, special

    x = np.asarray(observed, dtype=float)
    where = "Tobit fit"
    if not np.isfinite(x).all() or not np.isfinite(limit):
        raise InputError("non-finite Cq or limit; expected finite numbers", where=where)
    if n_censored < 0 or int(n_censored) != n_censored:
        raise InputError(f"n_censored {n_censored!r}; expected a whole number ≥ 0", where=where)
    if (x > limit).any():
        raise InputError(
            f"observed Cq {x.max():g} above the cycle limit {limit:g}; expected Cq ≤ limit",
            where=where,
            hint="Count Cq values beyond the limit as non-detects",
        )
    if np.unique(x).size < 2:
        raise AnalysisError(
            f"{x.size} observed value(s) ({np.unique(x).size} distinct) with {n_censored} "
            "non-detect(s); expected at least 2 distinct observed Cq",
            where=where,
            hint="Report the group as 'not detected' or use a bound",
        )
    k = int(n_censored)
    if k == 0:
        return float(x.mean()), float(x.std())

    def negloglik(theta: np.ndarray) -> tuple[float, np.ndarray]:
        mu, log_sigma = theta
        sigma = np.exp(log_sigma)
        z = (x - mu) / sigma
        c = (limit - mu) / sigma
        log_sf = special.log_ndtr(-c)
        mills = np.exp(-0.5 * c * c - 0.5 * np.log(2 * np.pi) - log_sf)  # φ(c)/(1 − Φ(c))
        ll = np.sum(-log_sigma - 0.5 * z * z) + k * log_sf
        grad_mu = np.sum(z) / sigma + k * mills / sigma
        grad_ls = np.sum(z * z - 1.0) + k * mills * c
        return -ll, -np.array([grad_mu, grad_ls])

    start = np.array([np.mean(np.append(x, [limit] * k)), np.log(x.std(ddof=1))])
    result = optimize.minimize(negloglik, start, jac=True, method="BFGS", options={"gtol": 1e-10})
    if not np.all(np.isfinite(result.x)) or np.abs(result.jac).max() > 1e-6:
        raise AnalysisError(
            f"the censored-normal likelihood did not converge ({result.message})",
            where=where,
            hint="Too few detected values for a Tobit estimate",
        )
    return float(result.x[0]), float(np.exp(result.x[1]))


def apply_nondetect_policy(
    wells: pd.DataFrame, policy: Policy = "censor", limit: float = 40.0
) -> pd.DataFrame:
    """Return a copy of ``wells`` with the Cq to analyse and the non-detect state.

    A row is a non-detect when ``cq_status == "undetermined"`` or its Cq is ≥ ``limit``.
    Added columns:

    * ``nondetect`` (bool): the row is a non-detect.
    * ``cq_used`` (float, cycles): ``cq`` for detected rows with ``cq_status == "ok"``; NaN for
      ``missing``/``omitted``/``invalid``; for non-detects it depends on ``policy``:

      - ``censor`` (default): ``limit``, with ``censored=True``: the value is a lower bound of
        Cq, so quantities and fold changes built on it are bounds ("≤ x-fold"/"≥ x-fold").
      - ``tobit``: as ``censor``; group means must come from :func:`tobit_fit`.
      - ``substitute``: ``limit`` treated as a measurement (``censored=False``); allowed only as
        a labelled sensitivity analysis (McCall et al. 2014).
      - ``exclude``: NaN (the non-detect is dropped; biased, kept for comparison).
    * ``censored`` (bool): ``cq_used`` is a right-censoring point, not a measurement.
    * ``nd_policy`` (str): the policy label, e.g. ``"substitute (sensitivity analysis)"``.
    """
    if policy not in NONDETECT_POLICIES:
        raise ConfigError(
            f"non-detect policy {policy!r}; expected one of {sorted(NONDETECT_POLICIES)}",
            where="non-detects",
        )
    if not (np.isfinite(limit) and limit > 0):
        raise ConfigError(f"cycle limit {limit!r}; expected a positive number", where="non-detects")
    missing = [c for c in ("cq", "cq_status") if c not in wells.columns]
    if missing:
        raise InputError(f"wells table lacks column(s) {missing}", where="non-detects")
    out = wells.copy()
    cq = pd.to_numeric(out["cq"], errors="coerce").astype(float)
    ok = out["cq_status"].eq("ok") & cq.notna()
    beyond = ok & (cq >= limit)
    nondetect = out["cq_status"].eq("undetermined") | beyond
    cq_used = cq.where(ok & ~beyond)
    if policy != "exclude":
        cq_used = cq_used.mask(nondetect, float(limit))
    out["nondetect"] = nondetect.to_numpy()
    out["cq_used"] = cq_used.to_numpy()
    out["censored"] = (nondetect & (policy in ("censor", "tobit"))).to_numpy()
    out["nd_policy"] = NONDETECT_POLICIES[policy]
    return out


def censored_group_means(
    wells: pd.DataFrame, by: Sequence[str], limit: float = 40.0
) -> pd.DataFrame:
    """Mean Cq per group honouring censoring (input: output of :func:`apply_nondetect_policy`).

    Per group, from ``cq_used`` and ``censored``:

    * no censored value: arithmetic ``mean`` and ``sd`` (divisor n − 1), ``method="mean"``;
    * censored values and ≥ 2 distinct observed Cq: Tobit MLE (:func:`tobit_fit`, ``sd`` with
      divisor n), ``method="tobit"``;
    * censored values and fewer distinct observed Cq: ``mean`` of observed and limit values as a
      lower bound of the true mean Cq, ``method="bound"`` (expression is at most this);
    * only censored values: NaN, ``method="not detected"``.

    Returns the ``by`` columns, ``mean``, ``sd``, ``n`` (rows with a value), ``n_censored``,
    ``method``. Rows with NaN ``cq_used`` (excluded, missing) are ignored.
    """
    missing = [c for c in (*by, "cq_used", "censored") if c not in wells.columns]
    if missing:
        raise InputError(
            f"wells table lacks column(s) {missing}",
            where="censored group means",
            hint="Run apply_nondetect_policy first",
        )
    used = wells.loc[wells["cq_used"].notna(), [*by, "cq_used", "censored"]]
    censored = used["censored"].astype(bool)
    grouped = used.groupby(list(by), sort=True, dropna=False)
    out = grouped["cq_used"].agg(["mean", "std", "size"]).rename(columns={"std": "sd", "size": "n"})
    out["n_censored"] = censored.groupby([used[c] for c in by], sort=True, dropna=False).sum()
    distinct = (
        used["cq_used"]
        .where(~censored)
        .groupby([used[c] for c in by], sort=True, dropna=False)
        .nunique()
    )
    out["method"] = np.select(
        [out["n_censored"] == 0, out["n_censored"] == out["n"], distinct >= 2],
        ["mean", "not detected", "tobit"],
        "bound",
    )
    out.loc[out["method"] == "not detected", ["mean", "sd"]] = np.nan
    out.loc[out["method"] == "bound", "sd"] = np.nan
    for key in out.index[out["method"] == "tobit"]:
        rows = grouped.get_group(key if isinstance(key, tuple) else (key,))
        observed = rows.loc[~rows["censored"].astype(bool), "cq_used"]
        out.loc[key, ["mean", "sd"]] = tobit_fit(observed, int(out.loc[key, "n_censored"]), limit)
    out["n_censored"] = out["n_censored"].astype(int)
    return out.reset_index()


def nondetect_summary(
    wells: pd.DataFrame, by: Sequence[str] = ("target",), limit: float = 40.0
) -> pd.DataFrame:
    """Counts of non-detects per group (e.g. target × condition), as methods §2.9 requires.

    Non-detects are defined as in :func:`apply_nondetect_policy`. Returns the ``by`` columns,
    ``n_wells`` (rows with a result: detected or non-detect), ``n_nondetect`` and
    ``all_nondetect`` (every well of the group is a non-detect: report "not detected", never a
    fold change).
    """
    missing = [c for c in by if c not in wells.columns]
    if missing:
        raise InputError(f"wells table lacks column(s) {missing}", where="non-detect summary")
    marked = apply_nondetect_policy(wells, "censor", limit)
    has_result = marked["nondetect"] | marked["cq_used"].notna()
    counts = (
        marked.assign(has_result=has_result)
        .groupby(list(by), sort=True, dropna=False)
        .agg(n_wells=("has_result", "sum"), n_nondetect=("nondetect", "sum"))
        .reset_index()
    )
    counts["all_nondetect"] = (counts["n_wells"] > 0) & (counts["n_nondetect"] == counts["n_wells"])
    return counts


def poisson_detection_probability(copies: float | np.ndarray) -> float | np.ndarray:
    """P(at least one template in a reaction) = ``1 − e^(−λ)`` for a mean of λ copies (Poisson;
    T15: λ = 3 → 0.950213)."""
    lam = np.asarray(copies, dtype=float)
    if (lam < 0).any():
        raise InputError("negative copy number; expected λ ≥ 0", where="detection probability")
    p = -np.expm1(-lam)
    return float(p) if p.ndim == 0 else p


def ntc_margin(
    ntc_cq: Sequence[float] | np.ndarray,
    sample_cq: Sequence[float] | np.ndarray,
    min_margin: float = 5.0,
) -> dict[str, float | bool]:
    """No-template-control check (qbase+ default): ``margin = min(NTC Cq) − max(sample Cq)``.

    Passes when ``margin ≥ min_margin`` cycles or when no NTC amplified (NaN = no Cq; margin
    +inf). Returns ``margin``, ``passed``, ``min_margin``, ``ntc_min``, ``sample_max``.
    """
    ntc = np.asarray(ntc_cq, dtype=float)
    samples = np.asarray(sample_cq, dtype=float)
    if not np.isfinite(samples).any():
        raise AnalysisError("no sample Cq to compare the NTC with", where="NTC check")
    sample_max = float(np.nanmax(samples))
    ntc_min = float(np.nanmin(ntc)) if np.isfinite(ntc).any() else np.inf
    margin = ntc_min - sample_max
    return {
        "margin": margin,
        "passed": bool(margin >= min_margin),
        "min_margin": min_margin,
        "ntc_min": ntc_min,
        "sample_max": sample_max,
    }


def nrt_fraction(delta_cq: float | np.ndarray, efficiency: float = 2.0) -> float | np.ndarray:
    """Fraction of signal from genomic DNA, ``E^−(Cq_NRT − Cq_RT)`` (T16: ΔCq 5 → 0.03125).

    A no-RT control that did not amplify has ΔCq = +inf and fraction 0.
    """
    result = np.power(float(efficiency), -np.asarray(delta_cq, dtype=float))
    return float(result) if np.ndim(result) == 0 else result
