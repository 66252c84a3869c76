"""Melt curves (`qpcr.melt`): −dF/dT, peaks, Tm, primer-dimers, the consensus Tm and the NTC
rule, on synthetic curves with a known Tm and on real RDML melt exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _vendor_io import DATA, EXPORTS
from hypothesis import example, given, settings
from hypothesis import strategies as st

import qpcr
from qpcr.melt import DIMER_GAP, melt_derivative, melt_peaks, melt_qc_events, ntc_melt_events
from qpcr.schema import QC_EVENTS
from qpcr.schema.melt import MELT, MELT_QC

RDML = EXPORTS / "rdml"


def _curve(well: str, t: np.ndarray, peaks: list[tuple[float, float, float]], **extra):
    """A melt curve whose −dF/dT is a sum of Gaussians (tm, sd, area): F is the background
    minus their integrals (normal CDFs), so the true −dF/dT is known exactly."""
    from math import erf

    cdf = np.vectorize(lambda z: 0.5 * (1 + erf(z / np.sqrt(2))))
    f = 200.0 - 0.5 * (t - t[0])  # a falling background: −dF/dT = 0.5 under the peaks
    for tm, sd, area in peaks:
        f = f - area * cdf((t - tm) / sd)
    return pd.DataFrame({"plate": "p", "well": well, "target": "MYC", "reporter": "",
                         "sample": well, "kind": "melt", "temperature": t, "fluorescence": f,
                         "derivative": np.nan, **extra})  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    tm=st.floats(72.0, 88.0),
    step=st.floats(0.05, 1.0),
    sd=st.floats(0.6, 2.0),
    start=st.floats(0.0, 1.0),
)
def test_gaussian_tm_is_recovered_within_the_temperature_step(tm, step, sd, start) -> None:
    t = np.arange(60.0 + start, 96.0, step)
    melt = melt_peaks(_curve("A1", t, [(tm, sd, 100.0)]))
    assert melt["n_peaks"].tolist() == [1]
    assert abs(melt["tm"].iloc[0] - tm) <= 0.1 * step  # within the step, with room to spare
    assert not melt["primer_dimer"].iloc[0]


def test_the_derivative_of_a_line_is_its_slope_and_an_exported_derivative_is_kept() -> None:
    t = np.arange(70.0, 80.0, 0.25)
    line = _curve("A1", t, [])
    exported = _curve("A2", t, [], derivative=np.sin(t))
    d = melt_derivative(pd.concat([line, exported]))
    assert np.allclose(d.loc[d["well"] == "A1", "derivative"], 0.5)
    assert np.allclose(d.loc[d["well"] == "A2", "derivative"], np.sin(t))


def test_product_primer_dimer_and_a_flat_curve() -> None:
    t = np.arange(65.0, 95.0, 0.2)
    rng = np.random.default_rng(1)
    curves = pd.concat([
        _curve("A1", t, [(84.0, 0.8, 100.0)]),
        _curve("A2", t, [(84.2, 0.8, 90.0)]),
        _curve("A3", t, [(84.1, 0.8, 100.0), (76.0, 1.0, 30.0)]),  # product + primer-dimer
        _curve("A4", t, [(75.5, 1.0, 40.0)]),  # primer-dimer only
        _curve("A5", t, [(86.0, 0.8, 100.0)]),  # another product: 2 °C off
        _curve("A6", t, []).assign(fluorescence=lambda c: c["fluorescence"]
                                   + rng.normal(0, 0.01, len(t))),  # nothing melts
    ])  # fmt: skip
    melt = melt_peaks(curves)
    assert melt.columns.tolist() == MELT.names()
    assert len(melt) == 6
    melt = melt.set_index("well")
    assert melt.loc["A1", "target_tm"] == pytest.approx(84.1, abs=0.05)  # median of 84, 84.1, 84.2
    assert melt["n_peaks"].tolist() == [1, 1, 2, 1, 1, 0]
    assert melt["primer_dimer"].tolist() == [False, False, True, True, False, False]
    assert melt["product_peak"].tolist() == [True, True, True, False, False, False]
    assert melt["tm_off"].tolist() == [False, False, False, True, True, False]
    assert melt["qc"].tolist() == [
        "", "", "melt_multiple_peaks;melt_primer_dimer", "melt_primer_dimer", "melt_tm_off",
        "melt_no_peak",
    ]  # fmt: skip
    # the main peak of A3 is the product; a height is the Gaussian top plus the background,
    # a little lower after the 1 °C smoothing window
    assert melt.loc["A3", "tm"] == pytest.approx(84.1, abs=0.2)
    top = 100.0 / (0.8 * np.sqrt(2 * np.pi)) + 0.5
    assert melt.loc["A1", "peak_height"] == pytest.approx(top, rel=0.05)  # smoothing: −3.4 %
    # the area above the chord between the bases is the Gaussian's area
    assert melt.loc["A1", "peak_area"] == pytest.approx(100.0, rel=0.05)
    assert melt.loc["A4", "tm"] < melt.loc["A4", "target_tm"] - DIMER_GAP
    assert set(";".join(melt["qc"]).split(";")) - {""} <= set(MELT_QC) <= set(QC_EVENTS)


def test_control_wells_take_no_part_in_the_consensus() -> None:
    t = np.arange(65.0, 95.0, 0.2)
    curves = pd.concat([_curve(w, t, [(tm, 0.8, 100.0)])
                        for w, tm in [("A1", 84.0), ("A2", 84.0), ("H1", 80.0), ("H2", 80.0),
                                      ("H3", 80.0)]])  # fmt: skip
    wells = pd.DataFrame({"well": ["A1", "A2", "H1", "H2", "H3"], "target": "MYC",
                          "sample_type": ["unkn", "unkn", "ntc", "ntc", "ntc"]})  # fmt: skip
    assert melt_peaks(curves)["target_tm"].iloc[0] == pytest.approx(80.0, abs=0.05)
    assert melt_peaks(curves, wells)["target_tm"].iloc[0] == pytest.approx(84.0, abs=0.05)


def test_ntc_rule_tells_contamination_from_primer_dimer() -> None:
    t = np.arange(65.0, 95.0, 0.2)
    curves = pd.concat([
        _curve("A1", t, [(84.0, 0.8, 100.0)]),
        _curve("A2", t, [(84.0, 0.8, 100.0)]),
        _curve("H1", t, [(84.1, 0.8, 20.0), (76.0, 1.0, 30.0)]),  # contaminated (and dimer)
        _curve("H2", t, [(76.0, 1.0, 30.0)]),  # primer-dimer only
        _curve("H3", t, []),  # clean
    ])  # fmt: skip
    wells = pd.DataFrame({"well": ["A1", "A2", "H1", "H2", "H3"], "target": "MYC",
                          "sample_type": ["unkn", "unkn", "ntc", "ntc", "ntc"]})  # fmt: skip
    events = ntc_melt_events(melt_peaks(curves, wells), wells)
    assert events[["well", "code", "severity"]].values.tolist() == [
        ["H1", "ntc_melt_product", "warn"], ["H2", "ntc_primer_dimer", "info"],
    ]  # fmt: skip
    assert events["threshold"].tolist() == pytest.approx([84.0, 84.0], abs=0.05)
    assert events["message"].tolist() == [
        "NTC well H1 shows a melt peak at the product Tm of MYC (84.0 °C): contamination",
        "NTC well H2 melts only below the product Tm of MYC (84.0 °C), at 76.0 °C: "
        "primer-dimer, not contamination",
    ]
    assert set(events["code"]) <= set(QC_EVENTS)


def test_melt_only_rdml_two_products_and_the_consensus() -> None:
    """rdmlpython's melt-curve test plate (50 SYBR wells of one target, 0.22 °C steps)."""
    melt = melt_peaks(qpcr.read_curves(RDML / "rdml_v1_3_melt_only.rdml")).set_index("well")
    assert len(melt) == 50
    assert set(melt["target"]) == {"CRE"}
    assert melt["target_tm"].iloc[0] == pytest.approx(85.97, abs=0.05)
    rows = {r: melt[melt.index.str.startswith(r)] for r in "GHIJK"}
    # rows G-I melt at the product Tm only; row K melts 6 °C lower only; row J holds both
    for r in "GHI":
        assert rows[r]["tm"].between(85.7, 86.3).all(), r
    assert (rows["K"]["tm"].between(79.7, 80.2) & rows["K"]["primer_dimer"]).all()
    assert (~rows["K"]["product_peak"]).all()
    assert (rows["J"]["n_peaks"] == 2).all()
    assert rows["J"]["product_peak"].all()
    assert int((melt["n_peaks"] == 1).sum()) == 39


def test_cfx_rdml_probe_melt_finds_the_katg_probe_and_empty_water_wells() -> None:
    """The Bio-Rad CFX RDML (1 °C steps): the katG 315 wells melt their probe at ~54.8 °C in the
    Cy5-2 channel, the water wells show no peak."""
    curves = qpcr.read_curves(RDML / "rdml_v1_1_biorad_cfx_melt.rdml")
    melt = melt_peaks(curves)
    probe = melt[melt["target"] == "Cy5-2"].set_index("well")
    assert probe.loc[["D7", "D8"], "tm"].tolist() == pytest.approx([54.77, 54.78], abs=0.01)
    assert probe.loc[["D9", "D10"], "n_peaks"].tolist() == [0, 0]
    assert probe.loc["D9", "qc"] == "melt_no_peak"


def _biorad_melt(path: Path, values: Callable[[np.ndarray], list[np.ndarray]]) -> None:
    """A CFX melt export: ``,Temperature,A1,A2`` then one row per temperature."""
    t = np.arange(65.0, 95.01, 0.5)
    rows = [",Temperature,A1,A2"] + [
        f",{x:.1f},{a:.4f},{b:.4f}" for x, a, b in zip(t, *values(t), strict=True)
    ]
    path.write_text("\n".join(rows) + "\n")


def test_cfx_melt_rfu_and_derivative_exports(tmp_path: Path) -> None:
    """The CFX 'Melt Curve RFU Results' (−dF/dT computed) and 'Melt Curve Derivative Results'
    (−dF/dT as exported) of products at 82 and 86 °C give the same Tm."""

    def rfu(t: np.ndarray) -> list[np.ndarray]:
        return [1000 / (1 + np.exp((t - tm) / 0.6)) + 50 for tm in (82.0, 86.0)]

    def derivative(t: np.ndarray) -> list[np.ndarray]:
        return [np.exp(-0.5 * ((t - tm) / 0.8) ** 2) * 400 for tm in (82.0, 86.0)]

    _biorad_melt(tmp_path / "run - Melt Curve RFU Results_SYBR.csv", rfu)
    _biorad_melt(tmp_path / "run - Melt Curve Derivative Results_SYBR.csv", derivative)
    for name in ("RFU", "Derivative"):
        curves = qpcr.read_curves(tmp_path / f"run - Melt Curve {name} Results_SYBR.csv")
        melt = melt_peaks(curves).set_index("well")
        assert melt.loc[["A1", "A2"], "tm"].tolist() == pytest.approx([82.0, 86.0], abs=0.25)
        assert melt["n_peaks"].tolist() == [1, 1]
    exported = melt_derivative(curves)
    assert exported["derivative"].max() == pytest.approx(400.0)  # used as exported


def test_no_melt_rows_give_an_empty_table_and_short_curves_no_peak() -> None:
    amp = pd.DataFrame({"plate": "p", "well": "A1", "target": "", "reporter": "", "sample": "",
                        "kind": "amplification", "cycle": [1.0, 2.0], "temperature": np.nan,
                        "fluorescence": [1.0, 2.0], "derivative": np.nan})  # fmt: skip
    empty = melt_peaks(amp)
    assert empty.columns.tolist() == MELT.names()
    assert empty.empty
    short = _curve("A1", np.array([80.0, 80.5]), [])
    assert melt_peaks(short)[["n_peaks", "qc"]].values.tolist() == [[0, "melt_no_peak"]]


def test_melt_only_rdml_agrees_with_rdmlpython() -> None:
    """rdmlpython's expected results for the same plate (its melt-curve test 1): the tallest
    peak's temperature per well. rdmlpython reads Tm off its smoothed, normalised grid; ours is
    the parabola top on the measured temperatures. They agree within 0.5 °C (about two reading
    steps) in 49 of 50 wells, ours a median 0.25 °C higher; J15 holds two near-equal peaks
    (ours 86.1 °C, rdmlpython 79.4 °C), and each tool calls the other's peak as well."""
    reference = pd.read_csv(DATA / "reference" / "melt" / "rdmlpython_mca_1_peaks.csv")
    melt = melt_peaks(qpcr.read_curves(RDML / "rdml_v1_3_melt_only.rdml")).set_index("well")
    diff = melt.loc[reference["well"], "tm"].to_numpy() - reference["tallest_peak_temp"].to_numpy()
    assert int((np.abs(diff) <= 0.5).sum()) == 49
    assert 0.15 <= float(np.median(diff)) <= 0.35
    j15 = reference.set_index("well").loc["J15", "peak_temps"].split(";")
    assert any(abs(float(t) - melt.loc["J15", "tm"]) <= 0.5 for t in j15)


@settings(max_examples=60, deadline=None)
# a smoothing half-width (from a close pair of readings) wider than a one-reading curve
@example(readings=[[0.0, 0.0], [0.0, 0.0], [0.0]], jitter=1.0)
@given(
    st.lists(
        st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=40),
        min_size=1,
        max_size=6,
    ),
    st.floats(0.0, 1.0),
)
def test_any_curves_give_a_well_formed_table(readings: list[list[float]], jitter: float) -> None:
    """Whatever the readings (flat, noisy, repeated or unsorted temperatures), every curve
    gets one row, a Tm inside its temperature range, and codes that agree with the counts."""
    rng = np.random.default_rng(len(readings))
    frames = []
    for i, values in enumerate(readings):
        t = 70.0 + 0.25 * np.arange(len(values)) + rng.uniform(-jitter, jitter, len(values))
        frames.append(_curve(f"A{i + 1}", t, []).assign(fluorescence=values))
    curves = pd.concat(frames)
    melt = melt_peaks(curves).set_index("well")
    assert len(melt) == len(readings)
    for well, part in curves.groupby("well"):
        row = melt.loc[well]
        low, high = part["temperature"].min(), part["temperature"].max()
        assert np.isnan(row["tm"]) or low <= row["tm"] <= high
        assert (row["n_peaks"] == 0) == ("melt_no_peak" in row["qc"])
        assert (row["n_peaks"] > 1) == ("melt_multiple_peaks" in row["qc"])
        assert not row["primer_dimer"] or row["n_peaks"] >= 1


def test_melt_codes_become_qc_events_one_per_well_and_code() -> None:
    melt = melt_peaks(qpcr.read_curves(RDML / "rdml_v1_3_melt_only.rdml"))
    events = melt_qc_events(melt)
    codes = melt["qc"].str.split(";").explode()
    assert events["code"].value_counts().to_dict() == codes[codes != ""].value_counts().to_dict()
    assert set(events["severity"]) <= {"info", "warn"}
    k12 = events[(events["well"] == "K12")].iloc[0]
    assert k12["code"] == "melt_primer_dimer"
    assert k12["message"] == (
        "well K12 (CRE): a melt peak more than 3 °C below the target's 86.0 °C (primer-dimer)"
    )
    assert k12["value"] == pytest.approx(80.03, abs=0.02)


def test_the_quality_stage_adds_the_ntc_melt_events_when_given_a_melt_table() -> None:
    """Two NTCs amplify late (10 cycles after the samples: no Cq-rule event): the melt tells
    the one melting at the product Tm (contamination, warn) from the primer-dimer one (info)."""
    from qpcr.config import AnalysisConfig
    from qpcr.stages.quality import quality

    t = np.arange(65.0, 95.0, 0.2)
    curves = pd.concat([
        _curve("A1", t, [(84.0, 0.8, 100.0)]), _curve("A2", t, [(84.0, 0.8, 100.0)]),
        _curve("H1", t, [(84.1, 0.8, 40.0)]),  # the product: contamination
        _curve("H2", t, [(76.0, 1.0, 30.0)]),  # primer-dimer only
    ])  # fmt: skip
    wells = pd.DataFrame({"well": ["A1", "A2", "H1", "H2"], "sample": ["s1", "s1", "NTC", "NTC"],
                          "target": "MYC", "sample_type": ["unkn", "unkn", "ntc", "ntc"],
                          "cq": [24.0, 24.1, 34.0, 35.0], "cq_status": "ok"})  # fmt: skip
    melt = melt_peaks(curves, wells)
    plain = quality(wells, AnalysisConfig()).qc
    checked = quality(wells, AnalysisConfig(), melt=melt).qc
    assert not plain["code"].str.startswith("ntc_melt").any()
    added = checked.iloc[len(plain) :]
    assert added[["well", "code", "severity"]].values.tolist() == [
        ["H1", "ntc_melt_product", "warn"], ["H2", "ntc_primer_dimer", "info"],
    ]  # fmt: skip
    assert added["value"].tolist() == pytest.approx([84.1, 76.0], abs=0.05)
    assert checked["code"].iloc[: len(plain)].tolist() == plain["code"].tolist()
    assert quality(wells, AnalysisConfig(), melt=melt.iloc[:0]).qc.equals(plain)
    assert list(checked.columns) == list(plain.columns)  # rule and observed filled in too
    assert added["rule"].tolist() == ["ntc-melt-product", "ntc-primer-dimer"]
