"""The plate maps' per-well helpers against the formulations they replace: ``pd.notna`` for
a record's value, and each well's edges from a dict of its four neighbours."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from qpcr.plate import PlateFormat
from qpcr.report.platemap import _edges, _present


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, 0.0, -1.5, 35.2, 0, 7, True])
def test_present_is_notna_for_a_record_value(value: object) -> None:
    assert _present(value) == bool(pd.notna(value))


def _edges_by_neighbours(samples: dict[int, str], index: int, plate: PlateFormat) -> str:
    row, col = divmod(index, plate.cols)
    here = samples.get(index)
    if here is None:
        return ""
    out = []
    neighbours = {"et": (row - 1, col), "eb": (row + 1, col), "el": (row, col - 1),
                  "er": (row, col + 1)}  # fmt: skip
    for name, (r, c) in neighbours.items():
        inside = 0 <= r < plate.rows and 0 <= c < plate.cols
        if not inside or samples.get(r * plate.cols + c) != here:
            out.append(name)
    return " ".join(out)


@pytest.mark.parametrize("seed", range(20))
def test_edges_match_the_four_neighbours(seed: int) -> None:
    rng = random.Random(seed)
    rows, cols = rng.choice([(2, 3), (8, 12), (16, 24)])
    plate = PlateFormat(rows, cols)
    filled = rng.sample(range(rows * cols), rng.randint(0, rows * cols))
    samples = {i: rng.choice("abc") for i in filled}
    for index in range(rows * cols):
        assert _edges(samples, index, plate) == _edges_by_neighbours(samples, index, plate)
