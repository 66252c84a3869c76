"""Standard curves, efficiencies and efficiency checks (methods §2.2, §2.5: T04, T05, T07)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from qpcr.curves import (
    CURVE_COLUMNS,
    curve_warnings,
    efficiency_bias,
    fit_standard_curve,
    interpolate_quantity,
    livak_validation,
    parse_efficiency,
    pooled_efficiency,
    standard_curves,
)
from qpcr.errors import AnalysisError, ConfigError, InputError

T07_X = [5, 4, 3, 2, 1]
T07_CQ = [15.10, 18.45, 21.80, 25.10, 28.50]


def test_t07_standard_curve_published_values() -> None:
    curve = fit_standard_curve(T07_X, T07_CQ)
    assert curve.slope == pytest.approx(-3.345000, abs=1e-6)
    assert curve.intercept == pytest.approx(31.825000, abs=1e-6)
    assert curve.r_squared == pytest.approx(0.999984, abs=1e-6)
    assert curve.se_slope == pytest.approx(0.0076376, abs=1e-7)
    assert curve.slope_ci_low == pytest.approx(-3.369306, abs=1e-6)
    assert curve.slope_ci_high == pytest.approx(-3.320694, abs=1e-6)
    assert curve.efficiency == pytest.approx(1.990461, abs=1e-6)
    assert curve.efficiency_percent == pytest.approx(99.046, abs=1e-3)
    assert curve.efficiency_ci_low == pytest.approx(1.980601, abs=1e-6)
    assert curve.efficiency_ci_high == pytest.approx(2.000515, abs=1e-6)
    assert curve.se_efficiency == pytest.approx(0.0031285, abs=1e-7)
    assert (curve.n_points, curve.n_levels, curve.replicates_per_level) == (5, 5, 1)
    assert curve.log10_range == 4.0


def test_fit_matches_statsmodels_ols_with_replicates() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(7)
    x = np.repeat([6.0, 5, 4, 3, 2, 1], 3)
    y = 38.0 - 3.4 * x + rng.normal(0, 0.25, x.size)
    curve = fit_standard_curve(x, y, alpha=0.1)
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    lo, hi = fit.conf_int(alpha=0.1)[1]
    assert curve.slope == pytest.approx(fit.params[1], rel=1e-12)
    assert curve.intercept == pytest.approx(fit.params[0], rel=1e-12)
    assert curve.se_slope == pytest.approx(fit.bse[1], rel=1e-10)
    assert curve.r_squared == pytest.approx(fit.rsquared, rel=1e-12)
    assert (curve.slope_ci_low, curve.slope_ci_high) == pytest.approx((lo, hi), rel=1e-10)
    assert curve.efficiency_ci_low == pytest.approx(10 ** (-1 / lo), rel=1e-10)
    assert curve.efficiency_ci_high == pytest.approx(10 ** (-1 / hi), rel=1e-10)
    assert (curve.n_points, curve.n_levels, curve.replicates_per_level) == (18, 6, 3)


def test_efficiency_ci_unbounded_when_slope_ci_contains_zero() -> None:
    curve = fit_standard_curve([3, 2, 1, 3, 2, 1], [20.0, 20.5, 20.1, 21.0, 20.2, 20.9])
    assert curve.slope_ci_low < 0 < curve.slope_ci_high
    assert (curve.efficiency_ci_low, curve.efficiency_ci_high) == (0.0, math.inf)


@pytest.mark.parametrize(
    ("x", "y", "error"),
    [
        ([1, 2], [30, 27], AnalysisError),
        ([1, 1, 1], [30, 30.1, 29.9], AnalysisError),
        ([1, 2, np.nan], [30, 27, 24], InputError),
        ([1, 2, 3], [30, 27], InputError),
    ],
)
def test_fit_rejects_unusable_input(x: list, y: list, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        fit_standard_curve(x, y)
    assert info.value.where == "standard curve"


def test_alpha_out_of_range_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        fit_standard_curve(T07_X, T07_CQ, alpha=1.5)


def test_t04_livak_validation() -> None:
    result = livak_validation(
        [0, -1, -2, -3, -4],
        [22.10, 25.45, 28.85, 32.20, 35.60],
        [17.00, 20.32, 23.66, 27.01, 30.35],
    )
    assert result["slope"] == pytest.approx(-0.0360, abs=1e-4)
    assert result["se_slope"] == pytest.approx(0.00490, abs=1e-5)
    assert result["passed"] is True
    assert result["efficiency_target"] == pytest.approx(1.978319, abs=1e-6)
    assert result["efficiency_ref"] == pytest.approx(1.992925, abs=1e-6)
    assert result["ci_low"] < result["slope"] < result["ci_high"]


def test_livak_validation_fails_for_unequal_efficiencies() -> None:
    x = np.array([0, -1, -2, -3, -4.0])
    result = livak_validation(x, 20 - 3.9 * x, 17 - 3.32 * x)
    assert result["slope"] == pytest.approx(-0.58, abs=1e-9)
    assert result["passed"] is False


def test_t05_efficiency_bias() -> None:
    assert efficiency_bias(5, 1.9) == pytest.approx(32 / 24.760990 - 1, abs=1e-7)
    assert efficiency_bias(5, 1.9) == pytest.approx(0.2924, abs=1e-4)
    assert efficiency_bias(np.array([0.0, 5.0]), 1.9) == pytest.approx([0.0, 0.29236], abs=1e-5)
    assert efficiency_bias(5, 2.0) == 0.0


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1.95, None, 1.95),
        ("1.95", None, 1.95),
        ("1,95", None, 1.95),
        ("95 %", None, 1.95),
        ("95%", None, 1.95),
        (" 102.5 % ", None, 2.025),
        (95, "percent", 1.95),
        ("95", "percent", 1.95),
        (2.0, "factor", 2.0),
        (1.0, None, 1.0),
        (2.2, None, 2.2),
    ],
)
def test_parse_efficiency_accepts(value: object, unit: str | None, expected: float) -> None:
    assert parse_efficiency(value, unit) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("value", "unit", "hint_part"),
    [
        (95, None, "95 %"),
        (0.95, None, "1.95"),
        (2.5, None, "[1.0, 2.2]"),
        ("130 %", None, "[1.0, 2.2]"),
        ("-5 %", None, "[1.0, 2.2]"),
        ("abc", None, ""),
        (True, None, ""),
        ("95 %", "factor", ""),
        (1.9, "fraction", ""),
    ],
)
def test_parse_efficiency_rejects(value: object, unit: str | None, hint_part: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_efficiency(value, unit)
    assert info.value.where == "efficiency"
    assert hint_part in info.value.hint


def test_parse_efficiency_limits_are_configurable() -> None:
    assert parse_efficiency("140 %", max_e=2.5) == pytest.approx(2.4)
    with pytest.raises(ConfigError):
        parse_efficiency(1.85, min_e=1.9)


def test_interpolate_quantity_t07() -> None:
    curve = fit_standard_curve(T07_X, T07_CQ)
    q = interpolate_quantity([31.825, 31.825 - 3.345, np.nan], curve.slope, curve.intercept)
    assert q[:2] == pytest.approx([1.0, 10.0], rel=1e-12)
    assert np.isnan(q[2])


@pytest.mark.parametrize("slope", [0.0, 3.3, np.nan])
def test_interpolate_quantity_needs_negative_slope(slope: float) -> None:
    with pytest.raises(AnalysisError):
        interpolate_quantity([25.0], slope, 35.0)


# --- hypothesis properties -------------------------------------------------------------------

levels = st.lists(st.integers(min_value=-3, max_value=8), min_size=3, max_size=7, unique=True).map(
    sorted
)
slopes = st.floats(min_value=-4.5, max_value=-2.8)
cq_noise = st.lists(st.floats(min_value=-0.3, max_value=0.3), min_size=7, max_size=7)


@given(levels, slopes, st.floats(min_value=30, max_value=45), cq_noise, st.floats(-15, 15))
def test_efficiency_invariant_to_cq_shift(
    x: list[int], slope: float, intercept: float, noise: list[float], shift: float
) -> None:
    xs = np.array(x, dtype=float)
    cq = intercept + slope * xs + np.array(noise[: xs.size])
    base = fit_standard_curve(xs, cq)
    moved = fit_standard_curve(xs, cq + shift)
    assert moved.efficiency == pytest.approx(base.efficiency, rel=1e-9)
    assert moved.efficiency_ci_low == pytest.approx(base.efficiency_ci_low, rel=1e-9)
    assert moved.r_squared == pytest.approx(base.r_squared, rel=1e-9, abs=1e-12)
    assert moved.intercept == pytest.approx(base.intercept + shift, rel=1e-12)


@given(levels, st.floats(min_value=10, max_value=40), st.integers(min_value=1, max_value=3))
def test_exact_doubling_recovers_e_two(x: list[int], intercept: float, reps: int) -> None:
    xs = np.repeat(np.array(x, dtype=float), reps)
    cq = intercept - xs / math.log10(2.0)
    curve = fit_standard_curve(xs, cq)
    assert curve.efficiency == pytest.approx(2.0, abs=1e-10)
    assert curve.r_squared == pytest.approx(1.0, abs=1e-12)
    assert curve.efficiency_ci_low == pytest.approx(2.0, abs=1e-6)
    assert curve.efficiency_ci_high == pytest.approx(2.0, abs=1e-6)


@given(levels, slopes, st.floats(min_value=30, max_value=45), cq_noise)
def test_interpolation_inverts_the_fit(
    x: list[int], slope: float, intercept: float, noise: list[float]
) -> None:
    xs = np.array(x, dtype=float)
    cq = intercept + slope * xs + np.array(noise[: xs.size])
    curve = fit_standard_curve(xs, cq)
    assume(curve.slope < -1)
    fitted_cq = curve.intercept + curve.slope * xs
    back = np.log10(interpolate_quantity(fitted_cq, curve.slope, curve.intercept))
    assert back == pytest.approx(xs, abs=1e-9)


# --- wells-table interface -------------------------------------------------------------------


def _std_rows(plate: str, target: str, slope: float, intercept: float, reps: int = 2) -> list:
    rows = []
    for level, quantity in enumerate([1e5, 1e4, 1e3, 1e2, 1e1]):
        for r in range(reps):
            cq = intercept + slope * math.log10(quantity) + (0.1 if r else -0.1) * (level % 2)
            rows.append((plate, f"W{level}{r}", "std", target, quantity, cq, "ok"))
    return rows


def _wells(rows: list) -> pd.DataFrame:
    columns = ["plate", "well", "sample_type", "target", "quantity", "cq", "cq_status"]
    df = pd.DataFrame(rows, columns=columns)
    df["sample"] = ""
    return df


def test_standard_curves_columns_filters_and_skips() -> None:
    rows = _std_rows("P1", "ACTB", -3.3219, 38.0) + _std_rows("P2", "ACTB", -3.5, 37.0)
    rows += [
        ("P1", "U1", "unkn", "ACTB", np.nan, 25.0, "ok"),  # not a standard
        ("P1", "S1", "std", "ACTB", 1e3, np.nan, "undetermined"),  # non-detect
        ("P1", "S2", "std", "ACTB", np.nan, 20.0, "ok"),  # no quantity
        ("P1", "S3", "std", "ACTB", 0.0, 20.0, "ok"),  # quantity 0
        ("P1", "S4", "std", "ACTB", 1e3, 10.0, "ok"),  # excluded by QC below
        ("P1", "G1", "std", "GAPDH", 1e3, 25.0, "ok"),
        ("P1", "G2", "std", "GAPDH", 1e2, 28.3, "ok"),
        ("P1", "G3", "std", "GAPDH", 1e1, np.nan, "undetermined"),
    ]
    wells = _wells(rows)
    wells["excluded"] = wells["well"].eq("S4")
    curves = standard_curves(wells)
    assert list(curves.columns) == ["plate", "target", *CURVE_COLUMNS]
    assert list(curves[["plate", "target"]].itertuples(index=False, name=None)) == [
        ("P1", "ACTB"),
        ("P1", "GAPDH"),
        ("P2", "ACTB"),
    ]
    p1 = curves.iloc[0]
    x = np.log10(wells.loc[wells.well.str.startswith("W") & wells.plate.eq("P1"), "quantity"])
    y = wells.loc[wells.well.str.startswith("W") & wells.plate.eq("P1"), "cq"]
    direct = fit_standard_curve(x, y)
    assert p1["slope"] == pytest.approx(direct.slope, rel=1e-12)
    assert p1["efficiency"] == pytest.approx(direct.efficiency, rel=1e-12)
    assert p1["se_efficiency"] == pytest.approx(direct.se_efficiency, rel=1e-10)
    assert (p1["n_points"], p1["n_levels"], p1["replicates_per_level"]) == (10, 5, 2)
    assert p1["note"] == ""
    gapdh = curves.iloc[1]
    assert np.isnan(gapdh["efficiency"])
    assert (gapdh["n_points"], gapdh["n_levels"]) == (2, 2)
    assert gapdh["note"].startswith("skipped: 2 usable dilution level(s) (< 3)")
    assert curves.iloc[2]["slope"] == pytest.approx(-3.5, abs=0.05)


def test_standard_curves_without_plate_column_and_omitted_wells() -> None:
    wells = _wells(_std_rows("", "ACTB", -3.32, 38.0)).drop(columns="plate")
    wells["omitted"] = False
    wells.loc[0, "omitted"] = True
    curves = standard_curves(wells)
    assert curves["plate"].tolist() == [""]
    assert curves.loc[0, "n_points"] == 9


def test_standard_curves_requires_quantity() -> None:
    wells = _wells(_std_rows("P1", "ACTB", -3.32, 38.0)).drop(columns="quantity")
    with pytest.raises(InputError, match="quantity"):
        standard_curves(wells)


def test_pooled_efficiency_is_common_slope_ancova() -> None:
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    rows = []
    for plate, intercept in (("P1", 38.0), ("P2", 36.5), ("P3", 39.2)):
        for quantity in (1e5, 1e4, 1e3, 1e2, 1e1):
            for _ in range(3):
                cq = intercept - 3.3 * math.log10(quantity) + rng.normal(0, 0.2)
                rows.append((plate, "W", "std", "ACTB", quantity, cq, "ok"))
    wells = _wells(rows)
    pooled = pooled_efficiency(wells)
    data = wells.assign(x=np.log10(wells["quantity"]))
    fit = smf.ols("cq ~ C(plate) + x", data=data).fit()
    b, se = fit.params["x"], fit.bse["x"]
    lo, hi = fit.conf_int().loc["x"]
    row = pooled.iloc[0]
    assert row["target"] == "ACTB"
    assert (row["n_points"], row["n_plates"]) == (45, 3)
    assert row["slope"] == pytest.approx(b, rel=1e-12)
    assert row["efficiency"] == pytest.approx(10 ** (-1 / b), rel=1e-12)
    assert row["se_efficiency"] == pytest.approx(10 ** (-1 / b) * math.log(10) * se / b**2)
    assert row["efficiency_ci_low"] == pytest.approx(10 ** (-1 / lo), rel=1e-10)
    assert row["efficiency_ci_high"] == pytest.approx(10 ** (-1 / hi), rel=1e-10)


def test_curve_warnings_rules() -> None:
    curves = pd.DataFrame(
        {
            "plate": ["P1", "P1", "P1", "P1"],
            "target": ["good", "bad", "flat", "none"],
            "slope": [-3.32, -4.2, 0.3, np.nan],
            "intercept": [38.0, 40.0, 30.0, np.nan],
            "r_squared": [0.999, 0.95, 0.2, np.nan],
            "efficiency": [2.0007, 10 ** (1 / 4.2), 10 ** (-1 / 0.3), np.nan],
            "efficiency_ci_low": [1.98, 1.6, 0.0, np.nan],
            "efficiency_ci_high": [2.02, 1.9, np.inf, np.nan],
            "n_points": [15, 4, 10, 2],
            "n_levels": [5, 4, 5, 2],
            "se_efficiency": [0.01, 0.05, 0.0, np.nan],
            "replicates_per_level": [3, 1, 2, 1],
            "log10_range": [4.0, 2.0, 4.0, 1.0],
            "note": ["", "", "", "skipped: 2 usable dilution level(s) (< 3)"],
        }
    )
    found = curve_warnings(curves)
    by_target = {t: {w["rule"]: w for w in found if w["target"] == t} for t in curves.target}
    assert by_target["good"] == {}
    bad = by_target["bad"]
    assert set(bad) == {
        "efficiency_range",
        "r_squared",
        "single_replicate",
        "few_levels",
        "narrow_range",
        "livak_assumption",
    }
    assert bad["efficiency_range"]["value"] == pytest.approx(1.7302, abs=1e-4)
    assert bad["efficiency_range"]["threshold"] == 1.8
    assert bad["r_squared"]["threshold"] == 0.98
    assert "Svec" in bad["single_replicate"]["message"]
    assert bad["livak_assumption"]["threshold"] == pytest.approx(1.9)
    assert bad["efficiency_range"]["message"].startswith("bad on plate P1: efficiency 1.7302")
    assert set(by_target["flat"]) == {"slope_not_negative"}
    assert by_target["flat"]["slope_not_negative"]["severity"] == "error"
    assert set(by_target["none"]) == {"skipped"}
    loose = curve_warnings(curves, e_range=(1.7, 2.3), min_r2=0.9, min_levels=4, min_log10_range=2)
    assert {w["rule"] for w in loose if w["target"] == "bad"} == {
        "single_replicate",
        "livak_assumption",
    }
    assert {tuple(sorted(w)) for w in found} == {
        ("message", "plate", "rule", "severity", "target", "threshold", "value")
    }
