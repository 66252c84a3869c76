"""RDML reader: golden tables, an independent ElementTree walk, R-package extractions, errors."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from qpcr.errors import ExportParseError, InputError
from qpcr.io import detect, read_run
from qpcr.io.curves import read_curves
from qpcr.schema import check_wells

DATA = Path(__file__).parent / "data"
EXPORTS = DATA / "exports" / "rdml"
EXPECTED = DATA / "expected" / "rdml"
NS = "{http://www.rdml.org}"
FIXTURES = sorted(p for p in EXPORTS.iterdir() if p.suffix in (".rdml", ".xml"))


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


# --- an independent reading of the XML, sharing no code with qpcr.io.rdml -------------------


def _document(path: Path) -> ET.Element:
    if not zipfile.is_zipfile(path):
        return ET.fromstring(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".xml"):
                root = ET.fromstring(archive.read(name))
                if root.tag == f"{NS}rdml":
                    return root
    raise AssertionError(f"no RDML member in {path}")


def _members(path: Path) -> list[str]:
    if not zipfile.is_zipfile(path):
        return []
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def _walk(path: Path) -> pd.DataFrame:
    """(run number, well, target, cq, last cycle) for every react × data, wells computed by
    hand; last cycle = the run's highest adp/cyc (NaN without curves)."""
    rows = []
    for k, run in enumerate(_document(path).iter(f"{NS}run")):
        cycles = [float(c.text) for c in run.iter(f"{NS}cyc") if c.text]
        last = max(cycles) if cycles else np.nan
        columns = run.findtext(f"{NS}pcrFormat/{NS}columns")
        for react in run.iter(f"{NS}react"):
            rid = react.get("id")
            if rid.isdigit():
                r, c = divmod(int(rid) - 1, int(columns) if columns else 12)
                well = "ABCDEFGHIJKLMNOP"[r] + str(c + 1)
            else:
                well = rid
            for data in react.iter(f"{NS}data"):
                text = data.findtext(f"{NS}cq")
                value = float(text) if text is not None else np.nan
                rows.append((k, well, data.find(f"{NS}tar").get("id"), value, last))
    return pd.DataFrame(rows, columns=["run", "well", "target", "cq", "last"])


@pytest.mark.parametrize("path", FIXTURES, ids=_ids(FIXTURES))
def test_every_cq_matches_an_independent_walk(path: Path) -> None:
    wells = read_run(path).wells
    walk = _walk(path)
    assert len(wells) == len(walk)
    np.testing.assert_array_equal(wells["well"], walk["well"])
    np.testing.assert_array_equal(wells["target"], walk["target"])
    expected = walk["cq"].where(walk["cq"] > 0)  # -1 marks a failed Cq
    if "app_data.xml" in _members(path):  # LightCycler 96: 100 or beyond the last cycle = none
        expected = expected.where((walk["cq"] < 100) & (walk["cq"] <= walk["last"]))
    np.testing.assert_array_equal(wells["cq"].to_numpy(), expected.to_numpy())
    if "plate" in wells:
        assert wells["plate"].nunique() == walk["run"].nunique()


@pytest.mark.parametrize("path", FIXTURES, ids=_ids(FIXTURES))
def test_matches_golden_table_and_schema(path: Path) -> None:
    wells = read_run(path).wells
    assert check_wells(wells) == []
    golden = pd.read_csv(EXPECTED / f"{path.stem}.csv", keep_default_na=False, dtype=str)
    assert list(wells.columns) == list(golden.columns)
    for column in wells.columns:
        if column in ("cq", "quantity"):
            expected = pd.to_numeric(golden[column].replace("", np.nan)).to_numpy()
            np.testing.assert_array_equal(wells[column].to_numpy(), expected)
        else:
            actual = wells[column].map(lambda v: "" if v is None else str(v))
            assert actual.tolist() == golden[column].tolist(), column


@pytest.mark.parametrize("path", FIXTURES, ids=_ids(FIXTURES))
def test_detected_as_rdml(path: Path) -> None:
    assert detect(path).name == "rdml"


def _points(path: Path, tag: str, x_tag: str) -> pd.DataFrame:
    """(run number, well, target, position, reading) for every ``tag`` point in document
    order, read by hand from the XML."""
    wells = _walk(path)
    rows = []
    k = 0  # row of the react × data in the wells walk
    for run_number, run in enumerate(_document(path).iter(f"{NS}run")):
        for react in run.iter(f"{NS}react"):
            for data in react.iter(f"{NS}data"):
                well, target = wells.loc[k, "well"], wells.loc[k, "target"]
                for point in data.iter(f"{NS}{tag}"):
                    x, y = point.find(f"{NS}{x_tag}").text, point.find(f"{NS}fluor").text
                    rows.append((run_number, well, target, float(x), float(y)))
                k += 1
    return pd.DataFrame(rows, columns=["run", "well", "target", "x", "fluorescence"])


@pytest.mark.parametrize("path", FIXTURES, ids=_ids(FIXTURES))
def test_every_curve_point_matches_an_independent_walk(path: Path) -> None:
    export = read_run(path)
    curves = read_curves(path)
    for name, tag, x_tag, x_name in (
        ("amplification", "adp", "cyc", "cycle"),
        ("melt", "mdp", "tmp", "temperature"),
    ):
        walk = _points(path, tag, x_tag)
        table = export.tables.get(
            name, pd.DataFrame(columns=["well", "target", x_name, "fluorescence"])
        )
        tidy = curves[curves["kind"] == name]
        assert len(table) == len(tidy) == len(walk)
        for frame in (table, tidy):
            assert frame["well"].tolist() == walk["well"].tolist()
            assert frame["target"].tolist() == walk["target"].tolist()
            np.testing.assert_array_equal(frame[x_name].to_numpy(float), walk["x"].to_numpy())
            np.testing.assert_array_equal(
                frame["fluorescence"].to_numpy(float), walk["fluorescence"].to_numpy()
            )
        if "plate" in table and len(walk):
            runs = table["plate"].map({p: i for i, p in enumerate(export.info.extra["runs"])})
            assert runs.tolist() == walk["run"].tolist()
            assert tidy["plate"].tolist() == table["plate"].tolist()


# --- R package RDML extractions (independent implementation) --------------------------------


def test_stepone_v1_0_matches_r_rdml_extraction() -> None:
    export = read_run(EXPORTS / "rdml_v1_0_stepone_std.rdml")
    reference = pd.read_csv(EXPECTED / "reference_stepone_std.csv")
    merged = export.wells.merge(reference, on=["well", "target"], suffixes=("", "_r"))
    assert len(merged) == len(export.wells) == len(reference) == 24
    assert (merged["sample"] == merged["sample_r"]).all()
    assert (merged["sample_type"] == merged["sample_type_r"]).all()
    np.testing.assert_allclose(merged["cq"], merged["cq_r"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(merged["quantity"], merged["std_quantity"])
    assert export.wells["reporter"].eq("FAM").all()  # v1.0 writes <dyeId>FAM</dyeId>
    info = export.info
    assert info.extra["rdml_version"] == "1.0"
    assert info.instrument == "Applied Biosystems StepOne™ Instrument"
    assert info.run_date == "2006-11-10T09:24:39.265"
    assert info.plate_size == 48  # free format: wells A1..D8 fit the 48-well StepOne block
    assert len(export.tables["amplification"]) == 24 * 40
    # the StepOne NTC sentinel stays as read; QC decides what 40.0 means
    ntc = export.wells[export.wells["sample_type"] == "ntc"]
    assert ntc["cq"].tolist() == [40.0, 40.0, 40.0]


def test_lc96_matches_r_rdml_extraction_including_app_data_quantities() -> None:
    wells = read_run(EXPORTS / "rdml_v1_1_lc96_bactxy.rdml").wells
    reference = pd.read_csv(EXPECTED / "reference_lc96_bactxy.csv")
    rows, cols = np.divmod(reference["well_number"] - 1, 12)
    reference["well"] = [f"{'ABCDEFGH'[r]}{c + 1}" for r, c in zip(rows, cols, strict=True)]
    merged = wells.merge(reference, on=["well", "target"], suffixes=("", "_r"))
    assert len(wells) == 384
    assert len(merged) == len(reference) == 64
    assert (merged["sample"] == merged["sample_r"]).all()
    assert (merged["sample_type"] == merged["sample_type_r"]).all()
    assert (merged["reporter"] == merged["dye"]).all()
    # LC96 writes 100, or a value past the last of its 50 cycles, for wells it calls negative
    negative = (merged["cq_r"] >= 100) | (merged["cq_r"] > 50)
    np.testing.assert_array_equal(merged["cq"], merged["cq_r"].where(~negative))
    assert (merged.loc[negative, "cq_status"] == "undetermined").all()
    np.testing.assert_array_equal(merged["quantity"], merged["std_quantity"])
    std = wells[wells["sample_type"] == "std"]
    assert sorted(std["quantity"].unique()) == [0.04, 0.2, 1.0, 5.0, 25.0]
    assert wells["cq"].max() == 49.78
    assert (wells["cq_status"] == "undetermined").sum() == 58 + 6


# --- file-specific facts --------------------------------------------------------------------


def test_biorad_two_runs_absent_cq_and_curves() -> None:
    export = read_run(EXPORTS / "rdml_v1_1_biorad_cfx_melt.rdml")
    wells = export.wells
    assert wells["plate"].value_counts().to_dict() == {"Amp Step 3_FAM": 30, "Amp Step 3_Cy5": 30}
    # the Cy5 run has no <cq> at all: no Cq in the file for that run (decided per run); FAM
    # has four data blocks without one: non-detects of a run whose Cq was called
    cy5 = wells["plate"] == "Amp Step 3_Cy5"
    assert wells.loc[cy5, "cq_status"].eq("missing").all()
    assert wells.loc[~cy5, "cq_status"].value_counts().to_dict() == {"ok": 26, "undetermined": 4}
    assert wells.loc[wells["well"] == "D1", "cq"].iloc[0] == pytest.approx(10.1244311147873)
    assert export.tables["amplification"].shape == (2460, 5)
    assert export.tables["melt"].shape == (3660, 5)
    assert list(export.tables["melt"].columns) == [
        "plate", "well", "target", "temperature", "fluorescence"
    ]  # fmt: skip
    assert export.info.software.startswith("BioRadCFXManager.exe 3.0.1224.1015")
    assert export.info.extra["publisher"] == "Bio-Rad Laboratories, Inc."


def test_quantstudio_384_and_standard_quantity() -> None:
    export = read_run(EXPORTS / "rdml_v1_4_quantstudio_own_mix_b.rdml")
    wells = export.wells
    assert export.info.plate_size == 384
    assert wells["well"].iloc[0] == "C9"  # react 57 on 16 × 24
    assert wells["quantity"].eq(150.0).all()
    assert wells["sample_type"].eq("std").all()
    assert export.info.extra["quantity_units"] == ["cop"]
    assert export.info.extra["target_types"]["SYBR 1:200 BSA"] == "toi"
    assert export.info.software == "QuantStudio 6 and 7 Software 1.3"


def test_curve_only_files_have_missing_cq() -> None:
    melt = read_run(EXPORTS / "rdml_v1_3_melt_only.rdml")
    assert melt.wells["cq_status"].eq("missing").all()
    assert len(melt.wells) == 50
    assert set(melt.tables) == {"melt"}
    assert len(melt.tables["melt"]) == 7450
    amp = read_run(EXPORTS / "rdml_v1_4_vermeulen_dilutions.rdml")
    assert amp.wells["plate"].nunique() == 64
    assert len(amp.wells) == 960
    assert len(amp.tables["amplification"]) == 47925
    assert sorted(amp.wells["quantity"].unique()) == [1.875, 18.75, 187.5, 1875.0, 18750.0]


@pytest.mark.parametrize(
    "name", ["rdml_v1_3_synthetic_excl_multirun.xml", "rdml_v1_3_synthetic_named_member.rdml"]
)
def test_synthetic_exclusions_non_detects_and_duplicate_run_ids(name: str) -> None:
    export = read_run(EXPORTS / name)
    w = export.wells.set_index(["plate", "well", "target"])
    assert sorted(export.wells["plate"].unique()) == ["Exp A/Run 1", "Exp B/Run 1"]
    a, b = "Exp A/Run 1", "Exp B/Run 1"
    assert w.loc[(a, "A2", "MYC"), "omitted"]
    assert w.loc[(a, "A2", "MYC"), "omit_reason"] == "bubble;late amplification"
    assert w.loc[(a, "A2", "MYC"), "cq"] == 22.75  # the Cq stays as read
    assert w.loc[(a, "H12", "MYC"), "omitted"]  # empty <excl/> still excludes
    assert not w.loc[(a, "A1", "MYC"), "omitted"]
    for key in [(a, "B1", "MYC"), (a, "B1", "GAPDH"), (a, "H12", "MYC")]:  # -1, absent, NaN
        assert w.loc[key, "cq_status"] == "undetermined"
        assert np.isnan(w.loc[key, "cq"])
    assert w.loc[(b, "P24", "MYC"), "quantity"] == 10.5
    assert w.loc[(b, "B1", "MYC"), "quantity"] == 100.0
    assert w.loc[(a, "A1", "GAPDH"), "reporter"] == "VIC"
    amp = export.tables["amplification"]
    assert amp["cycle"].tolist() == [1.0, 2.0, 3.0]
    assert amp["fluorescence"].tolist() == [0.10, 0.12, 0.20]
    assert export.tables["melt"]["temperature"].tolist() == [70.0, 70.5]
    assert export.info.plate_size == 384
    assert export.info.run_date == "2026-11-20T09:30:00"


# --- errors ---------------------------------------------------------------------------------

HEAD = '<rdml xmlns="http://www.rdml.org" version="1.3">'
SAMPLES = '<sample id="s1"><type>unkn</type></sample><target id="T"/>'
FMT96 = "<pcrFormat><rows>8</rows><columns>12</columns></pcrFormat>"


def _doc(body: str, samples: str = SAMPLES, head: str = HEAD) -> str:
    return f'<?xml version="1.0"?>{head}{samples}<experiment id="e">{body}</experiment></rdml>'


def _react(rid: str, data: str = '<data><tar id="T"/><cq>20</cq></data>') -> str:
    return f'<react id="{rid}"><sample id="s1"/>{data}</react>'


BAD_CQ = "<data><tar id='T'/><cq>abc</cq></data>"
BAD_ADP = "<data><tar id='T'/><adp><cyc>x</cyc><fluor>1</fluor></adp></data>"
ONE_WELL = _react("1")
BROKEN = [
    (_doc(f'<run id="r">{FMT96}{ONE_WELL}</run>', SAMPLES.replace("unkn", "sample")),
     "sample type 'sample'"),
    (_doc(f'<run id="r">{FMT96}{_react("1", BAD_CQ)}</run>'), "Cq 'abc'"),
    (_doc(f'<run id="r">{FMT96}{_react("97")}</run>'), "97"),
    (_doc(f'<run id="r"><pcrFormat>free format</pcrFormat>{_react("Q25")}</run>'), "Q25"),
    (_doc(f'<run id="r">{FMT96}{ONE_WELL.replace("s1", "nobody")}</run>'), "nobody"),
    (_doc(f'<run id="r">{FMT96}{_react("1", "<data><cq>20</cq></data>")}</run>'), "<tar"),
    (_doc(""), "no <experiment>/<run>"),
    (_doc(f'<run id="r">{FMT96}{_react("1", BAD_ADP)}</run>'), "<adp>/<cyc>"),
    (_doc('<run id="r"><pcrFormat><rows>a</rows><columns>2</columns></pcrFormat></run>'),
     "pcrFormat"),
    ('<?xml version="1.0"?><!DOCTYPE rdml [<!ENTITY x "y">]>' + _doc("")[21:], "DOCTYPE"),
    (_doc(f'<run id="r">{FMT96}{ONE_WELL}')[:-30], "XML is broken: unclosed token"),
]  # fmt: skip


@pytest.mark.parametrize(("xml", "found"), BROKEN, ids=[found for _, found in BROKEN])
def test_broken_documents_raise_export_parse_error(tmp_path: Path, xml: str, found: str) -> None:
    path = tmp_path / "broken.xml"
    path.write_text(xml, encoding="utf-8")
    with pytest.raises(ExportParseError) as info:
        read_run(path, format="rdml")
    assert found in str(info.value)
    assert str(path) in info.value.where


def test_error_names_the_react_and_run(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(_doc(f'<run id="r9">{FMT96}{_react("97")}</run>'), encoding="utf-8")
    with pytest.raises(ExportParseError) as info:
        read_run(path)
    assert info.value.where == f'{path} <run id="r9"> <react id="97">'
    assert "outside a 96-well plate" in info.value.message


@pytest.mark.parametrize(
    ("text", "claimed"),
    [
        ('<rdml:rdml xmlns:rdml="http://www.rdml.org" version="1.2"/>', True),
        ("<!-- <rdml xmlns='x'> --><rdml xmlns='http://www.rdml.org'/>", True),
        ('<rdml version="1.2"/>', False),  # no namespace
        ('<rdml xmlns="http://www.example.org"/>', False),
        ('<experiment xmlns="http://www.rdml.org"/>', False),
        ('<x:rdml xmlns:y="http://www.rdml.org"/>', False),  # prefix bound elsewhere
    ],
)
def test_sniff_needs_the_rdml_root_in_its_namespace(
    tmp_path: Path, text: str, claimed: bool
) -> None:
    from qpcr.io.rdml import sniff
    from qpcr.io.registry import FileSample

    path = tmp_path / "file.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + text, encoding="utf-8")
    assert sniff(FileSample(path)) is claimed


def test_zip_without_rdml_member(tmp_path: Path) -> None:
    path = tmp_path / "other.rdml"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.xml", '<other xmlns="http://www.rdml.org"/>')
    with pytest.raises(InputError) as info:
        read_run(path, format="rdml")
    assert "holds no RDML document" in str(info.value)
    with pytest.raises(InputError):
        read_run(path)


@pytest.mark.parametrize(
    ("pcr_format", "ids", "wells", "plate_size"),
    [
        ("<pcrFormat>free format</pcrFormat>", ["1", "96"], ["A1", "H12"], 96),
        ("<pcrFormat>free format</pcrFormat>", ["1", "97"], ["A1", "E1"], 384),
        ("", ["A01", "b3"], ["A1", "B3"], 48),
        ("<pcrFormat><rows>72</rows><columns>1</columns></pcrFormat>", ["1", "72"],
         ["A1", "A72"], 72),
        ("<pcrFormat><rows>16</rows><columns>24</columns></pcrFormat>", ["24", "25", "384"],
         ["A24", "B1", "P24"], 384),
    ],
    ids=["free-96", "free-384", "names", "rotor-72", "plate-384"],
)  # fmt: skip
def test_react_ids_to_wells(
    tmp_path: Path, pcr_format: str, ids: list[str], wells: list[str], plate_size: int
) -> None:
    reacts = "".join(_react(i) for i in ids)
    path = tmp_path / "plate.xml"
    path.write_text(_doc(f'<run id="r">{pcr_format}{reacts}</run>'), encoding="utf-8")
    export = read_run(path)
    assert export.wells["well"].tolist() == wells
    assert export.info.plate_size == plate_size


def test_utf16_plain_xml(tmp_path: Path) -> None:
    path = tmp_path / "utf16.xml"
    doc = _doc(f'<run id="r">{FMT96}{_react("5")}</run>').replace(
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>'
    )
    path.write_bytes(doc.encode("utf-16"))
    export = read_run(path)
    assert export.wells["well"].tolist() == ["A5"]
    assert export.wells["cq"].tolist() == [20.0]
