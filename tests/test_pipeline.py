"""End-to-end analysis on methods.md's worked dataset (§2.0): T17, T18, T20, properties, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qpcr.config import AnalysisConfig, Contrast
from qpcr.errors import ConfigError, InputError, MissingControlError
from qpcr.pipeline import analyze

DATASET = Path(__file__).parent / "data" / "methods" / "dataset_2_0.csv"
HT_VS_HV = Contrast(
    "tocilizumab under hypoxia",
    {"oxygen": "hypoxia", "treatment": "tocilizumab"},
    {"oxygen": "hypoxia", "treatment": "vehicle"},
)
CONFIG = AnalysisConfig(
    reference_genes=("REF_A", "REF_B"),
    replicate="donor",
    control={"oxygen": "normoxia", "treatment": "vehicle"},
    ratios={"RANKL/OPG": ("RANKL", "OPG")},
    contrasts=(HT_VS_HV,),
)


@pytest.fixture(scope="module")
def results():
    return analyze([DATASET], config=CONFIG)


def _row(table: pd.DataFrame, contrast: str, **match: str) -> pd.Series:
    rows = table[table["contrast"] == contrast]
    for key, value in match.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize(
    ("target", "fc", "p", "ci"),
    [("BMP2", 2.6789, 0.002781, (2.1412, 3.3518)), ("VEGFA", 1.7271, 0.03701, (1.0845, 2.7504)),
     ("RANKL", 0.5503, 0.02773, (0.3555, 0.8520)), ("OPG", 1.5175, 0.08561, (0.8653, 2.6612))],
)  # fmt: skip
def test_t17_paired_simple_effect(results, target, fc, p, ci) -> None:
    row = _row(results.fold_changes, HT_VS_HV.name, target=target)
    assert row["test"] == "paired t"
    assert row["n"] == 3
    assert row["fold_change"] == pytest.approx(fc, abs=1e-4)
    assert row["p_value"] == pytest.approx(p, abs=1e-5)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(ci, abs=1e-4)


def test_t18_rankl_opg_ratio(results) -> None:
    row = _row(results.ratios, HT_VS_HV.name, ratio="RANKL/OPG")
    assert row["fold_change"] == pytest.approx(0.3627, abs=1e-4)
    assert row["p_value"] == pytest.approx(0.001574, abs=1e-6)
    groups = results.ratios[results.ratios["contrast"].isin(["control"]) |
                            results.ratios["contrast"].str.endswith("vs control")]  # fmt: skip
    hv = groups[(groups["oxygen"] == "hypoxia") & (groups["treatment"] == "vehicle")].iloc[0]
    per_donor = [0.015843, 0.021344, 0.016064]
    assert hv["value"] == pytest.approx(np.exp(np.mean(np.log(per_donor))), rel=1e-3)


def test_t20_holm_across_targets_and_ratio(scratch: Path) -> None:
    """T20: the family is the four genes plus RANKL/OPG for HT − HV."""
    data = pd.read_csv(DATASET)
    data = data[~data["target"].isin(["REF_C", "GAPDH"])]
    four = analyze([_write(data, scratch)], config=CONFIG)
    p_adj = _row(four.fold_changes, HT_VS_HV.name, target="BMP2")["p_adj"]
    assert p_adj == pytest.approx(0.01112, abs=1e-4)
    ratio = _row(four.ratios, HT_VS_HV.name, ratio="RANKL/OPG")
    assert ratio["p_adj"] == pytest.approx(0.007868, abs=1e-5)
    bh = analyze([_write(data, scratch)], config=CONFIG.with_overrides(adjust="bh"))
    assert _row(bh.fold_changes, HT_VS_HV.name, target="VEGFA")["p_adj"] == pytest.approx(
        0.04626, abs=1e-4
    )


_COUNTER = iter(range(10**6))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tables")


def _write(frame: pd.DataFrame, folder: Path) -> Path:
    path = folder / f"table_{next(_COUNTER)}.csv"
    frame.to_csv(path, index=False)
    return path


def test_welch_when_donors_do_not_pair(scratch: Path) -> None:
    data = pd.read_csv(DATASET)
    data["donor"] = data["sample"]  # every sample its own donor: nothing pairs
    out = analyze([_write(data, scratch)], config=CONFIG)
    row = _row(out.fold_changes, HT_VS_HV.name, target="BMP2")
    assert row["test"] == "welch"
    assert row["p_value"] == pytest.approx(0.00571, abs=1e-5)


def test_single_biological_sample_gets_a_fold_change_without_a_test(scratch: Path) -> None:
    data = pd.read_csv(DATASET)
    data = data[~((data["sample"].str.endswith("HT")) & (data["donor"] != "D1"))]
    out = analyze([_write(data, scratch)], config=CONFIG.with_overrides(test="welch"))
    row = _row(out.fold_changes, "oxygen=hypoxia, treatment=tocilizumab vs control", target="BMP2")
    assert row["n"] == 1
    assert np.isfinite(row["fold_change"])
    assert np.isnan(row["p_value"])
    assert "fewer than" in row["note"]


def test_technical_replicates_are_not_n(scratch: Path) -> None:
    """T21: three pseudo-replicate wells per sample give the same answer as their mean."""
    data = pd.read_csv(DATASET)
    wells = pd.concat([data.assign(cq=data["cq"] + d) for d in (-0.1, 0.0, 0.1)])
    out = analyze([_write(wells, scratch)], config=CONFIG.with_overrides(test="welch"))
    row = _row(out.fold_changes, HT_VS_HV.name, target="BMP2")
    assert (row["n"], row["n_ref"]) == (3, 3)
    assert row["p_value"] == pytest.approx(0.00571, abs=1e-5)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shift=st.floats(-5, 5, allow_nan=False), seed=st.integers(0, 2**16))
def test_invariances(results, scratch: Path, shift: float, seed: int) -> None:
    """A constant added to every Cq changes no ΔΔCq; shuffling rows changes nothing."""
    data = pd.read_csv(DATASET)
    base = results.fold_changes
    moved = data.assign(cq=data["cq"] + shift).sample(frac=1, random_state=seed)
    other = analyze([_write(moved, scratch)], config=CONFIG).fold_changes
    key = ["contrast", "target"]
    a, b = base.set_index(key).sort_index(), other.set_index(key).sort_index()
    np.testing.assert_allclose(a["log2_fold_change"], b["log2_fold_change"], atol=1e-9)
    np.testing.assert_allclose(a["p_value"], b["p_value"], atol=1e-9)


def test_swapping_treatment_and_control_negates_log2_fold_change(results) -> None:
    swapped = analyze([DATASET], config=CONFIG.with_overrides(
        control={"oxygen": "hypoxia", "treatment": "tocilizumab"}))  # fmt: skip
    a = _row(results.fold_changes, "oxygen=hypoxia, treatment=tocilizumab vs control",
             target="VEGFA")  # fmt: skip
    b = _row(swapped.fold_changes, "oxygen=normoxia, treatment=vehicle vs control",
             target="VEGFA")  # fmt: skip
    assert b["log2_fold_change"] == pytest.approx(-a["log2_fold_change"], abs=1e-12)
    assert b["p_value"] == pytest.approx(a["p_value"], abs=1e-12)


def test_control_group_mean_ddcq_is_zero(results) -> None:
    s = results.samples
    ctrl = s[(s["oxygen"] == "normoxia") & (s["treatment"] == "vehicle")]
    assert ctrl.groupby("target")["log2_rq"].mean().sub(
        ctrl.groupby("target")["log2_rq"].mean()).abs().max() == 0  # fmt: skip
    ratio = results.ratios[results.ratios["contrast"] == "control"]
    assert (ratio["fold_change"] == 1.0).all()


def test_every_well_is_accounted_for(results) -> None:
    assert len(results.wells) == len(pd.read_csv(DATASET))
    assert results.wells["excluded"].sum() == 0


def test_missing_reference_gene_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"reference gene 'REF_X'.*did you mean 'REF_"):
        analyze([DATASET], config=CONFIG.with_overrides(reference_genes=("REF_X",)))


def test_unknown_factor_level_is_a_config_error() -> None:
    bad = CONFIG.with_overrides(control={"oxygen": "normoxic", "treatment": "vehicle"})
    with pytest.raises(ConfigError, match=r"level 'normoxic'.*did you mean 'normoxia'"):
        analyze([DATASET], config=bad)


def test_unknown_factor_is_a_config_error() -> None:
    bad = CONFIG.with_overrides(control={"oxygn": "normoxia", "treatment": "vehicle"})
    with pytest.raises(ConfigError, match=r"factor 'oxygn'.*did you mean 'oxygen'"):
        analyze([DATASET], config=bad)


def test_no_control_group() -> None:
    with pytest.raises(MissingControlError, match="no control group"):
        analyze([DATASET], config=AnalysisConfig(reference_genes=("REF_A",)))


def test_empty_export(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        analyze([empty], config=CONFIG)
