"""Qiagen Rotor-Gene Q "Excel Analysed Data Export" reader."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from _vendor_io import EXPORTS, assert_matches_golden, cq_or_nan

from qpcr.errors import ExportParseError, FormatWarning
from qpcr.io import detect, read_run

FOLDER = EXPORTS / "rotorgene"
FILES = sorted(p for p in FOLDER.iterdir() if p.suffix in (".csv", ".xlsx"))
TYPES = {
    "Unknown": "unkn",
    "Standard": "std",
    "NTC": "ntc",
    "Positive Control": "pos",
    "Negative Control": "ntc",
}


def parse_rotorgene_csv(path: Path) -> list[dict[str, str]]:
    """Independent parse of a ``;`` re-save: one dict per tube and block, with the block's
    page name as ``target`` and channel as ``channel``."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    records: list[dict[str, str]] = []
    title = header = None
    for line in lines:
        cells = line.split(";")
        if cells[0].startswith("Quantitative analysis of"):
            title = re.search(r"\.(\w+) \((.+)\)$", cells[0])
            header = None
        elif cells[0].startswith("Melt analysis"):
            title = None
        elif title and cells[0] == "No.":
            header = cells
        elif title and header and cells[0]:
            record = dict(zip(header, cells, strict=True))
            record.update(channel=title.group(1), target=title.group(2))
            records.append(record)
    return [r for r in records if r["Type"] != "None"]


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.csv")), ids=lambda p: p.name)
def test_matches_independent_parse(path: Path) -> None:
    records = parse_rotorgene_csv(path)
    wells = read_run(path).wells
    assert len(wells) == len(records)
    assert wells["well"].tolist() == [r["No."] for r in records]
    assert wells["sample"].tolist() == [r["Name"] for r in records]
    assert wells["target"].tolist() == [r["target"] for r in records]
    assert wells["reporter"].tolist() == [r["channel"] for r in records]
    assert wells["sample_type"].tolist() == [TYPES[r["Type"]] for r in records]
    expected = np.array([cq_or_nan(r["Ct"]) for r in records])
    np.testing.assert_allclose(wells["cq"].to_numpy(float), expected, rtol=0, atol=1e-9)
    assert (wells["cq_status"] == "ok").tolist() == (~np.isnan(expected)).tolist()
    assert wells["cq_comment"].tolist() == [r["Ct Comment"] for r in records]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    export = read_run(path)
    assert export.info.format == "rotorgene"
    assert_matches_golden(export.wells, path)


def test_real_28s_file() -> None:
    export = read_run(FOLDER / "rotorgene_28s_green_semicolon.csv")
    wells = export.wells
    assert len(wells) == 24
    assert wells["well"].tolist() == [str(n) for n in range(25, 49)]
    assert set(wells["target"]) == {"28S"}
    assert set(wells["reporter"]) == {"Green"}
    assert wells.loc[0, ["sample", "cq"]].tolist() == ["NK1", 7.49]
    assert wells.loc[23, ["sample", "cq"]].tolist() == ["NK12", 8.58]
    # the replicate mean in 'Rep. Ct' is the vendor's: NK1 = (7.49 + 7.56) / 2 = 7.525 -> 7.52
    assert wells.loc[0:1, "cq"].mean() == pytest.approx(7.525)
    assert export.info.run_date == "2021-03-16T10:34:20"
    assert export.info.extra["machine_serial_number"] == "717122"
    assert export.info.extra["run_file"] == "Brilliant III Ultra Fast SYBR Green 2021-03-16 (1).rex"
    assert export.info.plate_size is None


def test_two_channels_types_standards_and_comments() -> None:
    export = read_run(FOLDER / "rotorgene_two_channels_bom_synthetic.csv")
    wells = export.wells
    assert wells.groupby(["target", "reporter"]).size().to_dict() == {
        ("GAPDH", "Green"): 9,
        ("IL6", "Yellow"): 9,
    }
    assert "9" not in set(wells["well"])  # Type None = unused tube
    ntc = wells[(wells["well"] == "7") & (wells["target"] == "GAPDH")].iloc[0]
    assert (ntc["sample_type"], ntc["cq_status"], ntc["cq_comment"]) == (
        "ntc",
        "undetermined",
        "NEG (NTC)",
    )
    stds = wells[wells["sample_type"] == "std"]
    assert stds["quantity"].tolist() == [1e5, 1e4, 1e3, 1e5, 1e4, 1e3]
    assert wells.loc[wells["sample_type"] != "std", "quantity"].isna().all()
    assert export.info.run_date == "2024-07-02T14:05:09"
    assert export.info.extra["rotor_positions"] == 10


def test_workbook_equals_csv() -> None:
    book = read_run(FOLDER / "rotorgene_analysed_export_synthetic.xlsx")
    text = read_run(FOLDER / "rotorgene_two_channels_bom_synthetic.csv")
    assert book.wells.equals(text.wells)
    assert book.info.extra == text.info.extra


HEAD = "Excel Analysed Data Export;;\nFile;x.rex;\n;;\n"
TITLE = "Quantitative analysis of Cycling A.Green (ACTB);;\n;;\n"
COLS = "No.;Color;Name;Type;Ct;Ct Comment\n"


def test_unknown_type_is_kept_verbatim_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "rg.csv"
    path.write_text(HEAD + TITLE + COLS + "1;0;a;Unknown;20.1;\n2;0;b;Calibrator;20.3;\n")
    with pytest.warns(FormatWarning, match=r"Type 'Calibrator' \(1 row\) is not a sample type"):
        wells = read_run(path).wells
    assert wells["sample_type"].tolist() == ["unkn", "Calibrator"]
    assert wells["cq"].tolist() == [20.1, 20.3]


def test_bad_ct_and_bad_position(tmp_path: Path) -> None:
    path = tmp_path / "rg.csv"
    path.write_text(HEAD + TITLE + COLS + "1;0;a;Unknown;2x.1;\n")
    with pytest.raises(ExportParseError, match=re.escape("Ct '2x.1'")) as info:
        read_run(path)
    assert info.value.where.endswith("row 7 column 'Ct'")
    path.write_text(HEAD + TITLE + COLS + "A1;0;a;Unknown;20.1;\n")
    with pytest.raises(ExportParseError, match="rotor position 'A1'"):
        read_run(path)


def test_truncated_after_title_and_no_block(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text(HEAD + "Quantitative analysis of Cycling A.Green (ACTB);;\n")
    assert detect(path).name == "rotorgene"
    with pytest.raises(
        ExportParseError, match=re.escape("no 'No. Color Name Type Ct' header")
    ) as info:
        read_run(path)
    assert "row 5" in info.value.where
    path.write_text(HEAD + "Channel;Gain\nGreen;8\n")
    with pytest.raises(ExportParseError, match="no 'Quantitative analysis of"):
        read_run(path)


def test_typed_workbook_cells(tmp_path: Path) -> None:
    """A vendor workbook stores numbers, dates and times as typed cells."""
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Excel Analysed Data Export"])
    sheet.append(["Date", datetime.date(2021, 3, 16)])
    sheet.append(["Time", datetime.time(10, 34, 20)])
    sheet.append([])
    sheet.append(["Quantitative analysis of Cycling A.Green (28S)"])
    sheet.append([])
    sheet.append(["No.", "Color", "Name", "Type", "Ct", "Ct Comment"])
    sheet.append([25, 5775359, "NK1", "Unknown", 7.49, None])
    sheet.append([26, 5775359, "NK1", "Unknown", None, "NEG"])
    book.save(tmp_path / "rg.xlsx")
    export = read_run(tmp_path / "rg.xlsx")
    assert export.info.run_date == "2021-03-16T10:34:20"
    assert export.wells["well"].tolist() == ["25", "26"]
    np.testing.assert_array_equal(export.wells["cq"], [7.49, np.nan])
    assert export.wells["cq_comment"].tolist() == ["", "NEG"]
