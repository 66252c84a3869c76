"""The layout reader's fast paths held to the formulation they replace: every cell read as text
once (:func:`qpcr.io._tabular.as_texts`) before the grid and long-form scans, which read each
cell with :func:`~qpcr.io._tabular.as_text` wherever they looked at it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr import layout as L
from qpcr.errors import LayoutError
from qpcr.io._tabular import as_text, as_texts, norm_header
from qpcr.plate import PLATES, PlateFormat, is_whole, normalise_well


def _is_int(value: object, expected: int) -> bool:
    text = as_text(value)
    return is_whole(text) and int(text) == expected


def _grid_blocks(rows: list[list[Any]], where: str) -> list[tuple[str, PlateFormat, dict]]:
    """The grid scan as it was: every cell of every row tested, each read with as_text."""
    blocks = []
    for i, row in enumerate(rows):
        for j in range(len(row) - 1):
            if not _is_int(row[j + 1], 1) or not (len(row) > j + 2 and _is_int(row[j + 2], 2)):
                continue
            ncols = 0
            while j + 1 + ncols < len(row) and _is_int(row[j + 1 + ncols], ncols + 1):
                ncols += 1
            plate = {12: PLATES[96], 24: PLATES[384], 8: PLATES[48]}.get(ncols)
            if plate is None:
                raise LayoutError(f"{ncols} numbered columns", where=f"{where} row {i + 1}")
            name = as_text(row[j]) or (
                as_text(rows[i - 1][j]) if i > 0 and j < len(rows[i - 1]) else ""
            )
            if not name:
                raise LayoutError("no variable name", where=f"{where} row {i + 1}")
            values: dict[str, Any] = {}
            for r, letter in enumerate(plate.row_letters):
                k = i + 1 + r
                if (
                    k >= len(rows)
                    or as_text(rows[k][j] if j < len(rows[k]) else "").upper() != letter
                ):
                    raise LayoutError(f"row {r + 1} not '{letter}'", where=f"{where} row {k + 1}")
                for c in range(plate.cols):
                    cell = rows[k][j + 1 + c] if j + 1 + c < len(rows[k]) else None
                    text = as_text(cell)
                    if text:
                        values[f"{letter}{c + 1}"] = text
            blocks.append((L._canonical(name), plate, values))
    return blocks


def _long_table(rows: list[list[Any]]) -> pd.DataFrame | None:
    """The long-form scan as it was (without its refusal of repeated columns)."""
    start = next((i for i, r in enumerate(rows) if any(as_text(c) for c in r)), None)
    if start is None:
        return None
    header = [as_text(c) for c in rows[start]]
    if "well" not in {norm_header(h) for h in header}:
        return None
    names = [L._canonical(h) if h else f"column {k + 1}" for k, h in enumerate(header)]
    body = []
    for r in rows[start + 1 :]:
        if not any(as_text(c) for c in r):
            continue
        body.append([as_text(c) for c in r[: len(names)]] + [""] * (len(names) - len(r)))
    table = pd.DataFrame(body, columns=names, dtype=object)
    table["_row"] = [start + 2 + k for k in range(len(table))]
    return table


def _outcome(scan: Any, *args: Any) -> Any:
    try:
        return scan(*args)
    except LayoutError as exc:
        return ("refused", exc.where)


_CELLS = st.one_of(
    st.sampled_from(["", " ", "1", " 1 ", "01", "2", "3", "4", "12", "A", "b", "x", "well", "²"]),
    st.sampled_from([1.0, 2.0, 3.0, 2.5, float("nan"), None, True, 0]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_CELLS, max_size=7), max_size=6))
def test_grid_scan_of_texts_is_the_scan_of_cells(rows: list[list[Any]]) -> None:
    texts = [as_texts(r) for r in rows]
    assert _outcome(L._grid_blocks, texts, "f") == _outcome(_grid_blocks, rows, "f")


def test_grid_scan_finds_grids_in_numbers_and_texts() -> None:
    rows: list[list[Any]] = [["oxygen", *range(1, 9)]]
    rows += [[letter, *(["hyp", None, 3.0] + [""] * 5)] for letter in "ABCDEF"]
    rows += [[], ["", " sample ", "1", "02", *map(float, range(3, 9))]]
    rows += [["", letter, *(["s1"] + [""] * 7)] for letter in "abcdef"]
    found = L._grid_blocks([as_texts(r) for r in rows], "f")
    assert found == _grid_blocks(rows, "f")
    assert [(name, plate.size, len(values)) for name, plate, values in found] == [
        ("oxygen", 48, 12),
        ("sample", 48, 6),
    ]
    assert found[0][2]["A3"] == "3"
    assert "A2" not in found[0][2]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_CELLS, max_size=5), max_size=6), st.booleans())
def test_long_scan_of_texts_is_the_scan_of_cells(rows: list[list[Any]], headed: bool) -> None:
    if headed:
        rows = [[" ", None], ["Well", "sample", 1.0], *rows]
    texts = [as_texts(r) for r in rows]
    mine, theirs = _outcome(L._long_table, texts, "f"), _outcome(_long_table, rows)
    refused = isinstance(mine, tuple) and isinstance(mine[0], str)  # ("refused", where)
    if isinstance(theirs, pd.DataFrame) and not refused:
        table, numbers = mine
        pd.testing.assert_frame_equal(table, theirs.drop(columns="_row"))
        assert numbers == theirs["_row"].tolist()
    else:
        assert (mine is None and theirs is None) or refused


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["A1", "a01", " B2 ", "P24", "Q1", "A0", "13", "400", "x"]), max_size=8
    ),
    st.sampled_from([None, 96, 384]),
)
def test_long_wells_are_normalise_well_of_each_cell(wells: list[str], size: int | None) -> None:
    table = pd.DataFrame({"well": wells}, dtype=object)
    numbers = list(range(2, len(wells) + 2))
    plate = PLATES.get(size) if size else None
    expected: Any
    try:
        expected = [normalise_well(w, plate) for w in wells]
    except Exception as exc:
        bad = next(i for i, w in enumerate(wells) if not _normalises(w, plate))
        expected = ("refused", f"f row {bad + 2} column 'well'", str(exc))
    try:
        found: Any = L._from_long([("f", table, numbers)], size)["well"].tolist() if wells else []
    except LayoutError as exc:
        found = ("refused", exc.where, exc.message)
    assert found == expected


def _normalises(well: str, plate: PlateFormat | None) -> bool:
    try:
        normalise_well(well, plate)
    except Exception:
        return False
    return True


def test_sample_types_are_read_once_per_text_and_refused_by_well() -> None:
    layout = pd.DataFrame(
        {"well": ["A1", "A2", "A3", "A4"], "sample_type": ["", "NTC", "Unkn-01", "ntc"]}
    )
    assert L._finish(layout, "f", None)["sample_type"].tolist() == ["unkn", "ntc", "unkn", "ntc"]
    bad = pd.DataFrame({"well": ["A1", "A2"], "sample_type": ["ntc", "calibrator"]})
    with pytest.raises(LayoutError, match="unknown sample type 'calibrator' in well A2"):
        L._finish(bad, "f", None)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["A1", "A2", "B1"]), st.sampled_from(["MYC", "TBP", ""])),
        max_size=6,
    ),
    st.booleans(),
)
def test_repeated_wells_are_found_as_duplicated_finds_them(
    rows: list[tuple[str, Any]], plated: bool
) -> None:
    layout = pd.DataFrame(rows or None, columns=["well", "target"], dtype=object)
    if plated:
        layout.insert(0, "plate", "p1")
    keys = ["plate", "well", "target"] if plated else ["well", "target"]
    repeated = bool(layout.duplicated(keys).any())
    if L._distinct_text(layout, keys):
        assert not repeated
    with_types = layout.assign(sample_type="unkn")
    if repeated:
        with pytest.raises(LayoutError, match="wells listed more than once"):
            L._finish(with_types, "f", None)
    else:
        assert len(L._finish(with_types, "f", None)) == len(layout)
