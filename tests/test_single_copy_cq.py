"""A single-copy Cq per assay (``[assay_single_copy_cq]``) and ``low_copy_estimate = "auto"``:
the setting's reading and refusals, its use wherever Cq₁ is used (the ``poisson`` outlier
rule, zero-copy wells, low-copy notes, the estimate), the per-target choice of ``auto``, and
the methods text that states it."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from qpcr.config import AnalysisConfig, from_mapping, load_config, parse_setting
from qpcr.errors import ConfigError
from qpcr.lowcopy import estimated_targets, low_copy_replicates, methods_text, single_copy_cqs
from qpcr.outliers import poisson_range_limit
from qpcr.pipeline import analyze
from qpcr.qc import apply_qc
from qpcr.quant import summarise_replicates
from qpcr.report.methods import methods_text as report_methods
from qpcr.validate import check_names

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"


def _wells(groups: dict[tuple[str, str], list[float | None]]) -> pd.DataFrame:
    """Wells of (sample, target) replicate groups; None is an undetermined well."""
    rows = [
        {"sample": sample, "target": target, "sample_type": "unkn", "cq": cq,
         "cq_status": "undetermined" if cq is None else "ok"}
        for (sample, target), cqs in groups.items() for cq in cqs
    ]  # fmt: skip
    return pd.DataFrame(rows).assign(well=lambda w: [f"W{i}" for i in range(len(w))])


def _estimated(wells: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    checked = apply_qc(wells, config)[0]
    reps = summarise_replicates(checked[~checked["excluded"]])
    return low_copy_replicates(reps, checked, config).set_index(["sample", "target"])


# --------------------------------------------------------------------------------------------
# the setting


def test_the_table_reads_from_a_settings_file_and_refuses_what_is_not_cycles(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[assay_single_copy_cq]\nTNFSF11 = 33.6\n"BMP-2" = "34"\n', encoding="utf-8")
    config = load_config(path)
    assert config.assay_single_copy_cq == {"TNFSF11": 33.6, "BMP-2": 34.0}
    assert config.low_copy_estimate == "auto"  # the default
    assert load_config_text(tmp_path, config.to_toml()) == config
    with pytest.raises(ConfigError, match=r"'assay_single_copy_cq\.A' is -1\.0; expected above"):
        parse_setting("assay_single_copy_cq", {"A": -1})
    with pytest.raises(ConfigError, match=r"\[assay_single_copy_cq\] A: 'late' is not a number"):
        parse_setting("assay_single_copy_cq", {"A": "late"})
    with pytest.raises(ConfigError, match="must be a table of name = value"):
        parse_setting("assay_single_copy_cq", 33.0)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("assay_single_copy_cq", {"A": "inf"}, "'assay_single_copy_cq.A' is inf"),
     ("single_copy_cq", float("inf"), "'single_copy_cq' is inf"),
     ("ntc_margin", "-inf", "'ntc_margin' is -inf")],
)  # fmt: skip
def test_an_infinite_number_of_cycles_is_refused(name: str, value: object, message: str) -> None:
    """inf passes an open bound (above 0) but is no Cq: the copies 2^(Cq₁ − Cq) it implies are
    infinite, so every group would count as high-copy."""
    with pytest.raises(ConfigError, match=rf"{message}; expected a finite number"):
        parse_setting(name, value)


def load_config_text(tmp_path: Path, text: str) -> AnalysisConfig:
    path = tmp_path / "round.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_a_target_not_in_the_data_is_refused_with_the_nearest_name() -> None:
    wells = _wells({("s1", "TNFSF11"): [33.0], ("s1", "TBP"): [22.0]})
    config = from_mapping({"assay_single_copy_cq": {"TNFSF1": 33.0}})
    with pytest.raises(ConfigError, match="single-copy Cq of 'TNFSF1' names no target") as err:
        check_names(wells, config)
    assert "did you mean 'TNFSF11'" in str(err.value)


def test_a_target_spelt_in_another_case_is_refused_naming_the_target() -> None:
    """Gene symbols are compared exactly ('tnfsf11' is not 'TNFSF11'); the hint names the
    target that differs only in case, which difflib alone finds too far to suggest."""
    wells = _wells({("s1", "TNFSF11"): [33.0], ("s1", "TBP"): [22.0]})
    config = from_mapping({"assay_single_copy_cq": {"tnfsf11": 33.0}})
    with pytest.raises(ConfigError, match="single-copy Cq of 'tnfsf11' names no target") as err:
        check_names(wells, config)
    assert str(err.value).endswith("expected one of TNFSF11, TBP. did you mean 'TNFSF11'?")


def test_the_cli_takes_the_option_and_refuses_an_unknown_target_without_traceback(
    tmp_path: Path,
) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "qpcr", "analyze", str(EXAMPLE / "quantstudio_384_results.txt"),
         "--layout", str(EXAMPLE / "quantstudio_384_layout.csv"), "--config",
         str(EXAMPLE / "analysis.toml"), "--assay-single-copy-cq", "TNFSF1=33.5",
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith("error: --assay-single-copy-cq: single-copy Cq of 'TNFSF1'")
    assert "did you mean 'TNFSF11'" in run.stderr
    assert "Traceback" not in run.stderr


def test_low_copy_settings_the_outlier_rule_leaves_unused_are_warned_about() -> None:
    """analysis.toml takes outlier_rule = "range": Cq₁ and the estimate from copies serve only
    the poisson rule, so a measured Cq₁ or low_copy_estimate = "poisson" would do nothing."""
    from qpcr.pipeline import read_wells

    settings = EXAMPLE / "analysis.toml"
    config = load_config(settings)
    files = ([EXAMPLE / "quantstudio_384_results.txt"], EXAMPLE / "quantstudio_384_layout.csv")
    both = config.with_overrides(assay_single_copy_cq={"TNFSF11": 33.6},
                                 low_copy_estimate="poisson")  # fmt: skip
    assert [w for w in read_wells(*files, both).warnings if "no effect" in w] == [
        f"{settings}: low_copy_estimate = 'poisson' and [assay_single_copy_cq] have no effect "
        "under outlier_rule = 'range' (the low-copy rules need 'poisson'); every replicate "
        "group keeps its mean Cq"
    ]
    for quiet in (config, both.with_overrides(outlier_rule="poisson")):
        assert not [w for w in read_wells(*files, quiet).warnings if "no effect" in w]


def test_unlisted_targets_use_single_copy_cq() -> None:
    config = AnalysisConfig(single_copy_cq=36.0, assay_single_copy_cq={"A": 33.5})
    assert single_copy_cqs(["A", "B", "A"], config).tolist() == [33.5, 36.0, 33.5]
    assert single_copy_cqs([], config).tolist() == []


# --------------------------------------------------------------------------------------------
# Cq₁ per assay wherever Cq₁ is used


def test_the_low_copy_note_takes_each_assay_s_single_copy_cq() -> None:
    # the same Cq, 32.1 (median): 2^(35 − 32.1) = 7.46 copies for B (Cq₁ 35, unlisted), a
    # low-copy group; 2^(36 − 32.1) = 14.9 for A (measured Cq₁ 36), not one
    wells = _wells({("s1", "A"): [32.0, 32.1, 32.2], ("s1", "B"): [32.0, 32.1, 32.2]})
    events = apply_qc(wells, AnalysisConfig(assay_single_copy_cq={"A": 36.0}))[1]
    notes = events[events["code"].eq("low_copy")]
    assert notes["target"].tolist() == ["B"]
    assert notes["value"].iloc[0] == pytest.approx(2.0**2.9)


def test_the_outlier_rule_takes_each_assay_s_single_copy_cq() -> None:
    # {30.0, 30.9, 31.8} spans 1.8 cycles. At Cq₁ 35 the median implies 2^4.1 = 17 copies, whose
    # sampling allows the spread; a measured Cq₁ of 40 implies 549 copies, where it does not
    spread = {("s1", "A"): [30.0, 30.9, 31.8], ("s1", "B"): [30.0, 30.9, 31.8]}
    loose = poisson_range_limit(30.9, 3, 0.5, (35.0, 0.08))
    tight = poisson_range_limit(30.9, 3, 0.5, (40.0, 0.08))
    assert tight < 1.8 < loose
    events = apply_qc(_wells(spread), AnalysisConfig(assay_single_copy_cq={"A": 40.0}))[1]
    flagged = events[events["code"].eq("replicate_spread")]
    assert flagged["target"].tolist() == ["A"]
    assert flagged["threshold"].iloc[0] == pytest.approx(tight)


def test_a_zero_copy_well_is_judged_with_the_assay_s_single_copy_cq() -> None:
    # {33.0, 33.2, undetermined}: 2^(35 − 33.1) = 3.7 copies per well under the assumed Cq₁, so
    # the empty well holds no template (zero_copy); at a measured Cq₁ of 40, 119 copies, where
    # an empty well is a failed reaction (isolated non-detect)
    groups = {("s1", "A"): [33.0, 33.2, None], ("s1", "B"): [33.0, 33.2, None]}
    checked = apply_qc(_wells(groups), AnalysisConfig(assay_single_copy_cq={"A": 40.0}))[0]
    empty = checked[checked["cq"].isna()].set_index("target")["exclude_code"]
    assert empty.to_dict() == {"A": "isolated_nondetect", "B": "zero_copy"}


def test_the_estimate_takes_each_assay_s_single_copy_cq() -> None:
    wells = _wells({("s1", "A"): [33.0, 34.0, None]})
    config = AnalysisConfig(low_copy_estimate="poisson", assay_single_copy_cq={"A": 35.5})
    row = _estimated(wells, config).loc[("s1", "A")]
    # copies 2^(35.5 − 33) + 2^(35.5 − 34) + 0 = 8.485 over 3 wells
    lam = (2.0**2.5 + 2.0**1.5 + 0.5) / 3.0
    assert row["cq_mean"] == pytest.approx(35.5 - math.log2(lam), abs=1e-12)


# --------------------------------------------------------------------------------------------
# low_copy_estimate = "auto"


def test_auto_estimates_the_measured_assays_and_averages_the_others() -> None:
    groups = {}
    for target in ("A", "B"):
        groups |= {("s1", target): [33.0, 34.0, None], ("s2", target): [32.1, 32.9, 33.6],
                   ("s3", target): [24.0, 24.1, 23.9]}  # fmt: skip
    measured = {"A": 35.0}
    auto = _estimated(_wells(groups), AnalysisConfig(assay_single_copy_cq=measured))
    poisson = _estimated(
        _wells(groups), AnalysisConfig(low_copy_estimate="poisson", assay_single_copy_cq=measured)
    )
    mean_cq = _estimated(
        _wells(groups), AnalysisConfig(low_copy_estimate="mean_cq", assay_single_copy_cq=measured)
    )
    pd.testing.assert_frame_equal(auto.xs("A", level="target"), poisson.xs("A", level="target"))
    pd.testing.assert_frame_equal(auto.xs("B", level="target"), mean_cq.xs("B", level="target"))
    # and the two differ: the measured assay's s1 by its copies, 35 − log2((4 + 2 + ½)/3)
    assert auto.loc[("s1", "A"), "cq_mean"] == pytest.approx(35 - math.log2(6.5 / 3), abs=1e-12)
    assert auto.loc[("s1", "B"), "cq_mean"] == pytest.approx(33.5, abs=1e-12)
    assert estimated_targets(["A", "B"], AnalysisConfig(assay_single_copy_cq=measured)) == ["A"]
    assert estimated_targets(["A"], AnalysisConfig(assay_single_copy_cq=measured,
                                                   outlier_rule="range")) == []  # fmt: skip


def test_auto_without_a_measured_assay_is_the_mean_cq_of_the_example() -> None:
    # the published-style example analysed under the defaults (poisson rule) with no assay
    # listed gives the numbers of low_copy_estimate = "mean_cq", bit for bit
    config = load_config(EXAMPLE / "analysis.toml").with_overrides(outlier_rule="poisson")
    files = ([EXAMPLE / "quantstudio_384_results.txt"], EXAMPLE / "quantstudio_384_layout.csv")
    auto = analyze(files[0], layout=files[1], config=config)
    mean = analyze(files[0], layout=files[1],
                   config=config.with_overrides(low_copy_estimate="mean_cq"))  # fmt: skip
    pd.testing.assert_frame_equal(auto.fold_changes, mean.fold_changes)
    pd.testing.assert_frame_equal(auto.replicates, mean.replicates)
    measured = analyze(
        files[0],
        layout=files[1],
        config=config.with_overrides(assay_single_copy_cq={"TNFSF11": 35.0}),
    )
    reps = measured.replicates.set_index(["sample", "target"])
    # TNFSF11 (≈ 5.7 copies per well) now takes the Cq of its copies (test_report_methods)
    assert reps.loc[("D2 HT", "TNFSF11"), "cq_mean"] == pytest.approx(33.8118, abs=1e-4)
    assert "The replicate groups of TNFSF11, a target with groups" in report_methods(measured)
    assert "TNFSF11, at most 10 copies per well, kept the mean Cq" in report_methods(auto)


def test_the_methods_text_says_which_targets_took_which_estimate_and_why() -> None:
    measured = AnalysisConfig(assay_single_copy_cq={"A": 33.6})
    text = methods_text(["A", "B"], measured)
    assert text.startswith("The replicate groups of A, a target with groups at most 10 template")
    assert "Cq₁ = 33.6 cycles, measured" in text
    assert "B, also at most 10 copies per well, kept the mean Cq of its replicates: its " \
           "single-copy Cq was not measured (assumed 35 cycles)" in text  # fmt: skip
    only_assumed = methods_text(["B", "C"], measured)
    assert only_assumed.startswith(
        "B and C, at most 10 copies per well, kept the mean Cq of "
        "their replicates: their single-copy Cq were not measured"
    )
    every = methods_text(
        ["A", "B"], AnalysisConfig(low_copy_estimate="poisson", assay_single_copy_cq={"A": 33.6})
    )
    assert "Cq₁: A 33.6 cycles, measured; B 35 cycles, assumed" in every
    assert "kept the mean Cq" not in every
    assert methods_text(["A"], AnalysisConfig(low_copy_estimate="mean_cq")) == ""
    assert methods_text(["A"], AnalysisConfig(outlier_rule="range")) == ""
