"""A comparison whose variance is zero gets no test in every table alike: the floating-point
rounding of a zero variance (values such as 0.1 + 0.2 against 0.3) must not turn into a p-value
of 1e-33 in one table while another says "no test possible" (issue 16, item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qpcr.stats import two_group_test
from qpcr.stats.linear import factorial_anova, factorial_contrasts

#: Exactly equal replicates in exact arithmetic; 0.1 + 0.2 differs from 0.3 by 5.6e-17.
ROUNDED = [0.1 + 0.2, 0.3, 0.3]
SHIFTED = [1.1 + 0.2, 1.3, 1.3]


@pytest.mark.parametrize("test", ["welch", "student"])
def test_two_group_test_treats_rounding_as_zero_variance(test: str) -> None:
    assert np.var(ROUNDED, ddof=1) > 0  # the float spread the rule must see through
    res = two_group_test(SHIFTED, ROUNDED, test=test)
    assert res["estimate"] == pytest.approx(-1.0)
    assert res["se"] == 0.0
    assert np.isnan(res["p_value"])
    assert np.isnan(res["ci_low"])
    assert "no test possible" in res["note"]


def test_a_real_small_spread_is_still_tested() -> None:
    res = two_group_test([1.3, 1.301, 1.299], [0.3, 0.301, 0.299], test="welch")
    assert res["se"] == pytest.approx(np.sqrt(2 * 1e-6 / 3))  # SD 0.001 in each group
    assert 0 < res["p_value"] < 1e-6


def _cells(values: list[float]) -> pd.DataFrame:
    """A 2 × 2 design with 3 donors whose log2 values are additive (no residual at all)."""
    rows = []
    for k, donor in enumerate(("D1", "D2", "D3")):
        for i, oxygen in enumerate(("normoxia", "hypoxia")):
            for j, drug in enumerate(("vehicle", "drug")):
                rows.append({"donor": donor, "oxygen": oxygen, "drug": drug,
                             "y": values[k] + 0.7 * i + 0.3 * j})  # fmt: skip
    return pd.DataFrame(rows)


def test_factorial_tables_agree_with_the_two_group_test() -> None:
    data = _cells([0.1, 0.2, 0.3])  # donor effects only: residuals are rounding
    anova = factorial_anova(data, "y", ["oxygen", "drug"], block="donor")
    assert anova["F"].isna().all()
    assert anova["p_value"].isna().all()
    assert "zero residual variance" in anova["note"].iloc[0]
    control = {"oxygen": "normoxia", "drug": "vehicle"}
    contrasts = factorial_contrasts(data, "y", ["oxygen", "drug"], "donor", control=control)
    assert contrasts["p_value"].isna().all()
    assert (contrasts["se"] == 0).all()
    assert contrasts["note"].str.contains("no test possible").all()
    assert contrasts["estimate_log2"].iloc[0] == pytest.approx(0.7)
