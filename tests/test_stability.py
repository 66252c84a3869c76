"""Reference-gene stability: methods.md §4 (T25-T27) and the published data sets."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from qpcr.errors import ConfigError, DesignError, InputError
from qpcr.stability import (
    HYPOXIA_RESPONSIVE,
    HYPOXIA_SOFT,
    best_pair,
    bestkeeper,
    genorm,
    normfinder,
    reference_gene_warnings,
    stability_table,
)

REF = Path(__file__).parent / "data" / "reference"

CANDIDATES = ["REF_A", "REF_B", "REF_C", "GAPDH"]


@pytest.fixture(scope="module")
def dataset(methods_wide: pd.DataFrame) -> pd.DataFrame:
    return methods_wide


@pytest.fixture(scope="module")
def cq(dataset: pd.DataFrame) -> pd.DataFrame:
    return dataset[CANDIDATES]


@pytest.fixture(scope="module")
def oxygen(cq: pd.DataFrame) -> list[str]:
    return ["hypoxia" if "-H" in s else "normoxia" for s in cq.index]


def _vandesompele(tissue: str) -> pd.DataFrame:
    data = pd.read_csv(REF / "genorm" / "vandesompele2002_geNorm_data.csv", index_col="sample")
    return -np.log2(data.loc[data["tissue"] == tissue].drop(columns="tissue"))


def _andersen(name: str) -> tuple[pd.DataFrame, pd.Series]:
    data = pd.read_csv(REF / "normfinder" / f"andersen2004_{name}.csv", index_col="sample")
    return -np.log2(data.drop(columns="group")), data["group"]


def _brute_force_m(cq: pd.DataFrame, eff: dict[str, float]) -> dict[str, float]:
    """geNorm M written literally from methods.md §4.1 steps 1-3 (loops, relative quantities)."""
    a = {g: eff.get(g, 2.0) ** (cq[g].min() - cq[g]) for g in cq.columns}
    genes = list(cq.columns)
    out = {}
    for j in genes:
        v = [np.std(np.log2(a[j] / a[k]), ddof=1) for k in genes if k != j]
        out[j] = sum(v) / (len(genes) - 1)
    return out


# ------------------------------------------------------------------------------ geNorm


def test_t25_genorm_rounds(cq: pd.DataFrame) -> None:
    res = genorm(cq)
    expected_round1 = {"REF_A": 0.3241, "REF_B": 0.3416, "REF_C": 0.4852, "GAPDH": 0.5240}
    for gene, m in expected_round1.items():
        assert res.m[gene] == pytest.approx(m, abs=1e-4)
    assert res.m_steps.loc[2, ["REF_A", "REF_B", "REF_C"]].tolist() == pytest.approx(
        [0.2642, 0.2861, 0.3901], abs=1e-4
    )
    assert np.isnan(res.m_steps.loc[2, "GAPDH"])
    assert res.m_steps.loc[3, ["REF_A", "REF_B"]].tolist() == pytest.approx([0.1602] * 2, abs=1e-4)
    assert res.steps["excluded_gene"].iloc[:2].tolist() == ["GAPDH", "REF_C"]
    assert res.steps["genes_left"].tolist() == [4, 3, 2]
    assert res.steps["mean_m"].tolist() == pytest.approx([0.4187, 0.3135, 0.1602], abs=1e-4)
    assert res.pairwise_sd.loc["REF_A", "GAPDH"] == pytest.approx(0.4440, abs=1e-4)


def test_t25_pairwise_variation_and_recommendation(cq: pd.DataFrame) -> None:
    res = genorm(cq)
    assert res.pairwise["n"].tolist() == [2, 3]
    assert res.pairwise["v"].tolist() == pytest.approx([0.1275, 0.1248], abs=1e-4)
    assert res.n_recommended == 2
    assert res.recommended == ["REF_A", "REF_B"]
    assert set(res.best_pair) == {"REF_A", "REF_B"}
    assert res.ranking["rank"].tolist() == [1, 1, 3, 4]
    assert res.ranking["target"].tolist()[2:] == ["REF_C", "GAPDH"]
    # the cutoff is configurable: 0.1275 > 0.125 > 0.1248
    assert genorm(cq, cutoff=0.125).n_recommended == 3
    assert genorm(cq, cutoff=0.1).n_recommended is None
    assert genorm(cq, cutoff=0.1).recommended == res.order


def test_genorm_matches_literal_definition_with_efficiencies(cq: pd.DataFrame) -> None:
    eff = {"REF_A": 1.93, "GAPDH": 2.05, "REF_C": 1.88}
    res = genorm(cq, eff)
    expected = _brute_force_m(cq, eff)
    assert res.m.to_dict() == pytest.approx(expected, abs=1e-12)
    assert res.m["REF_A"] != pytest.approx(genorm(cq).m["REF_A"], abs=1e-3)


def test_pairwise_v_against_geometric_mean_of_quantities(cq: pd.DataFrame) -> None:
    # NF_n = geometric mean of relative quantities a = 2^(min Cq - Cq) of the n best genes
    a = 2.0 ** (cq.min() - cq)
    nf2 = np.exp(np.log(a[["REF_A", "REF_B"]]).mean(axis=1))
    nf3 = np.exp(np.log(a[["REF_A", "REF_B", "REF_C"]]).mean(axis=1))
    v23 = np.std(np.log2(nf2 / nf3), ddof=1)
    assert genorm(cq).pairwise["v"].iloc[0] == pytest.approx(v23, abs=1e-12)


def test_vandesompele_fibroblasts_same_m_on_ct_and_quantity_scale() -> None:
    ct = pd.read_csv(REF / "genorm" / "fibroblast_ct_scale_ctrlGene.csv", index_col="sample")
    from_ct = genorm(ct)
    from_quantities = genorm(_vandesompele("FIB"))
    assert from_ct.m.to_dict() == pytest.approx(from_quantities.m.to_dict(), abs=1e-6)
    assert from_ct.order == from_quantities.order


def test_vandesompele_2002_figure3_number_of_genes() -> None:
    # Vandesompele 2002, Figure 3 legend: no need for more than three genes in fibroblasts and
    # four in neuroblastoma; the normal pooled tissues need at least a fourth gene.
    fib = genorm(_vandesompele("FIB")).pairwise.set_index("n")["v"]
    nb = genorm(_vandesompele("NB"))
    pool = genorm(_vandesompele("POOL")).pairwise.set_index("n")["v"]
    assert fib[3] < 0.15
    assert nb.n_recommended == 4
    assert nb.pairwise.set_index("n")["v"][3] > 0.15
    assert pool[2] > 0.15
    assert pool[3] > 0.15


def test_vandesompele_tissues_stepwise_mean_m_decreases() -> None:
    for tissue in ("BM", "POOL", "FIB", "LEU", "NB"):
        res = genorm(_vandesompele(tissue))
        assert res.steps["genes_left"].tolist() == list(range(10, 1, -1))
        assert np.all(np.diff(res.steps["mean_m"]) < 0), tissue
        assert sorted(res.order) == sorted(res.m.index)


@given(
    arrays(float, (8, 4), elements=st.floats(15, 35)),
    arrays(float, 4, elements=st.floats(-5, 5)),
    arrays(float, 8, elements=st.floats(-3, 3)),
)
def test_genorm_invariant_to_gene_and_sample_offsets(
    values: np.ndarray, gene_shift: np.ndarray, sample_shift: np.ndarray
) -> None:
    genes = ["G1", "G2", "G3", "G4"]
    base = pd.DataFrame(values, columns=genes)
    shifted = base + gene_shift + sample_shift[:, None]
    a, b = genorm(base), genorm(shifted)
    assert b.m.to_numpy() == pytest.approx(a.m.to_numpy(), abs=1e-7)
    assert b.pairwise["v"].to_numpy() == pytest.approx(a.pairwise["v"].to_numpy(), abs=1e-7)
    assert a.m.min() >= 0


def test_best_pair_function(cq: pd.DataFrame) -> None:
    assert set(best_pair(cq)) == {"REF_A", "REF_B"}
    assert best_pair(cq[["REF_C", "GAPDH"]]) == ("REF_C", "GAPDH")


# ------------------------------------------------------------------------------ NormFinder


def test_t26_normfinder(cq: pd.DataFrame, oxygen: list[str]) -> None:
    res = normfinder(cq, oxygen)
    assert res.grouped
    assert res.gamma2 == pytest.approx(0.10985, abs=1e-3)
    expected = {"REF_A": 0.1076, "REF_B": 0.1457, "REF_C": 0.3779, "GAPDH": 0.3940}
    assert res.stability.to_dict() == pytest.approx(expected, abs=1e-3)
    assert list(res.d.columns) == ["hypoxia", "normoxia"]
    assert res.d.loc["GAPDH"].tolist() == pytest.approx([0.3446, -0.3446], abs=1e-3)
    assert set(res.best_pair) == {"REF_A", "REF_B"}
    assert res.best_pair_stability == pytest.approx(0.1342, abs=1e-3)
    second = res.pairs.iloc[1]
    assert {second["gene1"], second["gene2"]} == {"REF_C", "GAPDH"}
    assert second["stability"] == pytest.approx(0.2078, abs=1e-3)
    # REF_C (d -0.22 in hypoxia) and GAPDH (+0.34) cancel: flagged; REF_A + REF_B do not
    assert res.pairs["compensating"].tolist()[:2] == [False, True]


def test_normfinder_group_labels_from_series_follow_the_index(
    cq: pd.DataFrame, oxygen: list[str]
) -> None:
    labels = pd.Series(oxygen, index=cq.index)[::-1]
    assert normfinder(cq, labels).stability.to_dict() == pytest.approx(
        normfinder(cq, oxygen).stability.to_dict(), abs=1e-12
    )


def test_andersen_2004_published_rankings() -> None:
    # Andersen 2004 abstract: the genes suited for normalisation are UBC, GAPD and TPT1 (colon)
    # and HSPCB, TEGT and ATP5B (bladder); Figure 1: best bladder pair HSPCB + RPS13.
    colon, colon_groups = _andersen("colon")
    res = normfinder(colon, colon_groups)
    assert list(res.stability.sort_values().index[:3]) == ["UBC", "GAPD", "TPT1"]
    assert res.d.shape == (13, 4)
    bladder, grade = _andersen("bladder")
    res = normfinder(bladder, grade)
    assert list(res.stability.sort_values().index[:3]) == ["HSPCB", "TEGT", "ATP5B"]
    assert set(res.best_pair) == {"HSPCB", "RPS13"}


def test_normfinder_matches_literal_definition_on_colon() -> None:
    colon, groups = _andersen("colon")
    res = normfinder(colon, groups)
    y = -colon.to_numpy()
    k = y.shape[1]
    levels = sorted(groups.unique())
    s2 = np.zeros((k, len(levels)))
    mean = np.zeros((k, len(levels)))
    n = np.zeros(len(levels))
    for g, level in enumerate(levels):
        z = y[(groups == level).to_numpy()]
        n[g] = len(z)
        mean[:, g] = z.mean(axis=0)
        for i in range(k):
            r = z[:, i] - z[:, i].mean() - z.mean(axis=1) + z.mean()
            s2[i, g] = (r**2).sum() / (len(z) - 1)
        s2[:, g] = (s2[:, g] - s2[:, g].sum() / (k * k - k)) / (1 - 2 / k)
    assert (s2 > 0).all()
    d = np.zeros_like(mean)
    for i in range(k):
        for g in range(len(levels)):
            d[i, g] = mean[i, g] - mean[i].mean() - mean[:, g].mean() + mean.mean()
    gamma2 = (d**2).sum() / ((len(levels) - 1) * (k - 1)) - (s2 / n).sum() / (k * len(levels))
    assert res.gamma2 == pytest.approx(gamma2, abs=1e-12)
    rho = []
    for i in range(k):
        terms = []
        for g in range(len(levels)):
            v = s2[i, g] / n[g]
            terms.append(
                abs(d[i, g] * gamma2 / (gamma2 + v)) + np.sqrt(v + gamma2 * v / (gamma2 + v))
            )
        rho.append(np.mean(terms))
    assert res.stability.to_numpy() == pytest.approx(rho, abs=1e-12)
    assert res.sigma2.to_numpy() == pytest.approx(s2, abs=1e-12)


def test_normfinder_pairs_restricted_to_stable_candidates() -> None:
    colon, groups = _andersen("colon")
    res = normfinder(colon, groups)
    rho = res.stability
    pool = set(rho[rho < 0.25].index) | set(rho.sort_values().index[:4])
    assert set(res.pairs["gene1"]) | set(res.pairs["gene2"]) <= pool
    assert len(res.pairs) == len(list(combinations(pool, 2)))
    assert res.pairs["stability"].is_monotonic_increasing


def test_normfinder_without_groups(cq: pd.DataFrame) -> None:
    res = normfinder(cq)
    assert not res.grouped
    assert np.isnan(res.gamma2)
    y = -cq.to_numpy()
    n, k = y.shape
    r = y - y.mean(axis=0) - y.mean(axis=1, keepdims=True) + y.mean()
    a = (r**2).sum(axis=0) / (n - 1)
    s2 = (a - a.sum() / (k * k - k)) / (1 - 2 / k)
    assert s2[0] < 0  # REF_A: replaced by min_j Var(y_A - y_j) / 4
    s2[0] = min(np.var(y[:, 0] - y[:, j], ddof=1) for j in (1, 2, 3)) / 4
    assert res.stability.to_numpy() == pytest.approx(np.sqrt(s2), abs=1e-12)
    assert res.stability.to_dict() == pytest.approx(
        {"REF_A": 0.0801, "REF_B": 0.0436, "REF_C": 0.4273, "GAPDH": 0.4805}, abs=1e-4
    )
    one_group = normfinder(cq, ["all"] * len(cq))
    assert one_group.stability.to_dict() == pytest.approx(res.stability.to_dict(), abs=1e-12)
    # pair (REF_A, REF_B) = σ of their average among REF_C, GAPDH and the average
    merged = np.column_stack([y[:, 2], y[:, 3], y[:, :2].mean(axis=1)])
    rm = merged - merged.mean(axis=0) - merged.mean(axis=1, keepdims=True) + merged.mean()
    am = (rm**2).sum(axis=0) / (n - 1)
    s2m = (am - am.sum() / 6) / (1 - 2 / 3)
    if s2m[-1] < 0:
        s2m[-1] = min(np.var(merged[:, 2] - merged[:, j], ddof=1) for j in (0, 1)) / 4
    row = res.pairs[(res.pairs["gene1"] == "REF_A") & (res.pairs["gene2"] == "REF_B")]
    assert row["stability"].item() == pytest.approx(np.sqrt(s2m[-1]), abs=1e-12)


def test_normfinder_negative_variance_replaced() -> None:
    # three genes, one much noisier: the bias correction drives the others' σ² below zero
    rng = np.random.default_rng(7)
    y = np.column_stack([rng.normal(0, 0.01, 10), rng.normal(0, 0.01, 10), rng.normal(0, 1.0, 10)])
    cq = pd.DataFrame(-y, columns=["A", "B", "C"])
    res = normfinder(cq)
    n, k = y.shape
    r = y - y.mean(axis=0) - y.mean(axis=1, keepdims=True) + y.mean()
    a = (r**2).sum(axis=0) / (n - 1)
    raw = (a - a.sum() / (k * k - k)) / (1 - 2 / k)
    assert (raw < 0).any()
    for i in np.flatnonzero(raw < 0):
        floor = min(np.var(y[:, i] - y[:, j], ddof=1) for j in range(k) if j != i) / 4
        assert res.stability.iloc[i] == pytest.approx(np.sqrt(floor), abs=1e-12)
    assert res.pairs.empty  # no pair without groups for 3 genes
    with pytest.raises(DesignError, match="at least 4 genes"):
        _ = res.best_pair


@given(
    arrays(float, (8, 4), elements=st.floats(15, 35)),
    arrays(float, 4, elements=st.floats(-5, 5)),
    arrays(float, 8, elements=st.floats(-3, 3)),
)
def test_normfinder_invariant_to_offsets(
    values: np.ndarray, gene_shift: np.ndarray, sample_shift: np.ndarray
) -> None:
    # fixed noise keeps within-group variances away from 0, where ρ is discontinuous
    groups = ["a"] * 4 + ["b"] * 4
    noise = np.random.default_rng(1).normal(0, 0.3, values.shape)
    base = pd.DataFrame(values + noise, columns=["G1", "G2", "G3", "G4"])
    shifted = base + gene_shift + sample_shift[:, None]
    a, b = normfinder(base, groups), normfinder(shifted, groups)
    assert b.stability.to_numpy() == pytest.approx(a.stability.to_numpy(), abs=1e-6)
    assert b.gamma2 >= 0


# ------------------------------------------------------------------------------ BestKeeper


def test_t27_bestkeeper(cq: pd.DataFrame) -> None:
    res = bestkeeper(cq)
    expected = {
        "REF_A": (24.114, 24.118, 0.355, 1.470, 0.9439),
        "REF_B": (27.622, 27.624, 0.283, 1.026, 0.9015),
        "REF_C": (21.038, 21.045, 0.477, 2.265, 0.8048),
        "GAPDH": (17.672, 17.680, 0.412, 2.328, 0.7706),
    }
    for gene, (gm, am, sd, cv, r) in expected.items():
        row = res.loc[gene]
        assert row[["gm", "am", "sd", "cv"]].tolist() == pytest.approx([gm, am, sd, cv], abs=1e-3)
        assert row["r"] == pytest.approx(r, abs=1e-4)
    assert (res["sd"] < 1).all()
    assert res.loc["REF_A", "min"] == 23.45
    assert res.loc["REF_A", "max"] == 24.71
    three = bestkeeper(cq, index_genes=["REF_A", "REF_B", "REF_C"])
    assert three["r"].tolist() == pytest.approx([0.9440, 0.9103, 0.9365, 0.4826], abs=1e-4)
    assert three.loc["GAPDH", "p"] == pytest.approx(0.112, abs=1e-3)


def test_bestkeeper_against_numpy(cq: pd.DataFrame) -> None:
    res = bestkeeper(cq)
    x = cq.to_numpy()
    index = np.prod(x, axis=1) ** (1 / x.shape[1])
    for j, gene in enumerate(cq.columns):
        assert res.loc[gene, "r"] == pytest.approx(np.corrcoef(x[:, j], index)[0, 1], abs=1e-12)
        avedev = np.abs(x[:, j] - x[:, j].mean()).mean()
        assert res.loc[gene, "sd"] == pytest.approx(avedev, abs=1e-12)


# ------------------------------------------------------------------------------ table


def test_stability_table(cq: pd.DataFrame, oxygen: list[str]) -> None:
    table, steps = stability_table(cq, oxygen)
    assert table["target"].tolist() == ["REF_A", "REF_B", "REF_C", "GAPDH"]
    assert table["rank"].tolist() == [1, 2, 3, 4]
    assert table["genorm_rank"].tolist() == [1, 1, 3, 4]
    assert table["genorm_m"].tolist() == pytest.approx([0.3241, 0.3416, 0.4852, 0.5240], abs=1e-4)
    assert table["normfinder_stability"].tolist() == pytest.approx(
        [0.1076, 0.1457, 0.3779, 0.3940], abs=1e-3
    )
    assert table["bestkeeper_sd"].tolist() == pytest.approx([0.355, 0.283, 0.477, 0.412], abs=1e-3)
    assert table["bestkeeper_r"].tolist() == pytest.approx(
        [0.9439, 0.9015, 0.8048, 0.7706], abs=1e-4
    )
    assert table["recommended"].tolist() == [True, True, False, False]
    assert steps["mean_m"].tolist() == pytest.approx([0.4187, 0.3135, 0.1602], abs=1e-4)
    assert steps["pairwise"].tolist()[:2] == ["V3/4", "V2/3"]
    assert steps["v"].tolist()[:2] == pytest.approx([0.1248, 0.1275], abs=1e-4)
    assert np.isnan(steps["v"].iloc[2])


def test_stability_table_tie_broken_by_normfinder(cq: pd.DataFrame, oxygen: list[str]) -> None:
    # columns in the opposite order: geNorm still ties REF_A/REF_B, NormFinder puts REF_A first
    table, _ = stability_table(cq[CANDIDATES[::-1]], oxygen)
    assert table["target"].tolist()[:2] == ["REF_A", "REF_B"]


# ------------------------------------------------------------------------------ warnings


def _long(dataset: pd.DataFrame) -> pd.DataFrame:
    long = dataset.reset_index().melt(id_vars="sample", var_name="target", value_name="cq_mean")
    long["oxygen"] = np.where(long["sample"].str.contains("-H"), "hypoxia", "normoxia")
    long["drug"] = np.where(long["sample"].str.endswith("T"), "tocilizumab", "vehicle")
    return long


FACTORS = {"oxygen": ["normoxia", "hypoxia"], "drug": ["vehicle", "tocilizumab"]}


def test_gapdh_reference_in_hypoxia_design(dataset: pd.DataFrame) -> None:
    out = reference_gene_warnings(_long(dataset), ["GAPDH", "REF_A"], FACTORS)
    rules = {(w["rule"], w["target"]) for w in out}
    assert ("hypoxia_responsive", "GAPDH") in rules
    assert ("reference_depends_on_factor", "GAPDH") in rules
    assert not any(w["target"] == "REF_A" for w in out)
    assert all(w["severity"] == "warning" for w in out)
    dep = next(w for w in out if w["rule"] == "reference_depends_on_factor")
    assert "oxygen" in dep["message"]
    assert "REF_A" in dep["message"]
    assert "GAPDH" not in dep["message"].split("candidates that did not vary:")[1]


def test_factor_dependence_p_value_matches_statsmodels_anova(dataset: pd.DataFrame) -> None:
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    long = _long(dataset)
    gapdh = long[long["target"] == "GAPDH"]
    fit = smf.ols("cq_mean ~ C(oxygen) + C(drug)", data=gapdh).fit()
    p = anova_lm(fit, typ=2).loc["C(oxygen)", "PR(>F)"]
    means = gapdh.groupby("oxygen")["cq_mean"].mean()
    effect = means["normoxia"] - means["hypoxia"]
    out = reference_gene_warnings(long, ["GAPDH"], FACTORS)
    dep = next(w for w in out if w["rule"] == "reference_depends_on_factor")
    assert f"{effect:.2f} cycles" in dep["message"]
    assert f"p = {p:.3g}" in dep["message"]
    assert effect > 0.5


def test_soft_and_no_oxygen_factor(dataset: pd.DataFrame) -> None:
    long = _long(dataset)
    long["target"] = long["target"].replace({"REF_B": "ACTB", "REF_C": "18S rRNA"})
    out = reference_gene_warnings(long, ["ACTB", "18S rRNA"], FACTORS)
    assert [(w["rule"], w["severity"]) for w in out] == [
        ("hypoxia_soft", "note"),
        ("hypoxia_soft", "note"),
    ]
    # no oxygen-like factor: the lists do not apply, the data test still does
    out = reference_gene_warnings(long, ["GAPDH"], {"drug": FACTORS["drug"]})
    assert [w["rule"] for w in out] == []
    long["level"] = np.where(long["oxygen"] == "hypoxia", "1% O2", "21% O2")
    out = reference_gene_warnings(long, ["GAPDH"], {"level": ["21% O2", "1% O2"]})
    assert [w["rule"] for w in out] == ["hypoxia_responsive", "reference_depends_on_factor"]


def test_hypoxia_lists() -> None:
    assert "GAPDH" in HYPOXIA_RESPONSIVE
    assert len(HYPOXIA_RESPONSIVE) == 13
    assert set(HYPOXIA_SOFT) == {"ACTB", "PPIA", "RN18S1"}


def test_warning_input_errors(dataset: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="HPRT1"):
        reference_gene_warnings(_long(dataset), ["HPRT1"], FACTORS)
    with pytest.raises(InputError, match="cq_mean"):
        reference_gene_warnings(_long(dataset).drop(columns="cq_mean"), ["GAPDH"], FACTORS)


# ------------------------------------------------------------------------------ errors


def test_input_errors(cq: pd.DataFrame, oxygen: list[str]) -> None:
    holed = cq.copy()
    holed.loc["D2-HV", "REF_C"] = np.nan
    with pytest.raises(DesignError, match="D2-HV") as info:
        genorm(holed)
    assert info.value.where == "geNorm input"
    assert info.value.hint
    with pytest.raises(DesignError, match="at least 3"):
        genorm(cq[["REF_A", "REF_B"]])
    with pytest.raises(ConfigError, match=r"expected 1\.0 ≤ E ≤ 2\.2") as info:
        genorm(cq, {"REF_A": 95.0})
    assert "REF_A" in info.value.where
    # "95 %" is read as E = 1.95; efficiencies of non-candidates are ignored
    assert genorm(cq, {"REF_A": "95 %"}).m.to_dict() == pytest.approx(
        genorm(cq, {"REF_A": 1.95}).m.to_dict(), abs=1e-12
    )
    assert normfinder(cq, oxygen, {"HPRT1": 1.9}).stability.to_dict() == pytest.approx(
        normfinder(cq, oxygen).stability.to_dict(), abs=1e-12
    )
    with pytest.raises(DesignError, match="at least 2 per group"):
        normfinder(cq, ["x"] + ["y"] * 11)
    with pytest.raises(InputError, match="11 group labels"):
        normfinder(cq, oxygen[:-1])


# ------------------------------------------------------------------------------ figure


def test_stability_figure(cq: pd.DataFrame, oxygen: list[str]) -> None:
    from qpcr.report.figures import stability_figure

    gn, nf = genorm(cq), normfinder(cq, oxygen)
    genes, steps = stability_table(cq, oxygen)
    fig = stability_figure(genes, steps)
    ax_m, ax_v, ax_rho = fig.axes
    assert ax_m.lines[0].get_ydata().tolist() == pytest.approx(gn.steps["mean_m"].tolist())
    heights = [p.get_height() for p in ax_v.patches]
    assert heights == pytest.approx(gn.pairwise["v"].tolist())
    assert [p.get_width() for p in ax_rho.patches] == pytest.approx(
        nf.stability.sort_values(ascending=False).tolist()
    )
    import matplotlib.pyplot as plt

    plt.close(fig)


# ------------------------------------------------------------------------------ CLI


def _tidy_export(dataset: pd.DataFrame, path: Path, with_factors: bool = True) -> Path:
    """Two technical replicates per sample × gene, ±0.05 around the §2.0 value."""
    long = _long(dataset)
    long = long[long["target"].isin([*CANDIDATES, "BMP2"])]
    reps = pd.concat([long.assign(cq=long["cq_mean"] + d) for d in (-0.05, 0.05)])
    cols = ["sample", "target", "cq", *(["oxygen", "drug"] if with_factors else [])]
    reps[cols].to_csv(path, index=False)
    return path


def test_cq_matrix(dataset: pd.DataFrame) -> None:
    from qpcr.stability import cq_matrix

    long = _long(dataset)
    long = long[~((long["sample"] == "D1-HT") & (long["target"] == "REF_C"))]
    cq, groups, dropped = cq_matrix(long, CANDIDATES, "oxygen")
    assert dropped == ["D1-HT"]
    assert list(cq.columns) == CANDIDATES
    assert cq.shape == (11, 4)
    assert cq.loc["D2-HV", "GAPDH"] == 17.57
    assert groups["D2-HV"] == "hypoxia"
    assert groups["D3-NT"] == "normoxia"
    with pytest.raises(ConfigError, match="HPRT1"):
        cq_matrix(long, ["REF_A", "HPRT1"])
    with pytest.raises(ConfigError, match="donor"):
        cq_matrix(long, CANDIDATES, "donor")
    long.loc[(long["sample"] == "D2-HV") & (long["target"] == "REF_A"), "oxygen"] = "normoxia"
    with pytest.raises(InputError, match="'D2-HV' has several oxygen levels"):
        cq_matrix(long, CANDIDATES, "oxygen")


def test_cli_stability(dataset: pd.DataFrame, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qpcr.cli import app

    export = _tidy_export(dataset, tmp_path / "run.csv")
    out = tmp_path / "out"
    args = ["stability", str(export), "--candidates", "REF_A,REF_B", "--candidates", "REF_C"]
    result = CliRunner().invoke(
        app, [*args, "--candidates", "GAPDH", "--group", "oxygen", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "REF_A" in result.output
    table = pd.read_csv(out / "reference_genes.csv")
    # technical replicates ±0.05 average back to the §2.0 values: T25/T26 numbers again
    assert table["target"].tolist() == CANDIDATES
    assert table["genorm_m"].tolist() == pytest.approx([0.3241, 0.3416, 0.4852, 0.5240], abs=1e-4)
    assert table["normfinder_stability"].tolist() == pytest.approx(
        [0.1076, 0.1457, 0.3779, 0.3940], abs=1e-3
    )
    steps = pd.read_csv(out / "genorm_steps.csv")
    assert steps["mean_m"].tolist() == pytest.approx([0.4187, 0.3135, 0.1602], abs=1e-4)
    assert steps["v"].iloc[:2].tolist() == pytest.approx([0.1248, 0.1275], abs=1e-4)
    # The same on one self-contained page, with the figure inline.
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"Best first: {', '.join(CANDIDATES)}." in page
    assert page.count("<svg") == 1
    assert "<img" not in page
    assert "<link" not in page


def test_cli_stability_errors(dataset: pd.DataFrame, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qpcr.cli import app

    export = _tidy_export(dataset, tmp_path / "run.csv", with_factors=False)
    runner = CliRunner()
    result = runner.invoke(app, ["stability", str(export), "--candidates", "REF_A,HPRT1"])
    assert result.exit_code == 1
    assert "HPRT1" in result.output
    result = runner.invoke(
        app, ["stability", str(export), "--candidates", "REF_A,REF_B,REF_C", "--group", "oxygen"]
    )
    assert result.exit_code == 1
    assert "oxygen" in result.output
    result = runner.invoke(
        app, ["stability", str(export), "--candidates", "REF_A,REF_B", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "at least 3" in result.output


def test_cli_stability_warns_about_hypoxia_target(dataset: pd.DataFrame, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qpcr.cli import app

    export = _tidy_export(dataset, tmp_path / "run.csv")
    args = ["stability", str(export), "--candidates", "GAPDH,REF_A,REF_C", "--group", "oxygen"]
    result = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    # V2/3 = 0.18 > 0.15: geNorm asks for all three genes, but GAPDH, which the warnings
    # below say not to use under hypoxia, is never recommended (issue 11 item 12)
    table = pd.read_csv(tmp_path / "o" / "reference_genes.csv", keep_default_na=False)
    recommended = dict(zip(table["target"], table["recommended"], strict=True))
    assert recommended == {"REF_A": True, "REF_C": True, "GAPDH": False}
    gapdh = table.set_index("target").loc["GAPDH", "warning"]
    assert "GAPDH is a known hypoxia (HIF) target" in gapdh
    assert table.set_index("target").loc["REF_A", "warning"] == ""
    text = " ".join(result.output.split())
    assert "GAPDH is a known hypoxia (HIF) target" in text
    assert "the Cq of reference gene GAPDH changes with oxygen" in text


@pytest.mark.parametrize(
    ("name", "levels", "oxygen_like"),
    [
        ("oxygen", ["a", "b"], True),
        ("pO2", ["21%", "1%"], True),
        ("condition", ["Normoxia", "Hypoxia"], True),
        ("level", ["21% O2", "1%O2"], True),
        ("CO2", ["5%", "10%"], False),
        ("drug", ["vehicle", "tocilizumab"], False),
    ],
)
def test_oxygen_factor_detection(
    dataset: pd.DataFrame, name: str, levels: list[str], oxygen_like: bool
) -> None:
    long = _long(dataset)
    long[name] = np.where(long["oxygen"] == "normoxia", levels[0], levels[1])
    out = reference_gene_warnings(long, ["GAPDH"], {name: levels})
    assert any(w["rule"] == "hypoxia_responsive" for w in out) is oxygen_like
