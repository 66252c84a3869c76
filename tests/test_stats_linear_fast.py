"""The factorial model's shortcuts give the numbers of the formulations they replace, to the
bit: the t interval from a kept quantile, a table's p-values evaluated at once, an ``rcbd``
plan's contrast vectors kept across responses."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qpcr.stats import factorial_contrasts
from qpcr.stats._common import _t_ci
from qpcr.stats.design import _contrast_specs
from qpcr.stats.dist import t_sf
from qpcr.stats.linear import _AnovaPlan, _ContrastPlan, _fill
from qpcr.stats.lstsq import _rank

RNG = np.random.default_rng(14)


def test_fill_gives_the_t_interval() -> None:
    for _ in range(500):
        estimate, se = RNG.normal(0, 3), RNG.uniform(0.01, 2)
        df, alpha = float(RNG.choice([2.0, 6.0, RNG.uniform(1, 40)])), RNG.choice([0.05, 0.01])
        row = {"note": ""}
        assert _fill(row, estimate, se, df, alpha)
        assert (row["ci_low"], row["ci_high"]) == _t_ci(estimate, se, df, alpha)


@pytest.mark.parametrize("method", ["rcbd", "paired", "welch"])
def test_p_values_at_once_equal_each_contrasts_own(method: str) -> None:
    control = {"oxygen": "normoxia", "drug": "vehicle"}
    for n_donors in (2, 3, 5):
        data = _data(n_donors).assign(y=RNG.normal(size=6 * n_donors))
        table = factorial_contrasts(data, "y", ["oxygen", "drug"], "donor", control=control,
                                    method=method)  # fmt: skip
        tested = table.dropna(subset=["statistic"])
        assert len(tested) == len(table) == 9
        for statistic, df, p in tested[["statistic", "df", "p_value"]].itertuples(index=False):
            assert p == 2 * t_sf(abs(statistic), df)


def _data(n_donors: int) -> pd.DataFrame:
    cells = [(o, d) for o in ("normoxia", "hypoxia", "anoxia") for d in ("vehicle", "drug")]
    return pd.DataFrame([{"oxygen": o, "drug": d, "donor": f"D{k}"}
                         for k in range(n_donors) for o, d in cells])  # fmt: skip


def test_rcbd_contrasts_of_a_kept_plan_equal_the_direct_formulas() -> None:
    control = {"oxygen": "normoxia", "drug": "vehicle"}
    for n_donors in (2, 3, 5):
        data = _data(n_donors).assign(y=RNG.normal(size=6 * n_donors))
        plan = _ContrastPlan(data, "y", ["oxygen", "drug"], "donor", control, 0.05, "rcbd")
        rcbd = plan.rcbd
        assert rcbd is not None
        for _ in range(3):  # other responses on the same plan
            y = RNG.normal(size=len(data))
            evaluate = rcbd.evaluator(y)
            beta = np.linalg.lstsq(rcbd.x, y, rcond=None)[0]
            mse = float(np.sum((y - rcbd.x @ beta) ** 2) / rcbd.df)
            counts = pd.Series(plan.key).value_counts()
            for _label, _kind, coef in _contrast_specs(plan.design, control):
                lvec = np.zeros(rcbd.x.shape[1])
                for c, w in coef.items():
                    lvec[rcbd.cells.index(c)] = w
                se = math.sqrt(mse * float(lvec @ rcbd.xtx_inv @ lvec))
                n = int(sum(counts[c] for c in coef))
                assert evaluate(coef) == (float(lvec @ beta), se, rcbd.df, n, "")


@pytest.mark.parametrize("method", ["rcbd", "paired", "welch"])
def test_fold_changes_at_once_equal_each_rows_own(method: str) -> None:
    """fold_change, fc_ci_low and fc_ci_high in one exp2 call: each is 2 to its own log2."""
    control = {"oxygen": "normoxia", "drug": "vehicle"}
    for n_donors in (2, 3, 5):
        data = _data(n_donors).assign(y=RNG.normal(0, 3, size=6 * n_donors))
        table = factorial_contrasts(data, "y", ["oxygen", "drug"], "donor", control=control,
                                    method=method)  # fmt: skip
        for log2, fold in (("estimate_log2", "fold_change"), ("ci_low", "fc_ci_low"),
                           ("ci_high", "fc_ci_high")):  # fmt: skip
            expected = [float(np.exp2(v)) for v in table[log2].tolist()]
            assert np.array_equal(table[fold].to_numpy(), expected, equal_nan=True)


def test_the_rcbd_samples_per_cell_are_the_cell_keys_value_counts() -> None:
    control = {"oxygen": "normoxia", "drug": "vehicle"}
    for n_donors in (2, 3, 4):
        data = _data(n_donors).assign(y=RNG.normal(size=6 * n_donors))
        data = data.drop(index=RNG.choice(len(data), size=3, replace=False))  # unbalanced
        plan = _ContrastPlan(data, "y", ["oxygen", "drug"], None, control, 0.05, "rcbd")
        assert plan.rcbd is not None
        expected = plan.design.cell_key().value_counts().to_dict()
        assert plan.rcbd.counts == expected
        assert sum(expected.values()) == len(data)
        assert all(type(k) is int and type(v) is int for k, v in plan.rcbd.counts.items())


@pytest.mark.parametrize(
    ("typ", "block", "dropped"), [(2, "donor", 0), (3, "donor", 0), (2, None, 3)]
)
def test_the_anova_degrees_of_freedom_are_the_ranks_of_each_pair(
    typ: int, block: str | None, dropped: int
) -> None:
    for n_donors in (3, 4, 5):  # two rows dropped leave every cell a row
        data = _data(n_donors).assign(y=RNG.normal(size=6 * n_donors))
        data = data.drop(index=RNG.choice(len(data), size=dropped, replace=False))
        fit = _AnovaPlan(data, "y", ["oxygen", "drug"], block, typ).ols
        assert fit is not None
        assert fit.df_resid == len(data) - _rank(fit.matrices[0])
        for _name, without, with_at, df in fit.pairs:
            assert df == _rank(fit.matrices[with_at]) - _rank(fit.matrices[without])
        assert len(fit.pairs) == (4 if block else 3)
