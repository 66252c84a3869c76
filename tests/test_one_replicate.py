"""One biological replicate with data: the donor-blocked ANOVA has nothing to block on. Each
model item says so in its note and the analysis goes on (it raised an internal ValueError)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qpcr.config import AnalysisConfig
from qpcr.pipeline import analyze

DATASET = Path(__file__).parent / "data" / "methods" / "dataset_2_0.csv"


def test_one_donor_gives_every_model_item_a_note_instead_of_an_error() -> None:
    data = pd.read_csv(DATASET)
    config = AnalysisConfig(reference_genes=("REF_A", "REF_B"), replicate="donor",
                            control={"oxygen": "normoxia", "treatment": "vehicle"})  # fmt: skip
    results = analyze([data[data["donor"] == "D1"]], config=config)
    anova = results.tables["anova"]
    assert len(anova)
    assert anova["p_value"].isna().all()
    assert anova["note"].str.contains(r"1 biological replicate\(s\) with data \(D1\)").all()
    # the full design still gets its ANOVA
    full = analyze([data], config=config).tables["anova"]
    assert full["p_value"].notna().any()
