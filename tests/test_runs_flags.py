"""RDML runs are runs (Cq presence per run, ``run`` picks runs, ``inspect`` lists them) and
vendor flags are kept (the wells ``flags`` column, ``vendor_flag`` events, ``exclude_flags``).

Multi-run files are built at run time from the real RDML fixtures: the StepOne run, and a copy
of it whose ``<cq>`` elements are removed (a run exported before Cq was called).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from qpcr.cli import app
from qpcr.config import AnalysisConfig
from qpcr.errors import ConfigError, ExportParseError, InputError
from qpcr.inspect import summarise
from qpcr.io import read_run
from qpcr.io.rdml import NAMESPACE
from qpcr.pipeline import analyze
from qpcr.qc import apply_qc

EXPORTS = Path(__file__).parent / "data" / "exports"
STEPONE = EXPORTS / "rdml" / "rdml_v1_0_stepone_std.rdml"
BIORAD = EXPORTS / "rdml" / "rdml_v1_1_biorad_cfx_melt.rdml"
QS5 = EXPORTS / "thermo" / "thermo_da_v1_qs5_384.xlsx"
QS3_CURVE = EXPORTS / "thermo" / "thermo_da_v1_qs3_96_standard_curve.csv"
QS6 = EXPORTS / "thermo" / "thermo_classic_qs6_96_sybr_synthetic.xls"
_N = "{" + NAMESPACE + "}"
STEPONE_INSTRUMENT = "Applied Biosystems StepOne™ Instrument"


def _two_runs(tmp_path: Path, strip_cq: bool = True) -> Path:
    """The StepOne file with a second run ``Run002``: a copy of ``Run001`` whose ``<cq>``
    elements are removed (``strip_cq``)."""
    ET.register_namespace("", NAMESPACE)
    with zipfile.ZipFile(STEPONE) as archive:
        root = ET.fromstring(archive.read("rdml_data.xml"))
    experiment = root.find(f"{_N}experiment")
    assert experiment is not None
    first = experiment.find(f"{_N}run")
    assert first is not None
    assert first.get("id") == "Run001"
    second = copy.deepcopy(first)
    second.set("id", "Run002")
    if strip_cq:
        for data in second.iter(f"{_N}data"):
            for cq in data.findall(f"{_N}cq"):
                data.remove(cq)
    experiment.append(second)
    path = tmp_path / "two_runs.xml"
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
    return path


# --------------------------------------------------------------------------------------------
# RDML runs


def test_cq_presence_is_decided_per_run(tmp_path: Path) -> None:
    single = read_run(STEPONE).wells
    wells = read_run(_two_runs(tmp_path)).wells
    assert wells["plate"].value_counts().to_dict() == {"Run001": 24, "Run002": 24}
    first = wells[wells["plate"] == "Run001"].reset_index(drop=True)
    second = wells[wells["plate"] == "Run002"].reset_index(drop=True)
    # the run with Cq reads exactly as the file alone does
    assert first["well"].tolist() == single["well"].tolist()
    np.testing.assert_array_equal(first["cq"].to_numpy(), single["cq"].to_numpy())
    assert first["cq_status"].eq("ok").all()
    assert first.loc[first["well"] == "A4", "cq"].iloc[0] == 28.96287
    assert first.loc[first["well"] == "A1", "cq"].iloc[0] == 40.0  # StepOne's sentinel, as read
    # the run without any <cq>: no Cq in the file, not 24 non-detects
    assert second["well"].tolist() == single["well"].tolist()
    assert second["cq_status"].eq("missing").all()
    assert second["cq"].isna().all()


def test_absent_cq_in_a_run_with_cq_is_a_non_detect(tmp_path: Path) -> None:
    path = _two_runs(tmp_path, strip_cq=False)
    text = path.read_text(encoding="utf-8")
    start = text.index('<run id="Run002">')
    head, tail = text[:start], text[start:]
    # drop the Cq of the second run's first reaction only (A1, an NTC)
    first_cq = tail.index("<cq>")
    tail = tail[:first_cq] + tail[tail.index("</cq>", first_cq) + len("</cq>") :]
    path.write_text(head + tail, encoding="utf-8")
    wells = read_run(path).wells
    second = wells[wells["plate"] == "Run002"]
    assert second["cq_status"].value_counts().to_dict() == {"ok": 23, "undetermined": 1}
    assert second.loc[second["cq_status"] == "undetermined", "well"].tolist() == ["A1"]


def test_biorad_run_without_cq_is_missing_and_run_picks_the_other() -> None:
    wells = read_run(BIORAD).wells
    cy5 = wells["plate"] == "Amp Step 3_Cy5"
    assert wells.loc[cy5, "cq_status"].eq("missing").all()
    assert cy5.sum() == 30
    fam = read_run(BIORAD, run=["Amp Step 3_FAM"]).wells
    assert fam["plate"].unique().tolist() == ["Amp Step 3_FAM"]
    assert fam["cq_status"].value_counts().to_dict() == {"ok": 26, "undetermined": 4}
    assert fam.loc[fam["well"] == "D1", "cq"].iloc[0] == pytest.approx(10.1244311147873)
    assert fam.loc[fam["well"] == "A1", "cq"].iloc[0] == pytest.approx(27.7514537682101)


def test_unknown_run_is_refused_with_the_runs_of_the_file() -> None:
    with pytest.raises(InputError) as caught:
        read_run(BIORAD, run=["FAM"])
    assert "no run 'FAM' in the file; expected one of 'Amp Step 3_FAM', 'Amp Step 3_Cy5'" in str(
        caught.value
    )


def test_a_file_with_one_run_ignores_run() -> None:
    picked = read_run(STEPONE, run=["Run001"]).wells
    pd.testing.assert_frame_equal(picked, read_run(STEPONE, run=["another"]).wells)
    pd.testing.assert_frame_equal(picked, read_run(STEPONE).wells)


def test_other_readers_refuse_run_only_when_the_file_holds_several_plates(tmp_path: Path) -> None:
    rows = "".join(
        f"{plate},{well},S{i},GAPDH,{20 + i}.5\n"
        for plate in ("p1", "p2")
        for i, well in enumerate(("A1", "A2"))
    )
    several = tmp_path / "two_plates.csv"
    several.write_text("plate,well,sample,target,cq\n" + rows, encoding="utf-8")
    with pytest.raises(InputError, match=r"reader cannot pick runs, and the file holds 2 plates"):
        read_run(several, run=["p1"])
    one = tmp_path / "one_plate.csv"
    one.write_text("well,sample,target,cq\nA1,S1,GAPDH,20.5\nA2,S2,GAPDH,21.5\n", encoding="utf-8")
    assert read_run(one, run=["p1"]).wells["cq"].tolist() == [20.5, 21.5]


def test_analyze_refuses_a_run_without_cq(tmp_path: Path) -> None:
    path = _two_runs(tmp_path)
    with pytest.raises(InputError) as caught:
        analyze([path], config=AnalysisConfig(cq_source="instrument"))
    assert caught.value.message == (
        "no Cq in the file for run Run002; call Cq in the instrument software first, or pick "
        "runs with run=..."
    )
    assert caught.value.hint == "Runs with Cq: Run001"


def test_analyze_calls_the_cq_of_a_run_without_cq_from_its_curves(tmp_path: Path) -> None:
    """cq_source = 'auto': Run002 (Run001's curves, its <cq> removed) is called with
    LinRegPCR; Run001 keeps the instrument's Cq."""
    wells = analyze([_two_runs(tmp_path)]).wells
    sources = wells.groupby("plate")["cq_source"].unique().map(list).to_dict()
    assert sources == {"Run001": ["instrument"], "Run002": ["linreg"]}
    called = wells[wells["plate"].eq("Run002")]
    assert called["cq_status"].eq("ok").sum() == wells["plate"].eq("Run001").sum() - 3


def test_analyze_of_a_file_without_any_cq_says_to_call_cq() -> None:
    with pytest.raises(InputError) as caught:
        analyze([EXPORTS / "rdml" / "rdml_v1_4_vermeulen_dilutions.rdml"],
                config=AnalysisConfig(cq_source="instrument"))  # fmt: skip
    assert caught.value.message == (
        "no Cq in the file for run AHCY_20080229, AKR1C1_20080307, ALUsq(Eurogentec)_20080228, "
        "ARHGEF7_20080225, BIRC5_20080229 ... (64 runs); call Cq in the instrument software "
        "first"
    )


def test_cli_refusal_is_one_line_and_run_picks_the_run(tmp_path: Path) -> None:
    path = _two_runs(tmp_path)
    runner = CliRunner()
    refused = runner.invoke(
        app, ["analyze", str(path), "--out", str(tmp_path / "a"), "-q", "--cq-source", "instrument"]
    )
    assert refused.exit_code == 1
    assert "Traceback" not in refused.output
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "no Cq in the file for run Run002" in lines[0]
    assert "or pick runs with --run ID" in lines[0]  # the library's run=... as the CLI's option
    out = tmp_path / "b"
    done = runner.invoke(app, ["analyze", str(path), "--run", "Run001", "--out", str(out), "-q"])
    assert done.exit_code == 0, done.output
    wells = pd.read_csv(out / "wells.csv", keep_default_na=False)
    assert len(wells) == 24
    assert wells["plate"].unique().tolist() == ["Run001"]
    assert wells["cq_status"].eq("ok").all()


def test_inspect_lists_runs_with_instrument_and_reactions(tmp_path: Path) -> None:
    path = _two_runs(tmp_path)
    summary = summarise(path)
    assert summary["runs"] == [
        f"Run001: {STEPONE_INSTRUMENT}, 24 reactions",
        f"Run002: {STEPONE_INSTRUMENT}, 24 reactions, no Cq",
    ]
    assert summary["cq_status"] == {"missing": 24, "ok": 24}
    assert summarise(path, run=["Run002"])["runs"] == [
        f"Run002: {STEPONE_INSTRUMENT}, 24 reactions, no Cq"
    ]
    assert summarise(STEPONE)["runs"] == [f"Run001: {STEPONE_INSTRUMENT}, 24 reactions"]
    assert summarise(QS5)["runs"] == []  # a format that does not name runs
    result = CliRunner().invoke(app, ["inspect", "--json", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["runs"] == summary["runs"]
    picked = CliRunner().invoke(app, ["inspect", "--json", "--run", "Run001", str(path)])
    assert picked.exit_code == 0, picked.output
    assert json.loads(picked.stdout)[0]["runs"] == [f"Run001: {STEPONE_INSTRUMENT}, 24 reactions"]


# --------------------------------------------------------------------------------------------
# Vendor flags


def _flag_cells(path: Path) -> dict[str, str]:
    """Well → ';'-joined flags set to Y, parsed from the workbook independently."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Results").to_python()
    header = next(i for i, row in enumerate(rows) if row[:2] == ["Well", "Well Position"])
    names = rows[header]
    codes = [n for n in names if n in ("CQCONF", "PRFDROP", "EXPFAIL", "BADROX")]
    out = {}
    for row in rows[header + 1 :]:
        if len(row) < len(names) or not row[1]:
            break
        out[row[1]] = ";".join(c for c in codes if row[names.index(c)] == "Y")
    return out


def test_flags_of_the_design_and_analysis_384_workbook() -> None:
    wells = read_run(QS5).wells
    flags = dict(zip(wells["well"], wells["flags"], strict=True))
    assert flags["D18"] == "CQCONF;EXPFAIL"
    assert flags["L8"] == "BADROX"
    assert flags["E5"] == flags["G2"] == flags["N16"] == "PRFDROP"
    assert flags["D17"] == "CQCONF"
    assert flags["B1"] == ""
    assert (wells["flags"] != "").sum() == 10
    independent = _flag_cells(QS5)
    assert {w: f for w, f in independent.items() if w in flags} == flags


def test_flags_of_the_design_and_analysis_csv_and_the_classic_xls() -> None:
    curve = read_run(QS3_CURVE).wells
    assert curve.loc[curve["flags"] != "", "well"].tolist() == [
        "A10", "A11", "A12", "D4", "D7", "D8", "F7", "H7"
    ]  # fmt: skip
    assert set(curve.loc[curve["flags"] != "", "flags"]) == {"CQCONF"}
    qs6 = read_run(QS6).wells
    flagged = qs6[qs6["flags"] != ""]
    assert list(zip(flagged["well"], flagged["target"], flagged["flags"], strict=True)) == [
        ("G1", "GAPDH", "NOAMP"), ("G2", "SOX2", "NOAMP"), ("G3", "PAX6", "NOAMP")
    ]  # fmt: skip


def test_a_flag_cell_that_is_not_y_or_n_is_refused(tmp_path: Path) -> None:
    lines = QS3_CURVE.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Well,Well Position"))
    row = next(csv.reader(io.StringIO(lines[header + 1])))
    assert row[-1] == "N"
    row[-1] = "maybe"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(row)
    lines[header + 1] = buffer.getvalue()
    path = tmp_path / "bad_flag.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ExportParseError) as caught:
        read_run(path)
    assert str(caught.value) == (
        f"{path} line {header + 2} column 'CQCONF': flag value 'maybe'; expected Y, N or empty"
    )


def test_exclude_flags_excludes_the_named_flags_with_the_reason() -> None:
    wells = read_run(QS5).wells
    kept, events = apply_qc(wells, AnalysisConfig())
    assert not kept["exclude_code"].eq("vendor_flag").any()
    flag_events = events[events["code"] == "vendor_flag"]
    assert len(flag_events) == 10
    badrox = flag_events[flag_events["well"] == "L8"].iloc[0]
    assert badrox["severity"] == "warn"
    assert badrox["message"] == (
        "well L8 (MYGENE, 20) flagged by the instrument software (BADROX: bad passive reference "
        "(ROX) signal); kept (exclude it with exclude_flags)"
    )
    out, _ = apply_qc(wells, AnalysisConfig(exclude_flags=("BADROX", "expfail")))
    hit = out[out["exclude_code"] == "vendor_flag"]
    assert sorted(hit["well"]) == ["D18", "L8"]
    reasons = dict(zip(hit["well"], hit["exclude_reason"], strict=True))
    assert reasons == {
        "L8": "flagged by the instrument software (BADROX)",
        "D18": "flagged by the instrument software (EXPFAIL)",
    }
    assert np.isnan(out.loc[out["well"] == "L8", "cq_used"].iloc[0])
    every, _ = apply_qc(wells, AnalysisConfig(exclude_flags=("*",)))
    assert sorted(every.loc[every["exclude_code"] == "vendor_flag", "well"]) == sorted(
        wells.loc[wells["flags"] != "", "well"]
    )


def test_unknown_flag_code_is_refused_with_the_nearest() -> None:
    with pytest.raises(ConfigError) as caught:
        apply_qc(read_run(QS5).wells, AnalysisConfig(exclude_flags=("BADROXX",)))
    assert caught.value.where == "settings exclude_flags"
    assert "'BADROXX' is not a vendor flag code" in caught.value.message
    assert caught.value.hint == "did you mean 'BADROX'?"


def test_excluding_flagged_standards_changes_the_curve(tmp_path: Path) -> None:
    # all 22 standards: the vendor's fit in the file's Slope and Y-Intercept columns (3 decimals)
    plain = analyze([QS3_CURVE]).tables["standard_curves"].iloc[0]
    assert plain["n_points"] == 22
    assert plain["slope"] == pytest.approx(-3.918, abs=1e-3)
    assert plain["intercept"] == pytest.approx(25.519, abs=1e-3)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["analyze", str(QS3_CURVE), "--exclude-flags", "CQCONF", "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    wells = pd.read_csv(out / "wells.csv", keep_default_na=False)
    excluded = wells[wells["exclude_code"] == "vendor_flag"]
    assert excluded["well"].tolist() == ["A10", "A11", "A12", "D4", "D7", "D8", "F7", "H7"]
    assert excluded["exclude_reason"].eq("flagged by the instrument software (CQCONF)").all()
    curves = pd.read_csv(out / "standard_curves.csv")
    assert curves["n_points"].iloc[0] == 19  # A10-A12 are standards
    qc = pd.read_csv(out / "qc.csv", keep_default_na=False)
    assert (qc["code"] == "vendor_flag").sum() == 8
