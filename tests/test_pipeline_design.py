"""Factorial analysis, reference-gene stability and standard curves inside the analysis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qpcr.config import AnalysisConfig
from qpcr.errors import ConfigError, InputError
from qpcr.pipeline import analyze

DATASET = Path(__file__).parent / "data" / "methods" / "dataset_2_0.csv"
CONFIG = AnalysisConfig(
    reference_genes=("REF_A", "REF_B"),
    replicate="donor",
    control={"oxygen": "normoxia", "treatment": "vehicle"},
    ratios={"RANKL/OPG": ("RANKL", "OPG")},
)


@pytest.fixture(scope="module")
def results():
    return analyze([DATASET], config=CONFIG)


def _anova(results, name: str) -> pd.DataFrame:
    table = results.tables["anova"]
    return table[table["name"] == name].set_index("term")


def test_t17_blocked_anova(results) -> None:
    bmp2 = _anova(results, "BMP2")
    assert bmp2.loc["oxygen", "F"] == pytest.approx(0.592, abs=1e-3)
    assert bmp2.loc["treatment", "F"] == pytest.approx(64.526, abs=1e-3)
    assert bmp2.loc["oxygen × treatment", "F"] == pytest.approx(42.849, abs=1e-3)
    assert bmp2.loc["oxygen × treatment", "p_value"] == pytest.approx(0.000608, abs=1e-6)
    assert bmp2.loc["donor", "F"] == pytest.approx(18.492, abs=1e-3)
    vegfa = _anova(results, "VEGFA")
    assert vegfa.loc["oxygen", "F"] == pytest.approx(409.785, abs=1e-3)
    ratio = _anova(results, "RANKL/OPG")
    assert ratio.loc["oxygen × treatment", "F"] == pytest.approx(135.876, abs=1e-2)


def test_t17_rcbd_contrast_and_interaction(results) -> None:
    c = results.tables["contrasts"]
    bmp2 = c[c["name"] == "BMP2"].set_index("contrast")
    ht_hv = bmp2.loc["treatment: tocilizumab vs vehicle | oxygen=hypoxia"]
    assert ht_hv["fold_change"] == pytest.approx(2.6789, abs=1e-4)
    assert ht_hv["p_value"] == pytest.approx(4.869e-05, rel=1e-3)
    assert (ht_hv["fc_ci_low"], ht_hv["fc_ci_high"]) == pytest.approx((2.1202, 3.3849), abs=1e-4)
    inter = bmp2[bmp2["kind"] == "interaction"].iloc[0]
    assert inter["estimate_log2"] == pytest.approx(1.2767, abs=1e-4)  # −(−1.2767) on ΔCq
    family = c[c["contrast"] == ht_hv.name]
    assert len(family) == 7  # REF_C, GAPDH, BMP2, VEGFA, RANKL, OPG and RANKL/OPG
    assert family["p_adj"].min() >= family["p_value"].min()


def test_stability_over_candidates_and_auto_choice() -> None:
    candidates = ("REF_A", "REF_B", "REF_C", "GAPDH")
    config = CONFIG.with_overrides(reference_genes=("auto",), candidate_genes=candidates)
    out = analyze([DATASET], config=config)
    assert out.reference_genes in (("REF_A", "REF_B"), ("REF_B", "REF_A"))
    genes = out.tables["reference_genes"].set_index("target")
    assert genes.loc["GAPDH", "genorm_m"] == pytest.approx(0.5240, abs=1e-4)
    assert genes.loc["GAPDH", "rank"] == 4
    assert any("reference genes chosen by geNorm" in w for w in out.notes)


def test_gapdh_as_reference_under_hypoxia_warns() -> None:
    out = analyze([DATASET], config=CONFIG.with_overrides(reference_genes=("GAPDH",)))
    rules = set(out.qc.loc[out.qc["target"] == "GAPDH", "rule"])
    assert "hypoxia-responsive" in rules
    assert "reference-depends-on-factor" in rules
    assert any("GAPDH" in w for w in out.warnings)
    hv = out.fold_changes[(out.fold_changes["target"] == "BMP2")
                          & (out.fold_changes["oxygen"] == "hypoxia")
                          & (out.fold_changes["treatment"] == "vehicle")].iloc[0]  # fmt: skip
    assert hv["fold_change"] == pytest.approx(0.3544, abs=1e-4)  # T24: the biased answer


def test_auto_needs_candidates() -> None:
    with pytest.raises(ConfigError, match="at least 3 candidate_genes"):
        analyze([DATASET], config=CONFIG.with_overrides(reference_genes=("auto",)))


def _curve_plate(tmp_path: Path, with_reference: bool) -> Path:
    """T07 standards (log10 quantity 5..1) in duplicate for G, two unknowns, optionally a REF."""
    cq = [15.10, 18.45, 21.80, 25.10, 28.50]
    rows = []
    for rep in range(2):
        for level, value in zip(range(5, 0, -1), cq, strict=True):
            rows.append({"well": f"{'AB'[rep]}{level}", "sample": f"std{level}", "target": "G",
                         "cq": value, "quantity": 10.0**level, "sample_type": "std",
                         "group": ""})  # fmt: skip
    unknowns = [("u1", "ctrl", 24.0, 20.0, "C1"), ("u2", "trt", 22.0, 20.1, "C2")]
    for sample, group, g, ref, well in unknowns:
        rows.append({"well": well, "sample": sample, "target": "G", "cq": g, "quantity": None,
                     "sample_type": "unkn", "group": group})  # fmt: skip
        if with_reference:
            rows.append({"well": well.replace("C", "D"), "sample": sample, "target": "REF",
                         "cq": ref, "quantity": None, "sample_type": "unkn",
                         "group": group})  # fmt: skip
    path = tmp_path / "curve.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_standard_curve_gives_efficiency_and_quantities(tmp_path: Path) -> None:
    config = AnalysisConfig(reference_genes=("REF",), control={"group": "ctrl"})
    out = analyze([_curve_plate(tmp_path, True)], config=config)
    curve = out.tables["standard_curves"].iloc[0]
    assert curve["slope"] == pytest.approx(-3.345, abs=1e-6)
    assert curve["efficiency"] == pytest.approx(1.990461, abs=1e-6)
    assert curve["n_points"] == 10
    assert out.efficiency["G"] == pytest.approx(1.990461, abs=1e-6)
    assert any("efficiency of G from its standard curve" in w for w in out.notes)
    quantities = out.tables["quantities"].set_index("sample")
    assert quantities.loc["u1", "quantity"] == pytest.approx(10 ** ((24.0 - 31.825) / -3.345))
    log2_fc = out.fold_changes.iloc[0]["log2_fold_change"]
    e = 1.990461
    assert log2_fc == pytest.approx((24.0 - 22.0) * np.log2(e) - (20.0 - 20.1), abs=1e-5)


def test_absolute_quantification_needs_no_settings(tmp_path: Path) -> None:
    out = analyze([_curve_plate(tmp_path, False)])
    assert out.fold_changes.empty
    assert set(out.tables) == {"standard_curves", "quantities"}
    assert len(out.tables["quantities"]) == 2


def test_per_plate_or_pooled_efficiency(tmp_path: Path) -> None:
    """Standards of G on two plates with E 2.0 and 1.9; G's samples are on plate p2 only."""
    rows = []
    for plate, e in (("p1", 2.0), ("p2", 1.9)):
        slope = -1 / np.log10(e)
        for rep in range(2):
            for level in range(1, 6):
                rows.append({"plate": plate, "well": f"{'AB'[rep]}{level}",
                             "sample": f"s{level}", "target": "G",
                             "cq": 35 + slope * level + 0.01 * rep, "quantity": 10.0**level,
                             "sample_type": "std", "group": ""})  # fmt: skip
    for i, (sample, group) in enumerate((("u1", "ctrl"), ("u2", "trt"))):
        for target, cq in (("G", 24.0 - 2 * i), ("REF", 20.0)):
            rows.append({"plate": "p2", "well": f"C{2 * i + (target == 'REF') + 1}",
                         "sample": sample, "target": target, "cq": cq, "quantity": None,
                         "sample_type": "unkn", "group": group})  # fmt: skip
    path = tmp_path / "plates.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    config = AnalysisConfig(reference_genes=("REF",), control={"group": "ctrl"})
    pooled = analyze([path], config=config)
    own = analyze([path], config=config.with_overrides(pooled_efficiency=False))
    assert own.efficiency["G"] == pytest.approx(1.9, abs=1e-3)
    assert 1.9 < pooled.efficiency["G"] < 2.0
    assert any("of plate p2" in n for n in own.notes)
    log2_fc = own.fold_changes.iloc[0]["log2_fold_change"]
    assert log2_fc == pytest.approx(2 * np.log2(1.9), abs=1e-2)


def test_one_missing_sample_keeps_its_donor(tmp_path: Path) -> None:
    """D3-HT fails (its RNA extraction, say): D3's other three samples stay in the factorial
    analysis, through the REML mixed model; BMP2's numbers are lmerTest's
    (tests/reference/mixed_lmertest_*.csv, t17_bmp2_d3_ht_missing)."""
    data = pd.read_csv(DATASET)
    path = tmp_path / "missing.csv"
    data[data["sample"] != "D3-HT"].to_csv(path, index=False)
    found = analyze([path], config=CONFIG)
    c = found.tables["contrasts"]
    bmp2 = c[c["name"] == "BMP2"].set_index("contrast")
    ht_hv = bmp2.loc["treatment: tocilizumab vs vehicle | oxygen=hypoxia"]
    assert (ht_hv["estimate_log2"], ht_hv["se"], ht_hv["df"]) == pytest.approx(
        (1.4585394078468, 0.168511279983178, 5.04288786889668), rel=1e-4
    )
    assert ht_hv["test"] == "mixed model (REML, Satterthwaite df)"
    assert bmp2["n"].tolist() == [6, 5, 6, 5, 11]
    anova = _anova(found, "BMP2")
    assert anova.loc["oxygen × treatment", "F"] == pytest.approx(34.6517674263246, rel=1e-4)
    assert anova.loc["oxygen × treatment", "den_df"] == pytest.approx(5.02303535, rel=1e-4)


def test_a_sample_in_two_conditions_is_refused_with_its_values() -> None:
    data = pd.read_csv(DATASET)
    name = data["sample"].iloc[0]
    row = data.index[data["sample"].eq(name)][-1]
    other = "hypoxia" if data.loc[row, "oxygen"] == "normoxia" else "normoxia"
    data.loc[row, "oxygen"] = other
    with pytest.raises(InputError, match=f"sample '{name}' has different design values") as err:
        analyze([data], config=CONFIG)
    assert f"oxygen={other}" in str(err.value)


def test_samples_without_a_factor_level_are_named() -> None:
    data = pd.read_csv(DATASET)
    name = data["sample"].iloc[0]
    data.loc[data["sample"].eq(name), "treatment"] = ""
    with pytest.raises(InputError, match=f"sample\\(s\\) {name} have no value for oxygen, "):
        analyze([data], config=CONFIG)
