"""The decimal mark of a file (:func:`qpcr.io.numbers.decimal_mark`) held to looking at every
cell: the scan that stops once a column can add no new mark gives the same mark, and the same
refusal naming the same cells."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qpcr.errors import ExportParseError
from qpcr.io import numbers
from qpcr.io.numbers import decimal_mark


def _outcome(columns: Mapping[str, Sequence[object]], grouped: Collection[str]) -> str:
    try:
        return decimal_mark("run.csv", columns, grouped=grouped)
    except ExportParseError as exc:
        return str(exc)


_CELL = st.one_of(
    st.text(alphabet="0123456789.,e- '", max_size=7),
    st.sampled_from(["24.51", "24,51", "1.000", "1,000", "1.234,5", "Undetermined", ""]),
    st.floats(allow_nan=True), st.none(),
)  # fmt: skip


@given(st.lists(st.lists(_CELL, max_size=8), min_size=1, max_size=3), st.data())
def test_the_mark_is_that_of_every_cell(cells: list[list[object]], data: st.DataObject) -> None:
    columns = {f"c{k}": column for k, column in enumerate(cells)}
    grouped = data.draw(st.sets(st.sampled_from(sorted(columns))))
    fast = _outcome(columns, grouped)
    with pytest.MonkeyPatch.context() as patch:  # a mark no cell gives: every cell is read
        patch.setattr(numbers, "_possible_marks", lambda text, grouped: {"none"})
        assert _outcome(columns, grouped) == fast


def test_a_column_stops_being_read_once_it_can_add_nothing(monkeypatch) -> None:
    read = []
    real = numbers._mark_of
    monkeypatch.setattr(numbers, "_mark_of", lambda cell, grouped: read.append(cell)
                        or real(cell, grouped))  # fmt: skip
    columns = {"Cq": ["Undetermined", "24.51", "25.02", "26.1"], "Quantity": ["", "", ""]}
    assert decimal_mark("run.csv", columns, grouped={"Quantity"}) == "."
    assert read == ["Undetermined", "24.51"]  # and the quantities hold no mark at all
    read.clear()
    columns["Tm"] = ["81,5"]
    with pytest.raises(ExportParseError, match="'81,5' \\(decimal comma\\)"):
        decimal_mark("run.csv", columns, grouped={"Quantity"})
