"""Standard curves reproduced against instrument software and published dilution series.

Fixtures: ``tests/data/reference/curves/`` (see PROVENANCE.md there).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qpcr.curves import (
    curve_warnings,
    fit_standard_curve,
    interpolate_quantity,
    livak_validation,
    standard_curves,
)

CURVES = Path(__file__).parent / "data" / "reference" / "curves"


def _wells_from_input(path: Path, well_column: str) -> pd.DataFrame:
    raw = pd.read_csv(path)
    return pd.DataFrame(
        {
            "well": raw[well_column].astype(str),
            "sample": raw["sample"],
            "target": raw["target"],
            "sample_type": raw["sample_type"],
            "cq": raw["cq"].astype(float),
            "cq_status": np.where(raw["cq"].notna(), "ok", "undetermined"),
            "quantity": raw["std_quantity"].astype(float),
        }
    )


# --- Applied Biosystems StepOne Software v2.3, "Standard Curve Example" (RDML package) -------


def test_stepone_efficiency_and_interpolated_quantities() -> None:
    """StepOne v2.3 reports E = 93.91181 % for RNase P (stepone_std.rdml, target
    amplificationEfficiency) and the interpolated quantities of the six unknowns."""
    wells = _wells_from_input(CURVES / "stepone_std_input.csv", "well")
    curves = standard_curves(wells)
    assert len(curves) == 1
    curve = curves.iloc[0]
    assert (curve["target"], curve["n_points"], curve["n_levels"]) == ("RNase P", 15, 5)
    assert curve["replicates_per_level"] == 3
    # the instrument works on unrounded Cq; the RDML file keeps 6-8 significant digits
    assert 100 * (curve["efficiency"] - 1) == pytest.approx(93.91181, abs=0.005)
    assert curve["slope"] == pytest.approx(-1 / math.log10(1.9391181), abs=1e-4)
    reported = pd.read_csv(CURVES / "stepone_instrument_quantities.csv")
    ours = interpolate_quantity(reported["cq"], curve["slope"], curve["intercept"])
    np.testing.assert_allclose(ours, reported["quantity"], rtol=1e-4)
    # 2-fold series over 1.2 log10 units: the narrow-range rule must say so
    rules = {w["rule"] for w in curve_warnings(curves)}
    assert rules == {"narrow_range"}


# --- Roche LightCycler 96 SW 1.01, lc96_bACTXY.rdml (RDML package) ---------------------------


def test_lc96_standard_curves_match_instrument_software() -> None:
    """LightCycler 96 absQuantGeneSettings: slope, yIntercept, efficiency (factor),
    correlationCoefficent (= R²) and standardErrorOfEstimate for 4 targets."""
    wells = _wells_from_input(CURVES / "lc96_bACTXY_input.csv", "well_number")
    curves = standard_curves(wells).set_index("target")
    reported = pd.read_csv(CURVES / "lc96_instrument_curves.csv").set_index("target")
    assert sorted(curves.index) == sorted(reported.index)
    for target, row in reported.iterrows():
        ours = curves.loc[target]
        assert ours["slope"] == pytest.approx(row["slope"], rel=1e-9)
        assert ours["intercept"] == pytest.approx(row["intercept"], rel=1e-9)
        assert ours["efficiency"] == pytest.approx(row["efficiency"], rel=1e-9)
        assert ours["r_squared"] == pytest.approx(row["r_squared"], rel=1e-9)
        assert (ours["n_points"], ours["n_levels"], ours["replicates_per_level"]) == (10, 5, 2)
        points = wells[(wells.target == target) & (wells.sample_type == "std")]
        direct = fit_standard_curve(np.log10(points["quantity"]), points["cq"])
        residual = points["cq"] - (direct.intercept + direct.slope * np.log10(points["quantity"]))
        see = math.sqrt((residual**2).sum() / (len(points) - 2))
        assert see == pytest.approx(row["standard_error_of_estimate"], rel=1e-9)
    warnings = curve_warnings(curves.reset_index())
    assert {(w["target"], w["rule"]) for w in warnings if w["severity"] == "error"} == {
        ("Cy5@IPC", "slope_not_negative")
    }


def test_lc96_interpolated_concentrations_match_instrument() -> None:
    """LightCycler 96 absQuantDataSource concentration of every positive well."""
    wells = _wells_from_input(CURVES / "lc96_bACTXY_input.csv", "well_number")
    curves = standard_curves(wells).set_index("target")
    reported = pd.read_csv(CURVES / "lc96_instrument_concentrations.csv")
    reported = reported[reported["target"] != "Cy5@IPC"]  # IPC: constant Cq, no usable curve
    assert len(reported) == 40
    for target, rows in reported.groupby("target"):
        slope, intercept = curves.loc[target, ["slope", "intercept"]]
        ours = interpolate_quantity(rows["cq"], slope, intercept)
        np.testing.assert_allclose(ours, rows["concentration"], rtol=1e-9)


# --- Ruijter et al. 2013 / Vermeulen et al. 2009 ten-fold dilution series ---------------------


def _vermeulen() -> tuple[pd.DataFrame, np.ndarray]:
    lines = (CURVES / "vermeulen_standard_cq.tsv").read_text().splitlines()
    genes = lines[1].split(";")[3:]
    rows = [line.split(";") for line in lines if ";STD_" in line]
    cq = pd.DataFrame([r[3:] for r in rows], columns=genes).astype(float)
    log10_copies = np.log10([float(r[2].removeprefix("STD_")) for r in rows])
    return cq, log10_copies


def test_vermeulen_ten_fold_steps_recovered() -> None:
    """Ruijter 2013 (Methods 59:32), Standard-Cq block: 5 ten-fold dilutions x 3 replicates for
    64 assays. Interpolating the mean Cq of each level on the gene's own curve must give
    consecutive quantities 10x apart within the precision of the data: the SE of a step is
    s_res/|b|·sqrt(2/3) and each of the 63 × 4 steps must lie within a Bonferroni t bound.
    ALUsq (an Alu repeat amplified from background DNA) does not follow the dilution."""
    from scipy import stats

    cq, x = _vermeulen()
    assert cq.shape == (15, 64)
    genes = [g for g in cq.columns if g != "ALUsq(Eurogentec)"]
    n_steps = 4 * len(genes)
    bound = stats.t.ppf(1 - 0.05 / (2 * n_steps), 15 - 2)
    all_steps = []
    for gene in genes:
        curve = fit_standard_curve(x, cq[gene])
        fitted = curve.intercept + curve.slope * x
        s_res = math.sqrt(((cq[gene] - fitted) ** 2).sum() / (15 - 2))
        means = cq[gene].groupby(x).mean().sort_index()
        quantity = interpolate_quantity(means.to_numpy(), curve.slope, curve.intercept)
        steps = np.diff(np.log10(quantity))
        se = s_res / abs(curve.slope) * math.sqrt(2 / 3)
        assert np.abs(steps - 1).max() <= bound * se, gene
        all_steps.extend(steps)
    steps = np.array(all_steps)
    assert steps.mean() == pytest.approx(1.0, abs=3 * steps.std(ddof=1) / math.sqrt(steps.size))
    assert 10 ** np.median(steps) == pytest.approx(10.0, rel=0.02)


def test_vermeulen_curve_checks() -> None:
    """The 63 gene assays pass the 0.98 R² and 1.8-2.2 efficiency checks; ALUsq fails both."""
    cq, x = _vermeulen()
    wells = pd.DataFrame(
        {
            "well": [f"w{i}" for i in range(cq.size)],
            "sample": "",
            "target": np.repeat(cq.columns.to_numpy(), len(x)),
            "sample_type": "std",
            "cq": cq.to_numpy().T.ravel(),
            "cq_status": "ok",
            "quantity": np.tile(10**x, cq.shape[1]),
        }
    )
    curves = standard_curves(wells)
    assert (curves["n_points"] == 15).all()
    assert (curves["replicates_per_level"] == 3).all()
    assert curves["log10_range"].to_numpy() == pytest.approx(4.0)
    flagged = {
        (w["target"], w["rule"])
        for w in curve_warnings(curves)
        if w["rule"] in ("r_squared", "efficiency_range")
    }
    assert flagged == {
        ("ALUsq(Eurogentec)", "r_squared"),
        ("ALUsq(Eurogentec)", "efficiency_range"),
    }


# --- Livak & Schmittgen 2001 (ABI User Bulletin #2) c-myc / GAPDH dilution series ------------


def test_livak_2001_validation_slope() -> None:
    """Livak & Schmittgen 2001, Table 1 means and Fig. 1: the slope of ΔCt (c-myc − GAPDH)
    against log input amount is 0.0471 (< 0.1, so the ΔΔCt method may be used)."""
    means = pd.read_csv(CURVES / "livak2001_ct3_ave.csv")
    log10_input = np.log10([1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01])
    result = livak_validation(log10_input, means["c_myc"], means["GAPDH"])
    assert result["slope"] == pytest.approx(0.0471, abs=1e-4)
    assert result["passed"] is True
    assert result["n"] == 7


def test_livak_2001_replicates_balanced_fit_equals_fit_of_means() -> None:
    """pcr package ct3 (3 regenerated replicates per amount): with equal replicates per level
    the slope through all wells equals the slope through the level means, and the R² is
    lower because replicate scatter is kept."""
    wells = pd.read_csv(CURVES / "livak2001_ct3.csv")
    x = np.repeat(np.log10([1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01]), 3)
    for gene in ("c_myc", "GAPDH"):
        all_wells = fit_standard_curve(x, wells[gene])
        means = wells[gene].groupby(np.arange(21) // 3).mean()
        of_means = fit_standard_curve(x[::3], means)
        assert all_wells.slope == pytest.approx(of_means.slope, rel=1e-12)
        assert all_wells.n_points == 21
        assert all_wells.r_squared < of_means.r_squared
        assert all_wells.se_slope != pytest.approx(of_means.se_slope)
