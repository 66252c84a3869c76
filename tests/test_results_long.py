"""The tidy long table (results_long.csv, Results.to_long), DataFrame inputs and the notebook
summary (Results._repr_html_)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import qpcr
from qpcr.cli import app
from qpcr.schema import columns_of

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"
ARGS = [str(EXAMPLE / "quantstudio_384_results.txt"),
        "--layout", str(EXAMPLE / "quantstudio_384_layout.csv"),
        "--config", str(EXAMPLE / "analysis.toml")]  # fmt: skip
FACTORS = ["oxygen", "treatment"]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tidy") / "results"
    result = CliRunner().invoke(app, ["analyze", *ARGS, "--out", str(out), "--tidy",
                                      "--no-figures", "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_long_csv_has_its_declared_columns(written: Path) -> None:
    long = _read(written / "results_long.csv")
    assert list(long.columns) == columns_of("results_long", FACTORS, "donor")
    assert long.groupby("measure").size().to_dict() == {
        "fold_change": 20, "ratio": 5, "ratio_fold_change": 4, "relative_quantity": 60}  # fmt: skip


@pytest.mark.parametrize(
    ("measure", "table", "value", "keys"),
    [
        ("fold_change", "fold_changes", "fold_change", ["contrast", "target", *FACTORS]),
        ("ratio_fold_change", "ratios", "fold_change", ["contrast", "ratio", *FACTORS]),
        ("ratio", "ratios", "value", ["contrast", "ratio", *FACTORS]),
        ("relative_quantity", "samples", "rel_quantity", ["sample", "target", *FACTORS]),
    ],
)
def test_long_pivots_back_to_the_wide_tables(
    written: Path, measure: str, table: str, value: str, keys: list[str]
) -> None:
    long = _read(written / "results_long.csv")
    wide = _read(written / f"{table}.csv")
    if measure == "ratio_fold_change":
        wide = wide[wide["contrast"].ne("control")]
    rows = long[long["measure"].eq(measure)].rename(columns={"target": keys[1]})
    back = rows.rename(columns={"value": value})
    bounds = {"fold_change": ("ci_low", "ci_high"), "ratio": ("value_ci_low", "value_ci_high")}
    if measure in bounds:
        back = back.rename(columns=dict(zip(("ci_low", "ci_high"), bounds[measure], strict=True)))
    tested = ["p_value", "p_adj", "p_role"] if measure in ("fold_change", "ratio_fold_change") \
        else []  # fmt: skip
    labelled = ["comparison"] if measure != "relative_quantity" else []
    compared = [*keys, value, *bounds.get(measure, ()), *tested, *labelled]
    left = back[compared].sort_values(keys).reset_index(drop=True)
    right = wide[compared].sort_values(keys).reset_index(drop=True)
    assert len(left) == len(right) > 0
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


def test_ci_and_p_are_empty_where_a_measure_has_none(written: Path) -> None:
    long = _read(written / "results_long.csv")
    quantities = long[long["measure"].eq("relative_quantity")]
    assert quantities[["ci_low", "ci_high", "p_value", "p_adj", "p_role"]].isna().all(axis=None)
    assert long.loc[long["measure"].eq("ratio"), "p_role"].isna().all()  # a group's ratio: no p
    assert quantities["contrast"].isna().all()
    assert quantities["comparison"].isna().all()  # a sample's quantity compares nothing
    assert quantities["sample"].notna().all()
    folds = long[long["measure"].eq("fold_change")]
    assert (folds["ci_low"] < folds["value"]).all()
    assert (folds["value"] < folds["ci_high"]).all()
    assert folds["sample"].isna().all()
    assert set(folds["p_role"]) == {"primary"}  # every comparison paired by donor


def test_without_tidy_no_long_table(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["analyze", *ARGS, "--out", str(out), "--no-figures",
                                      "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not (out / "results_long.csv").exists()
    assert (out / "miqe.md").exists()


def test_repr_html_shows_the_summary_and_fold_changes() -> None:
    results = qpcr.analyze([EXAMPLE / "quantstudio_384_results.txt"],
                           layout=EXAMPLE / "quantstudio_384_layout.csv",
                           config=qpcr.load_config(EXAMPLE / "analysis.toml"))  # fmt: skip
    html = results._repr_html_()
    assert html.startswith("<p><b>qpcr results</b>: 378 wells; targets BMP2, VEGFA, ")
    assert "reference genes TBP, RPL13A" in html
    assert html.count("<tr") == 1 + len(results.fold_changes)  # header + 20 rows
    first = results.fold_changes.iloc[0]
    assert f"<td>{first['fold_change']:.4g}</td>" in html
    assert "tocilizumab under hypoxia" in html


def test_repr_html_escapes_names_and_says_when_nothing_was_compared() -> None:
    wells = pd.DataFrame({"sample": ["c1", "c1", "c2", "c2", "t1", "t1", "t2", "t2"],
                          "target": ["A&B", "GAPDH"] * 4, "cq": [25.0, 20.0] * 4,
                          "group": ["ctrl"] * 4 + ["<drug>"] * 4})  # fmt: skip
    config = qpcr.AnalysisConfig(reference_genes=("GAPDH",), control={"group": "ctrl"})
    results = qpcr.analyze([wells], config=config)
    text = results._repr_html_()
    assert "targets A&amp;B, GAPDH" in text
    assert "&lt;drug&gt;" in text
    assert "<drug>" not in text
    assert "No fold changes" in replace(results, fold_changes=pd.DataFrame())._repr_html_()


def test_analyze_takes_dataframes_for_wells_and_layout(tmp_path: Path) -> None:
    rows = [("A1", "c1", "GAPDH", 20.0), ("A2", "c1", "MYC", 25.0),
            ("B1", "c2", "GAPDH", 20.0), ("B2", "c2", "MYC", 25.3),
            ("C1", "t1", "GAPDH", 20.0), ("C2", "t1", "MYC", 22.8),
            ("D1", "t2", "GAPDH", 20.0), ("D2", "t2", "MYC", 23.1)]  # fmt: skip
    wells = pd.DataFrame(rows, columns=["well", "sample", "target", "Ct"])
    layout = pd.DataFrame({"well": wells["well"],
                           "group": ["ctrl"] * 4 + ["drug"] * 4})  # fmt: skip
    config = qpcr.AnalysisConfig(reference_genes=("GAPDH",), control={"group": "ctrl"})
    from_frames = qpcr.analyze([wells], layout=layout, config=config)
    path = tmp_path / "run.csv"
    wells.to_csv(path, index=False)
    from_file = qpcr.analyze([path], layout=layout, config=config)
    fold = from_frames.fold_changes.iloc[0]
    # ΔCq control 5.0, 5.3; drug 2.8, 3.1: 2^(5.15 − 2.95) = 2^2.2
    assert fold["fold_change"] == pytest.approx(2**2.2, rel=1e-12)
    columns = ["target", "fold_change", "ci_low", "ci_high", "p_value"]
    pd.testing.assert_frame_equal(from_frames.fold_changes[columns],
                                  from_file.fold_changes[columns])  # fmt: skip
    source = from_frames.inputs[0]
    assert (source.path, source.format, len(source.sha256)) == ("DataFrame 1", "tidy", 64)
    assert np.isclose(from_frames.samples["cq_mean"].sum(), from_file.samples["cq_mean"].sum())
