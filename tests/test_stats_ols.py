"""The least-squares ANOVA and contrasts of qpcr.stats against statsmodels (the test oracle) on
random 2 × 2 designs with donor blocks, balanced and unbalanced, and the hypoxia-reference
check's F test; and the scipy.special tail areas against scipy.stats, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from qpcr.stability.warnings import _factor_effects
from qpcr.stats import factorial_anova, factorial_contrasts
from qpcr.stats.dist import f_sf, pearson, t_ppf, t_sf

smf = pytest.importorskip("statsmodels.formula.api", reason="statsmodels is the test oracle")
anova_lm = pytest.importorskip("statsmodels.stats.anova").anova_lm

CELLS = [("N", "V"), ("N", "T"), ("H", "V"), ("H", "T")]
CONTROL = {"oxygen": "N", "treatment": "V"}
TOL = 1e-9


@st.composite
def designs(draw: st.DrawFn) -> pd.DataFrame:
    """One value per donor and cell (balanced), with some rows removed (unbalanced: blocks
    dropped, or the block left out), or without donors and unequal cell sizes."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    blocked = draw(st.booleans())
    if blocked:
        donors = draw(st.integers(2, 6))
        rows = [(o, t, f"D{d}") for d in range(donors) for o, t in CELLS]
        drop = draw(st.sets(st.integers(0, len(rows) - 1), max_size=donors))
        rows = [r for i, r in enumerate(rows) if i not in drop]
    else:
        sizes = draw(st.lists(st.integers(2, 5), min_size=4, max_size=4))
        rows = [
            (o, t, f"S{i}{k}")
            for i, ((o, t), n) in enumerate(zip(CELLS, sizes, strict=True))
            for k in range(n)
        ]
    frame = pd.DataFrame(rows, columns=["oxygen", "treatment", "donor"])
    effect = frame["oxygen"].eq("H") * 1.5 + frame["treatment"].eq("T") * rng.normal()
    donor_shift = frame["donor"].map({d: rng.normal() for d in frame["donor"].unique()})
    frame["y"] = effect + donor_shift * blocked + rng.normal(scale=0.4, size=len(frame))
    frame.attrs["blocked"] = blocked
    return frame


def _fitted_design(frame: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """What qpcr fits by least squares: blocks missing from a cell are dropped (block left out
    when fewer than 2 complete blocks remain), written out independently of qpcr for the
    oracle. Designs that qpcr fits with the random-intercept mixed model instead (incomplete
    blocks with within-block residual df; tests/test_stats_mixed.py checks those against
    lme4/lmerTest) are not drawn."""
    if not frame.attrs["blocked"]:
        return frame, False
    n_cells = frame.groupby(["oxygen", "treatment"]).ngroups
    cells = frame.groupby("donor")["oxygen"].size()
    cell = pd.get_dummies(frame["oxygen"] + frame["treatment"], dtype=float)
    donor = pd.get_dummies(frame["donor"], dtype=float).iloc[:, 1:]
    rank = np.linalg.matrix_rank(np.column_stack([cell, donor]))
    assume(not ((cells < n_cells).any() and len(frame) > rank))
    complete = cells.index[cells == n_cells]
    if len(complete) >= 2:
        return frame[frame["donor"].isin(complete)], True
    return frame, False


@settings(max_examples=60, deadline=None)
@given(designs(), st.sampled_from([2, 3]))
def test_anova_matches_statsmodels(frame: pd.DataFrame, typ: int) -> None:
    ours = factorial_anova(
        frame,
        "y",
        ["oxygen", "treatment"],
        block="donor" if frame.attrs["blocked"] else None,
        typ=typ,
    )
    data, blocked = _fitted_design(frame)
    balanced = blocked or data.groupby(["oxygen", "treatment"]).size().nunique() == 1
    sum_coded = typ == 3 or not balanced
    code = ", Sum" if sum_coded else ""
    rhs = f"C(oxygen{code}) * C(treatment{code})" + (f" + C(donor{code})" if blocked else "")
    fit = smf.ols(f"y ~ {rhs}", data=data).fit()
    ref = anova_lm(fit, typ=3 if sum_coded else 2).drop(index="Intercept", errors="ignore")
    names = {"oxygen": "oxygen", "treatment": "treatment", "donor": "donor"}

    def term(label: str) -> str:
        if label == "Residual":
            return label
        return " × ".join(
            names[p.split("(")[1].split(",")[0].rstrip(")")] for p in label.split(":")
        )

    ref.index = [term(t) for t in ref.index]
    ours = ours.set_index("term")
    assert sorted(ours.index) == sorted(ref.index)
    expected_type = (
        "II" if not sum_coded else "III (Sum contrasts" + ("" if balanced else ", unbalanced") + ")"
    )
    assert set(ours["ss_type"]) == {expected_type}
    for name in ref.index:
        assert ours.loc[name, "sum_sq"] == pytest.approx(ref.loc[name, "sum_sq"], rel=TOL, abs=TOL)
        assert ours.loc[name, "df"] == ref.loc[name, "df"]
        if name != "Residual":
            assert ours.loc[name, "F"] == pytest.approx(ref.loc[name, "F"], rel=TOL, abs=TOL)
            assert ours.loc[name, "p_value"] == pytest.approx(
                ref.loc[name, "PR(>F)"], rel=TOL, abs=TOL
            )


@settings(max_examples=60, deadline=None)
@given(designs())
def test_rcbd_contrasts_match_statsmodels(frame: pd.DataFrame) -> None:
    ours = factorial_contrasts(
        frame,
        "y",
        ["oxygen", "treatment"],
        block="donor" if frame.attrs["blocked"] else None,
        control=CONTROL,
    ).set_index("contrast")
    data, blocked = _fitted_design(frame)
    data = data.assign(cell=data["oxygen"] + data["treatment"])
    fit = smf.ols("y ~ 0 + C(cell)" + (" + C(donor)" if blocked else ""), data=data).fit()
    names = list(fit.params.index)

    def vector(weights: dict[str, float]) -> np.ndarray:
        return np.array(
            [
                weights.get(n[len("C(cell)[") : -1], 0.0) if n.startswith("C(cell)") else 0.0
                for n in names
            ]
        )

    expected = {
        "oxygen: H vs N | treatment=V": {"HV": 1.0, "NV": -1.0},
        "oxygen: H vs N | treatment=T": {"HT": 1.0, "NT": -1.0},
        "treatment: T vs V | oxygen=N": {"NT": 1.0, "NV": -1.0},
        "treatment: T vs V | oxygen=H": {"HT": 1.0, "HV": -1.0},
        "interaction oxygen × treatment": {"HT": 1.0, "NT": -1.0, "HV": -1.0, "NV": 1.0},
    }
    assert sorted(ours.index) == sorted(expected)
    for label, weights in expected.items():
        test = fit.t_test(vector(weights))
        lo, hi = test.conf_int(alpha=0.05)[0]
        row = ours.loc[label]
        assert row["estimate_log2"] == pytest.approx(float(test.effect[0]), rel=TOL, abs=TOL)
        assert row["se"] == pytest.approx(float(test.sd[0, 0]), rel=TOL, abs=TOL)
        assert row["df"] == test.df_denom
        assert row["p_value"] == pytest.approx(float(test.pvalue), rel=TOL, abs=TOL)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=TOL, abs=TOL)


@settings(max_examples=40, deadline=None)
@given(designs())
def test_paired_contrasts_match_a_one_sample_ols(frame: pd.DataFrame) -> None:
    """Paired: the per-donor contrast d regressed on an intercept alone (statsmodels)."""
    if not frame.attrs["blocked"]:
        return
    ours = factorial_contrasts(
        frame, "y", ["oxygen", "treatment"], block="donor", control=CONTROL, method="paired"
    )
    wide = frame.assign(cell=frame["oxygen"] + frame["treatment"]).pivot(
        index="donor", columns="cell", values="y"
    )
    d = (wide["HT"] - wide["NT"] - wide["HV"] + wide["NV"]).dropna()
    row = ours.set_index("contrast").loc["interaction oxygen × treatment"]
    assert row["n"] == len(d)
    if len(d) < 2:
        assert np.isnan(row["p_value"])
        return
    test = smf.ols("d ~ 1", data=pd.DataFrame({"d": d.to_numpy()})).fit().t_test(np.array([1.0]))
    assert row["estimate_log2"] == pytest.approx(float(test.effect[0]), rel=TOL, abs=TOL)
    assert row["se"] == pytest.approx(float(test.sd[0, 0]), rel=TOL, abs=TOL)
    assert row["p_value"] == pytest.approx(float(test.pvalue), rel=TOL, abs=TOL)


@given(
    st.floats(-50, 50, allow_nan=False),
    st.floats(0.5, 500, allow_nan=False),
    st.floats(0.001, 0.999),
)
def test_tails_are_those_of_scipy_stats(x: float, df: float, q: float) -> None:
    assert t_sf(x, df) == sps.t.sf(x, df)
    assert t_ppf(q, df) == sps.t.ppf(q, df)
    assert f_sf(abs(x), 2.0, df) == sps.f.sf(abs(x), 2.0, df)


def test_t_tails_are_nan_without_degrees_of_freedom() -> None:
    got = t_ppf(0.975, np.array([0.0, 1.0, np.nan]))
    assert np.isnan(got[0])
    assert np.isnan(got[2])
    assert got[1] == pytest.approx(12.706204736174703, rel=1e-12)  # t_{0.975, 1} = tan(0.475π)


@settings(max_examples=50, deadline=None)
@given(st.integers(3, 30), st.integers(0, 2**32 - 1))
def test_pearson_is_that_of_scipy_stats(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(20, 3, size=n)
    y = x * rng.normal() + rng.normal(size=n)
    ref = sps.pearsonr(x, y)
    assert pearson(x, y) == pytest.approx(
        (float(ref.statistic), float(ref.pvalue)), rel=1e-12, abs=1e-15
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 5))
def test_reference_factor_test_matches_statsmodels(seed: int, donors: int) -> None:
    """The hypoxia-reference check's F test of each factor in ``cq ~ oxygen + treatment``."""
    rng = np.random.default_rng(seed)
    cells = [c for c in CELLS for _ in range(donors)]
    data = pd.DataFrame(cells, columns=["oxygen", "treatment"]).assign(target="REF")
    data["cq_mean"] = 20 + data["oxygen"].eq("H") * rng.normal() + rng.normal(size=len(data))
    ours = _factor_effects(data, ["REF"], ["oxygen", "treatment"])["REF"]
    full = smf.ols("cq_mean ~ C(oxygen) + C(treatment)", data=data).fit()
    for factor in ("oxygen", "treatment"):
        other = "treatment" if factor == "oxygen" else "oxygen"
        reduced = smf.ols(f"cq_mean ~ C({other})", data=data).fit()
        expected = full.compare_f_test(reduced)[1]
        assert ours[factor][0] == pytest.approx(expected, rel=TOL, abs=TOL)


@pytest.mark.parametrize("cq", [20.0, 23.7, 31.13])
def test_identical_reference_cq_is_not_tested(cq: float) -> None:
    """Identical Cq in every sample: no variance, so no p (rounding noise must not make one)."""
    data = pd.DataFrame({"target": "REF", "cq_mean": [cq] * 6, "treatment": ["a", "b"] * 3,
                         "oxygen": ["n", "n", "h", "h", "n", "h"]})  # fmt: skip
    effects = _factor_effects(data, ["REF"], ["treatment", "oxygen"])["REF"]
    assert set(effects) == {"treatment", "oxygen"}
    assert all(np.isnan(e.p) and e.effect == 0 and not e.confounded for e in effects.values())
