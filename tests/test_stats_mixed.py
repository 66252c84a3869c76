"""The random-intercept mixed model (incomplete donors) against R lme4 + lmerTest, and its
agreement with the blocked least-squares analysis when every donor is complete.

The references in tests/reference/mixed_lmertest_*.csv were made by
tests/reference/make_mixed_reference.R (R 4.2.2, lme4 1.1.31, lmerTest 3.1.3) from
tests/reference/mixed_datasets.csv: unbalanced 2 × 2, 2 × 3 and one-factor designs, each with
one to three samples missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qpcr.stats import factorial_anova, factorial_contrasts
from qpcr.stats.linear import MIXED_TEST
from qpcr.stats.mixed import fit_random_intercept

REF = Path(__file__).parent / "reference"
DATA = pd.read_csv(REF / "mixed_datasets.csv", keep_default_na=False)
CONTRASTS = pd.read_csv(REF / "mixed_lmertest_contrasts.csv")
ANOVA = pd.read_csv(REF / "mixed_lmertest_anova.csv")
VARIANCES = pd.read_csv(REF / "mixed_lmertest_variances.csv").set_index("dataset")
NAMES = sorted(set(DATA["dataset"]))
REL = 1e-4  # the brief's tolerance; the agreement found is about 1e-7 (lmerTest's numeric
# derivatives)


def _design(name: str) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    part = DATA[DATA["dataset"] == name]
    factors = ["a"] if part["b"].eq("").all() else ["a", "b"]
    return part, factors, {"a": "ctrl", "b": "v"} if len(factors) == 2 else {"a": "ctrl"}


@pytest.mark.parametrize("name", NAMES)
def test_contrasts_match_lmertest(name: str) -> None:
    """Estimates, SE, Satterthwaite df and p of every simple effect and interaction."""
    part, factors, control = _design(name)
    ours = factorial_contrasts(part, "y", factors, "donor", control=control).set_index("contrast")
    ref = CONTRASTS[CONTRASTS["dataset"] == name].set_index("contrast")
    assert sorted(ours.index) == sorted(ref.index)
    assert set(ours["test"]) == {MIXED_TEST}
    for label, row in ref.iterrows():
        got = ours.loc[label]
        assert got["estimate_log2"] == pytest.approx(row["estimate"], rel=REL)
        assert got["se"] == pytest.approx(row["se"], rel=REL)
        assert got["df"] == pytest.approx(row["df"], rel=REL)
        assert got["statistic"] == pytest.approx(row["t"], rel=REL)
        assert got["p_value"] == pytest.approx(row["p_value"], rel=REL)


@pytest.mark.parametrize("name", NAMES)
def test_anova_matches_lmertest_type_3(name: str) -> None:
    """F, numerator and denominator df, p and Sum Sq of lmerTest's Type III ``anova``."""
    part, factors, _ = _design(name)
    ours = factorial_anova(part, "y", factors, block="donor").set_index("term")
    ref = ANOVA[ANOVA["dataset"] == name].set_index("term")
    assert sorted(ours.index) == sorted(ref.index)
    for term, row in ref.iterrows():
        got = ours.loc[term]
        assert got["df"] == row["num_df"]
        for ours_key, ref_key in (("F", "F"), ("den_df", "den_df"), ("p_value", "p_value"),
                                  ("sum_sq", "sum_sq")):  # fmt: skip
            assert got[ours_key] == pytest.approx(row[ref_key], rel=REL), (term, ours_key)
    assert set(ours["ss_type"]) == {"III (mixed model, Satterthwaite)"}


@pytest.mark.parametrize("name", NAMES)
def test_variance_components_match_lme4(name: str) -> None:
    part, factors, _ = _design(name)
    cell = part[factors].astype(str).agg(":".join, axis=1)
    x = pd.get_dummies(cell, dtype=float).to_numpy()
    fit = fit_random_intercept(part["y"].to_numpy(float), x, part["donor"].to_numpy())
    assert fit.sigma2_block == pytest.approx(VARIANCES.loc[name, "sigma2_donor"], rel=REL)
    assert fit.sigma2_resid == pytest.approx(VARIANCES.loc[name, "sigma2_resid"], rel=REL)


def test_one_missing_sample_keeps_every_other_sample_of_its_donor() -> None:
    """2 × 2 × 3 donors, D3 lacks one cell: the contrasts use all 11 samples (D3's other three
    included), where dropping the donor would leave 8."""
    part, factors, control = _design("one_missing")
    assert len(part) == 11
    ours = factorial_contrasts(part, "y", factors, "donor", control=control)
    simple = ours[ours["kind"].eq("simple")]
    assert simple["n"].tolist() == [6, 5, 6, 5]  # a cell pair with or without D3's gap
    assert ours["note"].str.contains(r"block\(s\) \['D3'\] incomplete").all()


def _t17() -> pd.DataFrame:
    delta_cq = [4.15, 3.95, 4.79, 3.495, 4.54, 4.75, 5.34, 3.785, 4.015, 3.57, 4.715, 3.30]
    cells = [("normoxia", "vehicle"), ("normoxia", "drug"), ("hypoxia", "vehicle"),
             ("hypoxia", "drug")]  # fmt: skip
    data = pd.DataFrame([{"donor": d, "oxygen": o, "drug": g}
                         for d in ("D1", "D2", "D3") for o, g in cells])  # fmt: skip
    return data.assign(y=[-d for d in delta_cq])


def test_complete_balanced_design_mixed_model_equals_blocked_anova() -> None:
    """T17 (every donor in every cell, donor variance > 0): the REML mixed model's contrasts
    (estimate, SE, Satterthwaite df) and F tests are those of the donor-blocked least squares
    that qpcr reports, df = (cells − 1)(donors − 1) = 6."""
    data = _t17()
    control = {"oxygen": "normoxia", "drug": "vehicle"}
    rcbd = factorial_contrasts(data, "y", ["oxygen", "drug"], "donor", control=control)
    blocked = factorial_anova(data, "y", ["oxygen", "drug"], block="donor").set_index("term")
    cells = [("normoxia", "vehicle"), ("normoxia", "drug"), ("hypoxia", "vehicle"),
             ("hypoxia", "drug")]  # fmt: skip
    x = np.column_stack([(data["oxygen"].eq(o) & data["drug"].eq(g)).to_numpy(float)
                         for o, g in cells])  # fmt: skip
    fit = fit_random_intercept(data["y"].to_numpy(float), x, data["donor"].to_numpy())
    assert fit.sigma2_block > 0
    vectors = {
        "oxygen: hypoxia vs normoxia | drug=vehicle": [-1, 0, 1, 0],
        "oxygen: hypoxia vs normoxia | drug=drug": [0, -1, 0, 1],
        "drug: drug vs vehicle | oxygen=normoxia": [-1, 1, 0, 0],
        "drug: drug vs vehicle | oxygen=hypoxia": [0, 0, -1, 1],
        "interaction oxygen × drug": [1, -1, -1, 1],
    }
    for label, lvec in vectors.items():
        row = rcbd.set_index("contrast").loc[label]
        est, se, df = fit.contrast(np.array(lvec, dtype=float))
        assert (est, se, df) == pytest.approx((row["estimate_log2"], row["se"], 6.0), rel=1e-7)
    terms = {"oxygen": [[-0.5, -0.5, 0.5, 0.5]], "drug": [[-0.5, 0.5, -0.5, 0.5]],
             "oxygen × drug": [[1, -1, -1, 1]]}  # fmt: skip
    for term, lmat in terms.items():
        f, q, ddf = fit.f_test(np.array(lmat, dtype=float))
        assert (f, q, ddf) == pytest.approx((blocked.loc[term, "F"], 1, 6.0), rel=1e-7)


def test_complete_donors_keep_the_least_squares_analysis() -> None:
    """Complete blocks: the table is the rcbd one (no mixed model is fitted)."""
    data = _t17()
    control = {"oxygen": "normoxia", "drug": "vehicle"}
    rcbd = factorial_contrasts(data, "y", ["oxygen", "drug"], "donor", control=control)
    assert set(rcbd["test"]) == {"rcbd"}
    assert "den_df" not in factorial_anova(data, "y", ["oxygen", "drug"], block="donor")


def test_block_variance_on_the_boundary_gives_the_pooled_error() -> None:
    """Donor means that scatter less than the residuals: σ²_u = 0 (lme4's singular fit), the
    model is ordinary least squares on the cells and the df are N − cells."""
    y = np.array([1.0, 2.0, 1.5, 2.4, 0.6, 2.9, 1.1])
    x = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1], [1, 0]], dtype=float)
    fit = fit_random_intercept(y, x, np.array(["d1", "d1", "d2", "d2", "d3", "d3", "d4"]))
    assert fit.sigma2_block == 0
    est, se, df = fit.contrast(np.array([-1.0, 1.0]))
    a, b = y[x[:, 0] == 1], y[x[:, 1] == 1]
    pooled = (np.sum((a - a.mean()) ** 2) + np.sum((b - b.mean()) ** 2)) / 5
    assert est == pytest.approx(b.mean() - a.mean(), rel=1e-12)
    assert se == pytest.approx(np.sqrt(pooled * (1 / 4 + 1 / 3)), rel=1e-9)
    assert df == pytest.approx(5.0, rel=1e-9)
