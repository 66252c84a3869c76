"""Well names: normalisation, bounds, plate guessing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qpcr.errors import InputError
from qpcr.plate import PLATES, normalise_well, normalise_wells, plate_for_wells, well_index


@pytest.mark.parametrize(
    ("raw", "size", "expected"),
    [("A1", 96, "A1"), ("a01", 96, "A1"), ("H12", 96, "H12"), (1, 96, "A1"), (96, 96, "H12"),
     (13, 96, "B1"), ("384", 384, "P24"), (25.0, 384, "B1"), ("F8", 48, "F8")],
)  # fmt: skip
def test_normalise_well(raw: object, size: int, expected: str) -> None:
    assert normalise_well(raw, PLATES[size]) == expected


@pytest.mark.parametrize(
    ("raw", "size"), [("Q25", 384), ("I1", 96), ("A13", 96), (97, 96), ("A0", 96), ("G1", 48)]
)
def test_outside_plate_is_an_error(raw: object, size: int) -> None:
    with pytest.raises(InputError, match=r"outside|column"):
        normalise_well(raw, PLATES[size])


@given(st.sampled_from([48, 96, 384]), st.data())
def test_index_and_name_round_trip(size: int, data: st.DataObject) -> None:
    plate = PLATES[size]
    index = data.draw(st.integers(1, plate.size))
    name = normalise_well(index, plate)
    assert well_index(name, plate) == index - 1
    assert normalise_well(name.replace(name[1:], name[1:].zfill(2)), plate) == name


def test_plate_for_wells() -> None:
    assert plate_for_wells(["A1", "H12"]).size == 96
    assert plate_for_wells(["A1", "F8"]).size == 48
    assert plate_for_wells(["P24"]).size == 384
    assert plate_for_wells(["A1"], hint=384).size == 384


class _Refused(Exception):
    """What the test's ``refuse`` raises: (position, message)."""


_SPELLED = st.one_of(
    st.builds(lambda r, c, pad: f"{r}{c:0{pad}d}", st.sampled_from("ABHIPQaz"),
              st.integers(0, 30), st.integers(1, 3)),
    st.integers(-2, 400), st.floats(0, 400), st.sampled_from(["", " A1", "1A", "A 1", "AA1"]),
)  # fmt: skip


@given(st.sampled_from([None, 48, 96, 384]), st.lists(_SPELLED, max_size=8))
def test_normalise_wells_is_normalise_well_of_each(size: int | None, values: list) -> None:
    plate = PLATES[size] if size else None
    expected: list[str] = []
    refused = None
    for i, value in enumerate(values):
        try:
            expected.append(normalise_well(value, plate))
        except InputError as exc:
            refused = (i, exc.message)
            break

    def refuse(i: int, exc: InputError) -> Exception:
        return _Refused(i, exc.message)

    if refused is None:
        assert normalise_wells(values, plate, refuse) == expected
    else:
        with pytest.raises(_Refused) as raised:
            normalise_wells(values, plate, refuse)
        assert raised.value.args == refused  # the first refused, with its message


@pytest.mark.parametrize("size", [None, 48, 96, 384])
def test_the_spelling_table_is_normalise_well_of_each_spelling(size: int | None) -> None:
    from qpcr.plate import _spellings

    plate = PLATES[size] if size else None
    table = _spellings(plate)
    wells = (plate or PLATES[384]).wells()
    assert set(table.values()) == set(wells)  # every well, spelled A1 and A01
    assert set(table) == {*wells, *(w[0] + "0" + w[1:] for w in wells if len(w) == 2)}
    assert table == {text: normalise_well(text, plate) for text in table}
