"""The name checks' distinct values (:func:`qpcr.validate._distinct_texts`) held to their
pandas formulation, ``column[rows].astype(str)`` deduplicated in order, on random columns of
every kind the wells table holds (text, objects with missing cells, numbers, booleans,
categories)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qpcr.schema.wells import unknown_rows
from qpcr.validate import _distinct_texts

_CELLS = np.array(["a", "b", "A", " a", "", "nan", "1", "1.0"], dtype=object)


def _column(seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 30))
    text = rng.choice(_CELLS, n)
    kind = seed % 7
    if kind == 0:
        return pd.Series(pd.array(text, dtype="str"))
    if kind == 1:
        return pd.Series(text, dtype=object)
    if kind == 2:  # objects with missing cells and numbers
        mixed = text.copy()
        for i in np.flatnonzero(rng.random(n) < 0.3):
            mixed[i] = [None, np.nan, 1, 1.0, True][int(rng.integers(0, 5))]
        return pd.Series(mixed, dtype=object)
    if kind == 3:
        return pd.Series(pd.array(np.where(rng.random(n) < 0.3, None, text), dtype="str"))
    if kind == 4:
        return pd.Series(rng.choice([1.0, 2.5, np.nan, -0.0], n))
    if kind == 5:
        return pd.Series(rng.random(n) < 0.5)
    return pd.Series(pd.Categorical(text))


def _same(got: list[object], expected: list[object]) -> bool:
    def key(v: object) -> object:
        return "<missing>" if isinstance(v, float) and math.isnan(v) else (type(v), v)

    return [key(v) for v in got] == [key(v) for v in expected]


@pytest.mark.parametrize("seed", range(140))
def test_distinct_texts_are_those_of_the_selected_series(seed: int) -> None:
    column = _column(seed)
    rows = np.random.default_rng(seed + 1).random(len(column)) < 0.6
    assert _same(_distinct_texts(column), list(dict.fromkeys(column.astype(str).tolist())))
    expected = list(dict.fromkeys(column[rows].astype(str).tolist()))
    assert _same(_distinct_texts(column, rows), expected)


def test_the_unknowns_are_the_unkn_rows() -> None:
    wells = pd.DataFrame({"sample_type": pd.array(["unkn", "ntc", None, "unkn"], dtype="str")})
    assert unknown_rows(wells).tolist() == [True, False, False, True]
    nullable = wells.astype({"sample_type": "string"})  # pd.NA: not an unknown
    assert unknown_rows(nullable).tolist() == [True, False, False, True]
    assert unknown_rows(pd.DataFrame({"target": ["MYC"]})) is None
