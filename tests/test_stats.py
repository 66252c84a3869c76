"""Tests for qpcr.stats: numbers from methods.md (T12, T17-T22) and independent implementations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from qpcr.errors import ConfigError, DesignError
from qpcr.stats import (
    CONTRAST_METHODS,
    TEST_LABELS,
    TWO_GROUP_TESTS,
    adjust_pvalues,
    factorial_anova,
    factorial_contrasts,
    permutation_test,
    two_group_test,
)

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
    r4 = two_group_test(hv4, ht4, paired=True)
    assert r4["p_value"] == pytest.approx(0.002781, abs=1e-6)
    assert r4["n"] == 3
    assert r4["note"] == "1 incomplete pair(s) dropped"


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


def test_non_numeric_and_2d_input_rejected() -> None:
    with pytest.raises(DesignError, match="non-numeric"):
        two_group_test(["a", "b"], [1.0, 2.0])
    with pytest.raises(DesignError, match="shape"):
        two_group_test([[1.0, 2.0]], [1.0, 2.0])


def test_unknown_test_and_alpha_rejected() -> None:
    with pytest.raises(ConfigError, match="welch"):
        two_group_test([1, 2], [3, 4], test="anova")
    with pytest.raises(ConfigError):
        two_group_test([1, 2], [3, 4], alpha=1.5)


def test_mann_whitney_minimum_p_note() -> None:
    r = two_group_test(neg([5.0, 5.3, 4.8]), neg([2.8, 3.1, 2.5]), test="mann-whitney")
    assert r["test"] == "mann-whitney (Hodges-Lehmann)"
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


def test_adjust_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    p = [0.2, 0.001, 0.04, 0.04, 0.8, 0.013, 0.5, 0.0004, 1.0, 0.03]
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")):
        np.testing.assert_allclose(
            adjust_pvalues(p, ours), multipletests(p, method=theirs)[1], rtol=1e-12
        )


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_adjust_matches_definitions(p: list[float]) -> None:
    """Holm: max_{j≤i} (m − j + 1)·p_(j); BH: min_{j≥i} m·p_(j)/j (capped at 1); scipy BH."""
    arr = np.array(p)
    m = arr.size
    order = np.argsort(arr, kind="stable")
    s = arr[order]
    holm = np.array([max(min(1, (m - j) * s[j]) for j in range(i + 1)) for i in range(m)])
    bh = np.array([min(min(1, m * s[j] / (j + 1)) for j in range(i, m)) for i in range(m)])
    np.testing.assert_allclose(adjust_pvalues(arr, "holm")[order], holm, rtol=1e-12)
    np.testing.assert_allclose(adjust_pvalues(arr, "bh")[order], bh, rtol=1e-12)
    np.testing.assert_allclose(
        adjust_pvalues(arr, "bh"), sps.false_discovery_control(arr), rtol=1e-12, atol=1e-15
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


def test_every_test_label_is_declared_with_its_pairing() -> None:
    """The ``test`` column's vocabulary (TEST_LABELS) is exactly what the tests write, each
    label saying whether it paired; the column's documentation and the methods text know every
    label (a paired permutation test reads "paired permutation", not "permutation")."""
    from qpcr.report.methods import _USED_TEST_TEXT
    from qpcr.schema import TABLES

    control, treated = neg(BMP2_DCQ["HV"]), neg(BMP2_DCQ["HT"])
    written = {}
    for test in TWO_GROUP_TESTS:
        for paired in (False, True):
            written[two_group_test(control, treated, paired=paired, test=test)["test"]] = paired
    assert written == TEST_LABELS
    assert (written["permutation"], written["paired permutation"]) == (False, True)
    meaning = next(
        c.meaning for c in TABLES["fold_changes"].columns if getattr(c, "name", "") == "test"
    )
    for label in TEST_LABELS:
        assert label in meaning, label
        assert label in _USED_TEST_TEXT, label


# ---------------------------------------------------------------- factorial designs

GENES = ["BMP2", "VEGFA", "RANKL", "OPG"]
CONTROL = {"oxygen": "normoxia", "treatment": "vehicle"}
FACTORS = ["oxygen", "treatment"]
HT_HV = "treatment: tocilizumab vs vehicle | oxygen=hypoxia"
INTERACTION = "interaction oxygen × treatment"


@pytest.fixture
def dataset(methods_wide: pd.DataFrame) -> pd.DataFrame:
    """y = −ΔCq (refs REF_A/REF_B, E = 2) per gene, plus the per-sample log2 RANKL/OPG ratio."""
    d = methods_wide.reset_index()
    d["donor"] = d["sample"].str[:2]
    d["oxygen"] = d["sample"].str[3].map({"N": "normoxia", "H": "hypoxia"})
    d["treatment"] = d["sample"].str[4].map({"V": "vehicle", "T": "tocilizumab"})
    ref = (d["REF_A"] + d["REF_B"]) / 2
    for g in GENES:
        d[g] = -(d[g] - ref)
    d["RANKL_OPG"] = d["RANKL"] - d["OPG"]  # log2 ratio; the references cancel
    return d


def by_term(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("term")


def test_t17_dcq_values(dataset: pd.DataFrame) -> None:
    np.testing.assert_allclose(
        -dataset["BMP2"],
        [4.15, 3.95, 4.79, 3.495, 4.54, 4.75, 5.34, 3.785, 4.015, 3.57, 4.715, 3.30],
        atol=1e-9,
    )


def test_t17_blocked_anova(dataset: pd.DataFrame) -> None:
    t = by_term(factorial_anova(dataset, "BMP2", FACTORS, block="donor"))
    assert set(t.index) == {"oxygen", "treatment", "oxygen × treatment", "donor", "Residual"}
    assert (t["ss_type"] == "II").all()
    res = t.loc["Residual"]
    assert res["df"] == 6
    assert res["sum_sq"] / res["df"] == pytest.approx(0.02853, abs=1e-5)  # MSE
    assert t.loc["donor", "sum_sq"] / 2 == pytest.approx(0.52756, abs=1e-5)  # MS_donor
    expected = {
        "oxygen": (0.592, 0.471),
        "treatment": (64.526, 0.000199),
        "oxygen × treatment": (42.849, 0.000608),
        "donor": (18.492, 0.00272),
    }
    for term, (f, p) in expected.items():
        assert t.loc[term, "F"] == pytest.approx(f, abs=1e-3), term
        assert t.loc[term, "p_value"] == pytest.approx(p, rel=2e-3), term
    # variance components: σ̂_d² = (MS_donor − MSE)/4, ICC = σ̂_d²/(σ̂_d² + σ̂²)
    mse = res["sum_sq"] / 6
    var_d = (t.loc["donor", "sum_sq"] / 2 - mse) / 4
    assert var_d == pytest.approx(0.12476, abs=1e-5)
    assert var_d / (var_d + mse) == pytest.approx(0.8139, abs=1e-4)


def test_t17_unblocked_anova(dataset: pd.DataFrame) -> None:
    t = by_term(factorial_anova(dataset, "BMP2", FACTORS))
    assert "donor" not in t.index
    assert t.loc["Residual", "sum_sq"] / 8 == pytest.approx(0.15329, abs=1e-5)
    for term, (f, p) in {
        "oxygen": (0.110, 0.749),
        "treatment": (12.009, 0.0085),
        "oxygen × treatment": (7.975, 0.0224),
    }.items():
        assert t.loc[term, "F"] == pytest.approx(f, abs=1e-3), term
        assert t.loc[term, "p_value"] == pytest.approx(p, abs=1e-3), term


def test_vegfa_and_t18_ratio_anova(dataset: pd.DataFrame) -> None:
    v = by_term(factorial_anova(dataset, "VEGFA", FACTORS, block="donor"))
    assert v.loc["oxygen", "F"] == pytest.approx(409.785, abs=1e-3)
    assert v.loc["oxygen", "p_value"] == pytest.approx(9.44e-07, rel=2e-3)
    assert v.loc["treatment", "F"] == pytest.approx(22.808, abs=1e-3)
    assert v.loc["treatment", "p_value"] == pytest.approx(0.00308, rel=2e-3)
    assert v.loc["oxygen × treatment", "F"] == pytest.approx(20.433, abs=1e-3)
    assert v.loc["oxygen × treatment", "p_value"] == pytest.approx(0.00402, rel=2e-3)
    r = by_term(factorial_anova(dataset, "RANKL_OPG", FACTORS, block="donor"))
    assert r.loc["oxygen", "F"] == pytest.approx(119.627, abs=1e-3)
    assert r.loc["treatment", "F"] == pytest.approx(214.715, abs=1e-3)
    assert r.loc["oxygen × treatment", "F"] == pytest.approx(135.876, abs=1e-3)


@pytest.mark.parametrize("gene", GENES)
def test_anova_matches_statsmodels(dataset: pd.DataFrame, gene: str) -> None:
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    ref = anova_lm(smf.ols(f"{gene} ~ C(oxygen) * C(treatment) + C(donor)", dataset).fit(), typ=2)
    ours = by_term(factorial_anova(dataset, gene, FACTORS, block="donor"))
    names = {
        "C(oxygen)": "oxygen",
        "C(treatment)": "treatment",
        "C(donor)": "donor",
        "C(oxygen):C(treatment)": "oxygen × treatment",
        "Residual": "Residual",
    }
    for theirs, mine in names.items():
        assert ours.loc[mine, "sum_sq"] == pytest.approx(ref.loc[theirs, "sum_sq"], rel=1e-9)
        assert ours.loc[mine, "df"] == ref.loc[theirs, "df"]
        if mine != "Residual":
            assert ours.loc[mine, "F"] == pytest.approx(ref.loc[theirs, "F"], rel=1e-9)


def test_anova_matches_stored_statsmodels_output(dataset: pd.DataFrame) -> None:
    """tests/reference/stats_dataset_anova.csv: anova_lm output frozen by make_stats_reference."""
    stored = pd.read_csv(Path(__file__).parent / "reference" / "stats_dataset_anova.csv")
    stored["block"] = stored["block"].fillna("")
    names = {"C(oxygen)": "oxygen", "C(treatment)": "treatment", "C(donor)": "donor"}
    names |= {"C(oxygen):C(treatment)": "oxygen × treatment", "Residual": "Residual"}
    for (gene, block), ref in stored.groupby(["response", "block"]):
        ours = by_term(factorial_anova(dataset, gene, FACTORS, block=block or None))
        ref = ref.set_index(ref["term"].map(names))
        assert set(ours.index) == set(ref.index)
        np.testing.assert_allclose(ours["sum_sq"], ref.loc[ours.index, "sum_sq"], rtol=1e-9)
        np.testing.assert_allclose(ours["F"], ref.loc[ours.index, "F"], rtol=1e-9)
        np.testing.assert_allclose(ours["p_value"], ref.loc[ours.index, "p_value"], rtol=1e-9)


def test_anova_typ3_unbalanced_matches_statsmodels(dataset: pd.DataFrame) -> None:
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    d = dataset.drop(index=[11])  # D3-HT missing: unequal cell sizes without a block
    ours = by_term(factorial_anova(d, "BMP2", FACTORS))
    assert (ours["ss_type"] == "III (Sum contrasts, unbalanced)").all()
    assert "unbalanced" in ours["note"].iloc[0]
    ref = anova_lm(smf.ols("BMP2 ~ C(oxygen, Sum) * C(treatment, Sum)", d).fit(), typ=3)
    for mine, theirs in (
        ("oxygen", "C(oxygen, Sum)"),
        ("treatment", "C(treatment, Sum)"),
        ("oxygen × treatment", "C(oxygen, Sum):C(treatment, Sum)"),
    ):
        assert ours.loc[mine, "F"] == pytest.approx(ref.loc[theirs, "F"], rel=1e-9)
        assert ours.loc[mine, "p_value"] == pytest.approx(ref.loc[theirs, "PR(>F)"], rel=1e-9)
    assert ours.loc["Residual", "df"] == 7
    # explicit typ=3 on balanced data: Type III = Type II here
    t3 = by_term(factorial_anova(dataset, "BMP2", FACTORS, block="donor", typ=3))
    assert t3["ss_type"].iloc[0] == "III (Sum contrasts)"
    assert t3.loc["oxygen × treatment", "F"] == pytest.approx(42.848714, abs=1e-5)


def test_anova_block_missing_in_a_cell(dataset: pd.DataFrame) -> None:
    """D3-HT missing: D3's three other samples stay, in the random-intercept mixed model
    (its numbers against lme4/lmerTest: tests/test_stats_mixed.py, t17_bmp2_d3_ht_missing)."""
    d = dataset.drop(index=[11])
    ours = by_term(factorial_anova(d, "BMP2", FACTORS, block="donor"))
    assert (
        "block(s) ['D3'] incomplete: kept in a random-intercept mixed model" in ours["note"].iloc[0]
    )
    assert ours["ss_type"].iloc[0] == "III (mixed model, Satterthwaite)"
    assert list(ours.index) == ["oxygen", "treatment", "oxygen × treatment"]
    assert ours.loc["oxygen × treatment", "F"] == pytest.approx(34.651767, rel=1e-6)  # lmerTest
    c = factorial_contrasts(d, "BMP2", FACTORS, "donor", control=CONTROL).set_index("contrast")
    assert c.loc[INTERACTION, "statistic"] ** 2 == pytest.approx(
        ours.loc["oxygen × treatment", "F"], rel=1e-9
    )
    assert c.loc[INTERACTION, "df"] == pytest.approx(ours.loc["oxygen × treatment", "den_df"])
    # one complete block left: still the mixed model (10 samples, within-donor df 4)
    few = by_term(factorial_anova(dataset.drop(index=[3, 11]), "BMP2", FACTORS, "donor"))
    assert "mixed model" in few["ss_type"].iloc[0]


def test_anova_refusals(dataset: pd.DataFrame) -> None:
    with pytest.raises(DesignError, match="no data in cell"):
        factorial_anova(dataset[dataset["sample"].str[3:] != "HT"], "BMP2", FACTORS)
    with pytest.raises(ConfigError, match="not in the data"):
        factorial_anova(dataset, "BMP2", ["oxygen", "drug"])
    with pytest.raises(ConfigError, match="expected 2 or 3"):
        factorial_anova(dataset, "BMP2", FACTORS, typ=1)
    fc = dataset.assign(fold_change=2 ** dataset["BMP2"])
    with pytest.raises(DesignError, match="fold change"):
        factorial_anova(fc, "fold_change", FACTORS)
    with pytest.raises(DesignError, match="non-numeric"):
        factorial_anova(
            dataset.assign(BMP2=dataset["BMP2"].astype(object).where(dataset.index != 3, "n/a")),
            "BMP2",
            FACTORS,
        )


def test_technical_replicates_refused(dataset: pd.DataFrame) -> None:
    wells = pd.concat([dataset, dataset.assign(BMP2=dataset["BMP2"] + 0.1)], ignore_index=True)
    with pytest.raises(DesignError, match="technical replicates"):
        factorial_contrasts(wells, "BMP2", FACTORS, "donor", control=CONTROL, method="paired")
    with pytest.raises(DesignError, match="technical replicates"):
        factorial_anova(wells, "BMP2", FACTORS, block="donor")
    with pytest.raises(DesignError, match="'sample'"):  # no block, but a sample column
        factorial_contrasts(wells, "BMP2", FACTORS, control=CONTROL, method="welch")
    unnamed = dataset.assign(sample=dataset["sample"].where(dataset.index > 1))  # 2 missing
    assert len(factorial_contrasts(unnamed, "BMP2", FACTORS, control=CONTROL)) == 5


def test_t17_rcbd_contrast(dataset: pd.DataFrame) -> None:
    c = factorial_contrasts(dataset, "BMP2", FACTORS, "donor", control=CONTROL).set_index(
        "contrast"
    )
    assert list(c.columns[:3]) == ["kind", "estimate_log2", "se"]
    ht = c.loc[HT_HV]
    assert ht["test"] == "rcbd"
    assert ht["df"] == 6  # (ab − 1)(donors − 1)
    assert ht["se"] == pytest.approx(0.1379, abs=1e-4)
    assert ht["statistic"] == pytest.approx(10.309, abs=1e-3)  # −10.309 on ΔCq
    assert ht["p_value"] == pytest.approx(4.869e-05, rel=1e-3)
    assert ht["fold_change"] == pytest.approx(2.6789, abs=1e-4)
    assert ht["fc_ci_low"] == pytest.approx(2.1202, abs=1e-4)
    assert ht["fc_ci_high"] == pytest.approx(3.3849, abs=1e-4)
    assert ht["n"] == 6
    inter = c.loc[INTERACTION]
    assert inter["kind"] == "interaction"
    assert inter["estimate_log2"] == pytest.approx(1.2767, abs=1e-4)  # −(−1.2767 on ΔCq)
    assert inter["statistic"] ** 2 == pytest.approx(42.849, abs=1e-3)  # = ANOVA F
    assert inter["p_value"] == pytest.approx(0.000608, abs=1e-6)
    assert inter["fold_change"] == pytest.approx(2**1.276667, rel=1e-5)  # ratio of FCs
    # HV − NV (T24, refs REF_A/REF_B): ΔΔCq 0.7133, FC 0.6099
    hv = c.loc["oxygen: hypoxia vs normoxia | treatment=vehicle"]
    assert hv["fold_change"] == pytest.approx(0.6099, abs=1e-4)
    assert len(c) == 5


def test_t17_paired_and_welch_contrasts(dataset: pd.DataFrame) -> None:
    p = factorial_contrasts(
        dataset, "BMP2", FACTORS, "donor", control=CONTROL, method="paired"
    ).set_index("contrast")
    assert p.loc[HT_HV, "p_value"] == pytest.approx(0.002781, abs=1e-6)
    assert p.loc[HT_HV, "fc_ci_low"] == pytest.approx(2.1412, abs=1e-4)
    assert p.loc[HT_HV, "fc_ci_high"] == pytest.approx(3.3518, abs=1e-4)
    assert p.loc[HT_HV, "n"] == 3
    # paired interaction = one-sample t on per-donor difference of differences
    wide = dataset.pivot(index="donor", columns="sample", values="BMP2")
    dd = [
        (wide.loc[d, f"{d}-HT"] - wide.loc[d, f"{d}-HV"])
        - (wide.loc[d, f"{d}-NT"] - wide.loc[d, f"{d}-NV"])
        for d in ["D1", "D2", "D3"]
    ]
    assert p.loc[INTERACTION, "p_value"] == pytest.approx(sps.ttest_1samp(dd, 0).pvalue, rel=1e-9)
    w = factorial_contrasts(
        dataset, "BMP2", FACTORS, "donor", control=CONTROL, method="welch"
    ).set_index("contrast")
    assert w.loc[HT_HV, "p_value"] == pytest.approx(0.00571, abs=1e-5)
    assert w.loc[HT_HV, "test"] == "welch"


# methods.md §3.3 "Other genes" table: mean ΔΔCq, FC, paired p, Welch p, RCBD p, paired FC CI
OTHER_GENES = {
    "VEGFA": (-0.7883, 1.7271, 0.03701, 0.1005, 0.0005944, 1.0845, 2.7504),
    "RANKL": (0.8617, 0.5503, 0.02773, 0.0897, 0.001105, 0.3555, 0.8520),
    "OPG": (-0.6017, 1.5175, 0.08561, 0.3086, 0.006909, 0.8653, 2.6612),
}


@pytest.mark.parametrize("gene", sorted(OTHER_GENES))
def test_other_genes_simple_effect(dataset: pd.DataFrame, gene: str) -> None:
    ddcq, fc, p_paired, p_welch, p_rcbd, lo, hi = OTHER_GENES[gene]
    res = {
        m: factorial_contrasts(dataset, gene, FACTORS, "donor", control=CONTROL, method=m)
        .set_index("contrast")
        .loc[HT_HV]
        for m in CONTRAST_METHODS
    }
    assert res["paired"]["estimate_log2"] == pytest.approx(-ddcq, abs=1e-4)
    assert res["paired"]["fold_change"] == pytest.approx(fc, abs=1e-4)
    assert res["paired"]["p_value"] == pytest.approx(p_paired, rel=1e-3)
    assert res["welch"]["p_value"] == pytest.approx(p_welch, rel=1e-3)
    assert res["rcbd"]["p_value"] == pytest.approx(p_rcbd, rel=1e-3)
    assert res["paired"]["fc_ci_low"] == pytest.approx(lo, abs=1e-4)
    assert res["paired"]["fc_ci_high"] == pytest.approx(hi, abs=1e-4)


def test_t18_ratio_and_t20_family(dataset: pd.DataFrame) -> None:
    ratios = 2 ** dataset.set_index("sample")["RANKL_OPG"]
    assert ratios["D1-NV"] == pytest.approx(0.006615, abs=1e-6)
    assert ratios["D2-HV"] == pytest.approx(0.021344, abs=1e-6)
    paired = {
        g: factorial_contrasts(dataset, g, FACTORS, "donor", control=CONTROL, method="paired")
        .set_index("contrast")
        .loc[HT_HV]
        for g in [*GENES, "RANKL_OPG"]
    }
    r = paired["RANKL_OPG"]
    assert r["estimate_log2"] == pytest.approx(-1.4633, abs=1e-4)
    assert r["fold_change"] == pytest.approx(0.3627, abs=1e-4)
    assert r["p_value"] == pytest.approx(0.001574, abs=1e-6)
    raw = np.array([paired[g]["p_value"] for g in paired])
    np.testing.assert_allclose(
        adjust_pvalues(raw, "holm"), [0.01112, 0.08319, 0.08319, 0.08561, 0.007868], atol=1e-5
    )
    np.testing.assert_allclose(
        adjust_pvalues(raw, "bh"), [0.006953, 0.04626, 0.04622, 0.08561, 0.006953], atol=1e-5
    )


def test_donor_missing_in_a_cell(dataset: pd.DataFrame) -> None:
    d = dataset.drop(index=[11])  # D3-HT missing
    rcbd = factorial_contrasts(d, "BMP2", FACTORS, "donor", control=CONTROL).set_index("contrast")
    assert rcbd["note"].str.contains(r"block\(s\) \['D3'\] incomplete").all()
    assert (rcbd["test"] == "mixed model (REML, Satterthwaite df)").all()
    assert rcbd["n"].tolist() == [6, 5, 6, 5, 11]  # D3's three samples kept
    # lmerTest: HT vs HV 1.4585394, SE 0.16851128, df 5.0428879
    assert (rcbd.loc[HT_HV, ["estimate_log2", "se", "df"]].astype(float).tolist()
            == pytest.approx([1.4585394, 0.16851128, 5.0428879], rel=1e-6))  # fmt: skip
    paired = factorial_contrasts(
        d, "BMP2", FACTORS, "donor", control=CONTROL, method="paired"
    ).set_index("contrast")
    assert paired.loc[HT_HV, "n"] == 2
    assert "D3" in paired.loc[HT_HV, "note"]
    nv = paired.loc["treatment: tocilizumab vs vehicle | oxygen=normoxia"]
    assert nv["n"] == 3  # D3 still has both normoxia cells
    assert nv["note"] == ""
    # every donor with one sample per cell and no within-donor replication left: the block
    # cannot be separated from the error, so it is left out of the model
    one_each = dataset.drop_duplicates("donor").iloc[:2]
    lone = pd.concat([one_each, dataset[dataset["donor"] == "D3"]])
    c = factorial_contrasts(lone, "BMP2", FACTORS, "donor", control=CONTROL)
    assert (c["test"] == "pooled (no block)").all()
    assert c["note"].str.contains("unblocked").all()


def test_missing_cell_not_estimable(dataset: pd.DataFrame) -> None:
    d = dataset[~dataset["sample"].str.endswith("HT")]
    c = factorial_contrasts(d, "BMP2", FACTORS, "donor", control=CONTROL).set_index("contrast")
    assert np.isnan(c.loc[HT_HV, "p_value"])
    assert "not estimable" in c.loc[HT_HV, "note"]
    assert np.isnan(c.loc[INTERACTION, "estimate_log2"])
    nv = c.loc["treatment: tocilizumab vs vehicle | oxygen=normoxia"]
    assert np.isfinite(nv["p_value"])
    assert nv["df"] == 4  # 3 cells, 3 donors: (3 − 1)(3 − 1)


def test_single_factor_one_way_with_block(dataset: pd.DataFrame) -> None:
    import statsmodels.formula.api as smf

    d = dataset.assign(group=dataset["sample"].str[3:])
    c = factorial_contrasts(d, "BMP2", "group", "donor", control={"group": "NV"}).set_index(
        "contrast"
    )
    assert list(c.index) == ["group: NT vs NV", "group: HV vs NV", "group: HT vs NV"]
    fit = smf.ols("BMP2 ~ C(group, Treatment('NV')) + C(donor)", d).fit()
    for lvl in ["NT", "HV", "HT"]:
        name = f"C(group, Treatment('NV'))[T.{lvl}]"
        row = c.loc[f"group: {lvl} vs NV"]
        assert row["estimate_log2"] == pytest.approx(fit.params[name], rel=1e-9)
        assert row["se"] == pytest.approx(fit.bse[name], rel=1e-9)
        assert row["p_value"] == pytest.approx(fit.pvalues[name], rel=1e-9)
        assert row["df"] == 6
    a = by_term(factorial_anova(d, "BMP2", "group", block="donor"))
    assert a.loc["group", "df"] == 3


def test_three_by_two_matches_statsmodels_t_test() -> None:
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(7)
    rows = [
        {"dose": dose, "drug": drug, "donor": f"D{k}", "y": rng.normal() + k * 0.8}
        for dose in ["0", "low", "high"]
        for drug in ["veh", "tx"]
        for k in range(4)
    ]
    d = pd.DataFrame(rows)
    ctl = {"dose": "0", "drug": "veh"}
    c = factorial_contrasts(d, "y", ["dose", "drug"], "donor", control=ctl).set_index("contrast")
    assert "interaction dose × drug: (high vs 0) × (tx vs veh)" in c.index
    assert "dose: low vs 0 | drug=tx" in c.index
    assert len(c) == 4 + 3 + 2  # dose simple effects, drug simple effects, interactions
    d["cell"] = d["dose"] + "_" + d["drug"]
    fit = smf.ols("y ~ 0 + C(cell) + C(donor)", d).fit()
    tt = fit.t_test("C(cell)[high_tx] - C(cell)[0_tx] - C(cell)[high_veh] + C(cell)[0_veh] = 0")
    row = c.loc["interaction dose × drug: (high vs 0) × (tx vs veh)"]
    assert row["estimate_log2"] == pytest.approx(float(tt.effect[0]), rel=1e-9)
    assert row["se"] == pytest.approx(float(tt.sd[0, 0]), rel=1e-9)
    assert row["p_value"] == pytest.approx(float(tt.pvalue), rel=1e-9)
    assert row["df"] == (6 - 1) * (4 - 1)
    tt2 = fit.t_test("C(cell)[low_veh] - C(cell)[0_veh] = 0")
    row = c.loc["dose: low vs 0 | drug=veh"]
    assert row["p_value"] == pytest.approx(float(tt2.pvalue), rel=1e-9)
    lo, hi = tt2.conf_int()[0]
    assert row["ci_low"] == pytest.approx(lo, rel=1e-9)
    assert row["ci_high"] == pytest.approx(hi, rel=1e-9)


def test_single_level_factor_refused(dataset: pd.DataFrame) -> None:
    normoxia = dataset[dataset["oxygen"] == "normoxia"]
    with pytest.raises(DesignError, match="'oxygen' has 1 level"):
        factorial_contrasts(normoxia, "BMP2", FACTORS, "donor", control=CONTROL)
    with pytest.raises(DesignError, match="at least 2 levels"):
        factorial_anova(normoxia, "BMP2", FACTORS, "donor")
    one_way = factorial_contrasts(normoxia, "BMP2", "treatment", "donor", control=CONTROL)
    assert one_way["p_value"].iloc[0] == pytest.approx(
        sps.ttest_rel(normoxia["BMP2"].iloc[1::2], normoxia["BMP2"].iloc[::2]).pvalue, rel=1e-9
    )


def test_contrast_argument_errors(dataset: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="control level"):
        factorial_contrasts(dataset, "BMP2", FACTORS, "donor", control={"oxygen": "normoxia"})
    with pytest.raises(ConfigError, match="expected one of"):
        factorial_contrasts(
            dataset, "BMP2", FACTORS, "donor", control={**CONTROL, "oxygen": "anoxia"}
        )
    with pytest.raises(ConfigError, match="needs a block"):
        factorial_contrasts(dataset, "BMP2", FACTORS, control=CONTROL, method="paired")
    with pytest.raises(ConfigError, match="rcbd"):
        factorial_contrasts(dataset, "BMP2", FACTORS, control=CONTROL, method="mixed")


@settings(max_examples=20)
@given(
    st.lists(st.floats(-5, 5), min_size=3, max_size=3),
    st.floats(-10, 10),
    st.sampled_from(CONTRAST_METHODS),
)
def test_contrasts_invariant_to_donor_and_global_shift(
    methods_wide: pd.DataFrame, shifts: list[float], k: float, method: str
) -> None:
    d = methods_wide.reset_index()
    d["donor"] = d["sample"].str[:2]
    d["oxygen"] = d["sample"].str[3]
    d["treatment"] = d["sample"].str[4]
    d["y"] = -d["BMP2"]
    ctl = {"oxygen": "N", "treatment": "V"}
    base = factorial_contrasts(d, "y", FACTORS, "donor", control=ctl, method=method)
    moved = d.assign(
        y=d["y"] + k + d["donor"].map(dict(zip(["D1", "D2", "D3"], shifts, strict=True)))
    )
    other = factorial_contrasts(moved, "y", FACTORS, "donor", control=ctl, method=method)
    np.testing.assert_allclose(other["estimate_log2"], base["estimate_log2"], atol=1e-9)
    if method != "welch":  # Welch ignores the blocks, so donor shifts change its SE
        np.testing.assert_allclose(other["p_value"], base["p_value"], rtol=1e-6)
    assert (base["ci_low"] <= base["estimate_log2"]).all()
    assert (base["estimate_log2"] <= base["ci_high"]).all()


def test_t_tests_at_once_equal_each_on_its_own() -> None:
    """``two_group_tests`` evaluates the t distribution once for many cases; every p-value and
    interval equals, to the last bit, the scalar ``2 · t_sf(|t|, df)`` and ``_t_ci`` of the same
    case (300 random cases: Welch, Student and paired; some too small, some without spread)."""
    from qpcr.stats._common import _t_ci
    from qpcr.stats.dist import t_sf
    from qpcr.stats.tests import two_group_tests

    rng = np.random.default_rng(1406)
    for test in ("welch", "student"):
        cases = []
        for _ in range(150):
            n, m = int(rng.integers(1, 6)), int(rng.integers(1, 6))
            spread = 0.0 if rng.random() < 0.05 else rng.uniform(0.01, 2)
            control = np.round(rng.normal(-5, spread, n), 3)
            treated = np.round(rng.normal(-3, spread, m), 3)
            cases.append((control, treated, bool(rng.random() < 0.4) and len(treated) == n))
        alpha = float(rng.choice([0.05, 0.1, 0.01]))
        found = two_group_tests(cases, test=test, alpha=alpha)
        assert len(found) == len(cases)
        checked = 0
        for res in found:
            if not np.isfinite(res["statistic"]):
                assert np.isnan(res["p_value"])
                continue
            checked += 1
            assert res["p_value"] == 2 * t_sf(abs(res["statistic"]), res["df"])
            lo, hi = _t_ci(res["estimate"], res["se"], res["df"], alpha)
            assert (res["ci_low"], res["ci_high"]) == (lo, hi)
            assert all(type(res[k]) is float for k in ("p_value", "ci_low", "ci_high"))
        assert checked > 50


def test_moments_of_cases_at_once_equal_numpy_on_each_array() -> None:
    """``two_group_tests`` reduces the cases of equal sizes together; every mean and variance
    equals ``np.mean``/``np.var(ddof=1)`` of that case's own array to the last bit (sizes 0-300,
    past numpy's 8- and 128-element summation blocks), and each t test's estimate, SE and df
    equal the one-case formulas on them."""
    import math

    from qpcr.stats.tests import _moments, two_group_tests

    rng = np.random.default_rng(1407)
    sizes = [*range(0, 12), 17, 130, 300]
    cases = []
    for _ in range(400):
        n, m = int(rng.choice(sizes)), int(rng.choice(sizes))
        paired = bool(rng.random() < 0.4)
        m = n if paired else m
        scale = 10.0 ** rng.integers(-3, 3)
        cases.append((rng.normal(-5, scale, n), rng.normal(-3, scale, m), paired))
    for (c, t, paired), got in zip(cases, _moments(cases), strict=True):
        expected = [math.nan] * 5
        if c.size and t.size:
            expected[:2] = np.mean(c), np.mean(t)
        if c.size > 1 and t.size > 1:
            expected[2:4] = np.var(c, ddof=1), np.var(t, ddof=1)
            expected[4] = np.var(t - c, ddof=1) if paired else math.nan
        assert [float(v).hex() for v in got] == [float(v).hex() for v in expected]
    for test in ("welch", "student"):
        for (c, t, paired), res in zip(cases, two_group_tests(cases, test=test), strict=True):
            if not np.isfinite(res["se"]) or res["se"] == 0:
                continue
            if paired:
                se, df = np.std(t - c, ddof=1) / math.sqrt(c.size), c.size - 1
            elif test == "welch":
                vt, vc = np.var(t, ddof=1) / t.size, np.var(c, ddof=1) / c.size
                se, df = math.sqrt(vt + vc), (vt + vc) ** 2 / (vt**2 / (t.size - 1)
                                                             + vc**2 / (c.size - 1))  # fmt: skip
            else:
                df = t.size + c.size - 2
                sp2 = ((t.size - 1) * np.var(t, ddof=1) + (c.size - 1) * np.var(c, ddof=1)) / df
                se = math.sqrt(sp2 * (1 / t.size + 1 / c.size))
            assert res["estimate"] == float(np.mean(t) - np.mean(c))
            assert (res["se"], res["df"]) == (float(se), float(df))
