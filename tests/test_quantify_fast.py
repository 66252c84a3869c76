"""The quantification's fast paths held to the formulations they replace (random tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr.grouped import moments
from qpcr.stability.warnings import _factor_effects
from qpcr.stats.dist import f_sf


def _factor_effects_one(
    samples: pd.DataFrame, target: str, factors: list[str]
) -> dict[str, tuple[float, float]]:
    """The per-target formulation :func:`_factor_effects` replaced: the target's rows selected
    from the table, each factor numbered within them."""
    chosen = samples["target"].astype(str).eq(target).to_numpy(copy=True)
    for column in ["cq_mean", *factors]:
        chosen &= samples[column].notna().to_numpy()
    at = np.flatnonzero(chosen)
    data = {column: samples[column].iloc[at] for column in ["cq_mean", *factors]}
    usable = [f for f in factors if len(pd.unique(data[f].to_numpy())) > 1]
    if not usable or len(at) < 3:
        return {}
    levels = {f: pd.factorize(data[f].astype(str), sort=True) for f in usable}
    blocks = {f: (code[:, None] == np.arange(1, len(names))).astype(float)
              for f, (code, names) in levels.items()}  # fmt: skip
    y = data["cq_mean"].to_numpy(dtype=float)
    ones = np.ones((len(y), 1))

    def fit(parts: list[np.ndarray]) -> tuple[float, int]:
        x = np.hstack([ones, *parts])
        beta, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
        return float(np.sum((y - x @ beta) ** 2)), len(y) - int(rank)

    ssr, df_resid = fit(list(blocks.values()))
    noise = len(y) * (1e3 * np.finfo(float).eps * float(np.abs(y).max())) ** 2
    testable = df_resid > 0 and ssr > noise
    out = {}
    for f in usable:
        p = float("nan")
        if testable:
            ssr_r, df_r = fit([b for g, b in blocks.items() if g != f])
            df_f = df_r - df_resid
            p = f_sf((ssr_r - ssr) / df_f / (ssr / df_resid), df_f, df_resid)
        level_means = moments(y, levels[f][0])[0]
        out[f] = (p, float(level_means.max() - level_means.min()))
    return out


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.booleans())
def test_factor_effects_of_every_target_equal_each_targets_own(
    seed: int, samples: int, holes: bool
) -> None:
    rng = np.random.default_rng(seed)
    targets = ["TBP", "RPL13A", "MYC", "B2M"]
    n = samples * len(targets)
    table = pd.DataFrame({
        "sample": np.repeat([f"s{i}" for i in range(samples)], len(targets)),
        "target": targets * samples,
        "cq_mean": rng.normal(22, 2, n).round(int(rng.integers(0, 4))),
        "oxygen": rng.choice(["normoxia", "hypoxia", "anoxia"][: rng.integers(1, 4)], n),
        "dose": rng.choice([0.0, 1.5, 10.0], n),
    })  # fmt: skip
    if holes:  # missing values in the response, a factor and the target
        for column in ("cq_mean", "oxygen", "target"):
            table.loc[rng.random(n) < 0.15, column] = None
    factors = ["oxygen", "dose"]
    try:  # aliased factors (no degrees of freedom for one) fail both alike
        expected_of = {target: _factor_effects_one(table, target, factors) for target in targets}
    except ZeroDivisionError:
        with pytest.raises(ZeroDivisionError):
            _factor_effects(table, targets, factors)
        return
    found = _factor_effects(table, targets, factors)
    for target, expected in expected_of.items():
        assert list(found[target]) == list(expected)
        for factor, (p, effect) in expected.items():
            assert found[target][factor][1] == effect
            assert found[target][factor][0] == pytest.approx(p, rel=0, abs=0, nan_ok=True)
