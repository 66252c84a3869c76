"""The Thermo readers' wells table, built in one step from its columns, keeps the dtypes it
had when its columns were written one by one: text columns of pandas' ``str`` dtype, numbers
as float64, the omit flag as bool, a range index."""

from __future__ import annotations

import pandas as pd
import pytest
from test_io_thermo import FIXTURES, _path

from qpcr.io import read_run

_DTYPES = {"cq": "float64", "quantity": "float64", "tm": "float64", "omitted": "bool"}


@pytest.mark.parametrize("name", FIXTURES)
def test_the_wells_columns_keep_their_dtypes(name: str) -> None:
    wells = read_run(_path(name)).wells
    assert {c: str(t) for c, t in wells.dtypes.items()} == {
        c: _DTYPES.get(c, "str") for c in wells.columns
    }
    assert isinstance(wells.index, pd.RangeIndex)
    assert wells.index.start == 0
