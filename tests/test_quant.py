"""ΔCq engine against methods.md worked examples (T01, T03, T06, T08, T10, T11)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qpcr.errors import ConfigError
from qpcr.quant import normalise, ratio_table, summarise_replicates

DATASET = "tests/data/methods/dataset_2_0.csv"


def _replicates(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """(sample, target, cq_mean, cq_se) → a replicates table."""
    frame = pd.DataFrame(rows, columns=["sample", "target", "cq_mean", "cq_se"])
    return frame.assign(n=1, n_used=1, cq_sd=np.nan, cq_range=0.0)


def test_t01_replicates_are_averaged_on_the_cq_scale() -> None:
    wells = pd.DataFrame({"sample": "s", "target": "g", "cq_used": [24.9, 25.1, 25.3]})
    rep = summarise_replicates(wells).iloc[0]
    assert rep["cq_mean"] == pytest.approx(25.1, abs=1e-12)
    assert rep["cq_sd"] == pytest.approx(0.2, abs=1e-12)
    assert rep["cq_se"] == pytest.approx(0.115470, abs=1e-6)
    assert rep["cq_range"] == pytest.approx(0.4, abs=1e-12)
    assert rep["cq_mean"] != pytest.approx(25.090773, abs=1e-3)  # not the linear-scale mean


def test_excluded_wells_do_not_count() -> None:
    wells = pd.DataFrame({"sample": "s", "target": "g", "cq_used": [20.0, np.nan, 21.0]})
    rep = summarise_replicates(wells).iloc[0]
    assert (rep["n"], rep["n_used"], rep["cq_mean"]) == (3, 2, 20.5)


def test_t03_livak_fold_change() -> None:
    rep = _replicates([("c", "T", 25.0, 0), ("c", "R", 20.0, 0), ("t", "T", 23.0, 0),
                       ("t", "R", 20.2, 0)])  # fmt: skip
    out = normalise(rep, ["R"]).set_index("sample")
    ddcq = out.loc["t", "delta_cq"] - out.loc["c", "delta_cq"]
    assert ddcq == pytest.approx(-2.2)
    assert 2 ** (-ddcq) == pytest.approx(4.594793, abs=1e-6)


def test_t06_pfaffl_ratio() -> None:
    rep = _replicates([("c", "T", 25.0, 0), ("c", "R", 20.0, 0), ("t", "T", 23.0, 0),
                       ("t", "R", 20.2, 0)])  # fmt: skip
    out = normalise(rep, ["R"], efficiency={"T": 1.9, "R": 2.0}).set_index("sample")
    ratio = 2 ** (out.loc["t", "log2_rq"] - out.loc["c", "log2_rq"])
    assert ratio == pytest.approx(4.146801, abs=1e-6)


def test_t08_qbase_error_propagation() -> None:
    """Single target with E 1.95 ± 0.02 at Cq 27.0 ± 0.05 against a run mean of 28.0 and two
    references with RQ 1.20 ± 0.05 and 0.90 ± 0.04 (methods.md T08): NRQ 1.876388 ± 0.086965."""
    e, se_e = 1.95, 0.02
    # a second sample at Cq 29 makes the target's run mean 28.0 (qBase's Cq̄)
    ref_cq = {"R1": -np.log2(1.20), "R2": -np.log2(0.90)}  # Cq̄ − Cq = log2 RQ for E = 2
    se_ref_cq = {"R1": 0.05 / (1.20 * np.log(2)), "R2": 0.04 / (0.90 * np.log(2))}
    rows = [("s", "G", 27.0, 0.05), ("other", "G", 29.0, 0.05)]
    rows += [("s", r, ref_cq[r], se_ref_cq[r]) for r in ("R1", "R2")]
    rows += [("other", r, -ref_cq[r], 0.0) for r in ("R1", "R2")]  # run means of refs are 0
    out = normalise(_replicates(rows), ["R1", "R2"], efficiency={"G": e},
                    efficiency_se={"G": se_e}).set_index("sample")  # fmt: skip
    s = out.loc["s"]
    rq_g = e ** (28.0 - 27.0)
    nrq = rq_g / np.sqrt(1.20 * 0.90)
    # log2 RQ differs from qBase's by the per-gene constant Cq̄·log2 E (removed by calibration)
    assert 2 ** (s["log2_rq"] + 28.0 * np.log2(e)) == pytest.approx(nrq, rel=1e-12)
    assert nrq == pytest.approx(1.876388, abs=1e-6)
    assert nrq * np.log(2) * s["se_log2_rq"] == pytest.approx(0.086965, abs=1e-6)


def _dataset() -> pd.DataFrame:
    data = pd.read_csv(DATASET)
    rep = data.rename(columns={"cq": "cq_mean"}).assign(cq_se=0.0, n=1, n_used=1)
    return rep


def _group(sample: pd.Series) -> pd.Series:
    return sample.str.split("-").str[1]


def test_t10_qbase_nrq_with_efficiencies() -> None:
    """BMP2 normalised to REF_A and REF_B with E 1.95/2.00/1.93 (methods.md T10)."""
    eff = {"BMP2": 1.95, "REF_A": 2.00, "REF_B": 1.93}
    for efficiency, expected in ((eff, 2.5887), ({}, 2.6789)):
        out = normalise(_dataset(), ["REF_A", "REF_B"], efficiency=efficiency)
        bmp2 = out[out["target"] == "BMP2"].set_index("sample")["log2_rq"]
        donors = ("D1", "D2", "D3")
        per_donor = [bmp2[f"{d}-HT"] - bmp2[f"{d}-HV"] for d in donors]
        assert 2 ** np.mean(per_donor) == pytest.approx(expected, abs=1e-4)
    out = normalise(_dataset(), ["REF_A", "REF_B"], efficiency=eff)
    bmp2 = out[out["target"] == "BMP2"].assign(group=lambda d: _group(d["sample"]))
    nv = bmp2.loc[bmp2["group"] == "NV", "log2_rq"].mean()
    gm = 2 ** (bmp2.groupby("group")["log2_rq"].mean() - nv)
    assert gm.to_dict() == pytest.approx(
        {"NV": 1.0, "NT": 1.1016, "HV": 0.6205, "HT": 1.6064}, abs=1e-4
    )


def test_t17_delta_cq_of_bmp2() -> None:
    out = normalise(_dataset(), ["REF_A", "REF_B"])
    dcq = out[out["target"] == "BMP2"].set_index("sample")["delta_cq"]
    expected = [4.15, 3.95, 4.79, 3.495, 4.54, 4.75, 5.34, 3.785, 4.015, 3.57, 4.715, 3.30]
    np.testing.assert_allclose(dcq.to_numpy(), expected, atol=1e-9)


def test_missing_reference_makes_the_sample_unusable() -> None:
    rep = _dataset()
    rep.loc[(rep["sample"] == "D1-NV") & (rep["target"] == "REF_B"), "cq_mean"] = np.nan
    out = normalise(rep, ["REF_A", "REF_B"]).set_index(["sample", "target"])
    assert np.isnan(out.loc[("D1-NV", "BMP2"), "delta_cq"])
    assert "REF_B" in out.loc[("D1-NV", "BMP2"), "note"]
    assert out.loc[("D2-NV", "BMP2"), "note"] == ""


def test_t18_ratio_of_two_targets_cancels_the_references() -> None:
    out = normalise(_dataset(), ["REF_A", "REF_B"])
    ratios = ratio_table(out, {"RANKL/OPG": ("RANKL", "OPG")}, []).set_index("sample")
    data = pd.read_csv(DATASET).pivot_table(index="sample", columns="target", values="cq")
    direct = -(data["RANKL"] - data["OPG"])
    np.testing.assert_allclose(ratios["log2_ratio"], direct[ratios.index], atol=1e-12)
    assert ratios.loc["D1-NV", "ratio_value"] == pytest.approx(0.006615, abs=1e-6)
    assert ratios.loc["D2-HV", "ratio_value"] == pytest.approx(0.021344, abs=1e-6)


def test_per_well_delta_cq_skips_a_well_whose_reference_is_unused() -> None:
    """pairing = well: ΔCq per well (25.0 − 18.0 = 7.0, 25.6 − 18.4 = 7.2); the third well's
    GAPDH is excluded (cq_used NaN), so its MYC well gives no ΔCq_w. Mean 7.1, SD 0.141421,
    SE 0.1; the per-sample pairing would take 25.3 − 18.2 from the replicate means instead."""
    from qpcr.quant import pairing_of

    wells = pd.DataFrame({
        "plate": "p1", "well": ["A1", "A1", "A2", "A2", "A3", "A3"], "sample": "s1",
        "target": ["MYC", "GAPDH"] * 3, "cq_used": [25.0, 18.0, 25.6, 18.4, 25.3, np.nan],
        "censored": False,
    })  # fmt: skip
    assert pairing_of(wells, ["GAPDH"], "auto") == "well"
    rq = normalise(summarise_replicates(wells), ["GAPDH"], wells=wells).iloc[0]
    assert rq["delta_cq"] == pytest.approx(7.1, abs=1e-12)
    assert rq["ref_cq"] == pytest.approx(18.2, abs=1e-12)
    assert rq["delta_cq_sd"] == pytest.approx(0.141421, abs=1e-6)
    assert rq["se_log2_rq"] == pytest.approx(0.1, abs=1e-12)
    assert rq["cq_mean"] == pytest.approx(25.3, abs=1e-12)  # the target's replicate mean
    assert pairing_of(wells, ["GAPDH"], "sample") == "sample"
    with pytest.raises(ConfigError, match=r"1 target well\(s\) hold no reference gene \(A4"):
        pairing_of(pd.concat([wells, wells.iloc[:1].assign(well="A4")]), ["GAPDH"], "well")
