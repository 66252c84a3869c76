"""The Cq of low-copy replicate groups from their copies per well (``low_copy_estimate``,
qpcr/lowcopy.py): hand-computed cases, the estimator's bias order, monotonicity, and a
simulation against the mean Cq."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from qpcr.config import AnalysisConfig
from qpcr.lowcopy import low_copy_replicates, poisson_cq
from qpcr.qc import apply_qc
from qpcr.quant import summarise_replicates

DEFAULT = AnalysisConfig(low_copy_estimate="poisson")


def _checked(
    cq: list[float | None], sample: list[str], target: str | list[str] = "RANKL"
) -> pd.DataFrame:
    wells = pd.DataFrame({
        "well": [f"A{i + 1}" for i in range(len(cq))], "sample": sample, "target": target,
        "sample_type": "unkn", "cq": cq,
        "cq_status": ["ok" if c is not None else "undetermined" for c in cq],
    })  # fmt: skip
    return apply_qc(wells, DEFAULT)[0]


def _estimated(checked: pd.DataFrame, config: AnalysisConfig = DEFAULT, **kw) -> pd.DataFrame:
    reps = summarise_replicates(checked[~checked["excluded"]])
    return low_copy_replicates(reps, checked, config, **kw).set_index("sample")


def test_three_wells_one_empty_by_hand() -> None:
    checked = _checked([33.0, 34.0, None], ["s1"] * 3)
    assert checked["exclude_code"].tolist() == ["", "", "zero_copy"]
    row = _estimated(checked).loc["s1"]
    # copies 2^(35-33) + 2^(35-34) + 0 = 6 over 3 wells; λ = (6 + 0.5)/3 = 2.1667
    assert row["cq_mean"] == pytest.approx(35.0 - math.log2(6.5 / 3.0), abs=1e-12)
    assert row["cq_mean"] == pytest.approx(33.8845, abs=1e-4)
    # SE² = 1/(3 · 2.1667 · ln²2) + 0.08²/3 = 0.320211 + 0.002133
    assert row["cq_se"] == pytest.approx(math.sqrt(0.320211 + 0.002133), abs=1e-5)
    assert row["n_used"] == 2  # the wells with a Cq; the estimate counts the empty one too


def test_efficiency_weights_the_copies() -> None:
    checked = _checked([33.0, 34.0, None], ["s1"] * 3)
    row = _estimated(checked, efficiency={"RANKL": 1.9}).loc["s1"]
    # copies 1.9² + 1.9¹ = 5.51; λ = 6.01/3; Cq = 35 − ln(λ)/ln 1.9
    lam = (1.9**2 + 1.9 + 0.5) / 3.0
    assert row["cq_mean"] == pytest.approx(35.0 - math.log(lam) / math.log(1.9), abs=1e-12)
    assert row["cq_mean"] == pytest.approx(33.9175, abs=1e-4)


def test_other_groups_keep_their_mean_cq_exactly() -> None:
    cq = [22.0, 22.2, 22.1, 33.0, 34.0, None, 36.0, None, None]
    checked = _checked(cq, ["s1"] * 3 + ["s2"] * 3 + ["s3"] * 3, ["MYC"] * 3 + ["RANKL"] * 6)
    plain = summarise_replicates(checked[~checked["excluded"]]).set_index("target")
    out = _estimated(checked).reset_index().set_index("target")
    assert out.loc["RANKL", "n_censored"].tolist() == [0, 2]
    # a high-copy target (2^13 copies): untouched; a group mostly below detection: censored,
    # untouched
    assert out.loc["MYC"].equals(plain.loc["MYC"])
    assert out.loc["RANKL"].iloc[1].equals(plain.loc["RANKL"].iloc[1])
    assert out.loc["RANKL", "cq_mean"].iloc[0] == pytest.approx(33.8845, abs=1e-4)
    # the mean Cq under low_copy_estimate = "mean_cq", or under another outlier rule
    for config in (AnalysisConfig(low_copy_estimate="mean_cq"),
                   AnalysisConfig(low_copy_estimate="poisson", outlier_rule="range")):  # fmt: skip
        assert _estimated(checked, config).reset_index().set_index("target").equals(plain)


def test_every_group_of_a_low_copy_target_is_estimated() -> None:
    # RANKL at 2^(35-33.5) = 2.8 copies in s1 and 2^(35-24) = 2048 in s2: both estimated, so
    # that their fold change compares like with like (at high copy the estimate is the mean
    # Cq to a few thousandths of a cycle)
    checked = _checked([33.4, 33.5, 33.6, 24.0, 24.1, 23.9], ["s1"] * 3 + ["s2"] * 3)
    out = _estimated(checked)
    copies = 2.0**1.6 + 2.0**1.5 + 2.0**1.4
    assert out.loc["s1", "cq_mean"] == pytest.approx(35 - math.log2((copies + 0.5) / 3))
    copies = 2.0**11 + 2.0**10.9 + 2.0**11.1
    assert out.loc["s2", "cq_mean"] == pytest.approx(35 - math.log2((copies + 0.5) / 3))
    assert out.loc["s2", "cq_mean"] == pytest.approx(24.0, abs=0.005)


def _exact_log_bias(lam: float, n: int) -> float:
    """E[ln((T + ½)/n)] − ln λ for T ~ Poisson(nλ), summed exactly."""
    mu = n * lam
    k = np.arange(0.0, math.ceil(mu + 40.0 * math.sqrt(mu) + 60.0))
    p = np.exp(k * math.log(mu) - mu - special.gammaln(k + 1.0))
    return float(p @ np.log((k + 0.5) / n)) - math.log(lam)


@settings(max_examples=60, deadline=None)
@given(lam=st.floats(1.0, 60.0), n=st.integers(1, 6))
def test_log_estimate_is_unbiased_to_second_order(lam: float, n: int) -> None:
    mu = n * lam
    if mu < 3.0:
        return
    bias = _exact_log_bias(lam, n)
    # the stated expansion: −1/(24 μ²) + O(μ⁻³), against −1/(2μ) without the half count
    assert abs(bias + 1.0 / (24.0 * mu**2)) <= 0.5 / mu**3
    assert abs(bias) < 0.1 / mu**2


@settings(max_examples=60, deadline=None)
@given(cq=st.lists(st.floats(30.0, 36.0), min_size=1, max_size=6), empty=st.integers(0, 2),
       which=st.integers(0, 5), later=st.floats(0.01, 3.0))  # fmt: skip
def test_estimate_rises_with_every_cq(
    cq: list[float], empty: int, which: int, later: float
) -> None:
    def estimate(values: list[float]) -> float:
        copies = sum(2.0 ** (35.0 - c) for c in values)
        return poisson_cq(copies, len(values) + empty)[0]

    moved = list(cq)
    moved[which % len(cq)] += later
    assert estimate(moved) > estimate(cq)
    # an extra empty well means fewer copies per well: a later Cq
    assert poisson_cq(sum(2.0 ** (35.0 - c) for c in cq), len(cq) + empty + 1)[0] > estimate(cq)


def test_simulated_fold_change_between_copy_numbers_loses_the_mean_cq_bias() -> None:
    # 600 triplicates at 4 and at 16 copies per well (true log2 fold change 2), read as
    # Cq = 35 − log2 N + N(0, 0.08²), N ~ Poisson; the mean Cq is biased by about
    # −0.16 (4 copies) and −0.045 (16) in log2 copies: the fold change by +0.11
    rng = np.random.default_rng(2026)
    groups, rows = 600, []
    for copies in (4.0, 16.0):
        n = rng.poisson(copies, (groups, 3))
        cq = 35.0 - np.log2(np.maximum(n, 1)) + rng.normal(0.0, 0.08, n.shape)
        rows.append(pd.DataFrame({
            "sample": np.repeat([f"{copies:g}-{g}" for g in range(groups)], 3),
            "cq": np.where(n > 0, cq, np.nan).ravel(), "lam": copies,
        }))  # fmt: skip
    wells = pd.concat(rows, ignore_index=True)
    wells = wells.assign(well=[f"W{i}" for i in range(len(wells))], target="RANKL",
                         sample_type="unkn", cq_status=np.where(wells["cq"].isna(),
                         "undetermined", "ok"))  # fmt: skip
    checked = apply_qc(wells, DEFAULT)[0]
    lam = wells.groupby("sample")["lam"].first()
    error = {}
    for how in ("poisson", "mean_cq"):
        out = _estimated(checked, AnalysisConfig(low_copy_estimate=how))
        out = out[out["n_censored"].eq(0)]  # groups mostly below detection stay censored
        mean = (35.0 - out["cq_mean"]).groupby(lam.reindex(out.index)).mean()
        error[how] = mean[16.0] - mean[4.0] - 2.0
    assert error["mean_cq"] == pytest.approx(0.11, abs=0.05)
    assert abs(error["poisson"]) < 0.04
    assert abs(error["poisson"]) < abs(error["mean_cq"]) - 0.05
