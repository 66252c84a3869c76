"""The QC stage's fast paths held to the formulations they replace (issue 14): each test
computes the plain formulation here and asks for equality to the last bit."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr.outliers import (
    MOD_Z_FACTOR,
    _exact_cq_sd,
    flag_replicate_outliers,
    grubbs_critical,
    poisson_range_limit,
)


def _plain_cq_sd(copies: float, log_e: float) -> float:
    """The SD of log_E N over N ~ Poisson(λ) given N ≥ 1, summed over freshly made terms."""
    from scipy import special

    k = np.arange(1.0, math.ceil(copies + 12.0 * math.sqrt(copies) + 30.0))
    p = np.exp(k * math.log(copies) - copies - special.gammaln(k + 1.0))
    p /= p.sum()
    x = np.log(k) / log_e
    mean = float(p @ x)
    return math.sqrt(float(p @ (x - mean) ** 2))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.floats(1e-6, 2000.0), st.integers(1, 2000).map(float)),
    st.sampled_from([2.0, 1.9, 1.75]),
)
def test_exact_cq_sd_from_shared_terms_equals_fresh_sum(copies: float, efficiency: float) -> None:
    log_e = math.log(efficiency)
    assert _exact_cq_sd.__wrapped__(copies, log_e) == _plain_cq_sd(copies, log_e)


def _plain_flags(cq: pd.Series, keys: list[pd.Series], method: str, limit: float) -> pd.DataFrame:
    """flag_replicate_outliers as pandas groupbys (range, poisson at Cq₁ 35, mad, grubbs)."""
    x = cq.astype(float)
    by = [*keys]
    grouped = x.groupby(by, dropna=False, sort=False)
    n = grouped.transform("count").to_numpy()
    spread = (grouped.transform("max") - grouped.transform("min")).to_numpy()
    out = pd.DataFrame({"outlier": False, "group_flagged": False, "rule": method,
                        "value": np.nan, "threshold": limit, "range": spread, "n": n.astype(int)},
                       index=x.index)  # fmt: skip
    if method == "grubbs":
        mean, sd = grouped.transform("mean"), grouped.transform("std")
        g = (x - mean).abs() / sd
        critical = pd.Series(grubbs_critical(n, limit), index=x.index)
        is_max = (g == g.groupby(by, dropna=False, sort=False).transform("max")) & g.notna()
        first_max = is_max & ~is_max.groupby(by, dropna=False, sort=False).cumsum().gt(1)
        out["rule"] = np.where(n >= 3, "grubbs", "grubbs (n<3, not tested)")
        out["value"] = g.where(n >= 3)
        out["threshold"] = critical
        out["outlier"] = (first_max & (n >= 3) & (g > critical)).to_numpy()
        out["group_flagged"] = out["outlier"].groupby(by, dropna=False, sort=False).transform("any")
        return out
    median = grouped.transform("median").to_numpy()
    if method == "poisson":
        range_cut = poisson_range_limit(median, n, limit, (35.0, 0.08))
    else:
        range_cut = np.full(len(x), limit if method == "range" else 0.5)
    z_cut = limit if method == "mad" else 3.5
    range_flag = spread > range_cut
    candidates = n >= 3 if method == "mad" else range_flag & (n >= 3)
    dev = (x - median).abs()
    mad = dev.groupby(by, dropna=False, sort=False).transform("median").to_numpy()
    z = MOD_Z_FACTOR * dev.to_numpy() / mad
    use_z = candidates & (mad > 0)
    out["rule"] = np.where(use_z, "modified_z", "range")
    out["value"] = np.where(use_z, z, spread)
    out["threshold"] = np.where(use_z, z_cut, range_cut)
    out["group_flagged"] = range_flag
    out["outlier"] = use_z & (z > z_cut)
    rows = pd.Series(candidates & (mad == 0), index=x.index)
    if rows.any():
        cut = pd.Series(range_cut, index=x.index)[rows]
        sub_keys = [k[rows] for k in by]
        far = dev[rows]
        candidate = far.groupby(sub_keys, dropna=False, sort=False).transform("idxmax")
        is_candidate = pd.Series(far.index == candidate.to_numpy(), index=far.index)
        others = x[rows].where(~is_candidate).groupby(sub_keys, dropna=False, sort=False)
        others_range = others.transform("max") - others.transform("min")
        out.loc[far.index, "rule"] = "range_fallback"
        out.loc[far.index, "value"] = far
        out.loc[far.index, "threshold"] = cut
        out.loc[far.index, "outlier"] = (
            is_candidate & (far > cut) & (others_range <= cut)
        ).to_numpy()
    if method == "mad":
        out["group_flagged"] = out["outlier"].groupby(by, dropna=False, sort=False).transform(
            "any"
        ).to_numpy() | ((n < 3) & range_flag)
    return out


_OFFSETS = [0.0, 0.0, 0.0, 0.05, 0.1, 0.5, 0.6, 2.5, np.nan]
_GROUP = st.tuples(
    st.sampled_from(["s1", "s2", "s3", None]),
    st.sampled_from(["T1", "T2"]),
    st.sampled_from([18.0, 24.0, 31.5, 34.0]),
    st.lists(st.sampled_from(_OFFSETS), min_size=1, max_size=7),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_GROUP, max_size=6),
    st.sampled_from(["range", "poisson", "mad", "grubbs"]),
    st.randoms(use_true_random=False),
)
def test_flag_replicate_outliers_equals_pandas_groupbys(groups, method, random) -> None:
    """Replicate groups with ties (MAD = 0), outliers and missing keys, in shuffled order."""
    rows = [(sample, target, cq + d) for sample, target, cq, ds in groups for d in ds]
    random.shuffle(rows)
    frame = pd.DataFrame(rows, columns=["sample", "target", "cq"]).astype({"cq": float})
    frame.index = pd.Index(np.arange(len(frame))[::-1] * 3 + 7)
    keys = [frame["sample"], frame["target"]]
    limit = {"range": 0.5, "poisson": 0.5, "mad": 3.5, "grubbs": 0.05}[method]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = flag_replicate_outliers(frame["cq"], keys, method=method)
        want = _plain_flags(frame["cq"], keys, method, limit)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
