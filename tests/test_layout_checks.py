"""Layouts checked against the data (sample names, targets, swapped plates) and vendor-style
relative quantities against one calibrator sample (issue 11, items 4 and 6)."""

from __future__ import annotations

import math
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qpcr.cli import app
from qpcr.config import AnalysisConfig, load_config
from qpcr.errors import ConfigError, LayoutMismatchError
from qpcr.layout import join_layout
from qpcr.pipeline import analyze
from qpcr.report.summary import methods_text

ROOT = Path(__file__).parents[1]
TWO = ROOT / "examples" / "two_plates"
ONE = ROOT / "examples" / "hypoxia_tocilizumab"
QS7 = ROOT / "tests" / "data" / "exports" / "thermo" / "thermo_classic_qs7_96_full.txt"
runner = CliRunner()

#: t quantile 0.975 with 4 degrees of freedom (any t table: 2.776).
T_975_4 = 2.7764451051977987


def _wells(samples: list[str], targets: list[str] | None = None) -> pd.DataFrame:
    n = len(samples)
    return pd.DataFrame(
        {"well": [f"A{i + 1}" for i in range(n)], "sample": samples,
         "target": targets or ["BMP2"] * n, "sample_type": "unkn", "cq": 20.0, "cq_status": "ok"}
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# swapped layouts of two plates


@pytest.fixture
def two_runs(tmp_path: Path) -> Path:
    """The two-plate example under names that do not pair exports with layouts."""
    shutil.copy(TWO / "plate1.txt", tmp_path / "run_a.txt")
    shutil.copy(TWO / "plate2.txt", tmp_path / "run_b.txt")
    shutil.copy(TWO / "plate1_layout.csv", tmp_path / "first.csv")
    shutil.copy(TWO / "plate2_layout.csv", tmp_path / "second.csv")
    return tmp_path


def _two_plate_args(folder: Path, layouts: list[str]) -> list[str]:
    args = ["analyze", str(folder / "run_a.txt"), str(folder / "run_b.txt")]
    for name in layouts:
        args += ["--layout", str(folder / name)]
    return [*args, "--config", str(TWO / "analysis.toml"), "--out", str(folder / "out"), "-q"]


def test_swapped_layouts_are_refused_with_the_swap_named(two_runs: Path) -> None:
    result = runner.invoke(app, _two_plate_args(two_runs, ["second.csv", "first.csv"]))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    where = f"{two_runs / 'second.csv'} (plate run_a), {two_runs / 'first.csv'} (plate run_b)"
    assert result.stderr.strip().splitlines() == [
        f"error: {where}: sample names disagree between export and layout in 48 well(s) of "
        "plate 'run_a': A1: export 'D1 NV' vs layout 'D1 HV', A2: export 'D1 NV' vs layout "
        "'D1 HV', A3: export 'D2 NV' vs layout 'D2 HV', A4: export 'D2 NV' vs layout 'D2 HV', "
        "A5: export 'D3 NV' vs layout 'D3 HV' ... and 43 more; expected the same sample in each "
        "well (compared ignoring letter case and spaces). did you swap the layouts of plate "
        "'run_a' and plate 'run_b'? Each fits the other's export: give the layouts in the order "
        "of the exports, or name each like its export (plate1.txt with plate1_layout.csv)"
    ]
    assert not (two_runs / "out" / "fold_changes.csv").exists()


def test_layouts_in_the_right_order_give_the_true_fold_change(two_runs: Path) -> None:
    result = runner.invoke(app, _two_plate_args(two_runs, ["first.csv", "second.csv"]))
    assert result.exit_code == 0, result.output
    fold = pd.read_csv(two_runs / "out" / "fold_changes.csv")
    hv = fold[fold["target"].eq("VEGFA") & fold["oxygen"].eq("hypoxia")
              & fold["treatment"].eq("vehicle")]  # fmt: skip
    # simulated log2 FC +1.3 (README); the swapped layouts gave 0.45 before this check
    assert hv["fold_change"].round(2).tolist() == [2.23]


def test_swapped_targets_of_a_layout_per_plate_name_the_swap() -> None:
    wells = pd.concat(
        [_wells(["a", "b"], ["BMP2", "TBP"]).assign(plate="p1"),
         _wells(["c", "d"], ["VEGFA", "RPL13A"]).assign(plate="p2")]
    )  # fmt: skip
    layout = pd.DataFrame(
        {"plate": ["p1", "p1", "p2", "p2"], "well": ["A1", "A2", "A1", "A2"],
         "target": ["VEGFA", "RPL13A", "BMP2", "TBP"]}
    )  # fmt: skip
    with pytest.raises(LayoutMismatchError) as err:
        join_layout(wells, layout, where="layouts")
    assert str(err.value).startswith(
        "layouts: targets disagree between export and layout in 2 well(s) of plate 'p1': "
        "A1: export 'BMP2' vs layout 'VEGFA', A2: export 'TBP' vs layout 'RPL13A'; expected "
        "the same target in each well. did you swap the layouts of plate 'p1' and plate 'p2'?"
    )


# --------------------------------------------------------------------------------------------
# sample names


def test_sample_names_that_disagree_are_listed_with_a_count() -> None:
    wells = _wells([f"S{i}" for i in range(1, 9)])
    names = ["S1"] + [f"T{i}" for i in range(2, 9)]
    layout = pd.DataFrame({"well": wells["well"], "sample": names})
    with pytest.raises(LayoutMismatchError) as err:
        join_layout(wells, layout, where="plate.csv")
    assert str(err.value) == (
        "plate.csv: sample names disagree between export and layout in 7 well(s): A2: export "
        "'S2' vs layout 'T2', A3: export 'S3' vs layout 'T3', A4: export 'S4' vs layout 'T4', "
        "A5: export 'S5' vs layout 'T5', A6: export 'S6' vs layout 'T6' ... and 2 more; expected "
        "the same sample in each well (compared ignoring letter case and spaces). If the export "
        "holds placeholder names (Sample 1, S1) that the layout replaces, set sample_names = "
        '"layout" (--sample-names layout); to keep the export\'s names, sample_names = "export"'
    )


def test_letter_case_and_spaces_are_not_a_disagreement() -> None:
    wells = _wells(["d1  nv ", "D1 HT"], ["bmp2", "TBP"])
    layout = pd.DataFrame(
        {"well": ["A1", "A2"], "sample": ["D1 NV", "d1 ht"], "target": ["BMP2", " tbp"]}
    )
    joined, _ = join_layout(wells, layout)
    assert joined["sample"].tolist() == ["D1 NV", "d1 ht"]  # the layout's spelling
    assert joined["target"].tolist() == ["bmp2", "TBP"]  # the export's spelling


def test_empty_export_names_are_filled_from_the_layout_and_back() -> None:
    wells = _wells(["", "", "S3"])
    layout = pd.DataFrame({"well": ["A1", "A2", "A3"], "sample": ["L1", "L2", ""]})
    joined, messages = join_layout(wells, layout)
    assert joined["sample"].tolist() == ["L1", "L2", "S3"]
    assert messages == []
    assert "sample_export" not in joined


def test_sample_names_export_keeps_the_exports_names() -> None:
    wells = _wells(["S1", ""])
    layout = pd.DataFrame({"well": ["A1", "A2"], "sample": ["L1", "L2"], "donor": ["1", "2"]})
    joined, _ = join_layout(wells, layout, sample_names="export")
    assert joined["sample"].tolist() == ["S1", "L2"]
    assert joined["donor"].tolist() == ["1", "2"]


@pytest.fixture
def placeholder_export(tmp_path: Path) -> Path:
    """The 96-well example with 'Sample 1', 'Sample 2', ... in the export's Sample Name."""
    layout = pd.read_csv(ONE / "quantstudio_96_layout.csv", keep_default_na=False)
    names = {n: f"Sample {k + 1}" for k, n in enumerate(dict.fromkeys(layout["sample"])) if n}
    lines = (ONE / "quantstudio_96_results.txt").read_text().splitlines()
    for i, line in enumerate(lines):
        cells = line.split("\t")
        if len(cells) > 4 and cells[3] in names:
            cells[3] = names[cells[3]]
            lines[i] = "\t".join(cells)
    path = tmp_path / "placeholders.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_placeholder_names_are_refused_by_default(placeholder_export: Path) -> None:
    config = load_config(ONE / "analysis_96.toml")
    with pytest.raises(LayoutMismatchError, match=r"A1: export 'Sample 1' vs layout 'D1 NV'") as e:
        analyze([placeholder_export], ONE / "quantstudio_96_layout.csv", config)
    assert 'sample_names = "layout"' in e.value.hint


def test_sample_names_layout_renames_and_reports(placeholder_export: Path) -> None:
    config = load_config(ONE / "analysis_96.toml")
    original = analyze([ONE / "quantstudio_96_results.txt"], ONE / "quantstudio_96_layout.csv",
                       config)  # fmt: skip
    renamed = analyze([placeholder_export], ONE / "quantstudio_96_layout.csv",
                      config.with_overrides(sample_names="layout"))  # fmt: skip
    pd.testing.assert_series_equal(
        renamed.fold_changes["fold_change"], original.fold_changes["fold_change"], rtol=1e-12
    )
    events = renamed.qc[renamed.qc["code"].eq("sample_renamed")]
    samples = renamed.wells.loc[renamed.wells["sample_type"].eq("unkn"), "sample"].unique()
    assert len(events) == len(samples) == 12
    first = events.iloc[0]
    assert (first["sample"], first["severity"], first["value"]) == ("D1 NV", "info", 6.0)
    assert first["message"] == (
        "sample 'Sample 1' of the export named 'D1 NV' by the layout in 6 well(s) "
        '(sample_names = "layout")'
    )
    note = next(n for n in renamed.notes if n.startswith("sample names of"))
    assert note.startswith(
        "sample names of 72 well(s) taken from the layout instead of the export "
        "(sample_names = \"layout\"): 'Sample 1' → 'D1 NV', 'Sample 2' → 'D1 NT'"
    )
    assert renamed.wells["sample_export"].eq("Sample 1").sum() == 6


# --------------------------------------------------------------------------------------------
# targets


def test_layout_targets_absent_from_the_export_are_refused() -> None:
    wells = _wells(["a", "b"], ["BMP2", "TBP"])
    layout = pd.DataFrame(
        {"well": ["A1", "A2", "B1"], "sample": ["a", "b", "c"],
         "target": ["BMP2", "TBP", "GAPDH"]}
    )  # fmt: skip
    with pytest.raises(LayoutMismatchError) as err:
        join_layout(wells, layout, where="layout.csv")
    assert str(err.value) == (
        "layout.csv: the layout names target(s) GAPDH that do not occur in the export; expected "
        "targets of the export (BMP2, TBP). Fix the layout, or map export names with [aliases] "
        "in the settings"
    )


def test_layout_targets_named_through_aliases_are_accepted(tmp_path: Path) -> None:
    layout = tmp_path / "layout.csv"
    wells = [f"A{i}" for i in range(1, 13)]
    layout.write_text("well,target\n" + "".join(
        f"{w},{'GENE' if i in range(3) or i in range(6, 9) else 'R'}\n" for i, w in enumerate(wells)
    ))  # fmt: skip
    config = AnalysisConfig(reference_genes=("R",), control={"sample": "A"}, aliases={"G": "GENE"})
    result = analyze([_small_plate(tmp_path)], layout, config)
    assert result.targets == ("GENE", "R")
    assert result.samples.set_index("sample").loc["B", "rq"] == pytest.approx(2**2.2, rel=1e-12)
    with pytest.raises(LayoutMismatchError, match=r"targets disagree .*'G' vs layout 'GENE'"):
        analyze([_small_plate(tmp_path)], layout, replace(config, aliases={}))


# --------------------------------------------------------------------------------------------
# calibrator sample (vendor-style RQ)


def _small_plate(tmp_path: Path) -> Path:
    rows = [("A", "G", [25.0, 25.2, 25.4]), ("A", "R", [20.0, 20.1, 20.2]),
            ("B", "G", [23.0, 23.2, 23.4]), ("B", "R", [20.1, 20.3, 20.5])]  # fmt: skip
    lines = ["sample,target,cq,well"]
    well = 0
    for sample, target, cqs in rows:
        for cq in cqs:
            well += 1
            lines.append(f"{sample},{target},{cq},A{well}")
    path = tmp_path / "small.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_calibrator_rq_with_limits_by_hand(tmp_path: Path) -> None:
    config = AnalysisConfig(reference_genes=("R",), control={"sample": "A"})
    result = analyze([_small_plate(tmp_path)], config=config)
    table = result.samples.set_index("sample")
    # ΔCq A = 25.2 − 20.1 = 5.1, ΔCq B = 23.2 − 20.3 = 2.9: ΔΔCq B = −2.2 (methods.md T03)
    assert table.loc["B", "delta_delta_cq"] == pytest.approx(-2.2, abs=1e-12)
    assert table.loc["B", "rq"] == pytest.approx(4.594793, abs=1e-6)
    # SE(ΔCq B) = √(0.2²/3 + 0.2²/3); df = (3 − 1) + (3 − 1) = 4
    half = T_975_4 * math.sqrt(0.08 / 3)
    assert table.loc["B", "rq_min"] == pytest.approx(2 ** (2.2 - half), rel=1e-12)
    assert table.loc["B", "rq_max"] == pytest.approx(2 ** (2.2 + half), rel=1e-12)
    assert table.loc["B", "rq_min"] == pytest.approx(3.355688, abs=1e-6)
    assert table.loc["B", "rq_max"] == pytest.approx(6.291446, abs=1e-6)
    # the calibrator: RQ 1 with its own technical spread √(0.2²/3 + 0.1²/3)
    half_a = T_975_4 * math.sqrt(0.05 / 3)
    assert table.loc["A", "rq"] == 1.0
    assert table.loc["A", "rq_min"] == pytest.approx(2**-half_a, rel=1e-12)
    assert table.loc["A", "rq_max"] == pytest.approx(2**half_a, rel=1e-12)
    assert result.fold_changes.empty
    assert any("not a confidence interval for the biology" in n for n in result.notes)
    methods = methods_text(result)
    assert "against the calibrator sample A on the same plate" in methods
    assert "at 95 %" in methods
    assert "Groups were compared" not in methods


def _vendor_rq(path: Path) -> pd.DataFrame:
    """Sample → RQ, RQ Min, RQ Max as the QuantStudio software exported them."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    start = lines.index("[Results]") + 1
    header = lines[start].split("\t")
    rows = [r.split("\t") for r in lines[start + 1 :] if r.count("\t") > 10]
    table = pd.DataFrame([r[: len(header)] for r in rows], columns=header)
    table = table[table["RQ"].ne("")].drop_duplicates("Sample Name").set_index("Sample Name")
    return table[["RQ", "RQ Min", "RQ Max"]].astype(float)


def test_calibrator_rq_matches_quantstudio(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["analyze", str(QS7), "-r", "GAPDH", "--control", "sample=Liver", "-o", str(out), "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    ours = pd.read_csv(out / "samples.csv").set_index("sample")
    vendor = _vendor_rq(QS7)
    assert sorted(vendor.index) == sorted(ours.index) == ["Brain", "Heart", "Liver", "Lung"]
    for sample, row in vendor.iterrows():
        # the export rounds Ct and RQ to 3 decimals: agreement within the rounding
        assert ours.loc[sample, "rq"] == pytest.approx(row["RQ"], abs=1e-3)
        assert ours.loc[sample, "rq_min"] == pytest.approx(row["RQ Min"], abs=1.5e-3)
        assert ours.loc[sample, "rq_max"] == pytest.approx(row["RQ Max"], abs=1.5e-3)


def test_control_sample_brain_runs_from_the_cli(tmp_path: Path) -> None:
    args = ["analyze", str(QS7), "-r", "GAPDH", "--control", "sample=Brain", "-o",
            str(tmp_path / "o")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    ours = pd.read_csv(tmp_path / "o" / "samples.csv").set_index("sample")
    assert ours.loc["Brain", "rq"] == 1.0
    assert ours.loc["Liver", "rq"] == pytest.approx(1 / 5.270111, rel=1e-5)
    assert "RQ [RQmin, RQmax]" in result.stdout  # the terminal table


def test_unknown_calibrator_sample_suggests_the_nearest(tmp_path: Path) -> None:
    config = AnalysisConfig(reference_genes=("GAPDH",), control={"sample": "Brian"})
    with pytest.raises(ConfigError, match="calibrator sample 'Brian' is not a sample") as err:
        analyze([QS7], config=config)
    assert err.value.hint == "did you mean 'Brain'?"


def test_calibrator_sample_with_a_factor_is_refused(tmp_path: Path) -> None:
    config = AnalysisConfig(reference_genes=("R",), control={"sample": "A", "oxygen": "low"})
    with pytest.raises(ConfigError, match=r"cannot be combined with \[control\] oxygen"):
        analyze([_small_plate(tmp_path)], config=config)


def test_calibrator_on_one_of_two_plates_gives_rq_on_its_plate_only() -> None:
    config = AnalysisConfig(reference_genes=("TBP", "RPL13A"), control={"sample": "D1 NV"})
    both = analyze(
        [TWO / "plate1.txt", TWO / "plate2.txt"],
        [TWO / "plate1_layout.csv", TWO / "plate2_layout.csv"],
        config,
    ).samples
    alone = analyze([TWO / "plate1.txt"], TWO / "plate1_layout.csv", config).samples
    first = both[both["plate"].eq("plate1")].set_index(["sample", "target"])
    mine = alone.set_index(["sample", "target"]).loc[first.index]
    for column in ("rq", "rq_min", "rq_max"):  # plate 1 on its own gives the same numbers
        assert first[column].to_numpy() == pytest.approx(mine[column].to_numpy(), rel=1e-12)
    second = both[both["plate"].eq("plate2")]
    assert len(second) == 12
    assert second["rq"].isna().all()
    assert set(second["note"]) == {
        "no RQ: the calibrator 'D1 NV' is not on plate 'plate2' (RQ compares the wells of one run)"
    }
