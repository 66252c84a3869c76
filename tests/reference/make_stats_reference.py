"""Regenerate tests/reference/stats_dataset_anova.csv (statsmodels 0.15 anova_lm, Type II).

The methods.md §2.0 dataset (y = −ΔCq with refs REF_A/REF_B; RANKL_OPG = per-sample log2
ratio) analysed with ``ols(y ~ C(oxygen) * C(treatment) [+ C(donor)])`` and ``anova_lm(typ=2)``,
written independently of qpcr.stats so that tests/test_stats.py can compare against it.
Run: ``python tests/reference/make_stats_reference.py``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

HERE = Path(__file__).parent


def main() -> None:
    sys.path.insert(0, str(HERE.parent))
    from test_stats import DATASET  # the dataset table as printed in methods.md §2.0

    d = pd.read_csv(io.StringIO(DATASET), sep=r"\s+")
    d["donor"] = d["sample"].str[:2]
    d["oxygen"] = d["sample"].str[3]
    d["treatment"] = d["sample"].str[4]
    ref = (d["REF_A"] + d["REF_B"]) / 2
    for g in ["BMP2", "VEGFA", "RANKL", "OPG"]:
        d[g] = -(d[g] - ref)
    d["RANKL_OPG"] = d["RANKL"] - d["OPG"]
    rows = []
    for gene in ["BMP2", "VEGFA", "RANKL", "OPG", "RANKL_OPG"]:
        for blocked in (True, False):
            formula = f"{gene} ~ C(oxygen) * C(treatment)" + (" + C(donor)" if blocked else "")
            table = anova_lm(smf.ols(formula, d).fit(), typ=2)
            for term, r in table.iterrows():
                rows.append(
                    {
                        "response": gene,
                        "block": "donor" if blocked else "",
                        "term": term,
                        "sum_sq": r["sum_sq"],
                        "df": r["df"],
                        "F": r["F"],
                        "p_value": r["PR(>F)"],
                    }
                )
    pd.DataFrame(rows).to_csv(HERE / "stats_dataset_anova.csv", index=False, float_format="%.12g")


if __name__ == "__main__":
    main()
