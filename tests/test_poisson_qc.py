"""Poisson-aware replicate QC and zero-copy non-detects (methods §2.8-2.9,
``outlier_rule = "poisson"``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qpcr.config import AnalysisConfig
from qpcr.errors import ConfigError
from qpcr.outliers import (
    expected_replicate_sd,
    flag_replicate_outliers,
    implied_copies,
    normal_range_quantile,
    poisson_cq_sd,
    poisson_range_limit,
)
from qpcr.qc import apply_qc

POISSON = AnalysisConfig(outlier_rule="poisson")


def _poisson_groups(rng: np.random.Generator, copies: float, groups: int) -> pd.DataFrame:
    """Triplicates at ``copies`` per well (every well ≥ 1 copy), Cq₁ = 35, pipetting SD 0.08."""
    n = rng.poisson(copies, (3 * groups, 3))
    n = n[(n > 0).all(axis=1)][:groups]
    cq = 35.0 - np.log2(n) + rng.normal(0.0, 0.08, n.shape)
    return pd.DataFrame({"cq": cq.ravel(), "group": np.repeat(np.arange(len(n)), 3)})


def test_poisson_sd_by_hand_at_one_copy() -> None:
    # N | N >= 1 for λ = 1: P(k) = e^-1/(k!(1 - e^-1)); SD of log2 k by direct summation
    k = np.arange(1, 40)
    p = np.array([math.exp(-1) / math.factorial(int(i)) for i in k]) / (1 - math.exp(-1))
    x = np.log2(k)
    sd = math.sqrt(float(p @ (x - p @ x) ** 2))
    assert poisson_cq_sd(1.0) == pytest.approx(sd, rel=1e-12)
    assert poisson_cq_sd(1.0) == pytest.approx(0.63817, abs=1e-5)


def test_poisson_sd_meets_its_large_copy_form_and_monte_carlo() -> None:
    # the exact sum and 1/(ln 2 sqrt(λ)) agree at the switch (2000 copies) to 1e-3 relative
    exact = poisson_cq_sd(1999.0)
    assert exact == pytest.approx(1 / (math.log(2) * math.sqrt(1999.0)), rel=1e-3)
    rng = np.random.default_rng(7)
    n = rng.poisson(6.0, 400_000)
    assert poisson_cq_sd(6.0) == pytest.approx(np.log2(n[n > 0]).std(), abs=0.005)
    assert np.isnan(poisson_cq_sd(0.0))


def test_implied_copies_and_expected_sd() -> None:
    assert implied_copies(32.0) == 8.0
    assert implied_copies(30.0, single_copy_cq=36.0) == 64.0
    # far above single-copy level the pipetting floor is all that is left
    assert expected_replicate_sd(15.0) == pytest.approx(0.08, abs=1e-4)
    # below single-copy level the copies are taken as 1 (a well that amplified holds one)
    assert expected_replicate_sd(38.0) == pytest.approx(math.hypot(0.08, 0.63817), abs=1e-5)


def test_normal_range_quantiles_match_tables() -> None:
    # n = 2: the range is sqrt(2)|Z|, so its 0.999 quantile is sqrt(2)·z_0.9995 = 4.6535
    assert normal_range_quantile(2, 0.999) == pytest.approx(math.sqrt(2) * 3.290527, abs=1e-4)
    # studentized range at infinite df (Harter 1960): 3.31 (n = 3, 0.95), 4.40 (n = 4, 0.99)
    assert normal_range_quantile(3, 0.95) == pytest.approx(3.314, abs=1e-3)
    assert normal_range_quantile(4, 0.99) == pytest.approx(4.403, abs=1e-3)
    with pytest.raises(ConfigError):
        normal_range_quantile(1)


def test_high_copy_groups_are_judged_exactly_as_by_the_range_rule() -> None:
    rng = np.random.default_rng(3)
    cq = pd.Series(rng.normal(22.0, 0.3, 300))
    groups = pd.Series(np.repeat(np.arange(100), 3))
    old = flag_replicate_outliers(cq, groups, "range")
    new = flag_replicate_outliers(cq, groups, "poisson")
    assert old["group_flagged"].sum() > 20  # the test has flagged groups to compare
    pd.testing.assert_frame_equal(old, new.assign(rule=new["rule"]), check_like=True)
    assert (poisson_range_limit(np.array([20.0, 24.0, 25.5]), 3) == 0.5).all()


def test_low_copy_scatter_is_kept_and_a_real_outlier_still_caught() -> None:
    cq = pd.Series([32.0, 32.9, 33.8, 32.0, 32.2, 36.8])
    groups = pd.Series(["a"] * 3 + ["b"] * 3)
    out = flag_replicate_outliers(cq, groups, "poisson")
    # group a: 6.1 copies at its median 32.9; limit 5.06 × 0.6738 = 3.41 cycles > range 1.8
    assert out["threshold"].iloc[0] == pytest.approx(
        normal_range_quantile(3) * expected_replicate_sd(32.9), rel=1e-12
    )
    assert not out["group_flagged"].iloc[:3].any()
    assert flag_replicate_outliers(cq, groups, "range")["group_flagged"].iloc[:3].all()
    # group b spans 4.8 cycles > its limit 3.01: the well at 36.8 (|z| = 0.6745·4.6/0.2) goes
    assert out["outlier"].tolist() == [False] * 5 + [True]
    assert out["value"].iloc[5] == pytest.approx(0.6745 * 4.6 / 0.2)


def test_false_alarms_under_the_sampling_model_are_rare() -> None:
    rng = np.random.default_rng(11)
    for copies in (3.0, 6.0, 30.0):
        sim = _poisson_groups(rng, copies, 3000)
        range_rule = flag_replicate_outliers(sim["cq"], sim["group"], "range")
        out = flag_replicate_outliers(sim["cq"], sim["group"], "poisson")
        assert out["outlier"].mean() < 0.003, copies
        assert range_rule["outlier"].mean() > 10 * max(out["outlier"].mean(), 1e-3), copies


def _wells(cq: list[float | None], samples: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "well": [f"A{i + 1}" for i in range(len(cq))], "sample": samples, "target": "RANKL",
        "sample_type": "unkn", "cq": cq,
        "cq_status": ["ok" if c is not None else "undetermined" for c in cq],
    })  # fmt: skip


def test_zero_copy_well_left_out_and_low_copy_noted() -> None:
    wells = _wells([32.1, 33.4, None, 36.0, None, None], ["s1"] * 3 + ["s2"] * 3)
    checked, events = apply_qc(wells, POISSON)
    # s1 amplified in 2 of 3 wells at median 32.75 cycles: 2^(35 - 32.75) = 4.76 copies
    assert checked["exclude_code"].tolist() == ["", "", "zero_copy", "", "", ""]
    assert checked["exclude_reason"][2] == (
        "zero-copy well (an empty well: most replicates amplified at ≈4.8 copies per well)"
    )
    # s2 is mostly below detection: its non-detects stay censored at the limit
    assert checked["censored"].tolist() == [False] * 4 + [True, True]
    assert checked["cq_used"][4] == 40.0
    notes = events.set_index("code")
    assert notes.loc["zero_copy", "value"] == pytest.approx(2**2.25, abs=0.05)
    low = events[events["code"].eq("low_copy")].set_index("sample")
    # ±2 expected SD at 4.76 copies: 2·sqrt(0.08² + 0.7440²) = 1.497 → "±1.5"
    assert "expect ±1.5 cycles" in low.loc["s1", "message"]
    assert set(events["code"]) == {"zero_copy", "low_copy", "nondetect"}


def test_poisson_rule_leaves_high_copy_non_detects_as_failed_reactions() -> None:
    wells = _wells([24.0, 24.1, None], ["s1"] * 3)
    checked, events = apply_qc(wells, POISSON)
    assert checked["exclude_code"].tolist() == ["", "", "isolated_nondetect"]
    assert "low_copy" not in set(events["code"])
    # under the range rule the low-copy empty well was a failed reaction too, without a reason
    # that fits; the range rule itself is unchanged
    old, _ = apply_qc(_wells([32.1, 33.4, None], ["s1"] * 3), AnalysisConfig(outlier_rule="range"))
    assert old["exclude_code"].tolist() == ["", "", "isolated_nondetect"]


def test_default_rule_keeps_low_copy_scatter_and_drops_high_copy_outliers() -> None:
    # the default is "poisson" (docs/validation.md): s1 at median 32.1 implies 2^2.9 = 7.46
    # copies, expected SD 0.602, limit 5.063 × 0.602 = 3.05 cycles > its 1.2-cycle span: kept.
    # The range rule drops 33.2 there (modified z 0.6745 × 1.1 / 0.1 = 7.42 > 3.5).
    # s2 at 24.1 cycles: the limit is the range rule's 0.5 and 25.5 goes under either rule.
    wells = _wells([32.0, 32.1, 33.2, 24.0, 24.1, 25.5], ["s1"] * 3 + ["s2"] * 3)
    assert AnalysisConfig().outlier_rule == "poisson"
    default, _ = apply_qc(wells, AnalysisConfig())
    assert default["exclude_code"].tolist() == ["", "", "", "", "", "outlier_poisson"]
    old, _ = apply_qc(wells, AnalysisConfig(outlier_rule="range"))
    assert old["exclude_code"].tolist() == ["", "", "outlier_range", "", "", "outlier_range"]


def test_below_one_copy_per_well_non_detects_stay_censored() -> None:
    # the §2.9 worked example: 36, 36 and a non-detect imply 2^(35 − 36) = 0.5 copies per well,
    # where a detected well reads about Cq₁ whatever λ: censoring stays
    checked, events = apply_qc(_wells([36.0, 36.0, None], ["t1"] * 3), POISSON)
    assert checked["exclude_code"].tolist() == ["", "", ""]
    assert checked["censored"].tolist() == [False, False, True]
    assert "zero_copy" not in set(events["code"])
