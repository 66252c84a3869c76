"""Thermo Fisher / Applied Biosystems readers (export-formats.md §1).

Every fixture is checked three ways: the registry picks exactly its format; the reader's wells
table equals values parsed here independently (plain csv/openpyxl/regex reading of the results
block, every Cq to 1e-9); and it equals the golden CSV in ``tests/data/expected/thermo``.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _vendor_io import export_file
from hypothesis import given
from hypothesis import strategies as st

from qpcr.errors import ExportParseError, FormatWarning, InputError
from qpcr.io import thermo
from qpcr.io.registry import FileSample, detect, read_run
from qpcr.schema import check_wells

DATA = Path(__file__).parent / "data"
EXPORTS = DATA / "exports" / "thermo"
EXPECTED = DATA / "expected" / "thermo"

#: fixture → (format, encoding for text files or None for workbooks/CSV handled below)
FIXTURES = {
    "thermo_classic_viia7_384.txt": "thermo_classic",
    "thermo_classic_qs7_96_full.txt": "thermo_classic",
    "thermo_classic_qs7_96_results_only.txt": "thermo_classic",
    "thermo_classic_qs7_96_results_only_utf16_synthetic.txt": "thermo_classic",
    "thermo_classic_qs7_96_cp1252_synthetic.txt": "thermo_classic",
    "thermo_classic_stepone_48_synthetic.txt": "thermo_classic",
    "thermo_classic_7500_96_synthetic.txt": "thermo_classic",
    "thermo_classic_qs7_96_crt_multiplex.xlsx": "thermo_classic",
    "thermo_classic_qs6_96_sybr.xls": "thermo_classic",
    "thermo_classic_qs6_96_sybr_synthetic.xls": "thermo_classic",
    "thermo_da_v1_qs3_96_standard_curve.csv": "thermo_da_v1",
    "thermo_da_v1_qs5_384.xlsx": "thermo_da_v1",
    "thermo_da_v2_qs3_96_relative_quant.xlsx": "thermo_da_v2",
    "thermo_wellresult_96.csv": "thermo_wellresult",
    "thermo_wellresult_standard_curve_96.csv": "thermo_wellresult",
    "thermo_sds_7900ht_384_synthetic.txt": "thermo_sds",
}

ENCODINGS = {
    "thermo_classic_qs7_96_results_only_utf16_synthetic.txt": "utf-16",
    "thermo_classic_qs7_96_cp1252_synthetic.txt": "cp1252",
}

#: Task text → sample type, written out here (not taken from the reader).
TASKS = {
    "UNKNOWN": "unkn",
    "Unknown": "unkn",
    "NTC": "ntc",
    "Negative Control (NTC)": "ntc",
    "STANDARD": "std",
    "Standard": "std",
    "ENDOGENOUS CONTROL": "unkn",
    "Accuracy Control": "pos",
}

ROWS = "ABCDEFGHIJKLMNOP"


# --------------------------------------------------------------------------------------------
# Independent parsing of each fixture's results table


def _index_to_well(index: int, cols: int) -> str:
    row, col = divmod(index - 1, cols)
    return f"{ROWS[row]}{col + 1}"


def _records(header: list[str], body: list[list[str]]) -> list[dict[str, str]]:
    first = {}
    for k, name in enumerate(header):
        first.setdefault(name.strip(), k)
    return [{name: (r[k] if k < len(r) else "") for name, k in first.items()} for r in body]


def _text_results(path: Path) -> list[dict[str, str]]:
    """The ``[Results]`` block of a classic text file: lines after the marker up to a blank."""
    text = path.read_bytes().decode(ENCODINGS.get(path.name, "utf-8"))
    lines = text.replace("\ufeff", "").splitlines()
    start = lines.index("[Results]") + 1
    block = []
    for line in lines[start:]:
        if not line.strip() or line.startswith("["):
            break
        block.append(line)
    rows = list(csv.reader(block, delimiter="\t"))
    return _records(rows[0], rows[1:])


def _csv_table(path: Path, first: str, delimiter: str = ",") -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8")), delimiter=delimiter))
    start = next(i for i, r in enumerate(rows) if r and r[0] == first)
    body = []
    for r in rows[start + 1 :]:
        if not any(c.strip() for c in r):
            break
        body.append([c.strip() for c in r])
    return _records(rows[start], body)


def _sheet_table(path: Path) -> list[dict[str, str]]:
    """``Results`` sheet rows after the ``Well``/``Well Position`` header, read with openpyxl
    (xlsx) or calamine (legacy xls, which openpyxl cannot open), up to the footer."""
    if path.suffix == ".xlsx":
        import openpyxl

        with warnings.catch_warnings():  # "Workbook contains no default style"
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = [list(r) for r in book["Results"].iter_rows(values_only=True)]
        book.close()
    else:
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Results").to_python()

    def text(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return repr(v) if isinstance(v, float) else str(v)

    start = next(i for i, r in enumerate(rows) if r and r[0] == "Well")
    body = []
    for r in rows[start + 1 :]:
        if not r or r[0] in (None, "") or not re.match(r"^\d+(\.0)?$", text(r[0])):
            break
        body.append([text(v) for v in r])
    return _records([text(v) for v in rows[start]], body)


def _path(name: str) -> Path:
    """A fixture of this folder, or its copy in the shared folder (skips when absent)."""
    return export_file(f"thermo/{name}")


def _independent(name: str) -> pd.DataFrame:
    """well, sample, target, sample_type, cq parsed without the reader."""
    path = _path(name)
    if name.startswith("thermo_sds"):
        recs = _csv_table(path, "Well", "\t")
        size = 384
    elif name.startswith("thermo_wellresult") or name.endswith(".csv"):
        recs = _csv_table(path, "Well")
        size = 96
    elif name.endswith((".xlsx", ".xls")):
        recs = _sheet_table(path)
        size = 384 if "384" in name else 96
    else:
        recs = _text_results(path)
        size = {"384": 384, "_48_": 48}.get(next((k for k in ("384", "_48_") if k in name), ""), 96)
    cols = {48: 8, 96: 12, 384: 24}[size]
    out = []
    for r in recs:
        if "Well Position" in r:
            well = r["Well Position"]
        elif r["Well"].isdigit():
            well = _index_to_well(int(r["Well"]), cols)
        else:
            well = r["Well"]
        cq_text = next(r[k] for k in ("CT", "Cт", "CRT", "Cq", "Ct") if k in r)
        cq = float(cq_text) if re.match(r"^-?\d+(\.\d+)?(e-?\d+)?$", cq_text) else math.nan
        if r.get("Amp Status") == "NO_AMP":
            cq = math.nan
        sample = r.get("Sample Name", r.get("Sample", ""))
        if name.startswith("thermo_da_v2") and re.match(r"^\d+\.0$", sample):
            sample = sample[:-2]
        target = r.get("Target Name", r.get("Target", r.get("Detector Name")))
        out.append(
            {
                "well": well,
                "sample": sample,
                "target": target,
                "sample_type": TASKS[r["Task"]],
                "cq": cq,
            }
        )
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------------
# Every fixture: detection, independent values, golden CSV, schema


@pytest.mark.parametrize(("name", "fmt"), FIXTURES.items())
def test_fixture_is_claimed_by_its_own_format_only(name: str, fmt: str) -> None:
    assert detect(_path(name)).name == fmt


@pytest.mark.parametrize("name", FIXTURES)
def test_wells_match_the_file_parsed_independently(name: str) -> None:
    wells = read_run(_path(name)).wells
    ref = _independent(name)
    assert len(wells) == len(ref) > 0
    assert wells["well"].tolist() == ref["well"].tolist()
    assert wells["sample"].tolist() == ref["sample"].tolist()
    assert wells["target"].tolist() == ref["target"].tolist()
    assert wells["sample_type"].tolist() == ref["sample_type"].tolist()
    np.testing.assert_allclose(wells["cq"].to_numpy(), ref["cq"].to_numpy(), rtol=0, atol=1e-9)
    assert (wells["cq_status"] == "ok").tolist() == ref["cq"].notna().tolist()
    assert check_wells(wells) == []


@pytest.mark.parametrize("name", FIXTURES)
def test_wells_match_golden_csv(name: str) -> None:
    wells = read_run(_path(name)).wells
    text_cols = ["well", "sample", "target", "sample_type", "reporter", "cq_status"]
    golden = pd.read_csv(
        EXPECTED / f"{Path(name).stem}.csv",
        dtype={c: str for c in text_cols},
        keep_default_na=False,
        na_values={"cq": [""], "quantity": [""], "tm": [""]},
    )
    assert list(wells.columns) == list(golden.columns)
    for col in wells.columns:
        if col in ("cq", "quantity", "tm"):
            np.testing.assert_allclose(wells[col].to_numpy(float), golden[col].to_numpy(float))
        else:
            assert wells[col].tolist() == golden[col].tolist(), col


# --------------------------------------------------------------------------------------------
# Key numbers per fixture, read off the files by eye


def test_qs7_full_values_tables_and_info() -> None:
    export = read_run(EXPORTS / "thermo_classic_qs7_96_full.txt")
    w = export.wells
    assert len(w) == 66
    assert sorted(w["target"].unique()) == ["GAPDH", "TGF-B"]
    assert (w["cq_status"] == "undetermined").sum() == 6
    assert set(w.loc[w["cq_status"] == "undetermined", "sample_type"]) == {"ntc"}
    d1 = w.set_index("well").loc["D1"]
    assert (d1["sample"], d1["target"], d1["reporter"]) == ("Lung", "TGF-B", "FAM")
    assert d1["cq"] == 30.155
    assert w.set_index("well").loc["H12", "cq"] == pytest.approx(32.685, abs=1e-12)
    amp = export.tables["amplification"]
    assert list(amp.columns) == ["well", "target", "cycle", "rn", "delta_rn", "fluorescence"]
    # 96 wells x 40 cycles are listed; the 30 unused wells have empty Rn cells and are dropped
    assert len(amp) == 66 * 40
    pairs = set(zip(amp["well"], amp["target"], strict=True))
    assert pairs == set(zip(w["well"], w["target"], strict=True))
    first, last = amp.iloc[0], amp.iloc[-1]
    assert (first["well"], first["target"], first["cycle"]) == ("A1", "TGF-B", 1)
    assert (first["rn"], first["delta_rn"]) == (0.627, -0.004)
    assert (last["well"], last["target"], last["cycle"], last["rn"]) == ("H12", "GAPDH", 40, 1.484)
    assert "melt" not in export.tables
    info = export.info
    assert info.format == "thermo_classic"
    assert info.instrument == "QuantStudio(TM) 7 Flex System"
    assert info.software == "QuantStudio Real-Time PCR Software"
    assert info.run_date == "2010-10-20 02:23:34 AM EDT"
    assert info.plate_size == 96
    assert info.extra["Experiment Name"] == "QuantStudio96-Well Comparative Ct Example"
    assert info.extra["Reference Sample"] == "Liver"
    assert info.extra["Endogenous Control"] == "GAPDH"


def test_viia7_384_block_tm_and_trimmed_sections() -> None:
    export = read_run(EXPORTS / "thermo_classic_viia7_384.txt")
    w = export.wells
    assert export.info.plate_size == 384
    assert export.info.instrument == "ViiA 7"
    assert w["well"].tolist()[-4:] == ["A15", "A16", "A17", "A18"]
    assert w["tm"].iloc[10] == 79.020
    assert w["tm"].drop(index=10).eq(78.122).all()
    assert w["reporter"].eq("SYBR").all()
    assert len(export.tables["amplification"]) == 24
    assert "melt" not in export.tables  # the section has a header and no rows


def test_results_only_quantities_numeric_names_and_accuracy_control() -> None:
    w = read_run(EXPORTS / "thermo_classic_qs7_96_results_only.txt").wells.set_index("well")
    assert w.loc["A1", "quantity"] == 100_000_000.0
    assert w.loc["A4", "quantity"] == 118_248.2
    assert w.loc["A4", "sample"] == "5000018696625"
    assert w.loc["G1", "sample_type"] == "pos"
    assert w.loc["H10", "cq_status"] == "undetermined"
    assert (w["sample_type"] == "std").sum() == 18


def test_encodings_give_the_same_table() -> None:
    utf8 = read_run(EXPORTS / "thermo_classic_qs7_96_results_only.txt").wells
    utf16 = read_run(EXPORTS / "thermo_classic_qs7_96_results_only_utf16_synthetic.txt").wells
    pd.testing.assert_frame_equal(utf8, utf16)
    cp = read_run(EXPORTS / "thermo_classic_qs7_96_cp1252_synthetic.txt")
    assert sorted(cp.wells["sample"].unique()) == ["", "Cerveau", "Cœur", "Foie (réf.)", "Poumon"]
    assert cp.info.instrument == "QuantStudio™ 7 Flex System"
    assert cp.info.extra["Reference Sample"] == "Foie (réf.)"
    full = read_run(EXPORTS / "thermo_classic_qs7_96_full.txt").wells
    np.testing.assert_array_equal(cp.wells["cq"].to_numpy(), full["cq"].to_numpy())


def test_stepone_48_cyrillic_header_melt_and_footer() -> None:
    export = read_run(EXPORTS / "thermo_classic_stepone_48_synthetic.txt")
    w = export.wells.set_index("well")
    assert export.info.plate_size == 48
    assert export.info.software == "StepOne Software"
    assert w.loc["F8", "cq_status"] == "undetermined"
    assert w.loc["A1", "cq"] == 18.412
    assert w.loc["C1", "sample"] == "200"
    assert w.loc["C2", "quantity"] == 2000.0
    assert not w["omitted"].any()  # no Omit column: nothing omitted
    melt = export.tables["melt"]
    assert melt["well"].tolist() == ["A1", "A1", "A3"]
    assert melt["target"].tolist() == ["ACTB", "ACTB", "VEGFA"]
    assert melt["fluorescence"].tolist() == [1204.512, 1198.004, 987.113]
    assert melt["temperature"].tolist() == [60.25, 60.55, 60.25]
    amp = export.tables["amplification"]
    assert amp["well"].tolist() == ["A1"] * 3 + ["F8"] * 3
    assert export.info.extra["Reference Sample"] == "N1"


def test_7500_tasks_and_low_ntc_value_kept() -> None:
    w = read_run(EXPORTS / "thermo_classic_7500_96_synthetic.txt").wells.set_index("well")
    assert w.loc["B3", "sample_type"] == "unkn"  # ENDOGENOUS CONTROL is a reference-gene well
    assert w.loc["A1", "quantity"] == 10_000.0
    assert w.loc["H12", "cq"] == 39.512
    assert w.loc["H11", "cq_status"] == "undetermined"


def test_classic_workbooks() -> None:
    crt = read_run(EXPORTS / "thermo_classic_qs7_96_crt_multiplex.xlsx")
    w = crt.wells
    assert len(w) == 36
    assert (w["well"].value_counts() == 2).all()  # two targets per well
    assert w["cq"].iloc[0] == pytest.approx(11.32002067565918, abs=1e-12)
    assert crt.info.extra["Quantification Cycle Method"] == "Crt"
    assert crt.info.extra["Instrument Name"] == "12345"
    assert crt.info.extra["Analysis Type"] == "Multiplex"
    amp = crt.tables["amplification"]
    assert len(amp) == 36 * 50  # 50 cycles for each well x target of the results
    assert set(zip(amp["well"], amp["target"], strict=True)) == set(
        zip(w["well"], w["target"], strict=True)
    )


@pytest.mark.parametrize(
    ("name", "n_wells", "no_rt", "tm", "reference"),
    [
        # scripts/make_synthetic_fixtures.py states A1 = float32(18.153), G1 Tm1 float32(71.48)
        ("thermo_classic_qs6_96_sybr_synthetic.xls", 21, "G1", 71.4800033569336, "day 0"),
        ("thermo_classic_qs6_96_sybr.xls", 50, "A7", 56.193939208984375, "1d chr"),
    ],
)
def test_classic_legacy_xls(name: str, n_wells: int, no_rt: str, tm: float, reference: str) -> None:
    xls = read_run(_path(name))
    x = xls.wells.set_index("well")
    assert len(x) == n_wells
    assert x.loc[no_rt, "sample"] == "no RT"
    assert x.loc[no_rt, "cq_status"] == "undetermined"
    assert x.loc[no_rt, "tm"] == tm
    assert xls.info.instrument == "QuantStudio(TM) 6 Flex System"
    assert xls.info.extra["Reference Sample"] == reference


def test_synthetic_xls_stated_values_and_curves() -> None:
    xls = read_run(_path("thermo_classic_qs6_96_sybr_synthetic.xls"))
    a1 = xls.wells.set_index("well").loc["A1"]
    assert (a1["sample"], a1["target"], a1["cq"]) == ("day 0", "GAPDH", 18.152999877929688)
    assert xls.info.extra["Experiment Type"] == "Comparative Cт (ΔΔCт)"
    amp = xls.tables["amplification"]
    assert len(amp) == 21 * 40
    assert set(amp["well"]) == set(xls.wells["well"])


def test_design_and_analysis() -> None:
    v1 = read_run(EXPORTS / "thermo_da_v1_qs3_96_standard_curve.csv")
    assert len(v1.wells) == 94
    assert v1.info.instrument == "QuantStudio™ 3 System"
    assert v1.info.extra["Instrument Name"] == "272321808"
    assert v1.wells.set_index("well").loc["H10", "quantity"] == 0.003
    v15 = read_run(EXPORTS / "thermo_da_v1_qs5_384.xlsx")
    assert len(v15.wells) == 232
    assert v15.info.plate_size == 384
    assert v15.wells["well"].iloc[-1] == "O16"
    assert v15.info.extra["Analysis Type"] == "Singleplex"
    assert len(v15.tables["amplification"]) == 232 * 40
    v2 = read_run(EXPORTS / "thermo_da_v2_qs3_96_relative_quant.xlsx")
    w = v2.wells
    assert len(w) == 156
    assert v2.info.software == "Design & Analysis Software v2.7.0"
    assert v2.info.run_date == "2015-12-09 02:25:46 AM EST"
    assert w["sample"].iloc[1] == "200"
    assert w["cq"].iloc[1] == 30.63431941024927
    a7 = w.set_index("well").loc["A7"]  # INCONCLUSIVE keeps its Cq
    assert (a7["sample_type"], a7["cq"]) == ("ntc", 37.79575861969039)
    assert (w["cq_status"] == "undetermined").sum() == 4
    assert len(v2.tables["amplification"]) == 6240


def test_wellresult_tables() -> None:
    w = read_run(EXPORTS / "thermo_wellresult_96.csv").wells.set_index("well")
    assert w.loc["A5", "omitted"]
    assert w.loc["A5", "cq_status"] == "undetermined"
    assert w.loc["G7", "sample_type"] == "ntc"
    assert w["reporter"].eq("VIC").all()
    assert w.loc["A1", "cq"] == 29.16468236
    sc = read_run(EXPORTS / "thermo_wellresult_standard_curve_96.csv").wells
    assert sc["quantity"].iloc[0] == 20.44741727331132
    assert (sc["sample_type"] == "std").sum() == 18


def test_sds_index_wells() -> None:
    export = read_run(EXPORTS / "thermo_sds_7900ht_384_synthetic.txt")
    assert export.wells["well"].tolist() == ["A1", "A2", "B1", "B2", "E1", "E2", "F1", "P23", "P24"]
    assert export.info.software == "SDS 2.2.2"
    assert export.info.run_date == "Tue Mar 03 10:15:22 CET 2009"
    assert export.info.plate_size == 384


def test_omitted_well_keeps_its_cq(tmp_path: Path) -> None:
    text = (EXPORTS / "thermo_classic_qs7_96_results_only.txt").read_text("utf-8")
    path = tmp_path / "omit.txt"
    path.write_text(text.replace("1\tA1\tfalse\t", "1\tA1\ttrue\t", 1), "utf-8")
    row = read_run(path).wells.iloc[0]
    assert (row["omitted"], row["cq"], row["cq_status"]) == (True, 16.484, "ok")


def test_wellresult_unquoted_comma_in_sample_is_rejoined(tmp_path: Path) -> None:
    path = tmp_path / "WellResult-x.csv"
    path.write_text(
        "Well,Omit,Sample,Target,Task,Dyes,Cq,Cq Conf\n"
        "A1,FALSE,mouse 3, day 2,atpE,Unknown,VIC-NFQ-MGB,29.5,0.9\n"
        "A2,true,NTC,atpE,Negative Control (NTC),VIC-NFQ-MGB,Undetermined,0\n",
        "utf-8",
    )
    w = read_run(path).wells
    assert w["sample"].tolist() == ["mouse 3, day 2", "NTC"]
    assert w["cq"].iloc[0] == 29.5
    assert w["omitted"].tolist() == [False, True]


# --------------------------------------------------------------------------------------------
# Errors: user mistakes raise InputError subclasses naming where and what


def _results_only() -> str:
    return (EXPORTS / "thermo_classic_qs7_96_results_only.txt").read_bytes().decode("utf-8")


def _write(tmp_path: Path, text: str, name: str = "bad.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_truncated_mid_row_is_an_error(tmp_path: Path) -> None:
    text = _results_only()
    cut = text.index("Standard 2 (1e7)\t3'U")  # line 32, before the CT column
    path = _write(tmp_path, text[: cut + 20])
    with pytest.raises(ExportParseError, match=r"\[Results\] line 32.*ends before the Cq column"):
        read_run(path)


def test_truncated_header_has_no_results(tmp_path: Path) -> None:
    path = _write(tmp_path, _results_only()[:300])
    assert detect(path).name == "thermo_classic"
    with pytest.raises(ExportParseError, match=r"no \[Results\] section") as err:
        read_run(path)
    assert err.value.where == str(path)
    assert "Results" in err.value.hint


def test_results_header_without_rows(tmp_path: Path) -> None:
    text = _results_only()
    header_end = text.index("\n", text.index("[Results]") + 11) + 1
    path = _write(tmp_path, text[:header_end] + "\r\nAnalysis Type = Singleplex\r\n")
    with pytest.raises(ExportParseError, match="header but no rows"):
        read_run(path)


def test_well_outside_384_plate(tmp_path: Path) -> None:
    text = (EXPORTS / "thermo_classic_viia7_384.txt").read_text("utf-8")
    head, results = text.split("[Results]")
    path = _write(tmp_path, head + "[Results]" + results.replace("\tA2\tfalse", "\tQ25\tfalse"))
    with pytest.raises(ExportParseError, match=r"line 111 column 'Well Position'.*'Q25'.*384"):
        read_run(path)


def test_non_numeric_cq(tmp_path: Path) -> None:
    text = _results_only().replace("\t16.442\t", "\t16.44x\t")
    with pytest.raises(ExportParseError, match=r"line 21 column 'CT'.*'16.44x' is not a number"):
        read_run(_write(tmp_path, text))


def test_one_decimal_comma_among_points_is_refused(tmp_path: Path) -> None:
    text = _results_only().replace("\t16.442\t", "\t16,442\t")
    with pytest.raises(ExportParseError, match=r"column 'CT' has '16,442' \(decimal comma\)"):
        read_run(_write(tmp_path, text))


def test_decimal_comma_cq_is_not_read_as_thousands(tmp_path: Path) -> None:
    original = read_run(_write(tmp_path, _results_only())).wells
    swap = str.maketrans(",.", ".,")  # 100,000.5 → 100.000,5 as a German Excel writes it
    text = re.sub(r"(?<=\t)[\d.,]+(?=\t)", lambda m: m[0].translate(swap), _results_only())
    comma = read_run(_write(tmp_path, text, "de.txt")).wells
    np.testing.assert_allclose(comma["cq"], original["cq"], rtol=0, atol=1e-12)


def test_unknown_task_is_kept_verbatim_with_one_warning(tmp_path: Path) -> None:
    original = read_run(_write(tmp_path, _results_only())).wells
    text = _results_only().replace("\tSTANDARD\tVIC", "\tCALIBRATOR\tVIC", 2)
    with pytest.warns(FormatWarning, match=r"Task 'CALIBRATOR' \(2 rows\)") as caught:
        wells = read_run(_write(tmp_path, text)).wells
    assert sum("CALIBRATOR" in str(w.message) for w in caught) == 1
    changed = original["sample_type"].ne(wells["sample_type"])
    assert wells.loc[changed, "sample_type"].tolist() == ["CALIBRATOR"] * 2
    assert original.loc[changed, "sample_type"].tolist() == ["std"] * 2
    pd.testing.assert_series_equal(wells["cq"], original["cq"])


def test_missing_cq_column(tmp_path: Path) -> None:
    text = _results_only().replace("\tCT\t", "\tCycle\t", 1)
    with pytest.raises(ExportParseError, match="no cq column"):
        read_run(_write(tmp_path, text))


def test_workbook_error_names_sheet_row_and_column(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Results"
    sheet.append(["Block Type", "96-Well Block (0.2mL)"])
    sheet.append(["Instrument Type", "QuantStudio(TM) 7 Flex System"])
    sheet.append([])
    sheet.append(["Well", "Well Position", "Omit", "Sample Name", "Target Name", "Task", "CT"])
    sheet.append([1, "A1", False, "s1", "GAPDH", "UNKNOWN", 20.5])
    sheet.append([2, "A2", True, "s1", "GAPDH", "UNKNOWN", "n.d.?"])
    path = tmp_path / "run.xlsx"
    book.save(path)
    assert detect(path).name == "thermo_classic"
    with pytest.raises(ExportParseError) as err:
        read_run(path)
    assert "sheet 'Results' row 6 column 'CT'" in err.value.where
    assert "'n.d.?'" in str(err.value)


def test_errors_are_input_errors() -> None:
    assert issubclass(ExportParseError, InputError)


# --------------------------------------------------------------------------------------------
# Sniffers


SNIFFERS = [
    thermo.sniff_classic,
    thermo.sniff_da_v1,
    thermo.sniff_da_v2,
    thermo.sniff_wellresult,
    thermo.sniff_sds,
]

NOT_THERMO = {
    "biorad.csv": ",Well,Fluor,Target,Content,Sample,Cq\n,A01,SYBR,x,Unkn,s,20\n",
    "tidy.csv": "sample,target,cq\ns1,GAPDH,20.1\n",
    "roche.txt": "Experiment: x  Selected Filter: SYBR Green I / HRM Dye (465-510)\n"
    "Include\tColor\tPos\tName\tCp\tConcentration\tStandard\tStatus\n",
    "plain.txt": "hello\nworld\n",
    "results_word.txt": "Results\nWell\tCT\n",
}


@pytest.mark.parametrize(("name", "text"), NOT_THERMO.items())
def test_sniffers_reject_other_files(tmp_path: Path, name: str, text: str) -> None:
    sample = FileSample(_write(tmp_path, text, name))
    assert [s(sample) for s in SNIFFERS] == [False] * 5


@given(st.binary(max_size=400))
def test_sniffers_never_raise_on_random_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x"
        path.write_bytes(data)
        sample = FileSample(path)
        assert all(isinstance(s(sample), bool) for s in SNIFFERS)


def test_sniffers_never_raise_on_broken_containers(tmp_path: Path) -> None:
    xlsx = (EXPORTS / "thermo_classic_qs7_96_crt_multiplex.xlsx").read_bytes()
    xls = (EXPORTS / "thermo_classic_qs6_96_sybr_synthetic.xls").read_bytes()
    for name, data in {"cut.xlsx": xlsx[:5000], "cut.xls": xls[:5000]}.items():
        sample = FileSample(_write_bytes(tmp_path / name, data))
        assert [s(sample) for s in SNIFFERS] == [False] * 5


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------
# Round trip of generated classic text files


_cq = st.one_of(
    st.just("Undetermined"),
    st.floats(min_value=5, max_value=45, allow_nan=False).map(lambda x: f"{x:.3f}"),
)
_name = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9 _.-]{0,10}", fullmatch=True).map(str.strip),
    st.integers(0, 10**13).map(str),
).filter(bool)


@given(
    st.lists(
        st.tuples(st.integers(1, 384), _name, _name, st.sampled_from(sorted(TASKS)), _cq),
        min_size=1,
        max_size=30,
        unique_by=lambda t: t[0],
    )
)
def test_generated_classic_text_round_trips(rows: list[tuple[int, str, str, str, str]]) -> None:
    lines = ["* Block Type = 384-Well Block", "* Instrument Type = ViiA 7", "", "[Results]"]
    lines.append("Well\tWell Position\tOmit\tSample Name\tTarget Name\tTask\tReporter\tCT")
    for index, sample, target, task, cq in rows:
        well = _index_to_well(index, 24)
        lines.append(f"{index}\t{well}\tfalse\t{sample}\t{target}\t{task}\tFAM\t{cq}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gen.txt"
        path.write_text("\r\n".join(lines) + "\r\n", "utf-8")
        w = read_run(path).wells
    assert w["well"].tolist() == [_index_to_well(r[0], 24) for r in rows]
    assert w["sample"].tolist() == [r[1] for r in rows]
    assert w["target"].tolist() == [r[2] for r in rows]
    assert w["sample_type"].tolist() == [TASKS[r[3]] for r in rows]
    expected = [math.nan if r[4] == "Undetermined" else float(r[4]) for r in rows]
    np.testing.assert_allclose(w["cq"].to_numpy(), expected, rtol=0, atol=1e-9)


def test_unreadable_curve_section_is_skipped_with_a_warning(tmp_path: Path) -> None:
    text = (EXPORTS / "thermo_classic_stepone_48_synthetic.txt").read_text("utf-8")
    text = text.replace("Well\tCycle\tTarget Name\tRn\tDelta Rn", "Well\tStep\tTarget Name\tX\tY")
    with pytest.warns(FormatWarning, match=r"\[Amplification Data\]: amplification table skipped"):
        export = read_run(_write(tmp_path, text))
    assert "amplification" not in export.tables
    assert len(export.wells) == 12
    assert len(export.tables["melt"]) == 3


def test_thermo_workbook_without_table_is_claimed_and_explained(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Results"
    sheet.append(["Block Type", "384-Well Block"])
    sheet.append(["Instrument Type", "ViiA 7"])
    sheet.append([])
    sheet.append(["Well", "Well Position", "Sample Name", "Target Name"])  # no Cq column
    path = tmp_path / "no_table.xlsx"
    book.save(path)
    assert detect(path).name == "thermo_classic"
    with pytest.raises(ExportParseError, match="no results table; expected a row starting") as err:
        read_run(path)
    assert err.value.where == f"{path} sheet 'Results'"


def test_da_v1_csv_cut_after_header_block(tmp_path: Path) -> None:
    text = (EXPORTS / "thermo_da_v1_qs3_96_standard_curve.csv").read_text("utf-8")
    path = _write(tmp_path, "\n".join(text.splitlines()[:40]), "cut.csv")
    assert detect(path).name == "thermo_da_v1"
    with pytest.raises(ExportParseError, match="no results table"):
        read_run(path)


def test_empty_curve_sections_are_ignored(tmp_path: Path) -> None:
    text = _results_only() + "\r\n[Amplification Data]\r\n\r\n[Melt Curve Raw Data]\r\n"
    export = read_run(_write(tmp_path, text))
    assert export.tables == {}
    assert len(export.wells) == 93


def _other_vendor_exports() -> list[Path]:
    return sorted(
        p
        for p in (DATA / "exports").glob("*/*")
        if p.is_file() and p.parent.name != "thermo" and p.suffix != ".md"
    )


@pytest.mark.parametrize("path", _other_vendor_exports(), ids=lambda p: p.name)
def test_thermo_sniffers_reject_other_vendors(path: Path) -> None:
    sample = FileSample(path)
    assert [s(sample) for s in SNIFFERS] == [False] * 5


def test_classic_workbook_with_index_wells_and_melt_sheet(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    results = book.active
    results.title = "Results"
    results.append(["Block Type", "384-Well Block"])
    results.append(["Instrument Type", "QuantStudio(TM) 12K Flex System"])
    results.append([])
    results.append(["Well", "Well Position", "Omit", "Sample Name", "Target Name", "Task", "CT"])
    results.append([25.0, "B1", 1, 1234.0, "ACTB", "UNKNOWN", 17.25])
    results.append([384.0, "P24", 0, "NTC", "ACTB", "NTC", "Undetermined"])
    melt = book.create_sheet("Melt Curve Raw Data")
    melt.append(["Block Type", "384-Well Block"])
    melt.append([])
    melt.append(["Well", "Well Position", "Reading", "Temperature", "Fluorescence", "Derivative"])
    melt.append([25, "B1", 1, 60.1, 5000.5, 0.01])
    melt.append([384, "P24", 1, 60.1, 100.0, 0.0])
    path = tmp_path / "qs12k.xlsx"
    book.save(path)
    export = read_run(path)
    w = export.wells
    assert w["well"].tolist() == ["B1", "P24"]
    assert w["sample"].tolist() == ["1234", "NTC"]  # a numeric cell keeps no '.0'
    assert w["omitted"].tolist() == [True, False]
    assert w["cq"].iloc[0] == 17.25
    assert export.info.plate_size == 384
    m = export.tables["melt"]
    assert m[["well", "target"]].to_numpy().tolist() == [["B1", "ACTB"], ["P24", "ACTB"]]
    assert m["fluorescence"].tolist() == [5000.5, 100.0]
