"""`qpcr.read_curves`: the amplification and melt curves of every export that carries them as
one tidy table, checked against independent parses of a few wells (zipfile + ElementTree for
RDML, the csv module for Thermo and Bio-Rad text)."""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from _vendor_io import EXPORTS, SHARED, export_file
from mutations import corpus, make_case

import qpcr
from qpcr.errors import InputError
from qpcr.inspect import summarise
from qpcr.schema.curves import CURVES

COLUMNS = CURVES.names()
RDML = EXPORTS / "rdml"
THERMO = EXPORTS / "thermo"
BIORAD = EXPORTS / "biorad"
BIORAD_AMP = BIORAD / "biorad_cfx_connect_synthetic-Quantification-Amplification_Results.csv"


def _rdml_points(path: Path, run_id: str, react_id: str, tag: str) -> list[tuple[float, float]]:
    """(x, fluor) of the first <data> of a react, parsed without qpcr."""
    with zipfile.ZipFile(path) as archive:
        root = ET.fromstring(archive.read(archive.namelist()[0]))
    ns = {"r": root.tag.split("}")[0][1:]}
    run = next(r for r in root.iterfind(".//r:run", ns) if r.get("id") == run_id)
    react = next(r for r in run.iterfind("r:react", ns) if r.get("id") == react_id)
    x_tag = "cyc" if tag == "adp" else "tmp"
    return [
        (
            float(p.findtext(f"r:{x_tag}", namespaces=ns)),
            float(p.findtext("r:fluor", namespaces=ns)),
        )
        for p in react.find("r:data", ns).iterfind(f"r:{tag}", ns)
    ]


def test_rdml_curves_of_a_cfx_file_match_an_independent_parse() -> None:
    path = RDML / "rdml_v1_1_biorad_cfx_melt.rdml"
    curves = qpcr.read_curves(path)
    assert list(curves.columns) == COLUMNS
    run = "Amp Step 3_FAM"
    for react_id, well, sample in (("1", "A1", "Alm12"), ("94", "H10", "H2O")):
        for tag, kind, x_name in (
            ("adp", "amplification", "cycle"),
            ("mdp", "melt", "temperature"),
        ):
            expected = _rdml_points(path, run, react_id, tag)
            got = curves[
                (curves["plate"] == run) & (curves["well"] == well) & (curves["kind"] == kind)
            ]
            assert set(got["sample"]) == {sample}
            assert set(got["target"]) == {"EvaGreen"}
            np.testing.assert_allclose(
                got[[x_name, "fluorescence"]].to_numpy(), expected, rtol=1e-12
            )
    a1 = curves[(curves["plate"] == run) & (curves["well"] == "A1")]
    assert a1.loc[a1["cycle"] == 41, "fluorescence"].item() == pytest.approx(232.47785895247)
    assert a1.loc[a1["temperature"] == 95, "fluorescence"].item() == pytest.approx(2288.14293664526)
    amplification = curves[curves["kind"] == "amplification"]
    assert amplification["temperature"].isna().all()
    assert amplification["cycle"].notna().all()


def test_rdml_multirun_curves_carry_plate_sample_and_reporter() -> None:
    curves = qpcr.read_curves(RDML / "rdml_v1_3_synthetic_excl_multirun.xml")
    assert curves[["plate", "well", "target", "sample", "reporter", "kind"]].drop_duplicates(
    ).values.tolist() == [
        ["Exp A/Run 1", "A1", "MYC", "ctrl-1", "FAM", "amplification"],
        ["Exp A/Run 1", "H12", "MYC", "water", "FAM", "melt"],
    ]  # fmt: skip
    assert curves["cycle"].dropna().tolist() == [1.0, 2.0, 3.0]
    assert curves["fluorescence"].tolist() == [0.10, 0.12, 0.20, 5.5, 5.25]
    assert curves["temperature"].dropna().tolist() == [70.0, 70.5]


def _sections(path: Path) -> dict[str, list[list[str]]]:
    """The ``[Name]`` sections of a Thermo text export as rows of cells, without qpcr."""
    sections: dict[str, list[list[str]]] = {}
    name = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            name = line.strip("[]")
            sections[name] = []
        elif line.strip() and name:
            sections[name].append(line.split("\t"))
    return sections


def test_thermo_amplification_and_melt_sections_match_an_independent_parse() -> None:
    path = THERMO / "thermo_classic_stepone_48_synthetic.txt"
    sections = _sections(path)
    curves = qpcr.read_curves(path)
    amp_rows = sections["Amplification Data"][1:]
    amplification = curves[curves["kind"] == "amplification"]
    assert amplification[["well", "cycle", "target", "fluorescence"]].values.tolist() == [
        [w, float(c), t, float(rn)] for w, c, t, rn, _ in amp_rows
    ]
    melt = curves[curves["kind"] == "melt"]
    melt_rows = sections["Melt Curve Raw Data"][1:]
    assert melt[["well", "temperature", "fluorescence", "derivative"]].values.tolist() == [
        [w, float(t), float(f.replace(",", "")), float(d)] for w, _, t, f, d in melt_rows
    ]
    assert set(curves["plate"]) == {path.stem}
    # the melt section names no target: the well's only target stands in
    assert melt.loc[melt["well"] == "A1", "target"].unique().tolist() == ["ACTB"]
    assert (curves["sample"] != "").all()


def _wide(path: Path) -> dict[str, list[str]]:
    """A CFX wide curve CSV as column → cells, without qpcr (the leading empty column kept)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    return {name: [row[j] for row in rows[1:]] for j, name in enumerate(rows[0]) if name}


def test_biorad_amplification_csv_matches_an_independent_parse_and_its_cq_file() -> None:
    columns = _wide(BIORAD_AMP)
    curves = qpcr.read_curves(BIORAD_AMP)
    assert list(curves.columns) == COLUMNS
    assert set(curves["kind"]) == {"amplification"}
    wells = [c for c in columns if c != "Cycle"]
    assert curves["well"].unique().tolist() == wells
    assert len(curves) == len(wells) * len(columns["Cycle"]) == 45 * 40
    for well in ("A1", "D9"):
        got = curves[curves["well"] == well]
        assert got["cycle"].tolist() == [float(c) for c in columns["Cycle"]]
        np.testing.assert_allclose(got["fluorescence"], [float(v) for v in columns[well]])
    # labels from the Cq Results file with the same name prefix (A1: sample 101, ACTB, SYBR)
    cq = qpcr.read_export(BIORAD / "biorad_cfx_connect_synthetic-Quantification-Cq-Results.csv")
    a1 = curves[curves["well"] == "A1"].iloc[0]
    assert (a1["target"], a1["sample"], a1["reporter"]) == ("ACTB", "101", "SYBR")
    labels = curves.drop_duplicates("well")[["well", "sample", "target"]]
    expected = cq[["well", "sample", "target"]].astype(str)
    assert labels.values.tolist() == expected[expected["well"].isin(wells)].values.tolist()


def test_real_biorad_amplification_export_named_after_its_target() -> None:
    path = export_file(
        "biorad/biorad_cfx_connect_atpsynthase-Quantification-Amplification_Results.csv"
    )
    curves = qpcr.read_curves(path)
    columns = _wide(path)
    assert len(curves) == 34 * 40
    assert curves["well"].nunique() == 34
    # the name's suffix picks the target of the Cq Results file beside it
    assert set(curves["target"]) == {"ATPsynthase"}
    assert set(curves["reporter"]) == {"SYBR"}
    a1 = curves[curves["well"] == "A1"]
    np.testing.assert_allclose(a1["fluorescence"], [float(v) for v in columns["A1"]])
    assert a1["sample"].iloc[0] == "206"


CQ_MULTIPLEX = (
    ",Well,Fluor,Target,Content,Sample,Cq\n"
    ",A01,FAM,MYC,Unkn-1,s1,24.1\n,A01,HEX,GAPDH,Unkn-1,s1,18.2\n"
    ",A02,FAM,MYC,Unkn-2,s2,25.3\n,A02,HEX,GAPDH,Unkn-2,s2,18.4\n"
)


@pytest.mark.parametrize(
    ("suffix", "target", "reporter"),
    [("_HEX", "GAPDH", "HEX"), ("_FAM", "MYC", "FAM"), ("", "", "")],
)
def test_biorad_multiplex_curves_take_the_target_of_the_fluor_in_their_name(
    tmp_path: Path, suffix: str, target: str, reporter: str
) -> None:
    """Without a fluor in the name a multiplex well's curve names no target (never a guess),
    but its sample still."""
    (tmp_path / "run - Quantification Cq Results.csv").write_text(CQ_MULTIPLEX)
    path = tmp_path / f"run - Quantification Amplification Results{suffix}.csv"
    path.write_text(",Cycle,A1,A2\n,1,100.5,200.5\n,2,101.5,202.5\n")
    curves = qpcr.read_curves(path)
    assert curves[["well", "cycle", "fluorescence"]].values.tolist() == [
        ["A1", 1.0, 100.5], ["A1", 2.0, 101.5], ["A2", 1.0, 200.5], ["A2", 2.0, 202.5]
    ]  # fmt: skip
    assert set(curves["target"]) == {target}
    assert set(curves["reporter"]) == {reporter}
    assert curves["sample"].tolist() == ["s1", "s1", "s2", "s2"]


def test_biorad_melt_derivative_with_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "run - Melt Curve Derivative Results_SYBR.csv"
    path.write_text(";Temperature;A01;B01\n;65,0;0,25;1,5\n;65,5;0,75;\n")
    curves = qpcr.read_curves(path)
    assert curves[["well", "temperature", "derivative", "kind"]].values.tolist() == [
        ["A1", 65.0, 0.25, "melt"], ["A1", 65.5, 0.75, "melt"], ["B1", 65.0, 1.5, "melt"]
    ]  # fmt: skip
    assert curves["fluorescence"].isna().all()
    assert curves["cycle"].isna().all()
    assert set(curves["target"]) == {""}  # no Cq Results file beside it
    (tmp_path / "run - Quantification Cq Results.csv").write_text(CQ_MULTIPLEX)
    labelled = qpcr.read_curves(path)  # SYBR picks nothing: multiplex A1 keeps its sample only
    assert labelled[["well", "sample", "target"]].values.tolist() == [
        ["A1", "s1", ""], ["A1", "s1", ""], ["B1", "", ""]
    ]  # fmt: skip


def test_a_bad_well_or_value_in_a_biorad_curve_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "amp.csv"
    path.write_text(",Cycle,A1,A2\n,1,10.5,ten\n")
    with pytest.raises(InputError, match=r"amp.csv row 2 column 4: 'ten' is not a number"):
        qpcr.read_curves(path)
    path.write_text(",Cycle,A1,Z99\n,1,10.5,11\n")
    with pytest.raises(InputError, match=r"amp.csv row 1 column 4"):
        qpcr.read_curves(path)
    path.write_text(",Cycle,A1,A01\n,1,10.5,11\n")
    with pytest.raises(InputError, match=r"amp.csv row 1 column 4: well A1 has a second column"):
        qpcr.read_curves(path)
    path.write_text(",Cycle,A1,A2\n,1,10.5,11\n,,12.5,13\n")
    with pytest.raises(InputError, match=r"amp.csv row 3: the row has readings but no cycle"):
        qpcr.read_curves(path)


def test_an_export_without_curves_gives_an_empty_table() -> None:
    curves = qpcr.read_curves(THERMO / "thermo_wellresult_96.csv")
    assert curves.empty
    assert list(curves.columns) == COLUMNS


def test_inspect_says_whether_a_file_has_curves() -> None:
    summary = summarise(RDML / "rdml_v1_3_synthetic_excl_multirun.xml")
    assert summary["curves"] == "amplification: 1 wells, cycles 1–3; melt: 1 wells, 70.0–70.5 °C"
    assert summarise(THERMO / "thermo_wellresult_96.csv")["curves"] == "none"


def test_rdml_writer_keeps_the_curves_it_reads(tmp_path: Path) -> None:
    """The RDML writer's curves come from read_curves: amplification and melt by kind, named as
    the analysis names plates."""
    from qpcr.io.rdml_write import read_curves
    from qpcr.settings import AnalysisConfig

    path = THERMO / "thermo_classic_stepone_48_synthetic.txt"
    curves = read_curves([path], AnalysisConfig(aliases={"ACTB": "actin"}))
    assert sorted(curves) == ["amplification", "melt"]
    assert curves["amplification"]["target"].tolist() == ["actin"] * 3 + ["VEGFA"] * 3
    assert curves["melt"]["temperature"].tolist() == [60.25, 60.55, 60.25]
    assert set(curves["melt"]["plate"]) == {path.stem}


def test_biorad_amplification_workbook_reads_every_fluor_sheet(tmp_path: Path) -> None:
    (tmp_path / "run - Quantification Cq Results.csv").write_text(CQ_MULTIPLEX)
    path = tmp_path / "run - Quantification Amplification Results.xlsx"
    with pd.ExcelWriter(path) as writer:
        for sheet, offset in (("FAM", 100.0), ("HEX", 200.0)):
            wide = pd.DataFrame({"Cycle": [1, 2], "A1": [offset, offset + 1], "A2": [5.0, 6.0]})
            wide.to_excel(writer, sheet_name=sheet, index=False)
    curves = qpcr.read_curves(path)
    got = curves[["reporter", "target", "well", "cycle", "fluorescence"]].values.tolist()
    assert got == [
        ["FAM", "MYC", "A1", 1.0, 100.0], ["FAM", "MYC", "A1", 2.0, 101.0],
        ["FAM", "MYC", "A2", 1.0, 5.0], ["FAM", "MYC", "A2", 2.0, 6.0],
        ["HEX", "GAPDH", "A1", 1.0, 200.0], ["HEX", "GAPDH", "A1", 2.0, 201.0],
        ["HEX", "GAPDH", "A2", 1.0, 5.0], ["HEX", "GAPDH", "A2", 2.0, 6.0],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "points"),
    [
        ("rdml/BioRad_qPCR_melt.rdml", {"amplification": 2460, "melt": 3660}),
        ("rdml/lc96_bACTXY.rdml", {"amplification": 19200}),
        ("rdml/own_mix_b.rdml", {"amplification": 1880, "melt": 6251}),
        ("rdml/stepone_std.rdml", {"amplification": 960}),
        ("rdml/test_mca_1_raw_data.rdml", {"melt": 7450}),
    ],
)
def test_every_curve_point_of_the_shared_rdml_exports(name: str, points: dict[str, int]) -> None:
    """Rows per kind equal the <adp>/<mdp> elements an independent parse counts."""
    path = SHARED / "exports" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    with zipfile.ZipFile(path) as archive:
        text = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".xml"))
    counted = {
        kind: n for kind, tag in (("amplification", b"<adp>"), ("melt", b"<mdp>"))
        if (n := text.count(tag))
    }  # fmt: skip
    assert counted == points
    curves = qpcr.read_curves(path)
    assert curves["kind"].value_counts().to_dict() == points
    assert curves["fluorescence"].notna().all()
    assert (curves["well"] != "").all()
    assert (curves["target"] != "").all()


#: The fixtures with curves of each kind of source: Bio-Rad wide CSV, RDML, Thermo sections.
CURVE_ENDINGS = ("Amplification_Results.csv", "melt.rdml", "melt_only.rdml", "48_synthetic.txt")
CURVE_FIXTURES = {name: data for name, data in corpus().items() if name.endswith(CURVE_ENDINGS)}


def mutated_curves(
    fixtures: dict[str, bytes], seed: int, count: int, folder: Path
) -> Iterator[tuple[str, pd.DataFrame | None]]:
    """``count`` mutations (``tests/mutations.py``) of ``fixtures`` read with
    ``qpcr.read_curves``: (the case's label, its curves table, or None for an InputError); any
    other exception fails the test with the case named."""
    for index in range(count):
        case = make_case(fixtures, seed, index)
        path = folder / Path(case.source).name
        path.write_bytes(case.data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                curves = qpcr.read_curves(path)
            except InputError:
                curves = None
            except BaseException as exc:
                raise AssertionError(f"case {case.label}: {type(exc).__name__}: {exc}") from exc
        yield case.label, curves


def test_mutated_curve_exports_end_in_curves_or_an_input_error(tmp_path: Path) -> None:
    """150 mutations (``tests/mutations.py``) of the curve fixtures: read_curves returns the
    declared table or raises InputError, nothing else."""
    assert len(CURVE_FIXTURES) == 4
    outcomes = []
    for label, curves in mutated_curves(CURVE_FIXTURES, 20261205, 150, tmp_path):
        if curves is None:
            outcomes.append("input-error")
            continue
        assert list(curves.columns) == COLUMNS, label
        assert set(curves["kind"]) <= {"amplification", "melt"}, label
        outcomes.append("ok")
    assert 0 < outcomes.count("ok") < len(outcomes)


@pytest.mark.parametrize("format", [None, "biorad"])
def test_a_named_format_passes_the_same_gate(tmp_path: Path, format: str | None) -> None:
    with pytest.raises(InputError, match=r"missing\.csv: file not found"):
        qpcr.read_curves(tmp_path / "missing.csv", format=format)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match=r"empty\.csv: the file is empty"):
        qpcr.read_curves(tmp_path / "empty.csv", format=format)
    curves = qpcr.read_curves(BIORAD_AMP, format=format)
    assert len(curves) == 45 * 40


def test_a_file_is_read_by_its_content_whatever_its_name(tmp_path: Path) -> None:
    """A workbook saved as ``.csv`` is the same workbook (sniffed by content); a truncated
    RDML zip is refused, never read in part."""
    source = THERMO / "thermo_classic_qs7_96_crt_multiplex.xlsx"
    renamed = tmp_path / "run.csv"
    renamed.write_bytes(source.read_bytes())
    expected = qpcr.read_curves(source, plate="run")
    assert len(expected) == 1800
    pd.testing.assert_frame_equal(qpcr.read_curves(renamed), expected)
    data = (RDML / "rdml_v1_1_biorad_cfx_melt.rdml").read_bytes()
    cut = tmp_path / "cut.rdml"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.rdml: .*expected a complete zip archive"):
        qpcr.read_curves(cut)
