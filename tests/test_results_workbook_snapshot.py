"""results.xlsx of the example, cell by cell and sheet by sheet, against the golden snapshot of
the workbook as openpyxl wrote it (tests/data/expected/workbook/PROVENANCE.md): values and
their types, number formats, bold and size, fills, alignment, widths, row heights, frozen panes,
autofilters, print titles and page set-up, merged ranges, page breaks, pictures.

The golden file holds the example's results too: a deliberate change to them (a new column, a
message reworded) fails here. Review the difference, then regenerate it with
``PYTHONPATH=$PWD python tests/_workbook_snapshot.py``."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from _workbook_snapshot import GOLDEN, snapshot, write_example

FIELDS = ("value", "type", "number_format", "bold", "size", "fill", "horizontal", "indent",
          "wrap_text", "vertical")  # fmt: skip


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    got = snapshot(write_example(tmp_path_factory.mktemp("snapshot")))
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as golden:
        return got, json.load(golden)


def test_the_same_sheets_in_order(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    got, want = pair
    assert got["sheets"] == want["sheets"]
    assert len(want["sheets"]) == 13


@pytest.mark.parametrize("index", range(13))
def test_every_cell_and_sheet_setting(
    pair: tuple[dict[str, Any], dict[str, Any]], index: int
) -> None:
    got, want = pair
    title = want["sheets"][index]
    mine, theirs = got["sheet"][title], want["sheet"][title]
    assert mine["cells"].keys() == theirs["cells"].keys(), title
    for coordinate, cell in theirs["cells"].items():
        found = dict(zip(FIELDS, mine["cells"][coordinate], strict=True))
        assert found == dict(zip(FIELDS, cell, strict=True)), (title, coordinate)
    for key in theirs.keys() - {"cells"}:
        assert mine[key] == theirs[key], (title, key)


def test_the_golden_file_holds_what_it_should(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """The comparison above has something to compare: known cells of the example."""
    want = pair[1]["sheet"]
    assert want["wells"]["auto_filter"] == "A1:S379"
    assert want["Figures"]["images"] == [[0, 1, 9144000, 5715000], [0, 33, 4286250, 5715000]]
    assert want["Figures"]["row_breaks"] == [32, 64]
    header = want["fold_changes"]["cells"]["A1"]
    assert header[:4] == ["contrast", "str", "General", True]
    assert want["Summary"]["cells"]["A1"][:5] == ["qpcr results", "str", "General", True, 14.0]
    warned = {c[5] for k, c in want["qc"]["cells"].items() if k[1:] == "2"}  # a warn row
    assert warned == {"FFFFEB9C"}
