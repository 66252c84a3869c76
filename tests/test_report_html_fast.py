"""report.html's test for a missing cell against ``pd.isna``, the call it replaces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qpcr.report.html import _missing

VALUES = [None, float("nan"), np.nan, np.float64("nan"), 1.5, -0.0, np.float64(2.0), 0, 7,
          np.int64(3), "", "welch", True, False, np.bool_(True), pd.NA, pd.NaT,
          pd.Timestamp("2026-12-06")]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_missing_is_isna(value: object) -> None:
    assert _missing(value) == bool(pd.isna(value))
