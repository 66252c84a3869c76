"""Incomplete blocks in a factorial design: the REML random-intercept mixed model that keeps
a donor missing a sample (methods.md §3.3), as used by the ANOVA and the rcbd contrasts of
:mod:`qpcr.stats.linear`."""

from __future__ import annotations

import math
from functools import reduce
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from .design import _Design
from .dist import f_sf
from .mixed import MixedFit, fit_random_intercept

#: A mixed-model fit of the cell means, the cells of its columns (codes of
#: :attr:`_Design.cells`) and its note.
_Mixed = tuple[MixedFit, list[int], str]

#: The ``test`` of contrasts from the random-intercept mixed model (incomplete blocks).
MIXED_TEST = "mixed model (REML, Satterthwaite df)"


def _mixed_fit(design: _Design) -> _Mixed | None:
    """The REML random-intercept fit of the cell means when some block misses a non-empty cell
    and the blocks leave within-block information (the fixed-block model has residual df and
    residuals); with the cells of its columns and a note. None for complete blocks (the fixed-block
    least squares is the same answer) or when a block effect cannot be estimated."""
    incomplete = design.block_status()[1]
    if not incomplete:
        return None
    cells, fixed = design.cell_matrix()
    y = design.frame["y"].to_numpy(float)
    resid = y - fixed @ np.linalg.lstsq(fixed, y, rcond=None)[0]
    if len(y) - np.linalg.matrix_rank(fixed) <= 0 or np.allclose(resid, 0, atol=1e-12):
        return None  # no within-block information, or none of it varies
    fit = fit_random_intercept(y, fixed[:, : len(cells)], design.frame["block"].to_numpy())
    note = (f"block(s) {incomplete} incomplete: kept in a random-intercept mixed model "
            f"({'block variance estimated 0' if fit.sigma2_block == 0 else 'REML'})")  # fmt: skip
    return fit, cells, note


def _mixed_anova(design: _Design, mixed: _Mixed) -> pd.DataFrame:
    """Type III F tests of the factors and their interactions in the mixed model (hypotheses
    on equally weighted cell means, Satterthwaite denominator df as lmerTest's ``anova``);
    ``sum_sq`` = F·df·σ̂²_e, ``den_df`` the denominator df. Every cell holds data."""
    fit, cells, note = mixed
    order = [cells.index(c) for c in range(len(design.cells))]
    rows = []
    for degree in range(1, len(design.factors) + 1):
        for term in combinations(design.factors, degree):
            parts = []
            for f in design.factors:
                k = len(design.levels[f])
                parts.append(np.hstack([np.eye(k - 1), -np.ones((k - 1, 1))]) if f in term
                             else np.full((1, k), 1.0 / k))  # fmt: skip
            lmat = np.zeros((math.prod(p.shape[0] for p in parts), len(cells)))
            lmat[:, order] = reduce(np.kron, parts)
            f_stat, q, ddf = fit.f_test(lmat)
            rows.append({"term": " × ".join(term), "sum_sq": f_stat * q * fit.sigma2_resid,
                         "df": float(q), "F": f_stat, "den_df": ddf,
                         "p_value": f_sf(f_stat, q, ddf)})  # fmt: skip
    out = pd.DataFrame(rows).assign(ss_type="III (mixed model, Satterthwaite)", note=note)
    return out[["term", "sum_sq", "df", "F", "p_value", "ss_type", "note", "den_df"]]


def _mixed_evaluator(design: _Design, key: pd.Series, mixed: _Mixed) -> tuple[Any, str, str]:
    """Contrasts of the mixed model's cell means; returns (evaluate, test name, note)."""
    fit, cells, note = mixed
    column = {c: i for i, c in enumerate(cells)}
    counts = key.value_counts()

    def evaluate(coef: dict[int, float]) -> tuple[float, float, float, int, str]:
        lvec = np.zeros(len(cells))
        for c, w in coef.items():
            lvec[column[c]] = w
        est, se, df = fit.contrast(lvec)
        return est, se, df, int(sum(counts[c] for c in coef)), ""

    return evaluate, MIXED_TEST, note
