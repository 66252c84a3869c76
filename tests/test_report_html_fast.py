"""report.html's test for a missing cell against ``pd.isna``, its escaping of text against
:func:`html.escape`, and a table of some of a frame's columns against the table of the frame
selected: the calls they replace."""

from __future__ import annotations

import html
import random

import numpy as np
import pandas as pd
import pytest

from qpcr.report.html import _frame_table, _missing
from qpcr.report.safe import escape_html

VALUES = [None, float("nan"), np.nan, np.float64("nan"), 1.5, -0.0, np.float64(2.0), 0, 7,
          np.int64(3), "", "welch", True, False, np.bool_(True), pd.NA, pd.NaT,
          pd.Timestamp("2026-12-06")]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_missing_is_isna(value: object) -> None:
    assert _missing(value) == bool(pd.isna(value))


@pytest.mark.parametrize("seed", range(20))
def test_escape_html_is_html_escape(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = "&<>\"'; #x27amp;lt\u00e9\u2212\n"
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert escape_html(text) == html.escape(text)


@pytest.mark.parametrize("seed", range(20))
def test_a_table_of_columns_is_the_table_of_the_selection(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(0, 8)
    frame = pd.DataFrame({
        "x": [rng.choice([rng.uniform(-5, 5), float("nan")]) for _ in range(n)],
        "n": [rng.randint(0, 9) for _ in range(n)],
        "flag": [rng.random() < 0.5 for _ in range(n)],
        "name": [rng.choice(["a<b", "c", None]) for _ in range(n)],
        "mixed": pd.Series([rng.choice([1, 2.5, "t", None, True]) for _ in range(n)], dtype=object),
    })  # fmt: skip
    columns = rng.sample([*frame.columns, "absent"], rng.randint(1, 6))
    present = [c for c in columns if c in frame]
    assert _frame_table(frame, columns) == _frame_table(frame[present])
    assert _frame_table(frame) == _frame_table(frame, list(frame.columns))
