"""Plate layouts: long and grid forms, the shipped layouts, joining with an export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from qpcr.errors import LayoutError, LayoutMismatchError
from qpcr.layout import grid_text, join_layout, load_layout
from qpcr.plate import PLATES

ROOT = Path(__file__).parents[1]
SHIPPED = sorted((ROOT / "plate_layouts").glob("*.csv"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_layouts_load(path: Path) -> None:
    layout = load_layout(path)
    size = 384 if "384" in path.name else 96
    assert set(layout.columns) >= {"well", "sample", "target", "sample_type", "oxygen", "donor"}
    assert len(layout) == (378 if size == 384 else 78)
    counts = layout["sample_type"].value_counts().to_dict()
    if size == 384:  # 7 genes × (12 samples + NTC) × 3, and 7 genes × 5 standards × 3
        assert counts == {"unkn": 252, "ntc": 21, "std": 105}
        std = layout[layout["sample_type"] == "std"]
        assert sorted(std["quantity"].unique()) == [1.0, 10.0, 100.0, 1000.0, 10000.0]
        assert (std.groupby(["target", "quantity"]).size() == 3).all()
        assert layout.loc[layout["sample_type"] != "std", "quantity"].isna().all()
    else:
        assert counts == {"unkn": 72, "ntc": 6}
    unkn = layout[layout["sample_type"] == "unkn"]
    assert unkn.groupby("sample")["donor"].nunique().max() == 1
    assert unkn["sample"].nunique() == 12


@pytest.mark.parametrize("size", [96, 384])
def test_grid_and_long_forms_agree(size: int) -> None:
    long = load_layout(ROOT / f"plate_layouts/hypoxia_tocilizumab_{size}.csv")
    grid = load_layout(ROOT / f"plate_layouts/hypoxia_tocilizumab_{size}_grid.csv")
    key = ["well"]
    a = long.astype(object).fillna("").astype(str).sort_values(key).reset_index(drop=True)
    b = grid.astype(object).fillna("").astype(str).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[b.columns], b)


def test_grid_in_a_workbook_with_padded_wells(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["notes: drawn by hand"])
    sheet.append([])
    sheet.append(["sample", *range(1, 13)])
    for letter in "ABCDEFGH":
        sheet.append([letter, *(f"S{letter}{c}" if c < 3 else None for c in range(1, 13))])
    sheet.append([])
    sheet.append(["Oxygen", *range(1, 13)])
    for letter in "ABCDEFGH":
        sheet.append([letter, *("hypoxia" if c == 1 else None for c in range(1, 13))])
    path = tmp_path / "grid.xlsx"
    book.save(path)
    layout = load_layout(path).set_index("well")
    assert len(layout) == 16
    assert layout.loc["C2", "sample"] == "SC2"
    assert layout.loc["C1", "Oxygen"] == "hypoxia"
    assert layout.loc["C2", "Oxygen"] == ""


def test_long_layout_bad_well_names_row(tmp_path: Path) -> None:
    path = tmp_path / "layout.csv"
    path.write_text("well,sample\nA1,x\nQ25,y\n")
    with pytest.raises(LayoutError, match=r"layout.csv row 3 column 'well'.*Q25"):
        load_layout(path, plate=384)


def test_grid_of_wrong_size(tmp_path: Path) -> None:
    path = tmp_path / "grid.csv"
    path.write_text("sample," + ",".join(map(str, range(1, 11))) + "\nA,x\n")
    with pytest.raises(LayoutError, match="10 numbered columns; expected 8, 12 or 24"):
        load_layout(path)


def test_layout_that_does_not_fit_the_plate(tmp_path: Path) -> None:
    path = tmp_path / "grid.csv"
    path.write_text(grid_text(pd.DataFrame({"well": ["A1"], "sample": ["x"]}), PLATES[96],
                              ["sample"]))  # fmt: skip
    with pytest.raises(LayoutMismatchError, match=r"96-well plate.*384-well"):
        load_layout(path, plate=384)


def test_duplicate_wells(tmp_path: Path) -> None:
    path = tmp_path / "layout.csv"
    path.write_text("well,sample\nA1,x\nA01,y\n")
    with pytest.raises(LayoutError, match="more than once: A1"):
        load_layout(path)


def test_unknown_sample_type(tmp_path: Path) -> None:
    path = tmp_path / "layout.csv"
    path.write_text("well,sample,sample_type\nA1,x,sample\nA2,y,blank\n")
    with pytest.raises(LayoutError, match="unknown sample type 'blank' in well A2"):
        load_layout(path)


def _wells(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"well": [w for w, _ in rows], "target": [t for _, t in rows], "sample": "",
         "sample_type": "unkn", "cq": 20.0, "cq_status": "ok"}
    )  # fmt: skip


def test_join_reports_every_mismatch() -> None:
    wells = _wells([("A1", "BMP2"), ("A2", "BMP2"), ("A3", "TBP")])
    layout = pd.DataFrame(
        {"well": ["A1", "A2", "B1"], "sample": ["s1", "s2", "s3"],
         "target": ["BMP2", "BMP2", "TBP"], "donor": ["1", "2", "3"]}
    )  # fmt: skip
    joined, messages = join_layout(wells, layout)
    assert joined["in_layout"].tolist() == [True, True, False]
    assert joined["sample"].tolist()[:2] == ["s1", "s2"]
    assert any("not in the layout" in m and "A3" in m for m in messages)
    assert any("no data in the export" in m and "B1" in m for m in messages)


def test_join_refuses_disagreeing_targets() -> None:
    wells = _wells([("A1", "BMP2"), ("A2", "VEGFA"), ("A3", "TBP")])
    layout = pd.DataFrame({"well": ["A1", "A2", "A3"], "target": ["BMP2", "BMP2", "GAPDH"]})
    with pytest.raises(LayoutMismatchError, match=r"2 well\(s\).*A2: export 'VEGFA' vs layout"):
        join_layout(wells, layout)


def test_a_text_layout_is_parsed_once_per_content(tmp_path: Path, monkeypatch) -> None:
    import os

    import qpcr.layout as layout_module
    from qpcr.errors import InputError

    parsed = []
    real = layout_module._parse
    monkeypatch.setattr(layout_module, "_parse", lambda *a: parsed.append(a[0]) or real(*a))
    text = "well,sample,target,group\nA1,s1,MYC,dmso\nA2,s2,MYC,drug\n"
    path, copy = tmp_path / "layout.csv", tmp_path / "other name.csv"
    path.write_text(text)
    copy.write_text(text)
    first = load_layout(path)
    first.loc[0, "sample"] = "changed"  # the caller's copy: the kept table stays as read
    first["extra"] = 1
    again = load_layout(copy)
    assert parsed == [path]
    assert again.to_dict("list") == {
        "well": ["A1", "A2"], "sample": ["s1", "s2"], "target": ["MYC", "MYC"],
        "group": ["dmso", "drug"],
    }  # fmt: skip
    # the same name, size and modification time with other bytes: read anew
    stat = path.stat()
    path.write_text(text.replace("s1", "s9"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert load_layout(path)["sample"].tolist() == ["s9", "s2"]
    assert load_layout(path, plate=96)["sample"].tolist() == ["s9", "s2"]
    assert len(parsed) == 3  # the plate size is part of what was parsed
    # the budget is checked on every call, not only when the file is parsed
    monkeypatch.setenv("QPCR_MAX_ROWS", "2")
    with pytest.raises(InputError, match="3 rows"):
        load_layout(copy)
    # a refused layout is not kept: the same bytes are refused again with their message
    monkeypatch.delenv("QPCR_MAX_ROWS")
    bad = tmp_path / "bad.csv"
    bad.write_text("well,sample\nA1,s1\n1A,s2\n")
    for _ in range(2):
        with pytest.raises(LayoutError, match="row 3 column 'well'"):
            load_layout(bad)
