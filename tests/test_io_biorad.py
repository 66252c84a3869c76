"""Bio-Rad CFX Manager / Maestro Quantification Cq Results reader."""

from __future__ import annotations

import csv
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from _vendor_io import EXPORTS, NOT_REDISTRIBUTED, assert_matches_golden, cq_or_nan, export_file
from hypothesis import given
from hypothesis import strategies as st

from qpcr.errors import ExportParseError, FormatWarning, InputError, UnrecognizedFormatError
from qpcr.io import detect, read_run

FOLDER = EXPORTS / "biorad"
#: Every Bio-Rad export as ``biorad/<file>``: the files here and those read from the shared
#: folder (see tests/data/exports/biorad/PROVENANCE.md).
NAMES = sorted(
    {f"biorad/{p.name}" for p in FOLDER.iterdir() if p.suffix != ".md"}
    | {n for n in NOT_REDISTRIBUTED if n.startswith("biorad/")}
)
CQ_CSVS = [
    n for n in NAMES if n.endswith(".csv") and "Run Information" not in n and "Amplif" not in n
]
READABLE = [*CQ_CSVS, *(n for n in NAMES if n.endswith(".xlsx"))]
#: The synthetic stand-ins (scripts/make_synthetic_fixtures.py, whose docstring states the Cq
#: values asserted here).
CONNECT = "biorad/biorad_cfx_connect_synthetic-Quantification-Cq-Results.csv"
GENE_X = "Gene_X_F/R (IDs: 1201/2)"
MAESTRO = "biorad/biorad_maestro_synthetic"
CONTENT = {"unkn": "unkn", "ntc": "ntc", "std": "std", "nrt": "nrt", "pos ctrl": "pos"}
CONTENT["neg ctrl"] = "ntc"


def parse_cfx(path: Path) -> tuple[list[dict[str, str]], str]:
    """Independent parse: rows as dicts keyed by header name, and the decimal mark."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    lines = text.splitlines()
    delimiter = lines[0].lstrip(",;")[4]
    rows = list(csv.reader(lines, delimiter=delimiter))
    header = rows[0]
    records = [dict(zip(header, r, strict=True)) for r in rows[1:] if len(r) > 1 and r[1]]
    return records, "," if delimiter == ";" else "."


def expected_type(content: str) -> str:
    head = content.rsplit("-", 1)[0] if content[-1:].isdigit() else content
    return CONTENT[head.strip().lower()]


@pytest.mark.parametrize("name", CQ_CSVS)
def test_csv_matches_independent_parse(name: str) -> None:
    path = export_file(name)
    records, decimal = parse_cfx(path)
    wells = read_run(path).wells
    assert len(wells) == len(records)
    assert wells["well"].tolist() == [r["Well"][0] + str(int(r["Well"][1:])) for r in records]
    assert wells["target"].tolist() == [r["Target"] or r["Fluor"] for r in records]
    assert wells["reporter"].tolist() == [r["Fluor"] for r in records]
    assert wells["sample"].tolist() == [r["Sample"] for r in records]
    assert wells["sample_type"].tolist() == [expected_type(r["Content"]) for r in records]
    expected = np.array([cq_or_nan(r["Cq"], decimal) for r in records])
    np.testing.assert_allclose(wells["cq"].to_numpy(float), expected, rtol=0, atol=1e-9)
    assert (wells["cq_status"] == "ok").tolist() == (~np.isnan(expected)).tolist()


@pytest.mark.parametrize("name", READABLE)
def test_golden(name: str) -> None:
    export = read_run(export_file(name))
    assert export.info.format == "biorad"
    assert_matches_golden(export.wells, EXPORTS / name)


def test_connect_two_targets_counts_and_stated_values() -> None:
    export = read_run(export_file(CONNECT))
    wells = export.wells
    assert len(wells) == 45
    assert wells.groupby("target").size().to_dict() == {"ACTB": 18, GENE_X: 27}
    assert wells["sample_type"].value_counts().to_dict() == {"unkn": 40, "ntc": 5}
    w = wells.set_index("well")
    assert (w.loc["A1", "sample"], w.loc["A1", "cq"]) == ("101", 19.8421730154687)
    assert (w.loc["B5", "sample_type"], w.loc["B5", "cq"]) == ("ntc", 38.9127456632105)
    assert export.info.plate_size == 96
    assert export.info.run_date is None  # no Run Information file beside it


def test_connect_all_nan_groups_stay_undetermined() -> None:
    """CFX writes Cq Mean 0 for all-NaN groups (C1-C3, C10-C12 here); the Cq must stay NaN."""
    wells = read_run(export_file(CONNECT)).wells
    undetermined = wells.loc[wells["cq_status"] == "undetermined", "well"].tolist()
    assert undetermined == ["B6", "C1", "C2", "C3", "C8", "C10", "C11", "C12", "D7", "D8", "D9"]
    assert wells.loc[wells["cq_status"] == "undetermined", "cq"].isna().all()


def test_two_targets_counts_and_known_values() -> None:
    path = export_file("biorad/biorad_cfx_connect_atpsynthase_hsp70-Quantification-Cq-Results.csv")
    export = read_run(path)
    wells = export.wells
    assert len(wells) == 68
    assert wells.groupby("target").size().to_dict() == {"ATPsynthase": 34, "HSP70": 34}
    assert wells["sample_type"].value_counts().to_dict() == {"unkn": 64, "ntc": 4}
    first = wells.iloc[0]
    assert (first["well"], first["sample"], first["cq"]) == ("A1", "206", 26.7207671132109)
    assert export.info.plate_size == 96
    assert export.info.run_date is None  # no Run Information file beside it


def test_all_nan_groups_stay_undetermined() -> None:
    """CFX writes Cq Mean 0 for all-NaN groups; the per-well Cq must stay NaN."""
    path = export_file("biorad/biorad_cfx_connect_viperin-Quantification-Cq-Results.csv")
    wells = read_run(path).wells
    a4 = wells.set_index("well").loc["A4"]
    assert np.isnan(a4["cq"])
    assert a4["cq_status"] == "undetermined"
    assert (wells["cq_status"] == "undetermined").sum() == 11


def test_empty_target_uses_fluor_and_keeps_biological_set() -> None:
    export = read_run(export_file("biorad/biorad_maestro_fam_vic_empty_target.csv"))
    wells = export.wells
    assert wells.groupby("target").size().to_dict() == {"FAM": 96, "VIC": 96}
    assert (wells.groupby("well").size() == 2).all()  # multiplex: two rows per well
    assert export.info.extra["targets_from_fluor"] == ["FAM", "VIC"]
    assert wells.loc[0, "biological_set"] == "PBS Baseline"
    assert wells.loc[0, "cq"] == pytest.approx(21.1877528266099, abs=1e-12)


RUN_INFORMATION = {
    MAESTRO: {
        "software": "CFX Maestro 5.0.021.0616",
        "run_date": "2026-01-15T09:30:00Z",
        "run_ended": "2026-01-15T10:45:30Z",
        "base_serial_number": "BR000001",
        "plate_setup_file": "synthetic-plate.pltd",
        "run_file": "synthetic_maestro_run.pcrd",
    },
    "biorad/biorad_maestro5_cact": {
        "software": "CFX Maestro 5.0.021.0616",
        "run_date": "2023-12-10T15:50:43Z",
        "run_ended": "2023-12-10T17:06:28Z",
        "base_serial_number": "BR006896",
        "plate_setup_file": "20231213-qpcr-CAct_test-plate.pltd",
        "run_file": "sam_2023-12-10_07-50-37_Connect.pcrd",
    },
}


@pytest.mark.parametrize(("prefix", "expected"), RUN_INFORMATION.items())
def test_run_information_sibling_fills_runinfo(prefix: str, expected: dict[str, str]) -> None:
    info = read_run(export_file(f"{prefix}-Quantification-Cq_Results.csv")).info
    assert info.instrument == "Bio-Rad CFX"
    assert info.software == expected["software"]
    assert info.run_date == expected["run_date"]
    for key in ("run_ended", "base_serial_number", "plate_setup_file", "run_file"):
        assert info.extra[key] == expected[key]
    sibling = export_file(f"{prefix} - Run Information.csv")
    assert info.extra["run_information"] == str(sibling)


def test_sibling_must_share_the_prefix(tmp_path: Path) -> None:
    cq = export_file(f"{MAESTRO}-Quantification-Cq_Results.csv")
    shutil.copy(cq, tmp_path / cq.name)
    shutil.copy(
        export_file(f"{MAESTRO} - Run Information.csv"), tmp_path / "other - Run Information.csv"
    )
    assert read_run(tmp_path / cq.name).info.run_date is None


@pytest.mark.parametrize(
    ("prefix", "detected", "stated"),
    [
        (MAESTRO, 23, {"A1": 24.3317094420154, "B6": 32.4418309627513}),
        ("biorad/biorad_maestro5_cact", 2, {"A3": 36.7641639114493, "A5": 39.3970627395637}),
    ],
)
def test_maestro_xlsx_with_backslash_members_equals_csv(
    prefix: str, detected: int, stated: dict[str, float]
) -> None:
    """calamine opens the non-standard Maestro zip; same wells and Run Information sheet."""
    path = export_file(f"{prefix}_backslash_zip-Quantification-Cq-Results.xlsx")
    with zipfile.ZipFile(path) as book:
        assert {"[content_types].xml", "xl\\worksheets\\sheet1.xml"} <= set(book.namelist())
    xlsx = read_run(path)
    csv_ = read_run(export_file(f"{prefix}-Quantification-Cq_Results.csv"))
    cols = ["well", "sample", "target", "sample_type", "cq_status"]
    assert xlsx.wells[cols].equals(csv_.wells[cols])
    np.testing.assert_array_equal(xlsx.wells["cq"], csv_.wells["cq"])
    ok = xlsx.wells[xlsx.wells["cq_status"] == "ok"]
    assert len(ok) == detected
    assert dict(zip(ok["well"], ok["cq"], strict=True)).items() >= stated.items()
    assert xlsx.info.run_date == RUN_INFORMATION[prefix]["run_date"]
    assert xlsx.info.extra["run_information"].endswith("[Run Information]")


def test_decimal_comma_semicolon_cp1252_equals_original() -> None:
    original = read_run(export_file(CONNECT))
    local = read_run(FOLDER / "biorad_cfx_decimal_comma_synthetic.csv")
    np.testing.assert_allclose(local.wells["cq"], original.wells["cq"], rtol=0, atol=1e-12)
    assert local.wells["well"].tolist() == original.wells["well"].tolist()
    assert local.wells.loc[0, "cq"] == 19.8421730154687
    # the first NaN Cq was written as the French "Non Numérique"
    assert "Non Numérique" in (FOLDER / "biorad_cfx_decimal_comma_synthetic.csv").read_text(
        "cp1252"
    )
    assert local.wells.loc[local.wells["well"] == "B6", "cq_status"].tolist() == ["undetermined"]


def test_utf8_bom_resave_equals_original() -> None:
    original = read_run(export_file(CONNECT)).wells
    bom = read_run(FOLDER / "biorad_cfx_utf8bom_synthetic.csv").wells
    assert (FOLDER / "biorad_cfx_utf8bom_synthetic.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    assert bom.equals(original)


def test_384_multiplex_contents_and_standards() -> None:
    export = read_run(FOLDER / "biorad_cfx384_multiplex_synthetic.csv")
    wells = export.wells
    assert export.info.plate_size == 384
    assert len(wells) == 768
    assert {"A1", "P24"} <= set(wells["well"])
    assert wells["sample_type"].value_counts().to_dict() == {
        "unkn": 720, "std": 40, "ntc": 4, "nrt": 2, "pos": 2
    }  # fmt: skip
    stds = wells[wells["sample_type"] == "std"]
    assert sorted(stds["quantity"].unique()) == [1e2, 1e3, 1e4, 1e5, 1e6]
    assert wells.loc[wells["sample_type"] != "std", "quantity"].isna().all()
    p21 = wells[wells["well"] == "P21"]
    assert p21["sample_type"].tolist() == ["ntc", "ntc"]
    assert p21["cq_status"].tolist() == ["undetermined", "undetermined"]


@pytest.mark.parametrize(
    ("name", "what"),
    [
        (f"{MAESTRO} - Run Information.csv", "Run Information"),
        (
            "biorad/biorad_cfx_connect_synthetic-Quantification-Amplification_Results.csv",
            "Amplification",
        ),
        ("biorad/biorad_maestro5_cact - Run Information.csv", "Run Information"),
        (
            "biorad/biorad_cfx_connect_atpsynthase-Quantification-Amplification_Results.csv",
            "Amplification",
        ),
    ],
)
def test_non_cq_exports_are_refused(name: str, what: str) -> None:
    path = export_file(name)
    assert detect(path).name == "biorad"
    with pytest.raises(ExportParseError, match=what) as info:
        read_run(path)
    assert info.value.where == str(path)
    assert "Quantification Cq Results" in str(info.value)


HEADER = ",Well,Fluor,Target,Content,Sample,Cq,Starting Quantity (SQ)"


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "run-Quantification-Cq-Results.csv"
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def test_unknown_content_is_kept_without_its_replicate_number(tmp_path: Path) -> None:
    rows = [",A01,SYBR,G,Unkn-01,s,20.5,NaN", ",A02,SYBR,G,Blank-01,s,21,NaN",
            ",A03,SYBR,G,Blank-02,s,22,NaN"]  # fmt: skip
    path = _write(tmp_path, HEADER, *rows)
    with pytest.warns(FormatWarning, match=r"Content 'Blank' \(2 rows\)") as caught:
        wells = read_run(path).wells
    assert len([w for w in caught if "Blank" in str(w.message)]) == 1
    assert wells["sample_type"].tolist() == ["unkn", "Blank", "Blank"]
    assert wells["cq"].tolist() == [20.5, 21.0, 22.0]


def test_bad_cq_names_row_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER, ",A01,SYBR,G,Unkn-01,s,2O.5,NaN")
    with pytest.raises(ExportParseError, match=r"Cq '2O\.5'") as info:
        read_run(path)
    assert info.value.where == f"{path} row 2 column 'Cq'"


def test_truncated_file(tmp_path: Path) -> None:
    source = export_file(CONNECT).read_text()
    path = tmp_path / "cut-Quantification-Cq-Results.csv"
    path.write_text(source[:700])  # ends inside a row
    last_row = source[:700].count("\n") + 1
    with pytest.raises(ExportParseError, match="expected 16 like the header") as info:
        read_run(path)
    assert info.value.where == f"{path} row {last_row}"


def test_header_only_and_empty_sheet(tmp_path: Path) -> None:
    import openpyxl

    with pytest.raises(ExportParseError, match="no well rows"):
        read_run(_write(tmp_path, HEADER))
    book = openpyxl.Workbook()
    book.active.title = "0"
    book.active.append(HEADER.split(",")[1:])
    book.save(tmp_path / "header_only.xlsx")
    with pytest.raises(ExportParseError, match="no well rows") as info:
        read_run(tmp_path / "header_only.xlsx")
    assert info.value.where == f"{tmp_path / 'header_only.xlsx'} [0]"
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(UnrecognizedFormatError):
        detect(tmp_path / "empty.xlsx")


def test_well_outside_384_plate(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER, ",Q01,SYBR,G,Unkn-01,s,20.5,NaN")
    with pytest.raises(InputError, match="row 17"):
        read_run(path)


@given(
    cqs=st.lists(st.one_of(st.none(), st.floats(1.0, 60.0)), min_size=1, max_size=30),
    semicolon=st.booleans(),
)
def test_locale_round_trip_property(cqs: list[float | None], semicolon: bool) -> None:
    """Cq values written the way CFX does (',' with '.' or ';' with decimal commas) read back
    exactly; None is written NaN and reads as undetermined."""
    delimiter = ";" if semicolon else ","
    lines = [HEADER.replace(",", delimiter)]
    for k, cq in enumerate(cqs):
        text = "NaN" if cq is None else repr(cq).replace(".", "," if semicolon else ".")
        well = f"{'ABCDEFGH'[k // 12]}{k % 12 + 1:02d}"
        lines.append(delimiter.join(["", well, "SYBR", "G", "Unkn-01", "s", text, "NaN"]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p-Quantification-Cq-Results.csv"
        path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
        wells = read_run(path).wells
    expected = np.array([np.nan if c is None else c for c in cqs])
    np.testing.assert_array_equal(wells["cq"].to_numpy(float), expected)
    assert (wells["cq_status"] == "undetermined").tolist() == [c is None for c in cqs]
