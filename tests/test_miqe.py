"""miqe.md: each item read from the run, so changing the run changes the checklist."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import qpcr
from qpcr.report import write_report
from qpcr.report.miqe import miqe_items

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"


def _analyse(layout: pd.DataFrame | Path) -> qpcr.Results:
    return qpcr.analyze([EXAMPLE / "quantstudio_384_results.txt"], layout=layout,
                        config=qpcr.load_config(EXAMPLE / "analysis.toml"))  # fmt: skip


@pytest.fixture(scope="module")
def items() -> dict[str, qpcr.report.miqe.MiqeItem]:
    return {i.item: i for i in miqe_items(_analyse(EXAMPLE / "quantstudio_384_layout.csv"))}


def test_example_documents_what_the_run_did(items: dict) -> None:
    for name in ("PCR efficiency", "Reference genes", "No-template controls", "Replicates",
                 "Statistical methods", "Software", "Cq determination"):  # fmt: skip
        assert items[name].status == "documented", items[name]
    assert items["Reference genes"].detail.startswith("TBP, RPL13A; ")
    # BMP2's curve (README of the example: E = 1.94 simulated)
    assert (
        "BMP2: E = 1.948 (standard curve: slope -3.4531, R² 0.9991"
        in items["PCR efficiency"].detail
    )
    assert items["No-template controls"].detail.startswith("21 wells over 7 targets; 1 amplified")
    assert items["Replicates"].detail == (
        "technical replicates per sample and target 2-3; biological replicate 'donor' (3 levels)"
    )
    assert "paired t" in items["Statistical methods"].detail
    assert "holm" in items["Statistical methods"].detail
    assert f"qpcrkit {qpcr.__version__}" in items["Software"].detail
    assert "QuantStudio(TM) 7 Flex System" in items["Cq determination"].detail
    assert items["Outliers and non-detects"].detail.startswith(
        "outlier rule range, threshold 0.5: 1 well(s) excluded; 1 non-detect(s) in sample "
        "wells, policy censor at Cq 40; isolated non-detects excluded: 1"
    )
    # not in this run: no stability analysis, no no-RT wells
    assert items["Reference gene validation"].status == "missing"
    assert items["No-RT controls"].status == "missing"


def test_removing_the_standard_curves_changes_the_efficiency_item(items: dict) -> None:
    layout = pd.read_csv(EXAMPLE / "quantstudio_384_layout.csv", keep_default_na=False)
    without = layout[layout["sample_type"].ne("std")]
    changed = {i.item: i for i in miqe_items(_analyse(without))}
    efficiency = changed["PCR efficiency"]
    assert efficiency.status == "missing"
    assert efficiency.detail.startswith("E = 2 assumed for BMP2, VEGFA, TNFSF11, TNFRSF11B, TBP, "
                                        "RPL13A, GAPDH")  # fmt: skip
    assert efficiency != items["PCR efficiency"]
    assert changed["Reference genes"] == items["Reference genes"]


def test_stability_run_documents_the_validation() -> None:
    config = qpcr.load_config(EXAMPLE / "analysis.toml").with_overrides(
        candidate_genes=("TBP", "RPL13A", "GAPDH"))  # fmt: skip
    layout = EXAMPLE / "quantstudio_384_layout.csv"
    results = qpcr.analyze([EXAMPLE / "quantstudio_384_results.txt"], layout, config)
    item = {i.item: i for i in miqe_items(results)}["Reference gene validation"]
    assert item.status == "documented"
    first = results.tables["reference_genes"].iloc[0]
    best = f"{first['target']} (geNorm M {first['genorm_m']:.3f})"
    assert item.detail.startswith(f"stability of 3 candidates, best first: {best}")


def test_results_folder_holds_miqe_md(tmp_path: Path) -> None:
    results = _analyse(EXAMPLE / "quantstudio_384_layout.csv")
    write_report(results, tmp_path / "out", figures=False)
    text = (tmp_path / "out" / "miqe.md").read_text("utf-8")
    assert "| PCR efficiency | documented | BMP2: E = 1.948" in text
    assert "| No-RT controls | **missing** |" in text
