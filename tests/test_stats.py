"""Tests for qpcr.stats: numbers from methods.md (T12, T17-T22) and independent implementations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from qpcr.errors import ConfigError, DesignError
from qpcr.stats import adjust_pvalues, permutation_test, two_group_test

# methods.md §2.0 / T17: BMP2 ΔCq (refs REF_A/REF_B, E = 2), donors D1..D3.
BMP2_DCQ = {
    "NV": [4.15, 4.54, 4.015],
    "NT": [3.95, 4.75, 3.57],
    "HV": [4.79, 5.34, 4.715],
    "HT": [3.495, 3.785, 3.30],
}


def neg(x: list[float]) -> np.ndarray:
    """y = −ΔCq (log2 expression scale)."""
    return -np.asarray(x, dtype=float)


# ---------------------------------------------------------------- two_group_test


def test_t12_welch_on_minus_dcq() -> None:
    control, treated = neg([5.0, 5.3, 4.8]), neg([2.8, 3.1, 2.5])
    r = two_group_test(control, treated)
    assert r["test"] == "welch"
    assert (r["n"], r["n_ref"]) == (3, 3)
    assert r["estimate"] == pytest.approx(2.233333, abs=1e-6)  # = −ΔΔCq
    assert r["se"] == pytest.approx(0.226078, abs=1e-6)
    assert r["statistic"] == pytest.approx(9.878611, abs=1e-6)  # sign flipped vs ΔCq
    assert r["df"] == pytest.approx(3.882569, abs=1e-6)
    assert r["p_value"] == pytest.approx(0.000682, abs=1e-6)
    assert 2 ** r["estimate"] == pytest.approx(4.702192, abs=1e-6)
    assert 2 ** r["ci_low"] == pytest.approx(3.027407, abs=1e-6)
    assert 2 ** r["ci_high"] == pytest.approx(7.303481, abs=1e-6)
    assert r["note"] == ""


def test_t12_matches_scipy_welch() -> None:
    control, treated = neg([5.0, 5.3, 4.8]), neg([2.8, 3.1, 2.5])
    ref = sps.ttest_ind(treated, control, equal_var=False)
    ci = ref.confidence_interval(0.95)
    r = two_group_test(control, treated)
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert r["ci_low"] == pytest.approx(ci.low, rel=1e-12)
    assert r["ci_high"] == pytest.approx(ci.high, rel=1e-12)


def test_student_matches_scipy() -> None:
    control, treated = neg([5.0, 5.3, 4.8, 5.6]), neg([2.8, 3.1, 2.5])
    ref = sps.ttest_ind(treated, control, equal_var=True)
    r = two_group_test(control, treated, test="student")
    assert r["df"] == 5
    assert r["statistic"] == pytest.approx(ref.statistic, rel=1e-12)
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)


def test_t17_paired_and_welch_ht_vs_hv() -> None:
    hv, ht = neg(BMP2_DCQ["HV"]), neg(BMP2_DCQ["HT"])
    p = two_group_test(hv, ht, paired=True)
    assert p["test"] == "paired t"
    assert p["df"] == 2
    assert p["estimate"] == pytest.approx(1.421667, abs=1e-6)
    assert 2 ** p["estimate"] == pytest.approx(2.6789, abs=1e-4)
    assert p["p_value"] == pytest.approx(0.002781, abs=1e-6)
    assert 2 ** p["ci_low"] == pytest.approx(2.1412, abs=1e-4)
    assert 2 ** p["ci_high"] == pytest.approx(3.3518, abs=1e-4)
    w = two_group_test(hv, ht)
    assert w["p_value"] == pytest.approx(0.00571, abs=1e-5)
    assert w["estimate"] == pytest.approx(p["estimate"], abs=1e-12)


def test_paired_series_align_by_donor_and_drop_nan() -> None:
    hv = pd.Series(neg(BMP2_DCQ["HV"]), index=["D1", "D2", "D3"])
    ht = pd.Series(neg(BMP2_DCQ["HT"])[::-1], index=["D3", "D2", "D1"])
    r = two_group_test(hv, ht, paired=True)
    assert r["p_value"] == pytest.approx(0.002781, abs=1e-6)
    # a fourth donor with only one group is dropped, not counted
    hv4 = pd.concat([hv, pd.Series([-5.0], index=["D4"])])
    ht4 = pd.concat([ht, pd.Series([np.nan], index=["D4"])])
    assert two_group_test(hv4, ht4, paired=True)["p_value"] == pytest.approx(0.002781, abs=1e-6)


def test_paired_refuses_technical_replicates() -> None:
    hv = pd.Series([-4.7, -4.8, -5.3, -4.7], index=["D1", "D1", "D2", "D3"])
    ht = pd.Series([-3.5, -3.8, -3.3], index=["D1", "D2", "D3"])
    with pytest.raises(DesignError, match="technical"):
        two_group_test(hv, ht, paired=True)
    with pytest.raises(DesignError, match="equal-length"):
        two_group_test([1.0, 2.0, 3.0], [1.0, 2.0], paired=True)


def test_t21_donor_means_give_correct_p() -> None:
    """Pseudo-replicate wells (offsets −0.1, 0, +0.1) inflate n; donor means restore p."""
    offsets = np.array([-0.1, 0.0, 0.1])
    hv_wells = (neg(BMP2_DCQ["HV"])[:, None] + offsets).ravel()
    ht_wells = (neg(BMP2_DCQ["HT"])[:, None] + offsets).ravel()
    wrong = two_group_test(hv_wells, ht_wells)
    assert wrong["n"] == 9
    assert wrong["p_value"] == pytest.approx(1.43e-08, rel=5e-3)
    right = two_group_test(hv_wells.reshape(3, 3).mean(1), ht_wells.reshape(3, 3).mean(1))
    assert right["p_value"] == pytest.approx(0.00571, abs=1e-5)


def test_t22_welch_not_one_sample() -> None:
    control, treated = neg([5.0, 5.8, 4.2]), neg([4.0, 4.3, 3.7])
    r = two_group_test(control, treated)
    assert r["statistic"] == pytest.approx(2.0272, abs=1e-4)
    assert r["df"] == pytest.approx(2.5516, abs=1e-4)
    assert r["p_value"] == pytest.approx(0.1516, abs=1e-4)
    # the anti-conservative one-sample test that ignores control variance gives 0.0287
    ddcq = np.array([4.0, 4.3, 3.7]) - np.mean([5.0, 5.8, 4.2])
    assert sps.ttest_1samp(ddcq, 0).pvalue == pytest.approx(0.0287, abs=1e-4)
    assert r["p_value"] > 5 * 0.0287


def test_too_few_replicates_gives_estimate_and_note() -> None:
    r = two_group_test([-5.0], [-3.0, -2.8, -3.1])
    assert r["estimate"] == pytest.approx(5.0 - 2.966667, abs=1e-6)
    assert math.isnan(r["p_value"])
    assert math.isnan(r["ci_low"])
    assert "control group" in r["note"]
    r = two_group_test([-5.0, -5.1, np.nan], [-3.0, np.nan], min_n=2)
    assert (r["n"], r["n_ref"]) == (1, 2)
    assert "treated group" in r["note"]
    r = two_group_test([-5.0, -5.1, -4.9], [-3.0, -2.9, -3.2], min_n=4)
    assert "fewer than 4" in r["note"]


def test_unknown_test_and_alpha_rejected() -> None:
    with pytest.raises(ConfigError, match="welch"):
        two_group_test([1, 2], [3, 4], test="anova")
    with pytest.raises(ConfigError):
        two_group_test([1, 2], [3, 4], alpha=1.5)


def test_mann_whitney_minimum_p_note() -> None:
    r = two_group_test(neg([5.0, 5.3, 4.8]), neg([2.8, 3.1, 2.5]), test="mann-whitney")
    assert r["test"] == "mann-whitney"
    assert r["p_value"] == pytest.approx(0.1)  # complete separation, exact
    assert "0.1" in r["note"]
    ref = sps.mannwhitneyu(neg([2.8, 3.1, 2.5]), neg([5.0, 5.3, 4.8]), method="exact")
    assert r["statistic"] == ref.statistic == 9


finite = st.floats(-20, 20, allow_nan=False, allow_infinity=False)
group = st.lists(finite, min_size=2, max_size=8).filter(lambda v: np.ptp(v) > 1e-3)


@given(group, group, st.floats(-50, 50))
def test_properties_swap_shift_ci(c: list[float], t: list[float], k: float) -> None:
    a = two_group_test(c, t)
    b = two_group_test(t, c)
    assert b["estimate"] == pytest.approx(-a["estimate"], abs=1e-9)
    assert b["p_value"] == pytest.approx(a["p_value"], rel=1e-9, abs=1e-12)
    s = two_group_test(np.add(c, k), np.add(t, k))
    assert s["estimate"] == pytest.approx(a["estimate"], abs=1e-8)
    assert s["p_value"] == pytest.approx(a["p_value"], rel=1e-6, abs=1e-9)
    assert a["ci_low"] <= a["estimate"] <= a["ci_high"]


@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=8))
def test_paired_properties(pairs: list[tuple[float, float]]) -> None:
    c, t = np.array(pairs).T
    if np.ptp(t - c) < 1e-3:
        return
    a = two_group_test(c, t, paired=True)
    b = two_group_test(t, c, paired=True)
    assert b["estimate"] == pytest.approx(-a["estimate"], abs=1e-9)
    assert b["p_value"] == pytest.approx(a["p_value"], rel=1e-9, abs=1e-12)
    assert a["ci_low"] <= a["estimate"] <= a["ci_high"]
    ref = sps.ttest_rel(t, c)
    assert a["p_value"] == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-12)


# ---------------------------------------------------------------- adjust_pvalues


def test_t19_holm_bh() -> None:
    p = [0.012, 0.030, 0.041, 0.20]
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), [0.048, 0.090, 0.090, 0.200], atol=1e-6)
    np.testing.assert_allclose(
        adjust_pvalues(p, "bh"), [0.048, 0.054667, 0.054667, 0.200], atol=1e-6
    )
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni"), [0.048, 0.12, 0.164, 0.8])
    np.testing.assert_allclose(adjust_pvalues(p, "none"), p)


def test_t20_dataset_family_unsorted_with_nan() -> None:
    raw = [0.002781, 0.03701, np.nan, 0.02773, 0.08561, 0.001574]  # NaN: gene not tested
    holm = adjust_pvalues(raw, "holm")
    bh = adjust_pvalues(raw, "bh")
    assert np.isnan(holm[2])
    assert np.isnan(bh[2])
    keep = [0, 1, 3, 4, 5]
    np.testing.assert_allclose(
        holm[keep], [0.01112, 0.08319, 0.08319, 0.08561, 0.007868], atol=1e-5
    )
    np.testing.assert_allclose(bh[keep], [0.006953, 0.04626, 0.04622, 0.08561, 0.006953], atol=1e-5)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_adjust_matches_statsmodels(p: list[float]) -> None:
    from statsmodels.stats.multitest import multipletests

    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")):
        np.testing.assert_allclose(
            adjust_pvalues(p, ours), multipletests(p, method=theirs)[1], rtol=1e-12, atol=1e-15
        )


def test_adjust_rejects_bad_input() -> None:
    with pytest.raises(ConfigError, match="holm"):
        adjust_pvalues([0.1], "fdr")
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        adjust_pvalues([0.1, 1.2])
    assert adjust_pvalues([], "holm").size == 0


# ---------------------------------------------------------------- permutation_test


def test_permutation_exact_small_groups() -> None:
    control, treated = neg([5.0, 5.3, 4.8]), neg([2.8, 3.1, 2.5])
    r = permutation_test(control, treated)
    assert r["test"] == "permutation"
    assert "exact" in r["note"]
    # complete separation: only the 2 extreme of C(6,3)=20 relabellings reach |diff|
    assert r["p_value"] == pytest.approx(2 / 20)
    assert r["ci_low"] <= r["estimate"] <= r["ci_high"]
    paired = permutation_test(neg(BMP2_DCQ["HV"]), neg(BMP2_DCQ["HT"]), paired=True)
    assert paired["p_value"] == pytest.approx(2 / 8)  # 2**3 sign flips
    assert two_group_test(control, treated, test="permutation")["p_value"] == r["p_value"]
