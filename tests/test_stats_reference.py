"""qpcr.stats against published analyses: Yuan et al. 2006 and the REST 2008 manual example.

Fixtures and the published numbers: tests/data/reference/{yuan2006,rest2008}/PROVENANCE.md.
"""

from __future__ import annotations

import math
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from qpcr.stats import permutation_test, two_group_test

REF = Path(__file__).parent / "data" / "reference"


@pytest.fixture
def yuan() -> tuple[np.ndarray, np.ndarray]:
    """y = −ΔCt = −(Ct_MT7 − Ct_ubiquitin) per row: control (rows 1-12), treatment (13-24)."""
    d = pd.read_csv(REF / "yuan2006" / "ct4.csv")
    y = -(d["target"] - d["ref"]).to_numpy()
    return y[:12], y[12:]


def test_yuan_t_test(yuan: tuple[np.ndarray, np.ndarray]) -> None:
    """Published t-test: ΔΔCt −0.6848, p < 0.0001, 95 % CI (−0.955, −0.4147)."""
    control, treated = yuan
    r = two_group_test(control, treated, test="student")
    assert -r["estimate"] == pytest.approx(-0.6848, abs=1e-4)
    assert r["p_value"] < 1e-4
    assert -r["ci_high"] == pytest.approx(-0.955, abs=1e-3)
    assert -r["ci_low"] == pytest.approx(-0.4147, abs=1e-4)
    # the default Welch test gives the same estimate and a slightly wider interval
    w = two_group_test(control, treated)
    assert w["estimate"] == pytest.approx(r["estimate"], abs=1e-12)
    assert w["p_value"] < 1e-4
    assert w["ci_high"] - w["ci_low"] > r["ci_high"] - r["ci_low"]


def test_yuan_wilcoxon(yuan: tuple[np.ndarray, np.ndarray]) -> None:
    """Published Wilcoxon: shift −0.6354, p < 0.0001, 95 % CI (−0.4227, −0.8805)."""
    control, treated = yuan
    r = two_group_test(control, treated, test="mann-whitney")
    assert r["test"] == "mann-whitney (Hodges-Lehmann)"
    assert -r["hodges_lehmann"] == pytest.approx(-0.6354, abs=1e-4)
    assert -r["ci_high"] == pytest.approx(-0.8805, abs=1e-4)
    assert -r["ci_low"] == pytest.approx(-0.4227, abs=1e-4)
    assert r["p_value"] < 1e-4
    # the estimate is the shift its interval belongs to, not the mean difference 0.684825
    assert r["estimate"] == r["hodges_lehmann"]
    ref = sps.mannwhitneyu(treated, control, method="exact")
    assert r["statistic"] == ref.statistic
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)


def test_wilcoxon_signed_rank_interval_by_brute_force() -> None:
    """Paired rank interval: Walsh averages and exact signed-rank quantile (R wilcox.test)."""
    d = np.array([0.8, 1.3, -0.2, 1.9, 0.5, 1.1, 0.35, 2.4])
    r = two_group_test(np.zeros(8), d, paired=True, test="mann-whitney")
    assert r["test"] == "wilcoxon signed-rank (Hodges-Lehmann)"
    walsh = np.sort([(d[i] + d[j]) / 2 for i in range(8) for j in range(i, 8)])
    assert r["hodges_lehmann"] == pytest.approx(np.median(walsh))
    # exact null of V by enumerating all 2**8 sign patterns; qsignrank(0.025, 8) = 4
    ranks = np.arange(1, 9)
    v = np.array([ranks[[(k >> i) & 1 == 1 for i in range(8)]].sum() for k in range(256)])
    qu = int(np.argmax(np.cumsum(np.bincount(v)) / 256 >= 0.025))
    assert qu == 4
    assert r["ci_low"] == pytest.approx(walsh[qu - 1])
    assert r["ci_high"] == pytest.approx(walsh[walsh.size - qu])
    assert r["p_value"] == pytest.approx(sps.wilcoxon(d).pvalue)


@pytest.fixture
def rest() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Per replicate y = log2 E_ref·Cq_ref − log2 E_tar·Cq_tar (REF, TAR reallocated together)."""
    d = pd.read_csv(REF / "rest2008" / "rest_example_cq.csv")
    w = d.pivot_table(index=["condition", "replicate"], columns="gene", values="cq")
    y = w["REF"] * math.log2(1.97) - w["TAR"] * math.log2(2.01)
    return y["control"].to_numpy(), y["sample"].to_numpy(), d


def test_rest_ratio_matches_pfaffl_formula(rest: tuple[np.ndarray, np.ndarray, pd.DataFrame]):
    """REST ratio = E_tar^ΔCP_tar / E_ref^ΔCP_ref, ΔCP = mean control − mean sample."""
    control, treated, d = rest
    m = d.groupby(["gene", "condition"])["cq"].mean()
    assert m["TAR", "control"] - m["TAR", "sample"] == pytest.approx(2.8475, abs=1e-9)
    assert m["REF", "control"] - m["REF", "sample"] == pytest.approx(0.3075, abs=1e-9)
    # hand computation: 2.01**2.8475 = 7.300469, 1.97**0.3075 = 1.231823, ratio 5.926556
    r = permutation_test(control, treated, n_resamples=50000)
    assert 2 ** r["estimate"] == pytest.approx(5.926556, abs=1e-6)
    assert r["ci_low"] < r["estimate"] < r["ci_high"]


def test_rest_randomisation_exact(rest: tuple[np.ndarray, np.ndarray, pd.DataFrame]) -> None:
    control, treated, _ = rest
    r = permutation_test(control, treated, n_resamples=50000)
    assert "exact" in r["note"]
    pooled = np.concatenate([control, treated])
    obs = treated.mean() - control.mean()
    hits = 0
    for idx in combinations(range(18), 8):  # independent enumeration of C(18, 8) = 43758
        c = pooled[list(idx)]
        hits += abs((pooled.sum() - c.sum()) / 10 - c.mean()) >= abs(obs) - 1e-9
    assert hits == 1  # only the observed allocation is as extreme: REST reports P(H1) = 0.000
    assert r["p_value"] == pytest.approx(hits / math.comb(18, 8))
    # random reallocation (REST's default): p = (0 + 1)/(n + 1) at best
    rnd = permutation_test(control, treated, n_resamples=2000, seed=3)
    assert "random" in rnd["note"]
    assert rnd["p_value"] == pytest.approx(1 / 2001)
    # the inverted-test interval is close to Welch's t interval on these well-behaved data
    welch = two_group_test(control, treated)
    assert r["ci_low"] == pytest.approx(welch["ci_low"], abs=0.03)
    assert r["ci_high"] == pytest.approx(welch["ci_high"], abs=0.03)
    assert 2 ** r["ci_low"] == pytest.approx(4.548, abs=1e-3)
    assert 2 ** r["ci_high"] == pytest.approx(7.716, abs=1e-3)
    assert rnd["ci_low"] == pytest.approx(r["ci_low"], abs=0.05)


def test_permutation_random_matches_exact_on_moderate_data() -> None:
    rng = np.random.default_rng(11)
    c, t = rng.normal(0, 1, 6), rng.normal(0.8, 1, 7)  # C(13, 6) = 1716 reallocations
    exact = permutation_test(c, t, n_resamples=5000)
    approx = permutation_test(c, t, n_resamples=20000, seed=5)
    assert "exact" in exact["note"]
    se = math.sqrt(exact["p_value"] * (1 - exact["p_value"]) / 20000)
    assert abs(approx["p_value"] - exact["p_value"]) < 4 * se + 1e-4
    paired = permutation_test(c[:6], t[:6], paired=True)  # 2**6 sign patterns
    d = t[:6] - c[:6]
    flips = np.array([[(-1) ** ((k >> i) & 1) for i in range(6)] for k in range(64)])
    expected = np.mean(np.abs((flips * d).mean(axis=1)) >= abs(d.mean()) - 1e-12)
    assert paired["p_value"] == pytest.approx(expected)


@pytest.mark.parametrize("paired", [False, True])
def test_permutation_ci_is_the_inverted_test(paired: bool) -> None:
    """Just inside the CI the shifted test is not rejected; just outside it is."""
    rng = np.random.default_rng(4)
    c, t = rng.normal(0, 1, 7), rng.normal(1, 1, 7)
    r = permutation_test(c, t, paired=paired, n_resamples=5000)
    assert "exact" in r["note"]
    for end, sign in ((r["ci_low"], 1), (r["ci_high"], -1)):
        inside = permutation_test(c, t - (end + sign * 1e-6), paired=paired, n_resamples=5000)
        outside = permutation_test(c, t - (end - sign * 1e-6), paired=paired, n_resamples=5000)
        assert inside["p_value"] > 0.05
        assert outside["p_value"] <= 0.05


def test_permutation_ci_unbounded_when_too_few_reallocations() -> None:
    r = permutation_test([-5.0, -5.3, -4.8], [-2.8, -3.1, -2.5])
    assert r["p_value"] == pytest.approx(0.1)
    assert r["ci_low"] == -math.inf
    assert r["ci_high"] == math.inf
    assert "unbounded" in r["note"]


def test_yuan_wilcoxon_fold_change_table(yuan: tuple[np.ndarray, np.ndarray]) -> None:
    """With test = mann-whitney the fold-change table prints 2^(Hodges-Lehmann shift) with the
    shift's interval (Yuan: shift 0.6354 on −ΔCt, CI 0.4227-0.8805), and says so."""
    from qpcr.groups import compare_groups

    control, treated = yuan
    values = pd.DataFrame({"target": "MT7", "sample": [f"s{i}" for i in range(24)],
                           "group": ["control"] * 12 + ["treated"] * 12,
                           "log2_rq": np.concatenate([control, treated])})  # fmt: skip
    row = compare_groups(values, value="log2_rq", item="target", factors=["group"],
                         control={"group": "control"}, test="mann-whitney").iloc[0]  # fmt: skip
    assert row["test"] == "mann-whitney (Hodges-Lehmann)"
    assert row["log2_fold_change"] == pytest.approx(0.6354, abs=1e-4)
    assert row["fold_change"] == pytest.approx(2**0.6354, abs=1e-4)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((2**0.4227, 2**0.8805), abs=1e-4)
    assert "Hodges-Lehmann" in row["note"]
    assert np.isnan(row["se"])


def test_rank_interval_is_asymptotic_with_ties() -> None:
    """Ties: R's wilcox.test(exact = FALSE, conf.int = TRUE) gives the shift 2 and the interval
    [0, 5] (to its root finder's 1e-4) for these groups."""
    r = two_group_test([1.0, 2.0, 2.0, 3.5, 4.0, 5.0], [3.0, 4.0, 4.0, 6.0, 7.0, 8.5],
                       test="mann-whitney")  # fmt: skip
    assert (r["estimate"], r["ci_low"], r["ci_high"]) == (2.0, 0.0, 5.0)
    assert "asymptotic interval" in r["note"]
    ref = sps.mannwhitneyu([3.0, 4.0, 4.0, 6.0, 7.0, 8.5], [1.0, 2.0, 2.0, 3.5, 4.0, 5.0])
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)


def test_rank_intervals_with_ties_and_n_over_50_match_r() -> None:
    """60 against 55 values with ties (rounded to 0.1): R 4.2 ``wilcox.test(b, a, conf.int =
    TRUE)`` gives [0.2000602, 0.8000978] and, paired on the first 55,
    [0.1500322, 0.8499233] (its root finder lands within 1e-4 of the order statistics)."""
    rng = np.random.default_rng(1)
    a, b = np.round(rng.normal(0, 1, 60), 1), np.round(rng.normal(0.5, 1, 55), 1)
    r = two_group_test(a, b, test="mann-whitney")
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.2000602, 0.8000978), abs=2e-4)
    assert r["estimate"] == pytest.approx(0.5, abs=1e-12)
    p = two_group_test(a[:55], b, test="mann-whitney", paired=True)
    assert (p["ci_low"], p["ci_high"]) == pytest.approx((0.1500322, 0.8499233), abs=2e-4)
    assert "asymptotic interval" in p["note"]
