"""Roche LightCycler 480 Cp text export reader."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from _vendor_io import EXPORTS, assert_matches_golden, cq_or_nan

from qpcr.errors import ExportParseError
from qpcr.io import detect, read_run

FOLDER = EXPORTS / "roche"
CP_FILES = sorted(p for p in FOLDER.iterdir() if "_cp" in p.name or "standards" in p.name)
RAW_FILES = sorted(FOLDER.glob("*raw_fluorescence*"))
FILTER = "SYBR Green I / HRM Dye (483-533)"


def parse_lc480(path: Path) -> tuple[str, list[dict[str, str]]]:
    """Independent parse: line 1 and the rows as dicts keyed by the TAB header."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="ascii", newline="") as handle:
        lines = handle.read().splitlines()
    header = lines[1].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in lines[2:] if line]
    return lines[0], rows


@pytest.mark.parametrize("path", CP_FILES, ids=lambda p: p.name)
def test_matches_independent_parse(path: Path) -> None:
    title, rows = parse_lc480(path)
    export = read_run(path)
    wells = export.wells
    assert len(wells) == len(rows)
    assert wells["well"].tolist() == [r["Pos"] for r in rows]
    expected = np.array([cq_or_nan(r["Cp"]) for r in rows])
    np.testing.assert_allclose(wells["cq"].to_numpy(float), expected, rtol=0, atol=1e-9)
    assert (wells["cq_status"] == "ok").tolist() == (~np.isnan(expected)).tolist()
    assert wells["omitted"].tolist() == [r["Include"] == "False" for r in rows]
    standard = np.array([float(r["Standard"]) for r in rows])
    assert (wells["sample_type"] == "std").tolist() == (standard != 0).tolist()
    np.testing.assert_array_equal(wells["quantity"], np.where(standard != 0, standard, np.nan))
    assert export.info.extra["filter"] == title.split("Selected Filter: ")[1]
    assert (wells["reporter"] == export.info.extra["filter"]).all()
    if export.info.extra["target_source"] == "filter":
        assert wells["sample"].tolist() == [r["Name"] for r in rows]
        assert (wells["target"] == export.info.extra["filter"]).all()
    else:
        assert (wells["sample"] + " " + wells["target"]).tolist() == [
            r["Name"]
            if not r["Name"].startswith("Sample ")
            else f"{r['Name']} {wells['target'][i]}"
            for i, r in enumerate(rows)
        ]


@pytest.mark.parametrize("path", CP_FILES, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    assert_matches_golden(read_run(path).wells, path)


def test_384_plate_filter_as_target() -> None:
    export = read_run(FOLDER / "roche_lc480_384_nrd1_calibration_cp.txt")
    wells = export.wells
    assert export.info.plate_size == 384
    assert len(wells) == 384
    assert wells["well"].iloc[-1] == "P24"
    assert set(wells["target"]) == {FILTER}
    assert export.info.extra["target_source"] == "filter"
    assert export.info.extra["experiment"] == "Edward qPCR Nrd1 calibration 2019-02-02"
    assert wells["cq_status"].value_counts().to_dict() == {"ok": 279, "undetermined": 105}
    assert wells.loc[0, ["sample", "cq"]].tolist() == ["Sample 1", 22.78]


def test_96_sample_name_convention_gives_targets() -> None:
    path = FOLDER / "roche_lc480_96_stuart_sample_target_names_cp.txt"
    _, rows = parse_lc480(path)
    export = read_run(path)
    wells = export.wells
    assert export.info.plate_size == 96
    assert export.info.extra["target_source"] == "sample name"
    named = [not r["Name"].startswith("Sample ") for r in rows]
    assert wells.loc[named, "target"].tolist() == [
        r["Name"].split()[-1] for r, n in zip(rows, named, strict=True) if n
    ]
    assert wells.groupby("target").size().to_dict() == {
        "5S": 30,
        "glyS": 30,
        "spoVG": 30,
        FILTER: 6,
    }
    assert wells.loc[0, ["sample", "target", "cq"]].tolist() == ["WT OD0.5", "glyS", 13.98]
    assert set(wells.loc[named, "sample"]) == {
        f"{strain} OD{od}" for strain in ("WT", "dAgr") for od in ("0.5", "1.5", "3", "6", "ON")
    }
    # the six default-named wells are the empty ones
    assert (wells.loc[[not n for n in named], "cq_status"] == "undetermined").all()


def test_gzip_equals_plain() -> None:
    plain = read_run(FOLDER / "roche_lc480_96_stuart_sample_target_names_cp.txt")
    packed = read_run(FOLDER / "roche_lc480_96_stuart_cp_gzip_synthetic.txt.gz")
    assert packed.wells.equals(plain.wells)
    assert packed.info.extra == plain.info.extra


def test_standards_and_excluded_wells() -> None:
    wells = read_run(FOLDER / "roche_lc480_standards_excluded_synthetic.txt").wells.set_index(
        "well"
    )
    assert wells.loc["A1", ["sample_type", "quantity", "cq"]].tolist() == ["std", 1e5, 18.12]
    assert wells.loc["A5", "quantity"] == 1e3
    # Include=False: omitted, the Cp stays as read
    assert wells.loc["B2", ["omitted", "cq", "cq_status"]].tolist() == [True, 26.02, "ok"]
    assert wells.loc["C2", "omitted"]
    assert wells.loc["A6", "cq_status"] == "undetermined"
    assert wells["omitted"].sum() == 2


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.name)
def test_raw_fluorescence_export_is_refused(path: Path) -> None:
    assert detect(path).name == "roche"
    with pytest.raises(ExportParseError, match="raw fluorescence export") as info:
        read_run(path)
    assert info.value.where == str(path)
    assert "Abs Quant" in info.value.hint


HEAD = (
    "Experiment: x  Selected Filter: FAM (465-510)\n"
    "Include\tColor\tPos\tName\tCp\tConcentration\tStandard\tStatus\n"
)


def test_bad_cp_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(HEAD + "True\t255\tA1\ts\t22.1\t\t0\t\nTrue\t255\tA2\ts\tn.a.\t\t0\t\n")
    with pytest.raises(ExportParseError, match=r"Cp 'n\.a\.'") as info:
        read_run(path)
    assert info.value.where == f"{path} row 4 column 'Cp'"


def test_bad_include_and_well(tmp_path: Path) -> None:
    path = tmp_path / "inc.txt"
    path.write_text(HEAD + "Maybe\t255\tA1\ts\t22.1\t\t0\t\n")
    with pytest.raises(ExportParseError, match="Include 'Maybe'") as info:
        read_run(path)
    assert info.value.where == f"{path} row 3 column 'Include'"
    for bad in ("Q1", "A25"):
        path.write_text(HEAD + f"True\t255\tA1\ts\t22.1\t\t0\t\nTrue\t255\t{bad}\ts\t2\t\t0\t\n")
        with pytest.raises(ExportParseError, match=bad) as info:
            read_run(path)
        assert info.value.where == f"{path} row 4 column 'Pos'"


def test_header_only_and_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text(HEAD)
    with pytest.raises(ExportParseError, match="no well rows"):
        read_run(path)
    packed = (FOLDER / "roche_lc480_96_stuart_cp_gzip_synthetic.txt.gz").read_bytes()
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    assert detect(cut).name == "roche"
    with pytest.raises(ExportParseError, match="gzip stream ends early") as info:
        read_run(cut)
    assert info.value.where == str(cut)


def test_decompressed_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QPCR_MAX_INFLATED_BYTES", "1000")
    with pytest.raises(ExportParseError, match="inflates to more than"):
        read_run(FOLDER / "roche_lc480_96_stuart_cp_gzip_synthetic.txt.gz")


def test_decimal_comma_cp(tmp_path: Path) -> None:
    path = tmp_path / "de.txt"
    path.write_text(HEAD + "True\t255\tA1\ts\t22,57\t\t0\t\nTrue\t255\tA2\ts\t\t\t0\t\n")
    wells = read_run(path).wells
    np.testing.assert_array_equal(wells["cq"], [22.57, np.nan])
    assert wells["cq_status"].tolist() == ["ok", "undetermined"]
