"""``csv_rows`` (the batch's CSV text from column arrays) against the pandas formulation it
replaces: ``safe_frame``, the lead columns inserted, ``to_csv(index=False, header=False)``."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr.report import safe
from qpcr.report.safe import csv_rows, csv_text, escape_cell, safe_frame


def _pandas(frame: pd.DataFrame, lead: list[tuple[str, str]]) -> tuple[tuple[str, ...], str]:
    out = safe_frame(frame)
    for position, (label, value) in enumerate(lead):
        out.insert(position, escape_cell(label), escape_cell(value))
    return tuple(out.columns), out.to_csv(index=False, header=False)


_TEXT = st.text(alphabet=st.sampled_from("ab ,\"\r\n\t=+-@1.eé\x1f'"), max_size=6)
_FLOAT = st.floats(width=64) | st.sampled_from([0.1, -0.0, 1e16, 1e-5, 1 / 3, 2.5e-300])
_NA = st.sampled_from([None, np.nan, pd.NA])
_LABEL = st.sampled_from(["export", "sample", "=x", "cq", "a,b", "p"])


def _column(kind: str, n: int) -> st.SearchStrategy[pd.Series]:
    """A column of ``n`` cells of one kind."""
    if kind == "float":
        cells = st.lists(_FLOAT, min_size=n, max_size=n)
        return cells.map(lambda v: pd.Series(v, dtype="float64"))
    if kind == "float32":
        cells = st.lists(st.floats(width=32), min_size=n, max_size=n)
        return cells.map(lambda v: pd.Series(v, dtype="float32"))
    if kind == "int":
        cells = st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n)
        return cells.map(lambda v: pd.Series(v, dtype="int64"))
    if kind == "bool":
        cells = st.lists(st.booleans(), min_size=n, max_size=n)
        return cells.map(lambda v: pd.Series(v, dtype=bool))
    if kind == "str":
        cells = st.lists(_TEXT | st.just(None), min_size=n, max_size=n)
        return cells.map(lambda v: pd.Series(v, dtype="str"))
    if kind == "object":  # text with missing values, as the tables hold it
        cells = st.lists(_TEXT | _NA, min_size=n, max_size=n)
        return cells.map(lambda v: pd.Series(v, dtype=object))
    if kind == "mixed":  # numbers in a text column: pandas formats the table
        cells = st.lists(
            _TEXT | _NA | st.booleans() | st.integers() | _FLOAT, min_size=n, max_size=n
        )
        return cells.map(lambda v: pd.Series(v, dtype=object))
    cells = st.lists(_TEXT, min_size=n, max_size=n)  # categorical: pandas formats the table
    return cells.map(lambda v: pd.Series(pd.Categorical(v)))


_FAST = ("float", "float32", "int", "bool", "str", "object")


@st.composite
def _tables(draw: st.DrawFn, kinds: tuple[str, ...]) -> pd.DataFrame:
    n = draw(st.integers(0, 6))
    labels = draw(st.lists(_LABEL | _TEXT | st.integers(0, 2), min_size=1, max_size=5, unique=True))
    columns = [draw(_column(draw(st.sampled_from(kinds)), n)) for _ in labels]
    frame = pd.concat(columns, axis=1, ignore_index=True) if columns else pd.DataFrame()
    frame.columns = labels
    return frame


_LEAD = st.lists(st.tuples(_LABEL | _TEXT, _TEXT), max_size=3)


def _same(frame: pd.DataFrame, lead: list[tuple[str, str]]) -> None:
    try:
        expected = _pandas(frame, lead)
    except ValueError as exc:  # a lead label taken: refused the same way
        for table in (frame, dict(frame.items())):
            with pytest.raises(ValueError, match=re.escape(str(exc))):
                csv_rows(table, lead)
        return
    assert csv_rows(frame, lead) == expected
    assert csv_rows(dict(frame.items()), lead) == expected  # the columns alone


@settings(max_examples=400, deadline=None)
@given(_tables((*_FAST, "mixed", "category")), _LEAD)
def test_csv_rows_are_the_bytes_of_safe_frame_and_to_csv(
    frame: pd.DataFrame, lead: list[tuple[str, str]]
) -> None:
    _same(frame, lead)


@settings(max_examples=200, deadline=None)
@given(_tables(_FAST), _LEAD)
def test_numbers_booleans_and_text_never_go_through_pandas(
    frame: pd.DataFrame, lead: list[tuple[str, str]]
) -> None:
    labels = [escape_cell(label) for label, _ in lead] + [escape_cell(c) for c in frame.columns]
    if len(labels) < 2 or len(set(labels)) < len(labels):
        return  # a row of one cell, or a label taken twice: pandas' own rules
    expected = _pandas(frame, lead)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(safe, "safe_frame", _refuse)
        assert csv_rows(frame, lead) == expected
        assert csv_rows(dict(frame.items()), lead) == expected


@settings(max_examples=300, deadline=None)
@given(_tables((*_FAST, "mixed", "category")))
def test_csv_text_is_the_bytes_of_safe_frame_and_to_csv_with_header(frame: pd.DataFrame) -> None:
    expected = safe_frame(frame).to_csv(index=False)
    assert csv_text(frame) == expected
    assert csv_text(dict(frame.items())) == expected


def _refuse(frame: pd.DataFrame) -> pd.DataFrame:
    raise AssertionError("the table went through pandas")


def test_csv_rows_of_a_plate_table_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "sample": pd.Series(["=cmd", 'say "hi"', None], dtype="str"),
            "cq": [20.25, np.nan, 1e16],
            "n": np.array([3, 0, -2], dtype="int64"),
            "used": [True, False, True],
            "note": pd.Series(["a,b", "line\nbreak", np.nan], dtype=object),
        }
    )
    labels, text = csv_rows(frame, [("export", "-run"), ("operator", "ann")])
    assert labels == ("export", "operator", "sample", "cq", "n", "used", "note")
    end = os.linesep
    assert text == (
        f"'-run,ann,'=cmd,20.25,3,True,\"a,b\"{end}"
        f'\'-run,ann,"say ""hi""",,0,False,"line\nbreak"{end}'
        f"'-run,ann,,1e+16,-2,True,{end}"
    )
    assert csv_rows(frame.iloc[:0], [("export", "x")]) == (labels[:1] + labels[2:], "")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from("abAB01_ "), min_size=1, max_size=4), min_size=70,
             max_size=90, unique=True),
    st.lists(_TEXT | st.sampled_from(["", "x1"]) | _NA, max_size=3),
    st.sampled_from([object, "str"]),
)  # fmt: skip
def test_a_column_of_many_names_is_written_as_cell_by_cell(
    names: list[str], odd: list, dtype: object
) -> None:
    # many distinct texts (a plate's wells): one scan decides that none needs escaping or
    # quoting; a few odd cells (triggers, quotes, separators, missing) must still be seen
    cells = [*odd, *names, *names[:5]]
    frame = pd.DataFrame({"well": pd.Series(cells, dtype=dtype), "n": range(len(cells))})
    _same(frame, [("export", "p1")])
