"""The design table's fast paths (:mod:`qpcr.stats.design`) held to the pandas formulation they
replace: a factor's levels and the complete rows of text columns without ``astype(str)`` (which
keeps pandas' text as it is) and missing cells found without a Series around them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr.errors import QpcrError
from qpcr.stats.design import _complete_rows, _Design, _levels

_CELLS = st.sampled_from(["a", "b", " c", "10", "", None, np.nan])
_DTYPES = ["str", "string", object, "category"]


def _levels_before(column: pd.Series) -> list[str]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(v) for v in column.cat.categories]
    return list(dict.fromkeys(column.dropna().astype(str).tolist()))


def _complete_rows_before(
    data: pd.DataFrame, y: pd.Series, named: dict[str, str]
) -> tuple[pd.DataFrame, np.ndarray]:
    keep = y.notna().to_numpy().copy()
    for column in named.values():
        keep &= data[column].notna().to_numpy()
    frame: dict[str, Any] = {"y": y.astype(float).to_numpy()[keep]}
    for name, column in named.items():
        frame[name] = data[column].astype(str).array[keep]
    return pd.DataFrame(frame, index=data.index[keep]), np.flatnonzero(keep)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_CELLS, _CELLS, st.sampled_from([1.5, -2.0, np.nan])), max_size=9),
    st.sampled_from(_DTYPES),
    st.sampled_from([*_DTYPES, "float", "Int64"]),
)
def test_levels_and_complete_rows_are_the_pandas_formulation(
    rows: list[tuple[Any, Any, float]], first: Any, second: Any
) -> None:
    a, b, y = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [])
    if second == "float":
        b = [float(len(v)) if isinstance(v, str) else np.nan for v in b]
    if second == "Int64":
        b = [len(v) if isinstance(v, str) else None for v in b]
    data = pd.DataFrame({"a": pd.Series(a, dtype=first), "b": pd.Series(b, dtype=second)})
    data.index = pd.RangeIndex(3, 3 + len(data))
    for column in ("a", "b"):
        assert _levels(data[column]) == _levels_before(data[column])
    response = pd.Series(y, index=data.index, dtype=float)
    named = {"f": "a", "block": "b"}
    frame, at = _complete_rows(data, response, named)
    frame_before, at_before = _complete_rows_before(data, response, named)
    pd.testing.assert_frame_equal(frame, frame_before)
    np.testing.assert_array_equal(at, at_before)


def test_text_levels_keep_their_order_and_leave_out_missing_cells() -> None:
    column = pd.Series(["hypoxia", None, "normoxia", "hypoxia"], dtype="str")
    assert _levels(column) == ["hypoxia", "normoxia"]
    data = pd.DataFrame({"oxygen": column, "donor": ["d1", "d1", None, "d2"]})
    frame, at = _complete_rows(data, pd.Series([1.0, 2.0, 3.0, np.nan]), {"oxygen": "oxygen"})
    assert frame["oxygen"].tolist() == ["hypoxia", "normoxia"]
    assert at.tolist() == [0, 2]
    frame, at = _complete_rows(data, pd.Series([1.0] * 4), {"f": "oxygen", "block": "donor"})
    assert at.tolist() == [0, 3]
    assert frame["block"].tolist() == ["d1", "d2"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([1.5, "2", "x", None, np.nan, "", "3e1"]), min_size=1, max_size=8))
def test_a_response_that_is_no_number_is_refused_at_its_first_row(cells: list[Any]) -> None:
    data = pd.DataFrame({"y": pd.Series(cells, dtype=object), "f": (["a", "b"] * 4)[: len(cells)]})
    data.index = pd.Index(range(10, 10 + len(cells)))  # labels that are not positions
    y = pd.to_numeric(data["y"], errors="coerce")
    bad = data.index[y.isna() & data["y"].notna()]  # the formulation the check replaces
    try:
        _Design(data, "y", ["f"], None, "test")
    except QpcrError as exc:  # refused: for a response that is no number, or another reason
        refused = exc.where if exc.message.startswith("non-numeric") else None
    else:
        refused = None
    assert refused == (f"test, row {bad[0]}, column 'y'" if len(bad) else None)
