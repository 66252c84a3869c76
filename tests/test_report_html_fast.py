"""report.html's test for a missing cell against ``pd.isna``, and its escaping of text against
:func:`html.escape`: the calls they replace."""

from __future__ import annotations

import html
import random

import numpy as np
import pandas as pd
import pytest

from qpcr.report.html import _missing
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
