"""Group comparisons pair biological units by label and pool factors within a unit
(:func:`qpcr.groups.compare_groups`), checked against hand computations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qpcr.config import Contrast
from qpcr.groups import compare_groups


def test_paired_test_pairs_donors_by_name_not_by_row_order() -> None:
    # control D3, D1, D2; treated D2, D1 (D3 missing): pairs D1 (2.2) and D2 (2.3),
    # mean 2.25, SE = s_d / √2 = 0.05, t = 45 on 1 df, p = 1 − 2·atan(45)/π
    values = pd.DataFrame({
        "target": "MYC", "donor": ["D3", "D1", "D2", "D2", "D1"],
        "sample": ["c3", "c1", "c2", "t2", "t1"], "group": ["ctrl"] * 3 + ["drug"] * 2,
        "log2_rq": [-4.8, -5.0, -5.3, -3.0, -2.8],
    })  # fmt: skip
    row = compare_groups(values, value="log2_rq", item="target", factors=["group"],
                         control={"group": "ctrl"}, replicate="donor",
                         test="paired").iloc[0]  # fmt: skip
    assert row["test"] == "paired t"
    assert row["n"] == 2
    assert row["log2_fold_change"] == pytest.approx(2.25)
    assert row["se"] == pytest.approx(0.05)
    assert row["statistic"] == pytest.approx(45.0)
    assert row["p_value"] == pytest.approx(1 - 2 * math.atan(45) / math.pi)


def test_a_contrast_naming_one_factor_pools_the_other_within_each_donor() -> None:
    # per donor: mean over drug of hypoxia − of normoxia: D1 (2 + 4)/2 − (0 + 1)/2 = 2.5,
    # D2 (2.0 + 3.4)/2 − (0.2 + 0.6)/2 = 2.3; paired: mean 2.4, SE 0.1, t 24 on 1 df
    cells = [("normoxia", "vehicle"), ("normoxia", "drug"), ("hypoxia", "vehicle"),
             ("hypoxia", "drug")]  # fmt: skip
    values = pd.DataFrame([{"target": "MYC", "donor": d, "sample": f"{d}{i}", "oxygen": o,
                            "drug": g} for d in ("D1", "D2")
                           for i, (o, g) in enumerate(cells)])  # fmt: skip
    values["log2_rq"] = [0.0, 1.0, 2.0, 4.0, 0.2, 0.6, 2.0, 3.4]
    contrast = Contrast("hypoxia", {"oxygen": "hypoxia"}, {"oxygen": "normoxia"})
    table = compare_groups(values, value="log2_rq", item="target", factors=["oxygen", "drug"],
                           control={"oxygen": "normoxia", "drug": "vehicle"},
                           replicate="donor", contrasts=[contrast])  # fmt: skip
    row = table[table["contrast"] == "hypoxia"].iloc[0]
    assert (row["oxygen"], row["drug"]) == ("hypoxia", "")
    assert row["test"] == "paired t"
    assert row["log2_fold_change"] == pytest.approx(2.4)
    assert row["se"] == pytest.approx(0.1)
    assert row["p_value"] == pytest.approx(1 - 2 * math.atan(24) / math.pi)
