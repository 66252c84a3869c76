"""QC inside the analysis: outliers, non-detects (censoring, bounds, not detected), controls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qpcr.config import AnalysisConfig
from qpcr.pipeline import analyze

CONFIG = AnalysisConfig(
    reference_genes=("REF",), replicate="donor", control={"treatment": "ctrl"}, test="welch"
)


def _plate(tmp_path: Path, edits: dict[tuple[str, str, int], object] | None = None) -> Path:
    """3 donors × ctrl/drug, target T and reference REF in triplicate; T is 1 cycle lower
    (2-fold up) with the drug. ``edits`` replace the Cq of (sample, target, replicate)."""
    rows, well = [], 0
    for donor in ("D1", "D2", "D3"):
        for treatment, shift in (("ctrl", 0.0), ("drug", -1.0)):
            sample = f"{donor}-{treatment}"
            for target, base in (("T", 28.0 + shift), ("REF", 20.0)):
                for rep in range(3):
                    well += 1
                    noise = 0.07 * ((7 * well) % 5 - 2) / 2  # deterministic, within 0.14
                    cq = base + 0.05 * (rep - 1) + 0.1 * int(donor[1]) + noise
                    cq = (edits or {}).get((sample, target, rep), cq)
                    rows.append({"well": f"{'ABCDEFGH'[(well - 1) // 12]}{(well - 1) % 12 + 1}",
                                 "sample": sample, "target": target, "cq": cq,
                                 "donor": donor, "treatment": treatment})  # fmt: skip
    path = tmp_path / "plate.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _fc(results, target: str = "T") -> pd.Series:
    fc = results.fold_changes
    return fc[fc["target"] == target].iloc[0]


def test_clean_plate(tmp_path: Path) -> None:
    out = analyze([_plate(tmp_path)], config=CONFIG)
    assert _fc(out)["fold_change"] == pytest.approx(2.0, abs=1e-9)
    assert out.qc.empty


def test_outlier_well_is_excluded_with_its_reason(tmp_path: Path) -> None:
    path = _plate(tmp_path, {("D2-ctrl", "T", 2): 29.9})
    out = analyze([path], config=CONFIG)
    wells = out.wells
    bad = wells[(wells["sample"] == "D2-ctrl") & (wells["target"] == "T") & wells["excluded"]]
    assert len(bad) == 1
    assert bad["exclude_reason"].iloc[0].startswith("replicate outlier (modified z")
    assert _fc(out)["fold_change"] == pytest.approx(2.0, abs=0.01)  # the outlier is gone
    event = out.qc[out.qc["rule"] == "replicate-spread"].iloc[0]
    assert "excluded" in event["message"]
    kept = analyze([path], config=CONFIG.with_overrides(keep_outliers=True))
    assert not kept.wells["excluded"].any()
    assert kept.wells["outlier"].sum() == 1
    assert _fc(kept)["fold_change"] > 2.1  # a high control Cq inflates the fold change


def test_duplicate_spread_is_flagged_not_resolved(tmp_path: Path) -> None:
    """Two of three wells disagree by > 0.5 with the third in the middle: no single outlier."""
    path = _plate(tmp_path, {("D1-drug", "T", 0): 26.5, ("D1-drug", "T", 2): 27.7})
    out = analyze([path], config=CONFIG)
    assert not out.wells["excluded"].any()
    assert "all kept" in out.qc[out.qc["rule"] == "replicate-spread"]["message"].iloc[0]


def test_partial_non_detect_gives_a_bound(tmp_path: Path) -> None:
    path = _plate(tmp_path, {("D1-drug", "T", r): "Undetermined" for r in range(3)})
    out = analyze([path], config=CONFIG)
    row = _fc(out)
    assert row["bound"] == "≤"
    assert "upper bound" in row["note"]
    assert out.samples.set_index(["sample", "target"]).loc[("D1-drug", "T"), "cq_mean"] == 40.0
    assert (out.qc["rule"] == "non-detect").sum() == 3


def test_whole_group_not_detected(tmp_path: Path) -> None:
    edits = {(f"{d}-drug", "T", r): "Undetermined" for d in ("D1", "D2", "D3") for r in range(3)}
    out = analyze([_plate(tmp_path, edits)], config=CONFIG)
    row = _fc(out)
    assert np.isnan(row["fold_change"])
    assert row["note"] == "not detected in the compared group"


def test_exclude_policy_drops_non_detects(tmp_path: Path) -> None:
    path = _plate(tmp_path, {("D1-drug", "T", 0): "Undetermined"})
    out = analyze([path], config=CONFIG.with_overrides(nondetect_policy="exclude"))
    reasons = out.wells["exclude_reason"]
    assert (reasons == "non-detect (undetermined), excluded by policy").sum() == 1
    assert _fc(out)["bound"] == ""


def test_undetermined_reference_makes_the_sample_unusable(tmp_path: Path) -> None:
    edits = {("D3-ctrl", "REF", r): "Undetermined" for r in range(3)}
    out = analyze([_plate(tmp_path, edits)], config=CONFIG)
    sample = out.samples.set_index(["sample", "target"]).loc[("D3-ctrl", "T")]
    assert np.isnan(sample["delta_cq"])
    assert "REF undetermined" in sample["note"]
    assert "missing-reference" in set(out.qc["rule"])
    assert _fc(out)["n_ref"] == 2


def test_ntc_amplification_is_reported(tmp_path: Path) -> None:
    path = _plate(tmp_path)
    table = pd.read_csv(path)
    ntc = pd.DataFrame({"well": ["H10", "H11"], "sample": ["NTC", "NTC"], "target": ["T", "REF"],
                        "cq": [31.0, "Undetermined"], "donor": "", "treatment": "",
                        "sample_type": "ntc"})  # fmt: skip
    table = pd.concat([table.assign(sample_type="unkn"), ntc], ignore_index=True)
    table.to_csv(path, index=False)
    out = analyze([path], config=CONFIG)
    event = out.qc[out.qc["rule"] == "ntc-amplification"]
    assert list(event["well"]) == ["H10"]
    top = table.loc[(table["target"] == "T") & (table["sample_type"] == "unkn"), "cq"].max()
    assert (
        f"only {31.0 - top:.2f} cycles above the highest sample Cq {top:.2f}"
        in (event["message"].iloc[0])
    )
    assert out.wells.set_index("well").loc["H10", "exclude_reason"] == (
        "control well (no-template control)"
    )


def test_isolated_non_detect_is_a_failed_well(tmp_path: Path) -> None:
    """One undetermined replicate beside two at ~28: excluded with a warning, not censored."""
    out = analyze([_plate(tmp_path, {("D1-drug", "T", 1): "Undetermined"})], config=CONFIG)
    wells = out.wells
    bad = wells[wells["cq_status"] == "undetermined"].iloc[0]
    assert bad["excluded"]
    assert bad["exclude_reason"].startswith("isolated non-detect")
    assert "isolated-non-detect" in set(out.qc["rule"])
    assert _fc(out)["bound"] == ""
    assert _fc(out)["fold_change"] == pytest.approx(2.0, abs=0.05)


def _with_ntc(path: Path, cq: float) -> Path:
    table = pd.read_csv(path).assign(sample_type="unkn")
    ntc = pd.DataFrame({"well": ["H10"], "sample": ["NTC"], "target": ["T"], "cq": [cq],
                        "donor": [""], "treatment": [""], "sample_type": ["ntc"]})  # fmt: skip
    pd.concat([table, ntc], ignore_index=True).to_csv(path, index=False)
    return path


def test_fail_on_controls_fails_the_target(tmp_path: Path) -> None:
    path = _with_ntc(_plate(tmp_path), 30.0)
    assert np.isfinite(_fc(analyze([path], config=CONFIG))["fold_change"])
    failed = _fc(analyze([path], config=CONFIG.with_overrides(fail_on_controls=True)))
    assert np.isnan(failed["fold_change"])
    assert np.isnan(failed["p_value"])
    assert failed["note"] == "failed: NTC amplification (fail_on_controls)"


def test_min_replicates_withholds_the_test(tmp_path: Path) -> None:
    out = analyze([_plate(tmp_path)], config=CONFIG.with_overrides(min_replicates=4))
    row = _fc(out)
    assert row["fold_change"] == pytest.approx(2.0, abs=0.05)
    assert np.isnan(row["p_value"])
    assert "fewer than 4" in row["note"]


def test_keep_outliers_option(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qpcr.cli import app

    path = _plate(tmp_path, {("D2-ctrl", "T", 2): 29.9})
    args = ["analyze", str(path), "--reference", "REF", "--replicate", "donor", "--control",
            "treatment=ctrl", "--no-figures", "-q"]  # fmt: skip
    for flag, excluded in (([], 1), (["--keep-outliers"], 0)):
        out = tmp_path / f"out{len(flag)}"
        result = CliRunner().invoke(app, [*args, "--out", str(out), *flag])
        assert result.exit_code == 0, result.output
        wells = pd.read_csv(out / "wells.csv")
        assert wells["excluded"].sum() == excluded
        assert wells["outlier"].sum() == 1
