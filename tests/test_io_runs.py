"""Every kind of run an instrument exports (issue 19): content decides the format whatever the
file is called; rare and unknown task labels; genotyping; exports without sample or target
names; Design & Analysis 4.3 (Diomni) workbooks; digital PCR refused with its own message."""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from _vendor_io import DATA, export_file

from qpcr.errors import ExportParseError, FormatWarning, InputError
from qpcr.io import Export, read_run

#: Every workbook fixture (xlsx, legacy xls, LibreOffice ods), named as the tests know it.
WORKBOOKS = [
    *sorted(
        str(p.relative_to(DATA / "exports"))
        for p in (DATA / "exports").rglob("*")
        if p.suffix in (".xlsx", ".xls", ".ods")
    ),
    "thermo/thermo_classic_qs6_96_sybr.xls",  # no licence stated: read from ../shared
]
#: The templates and the broken workbooks: read, or refused, the same way under any name.
OTHER_WORKBOOKS = sorted(
    str(p.relative_to(DATA))
    for folder in ("template", "invalid")
    for p in (DATA / folder).glob("*")
    if p.suffix in (".xlsx", ".ods")
)


def _renamed(source: Path, folder: Path) -> dict[str, Path]:
    """Copies of ``source`` named ``.xlsx``, ``.xls``, ``.txt`` and with no extension."""
    copies = {}
    for suffix in (".xlsx", ".xls", ".txt", ""):
        copies[suffix.lstrip(".") or "none"] = folder / f"run{suffix}"
        shutil.copyfile(source, folder / f"run{suffix}")
    return copies


def _outcome(path: Path) -> object:
    """The export read from ``path``, or the message refusing it (with the name left out)."""
    try:
        return read_run(path)
    except InputError as exc:
        return str(exc).replace(str(path), "FILE")


def _same_reads(source: Path, folder: Path) -> None:
    reads = {name: _outcome(path) for name, path in _renamed(source, folder).items()}
    first = reads.pop("xlsx")
    for name, export in reads.items():
        if isinstance(first, str):
            assert export == first, name
            continue
        assert isinstance(export, Export), f"{name}: {export}"
        assert export.info.format == first.info.format, name
        pd.testing.assert_frame_equal(export.wells, first.wells, obj=name)
        assert export.tables.keys() == first.tables.keys(), name


@pytest.mark.parametrize("name", WORKBOOKS)
def test_workbook_reads_the_same_whatever_its_name(name: str, tmp_path: Path) -> None:
    _same_reads(export_file(name), tmp_path)


@pytest.mark.parametrize("name", OTHER_WORKBOOKS)
def test_template_or_broken_workbook_reads_the_same_whatever_its_name(
    name: str, tmp_path: Path
) -> None:
    _same_reads(DATA / name, tmp_path)


# Independent parses: the instrument's numbers, read without qpcr ----------------------------

THERMO = DATA / "exports" / "thermo"


def _text_section(path: Path, name: str) -> list[dict[str, str]]:
    """The rows of a ``[name]`` section of a classic text export, with the csv module."""
    lines = path.read_text("utf-8").splitlines()
    start = lines.index(f"[{name}]") + 1
    end = next(
        (i for i in range(start, len(lines)) if not lines[i].strip() or lines[i].startswith("[")),
        len(lines),
    )
    return list(csv.DictReader(lines[start:end], delimiter="\t"))


def _sheet_rows(path: Path, sheet: str, first: str) -> list[dict[str, object]]:
    """The table of a sheet whose header row starts with ``first``, with openpyxl."""
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    at = next(i for i, row in enumerate(rows) if row and row[0] == first)
    header = [str(c) for c in rows[at]]
    return [dict(zip(header, row, strict=False)) for row in rows[at + 1 :] if row and row[0]]


def _number(value: object) -> float:
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return math.nan


def _assert_cq(wells: pd.DataFrame, expected: dict[tuple[str, str], float]) -> None:
    got = {(w, t): c for w, t, c in wells[["well", "target", "cq"]].itertuples(index=False)}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == value or (math.isnan(got[key]) and math.isnan(value)), key


def test_presence_absence_run_with_ipc_wells_reads_every_cq() -> None:
    path = THERMO / "thermo_classic_qs6_96_presence_absence.txt"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FormatWarning)  # every label is known
        export = read_run(path)
    wells = export.wells
    rows = _text_section(path, "Results")
    assert (len(wells), wells["well"].nunique(), int(wells["cq"].notna().sum())) == (96, 48, 68)
    _assert_cq(wells, {(r["Well Position"], r["Target Name"]): _number(r["CT"]) for r in rows})
    tasks = {r["Task"] for r in rows if r["Target Name"] == "IPC"}
    assert tasks == {"IPC", "BlockedIPC"}
    assert set(wells.loc[wells["target"].eq("IPC"), "sample_type"]) == {"ipc"}
    assert wells["call"].tolist() == [r["Call"] for r in rows]
    assert export.info.experiment == "presence/absence"


def test_ipc_wells_are_excluded_with_their_reason_and_reported_in_qc() -> None:
    from qpcr.config import AnalysisConfig
    from qpcr.qc import apply_qc

    wells = read_run(THERMO / "thermo_classic_qs6_96_presence_absence.txt").wells
    checked, events = apply_qc(wells, AnalysisConfig())
    ipc = checked[checked["sample_type"].eq("ipc")]
    assert ipc["excluded"].all()
    assert set(ipc["exclude_code"]) == {"ipc"}
    assert set(ipc["exclude_reason"]) == {"control well (internal positive control)"}
    event = events[events["code"].eq("ipc_control")]
    amplified = int(ipc["cq"].notna().sum())
    assert event["value"].tolist() == [amplified]
    assert amplified == 44
    low, high = ipc["cq"].min(), ipc["cq"].max()
    assert (
        f"{amplified} of 48 wells amplified (Cq {low:.2f}-{high:.2f})" in event["message"].iloc[0]
    )


def test_an_unknown_label_is_its_own_sample_type_with_one_warning(tmp_path: Path) -> None:
    text = (THERMO / "thermo_classic_qs6_96_presence_absence.txt").read_text("utf-8")
    path = tmp_path / "run.txt"
    path.write_text(text.replace("\tBlockedIPC\t", "\tSpikeIn\t"), "utf-8")
    with pytest.warns(FormatWarning) as caught:
        wells = read_run(path).wells
    messages = [str(w.message) for w in caught if "SpikeIn" in str(w.message)]
    assert len(messages) == 1
    assert "Task 'SpikeIn' (4 rows)" in messages[0]
    assert int(wells["sample_type"].eq("SpikeIn").sum()) == 4
    from qpcr.config import AnalysisConfig
    from qpcr.qc import apply_qc

    checked, _ = apply_qc(wells, AnalysisConfig())
    spiked = checked[checked["sample_type"].eq("SpikeIn")]
    assert set(spiked["exclude_code"]) == {"other_type"}
    assert set(spiked["exclude_reason"]) == {
        "well role 'SpikeIn' (instrument label): not quantified"
    }


def test_classic_genotyping_run_reads_one_row_per_well_and_allele() -> None:
    path = THERMO / "thermo_classic_qs7_96_genotyping.txt"
    export = read_run(path)
    wells = export.wells
    rows = _text_section(path, "Results")
    setup = {r["Well Position"]: r for r in _text_section(path, "Sample Setup")}
    expected = {}
    for r in rows:
        for k in ("1", "2"):
            name = setup[r["Well Position"]][f"Allele{k} Name"]
            expected[(r["Well Position"], f"{r['SNP Assay Name']}-{name}")] = _number(
                r[f"Allele{k} Ct"]
            )
    assert len(wells) == 2 * len(rows) == 192
    _assert_cq(wells, expected)
    assert int(wells["cq"].notna().sum()) == 176
    a2 = wells[wells["well"].eq("A2")]
    assert a2["reporter"].tolist() == ["VIC", "FAM"]  # the alleles' dyes in [Sample Setup]
    assert a2["cq"].tolist() == [27.546, 29.013]
    calls = {r["Well Position"]: r["Call"] for r in rows}
    assert wells["call"].tolist() == [calls[w] for w in wells["well"]]
    assert set(wells.loc[wells["well"].eq("A2"), "sample_type"]) == {"pos"}  # PC_ALLELE_1
    assert export.info.experiment == "genotyping"


def test_design_and_analysis_genotyping_workbook() -> None:
    path = THERMO / "thermo_da_v2_qs7pro_96_genotyping_trimmed.xlsx"
    export = read_run(path)
    rows = _sheet_rows(path, "Results", "Well")
    no_amp = {(r["Well Position"], r["Target"]) for r in rows if r["Amp Status"] == "NO_AMP"}
    expected = {
        (r["Well Position"], r["Target"]): math.nan
        if (r["Well Position"], r["Target"]) in no_amp
        else _number(r["Cq"])
        for r in rows
    }
    _assert_cq(export.wells, expected)
    assert (len(export.wells), int(export.wells["cq"].notna().sum())) == (192, 160)
    calls = {r["Well Position"]: r["Call"] for r in _sheet_rows(path, "Genotyping Result", "Well")}
    assert export.wells["call"].tolist() == [calls[w] for w in export.wells["well"]]
    assert export.info.experiment == "genotyping"


def test_primary_analysis_export_reads_wells_with_cq_and_reporter() -> None:
    path = THERMO / "thermo_da_v2_qs7pro_96_primary_analysis.xlsx"
    export = read_run(path)
    wells = export.wells
    rows = _sheet_rows(path, "Results", "Well Position")
    assert len(wells) == len(rows) == 96
    assert wells["cq"].tolist() == pytest.approx([_number(r["Cq"]) for r in rows], nan_ok=True)
    assert wells["reporter"].tolist() == [r["Reporter"] for r in rows]
    assert set(wells["sample"]) == set(wells["target"]) == {""}
    assert int(wells["cq"].notna().sum()) == 84


def test_diomni_primary_result_workbook() -> None:
    path = THERMO / "thermo_da_diomni_4_3_384_presence_absence.xlsx"
    export = read_run(path)
    rows = _sheet_rows(path, "Primary_result", "Well")
    expected = {
        (f"{r['Well'][0]}{int(r['Well'][1:])}", r["Target"]): _number(r["Cq"]) for r in rows
    }
    _assert_cq(export.wells, expected)
    assert int(export.wells["cq"].notna().sum()) == 1
    assert export.wells.loc[export.wells["cq"].notna(), "cq"].tolist() == [39.54]
    assert (export.info.format, export.info.software, export.info.plate_size) == (
        "thermo_da_v2", "Diomni 4.3.0", 384,
    )  # fmt: skip
    assert set(export.wells["call"]) == {"NEGATIVE", "POSITIVE"}


def test_auto_export_named_xls_holding_xlsx_reads_by_content() -> None:
    path = THERMO / "thermo_da_v2_qs7pro_384_presence_absence_autoexport_trimmed.xls"
    assert path.read_bytes()[:4] == b"PK\x03\x04"
    export = read_run(path)
    forced = read_run(path, format="thermo_da_v2")
    pd.testing.assert_frame_equal(forced.wells, export.wells)
    rows = _sheet_rows(path, "Results", "Well")
    _assert_cq(export.wells, {(r["Well Position"], r["Target"]): _number(r["Cq"]) for r in rows})
    assert (len(export.wells), int(export.wells["cq"].notna().sum())) == (216, 97)


def test_a_forced_format_names_the_sheets_that_are_there() -> None:
    path = DATA / "exports" / "rotorgene" / "rotorgene_analysed_export_synthetic.xlsx"
    sheets = ", ".join(openpyxl.load_workbook(path, read_only=True).sheetnames)
    with pytest.raises(ExportParseError, match=re.escape(f"(sheets: {sheets})")):
        read_run(path, format="thermo_da_v2")


@pytest.mark.parametrize(
    ("name", "instrument"),
    [("dpcr_absolute_q_example01.csv", "QuantStudio Absolute Q"),
     ("dpcr_qiacuity_example01.csv", "QIAcuity"), ("dpcr_qiacuity_example03.csv", "QIAcuity")],
)  # fmt: skip
def test_digital_pcr_is_refused_in_one_line(name: str, instrument: str) -> None:
    path = DATA / "exports" / "dpcr" / name
    with pytest.raises(ExportParseError) as info:
        read_run(path)
    message = str(info.value)
    assert message.startswith(f"{path}: digital PCR results have no Cq (a {instrument} export")
    assert "\n" not in message


def test_analyze_says_what_a_layout_must_give(tmp_path: Path) -> None:
    from qpcr.config import AnalysisConfig
    from qpcr.pipeline import read_wells

    primary = THERMO / "thermo_da_v2_qs7pro_96_primary_analysis.xlsx"
    with pytest.raises(InputError, match=r"no target name for well.*expected a layout naming"):
        read_wells([primary], None, AnalysisConfig())
    genotyping = THERMO / "thermo_classic_qs7_96_genotyping.txt"
    with pytest.raises(InputError, match=r"a genotyping run .* has no ΔΔCq design"):
        read_wells([genotyping], None, AnalysisConfig())
    layout = tmp_path / "layout.csv"
    lines = ["well,sample,target"] + [
        f"{r}{c},s{c},Globin" for r in "ABCDEFGH" for c in range(1, 13)
    ]
    layout.write_text("\n".join(lines) + "\n")
    wells = read_wells([primary], layout, AnalysisConfig()).table
    assert set(wells["target"]) == {"Globin"}
    assert wells.loc[wells["well"].eq("A1"), ["sample", "cq"]].values.tolist() == [["s1", 17.97]]


def test_inspect_shows_genotype_calls_per_well() -> None:
    from qpcr.inspect import summarise

    summary = summarise(THERMO / "thermo_classic_qs7_96_genotyping.txt")
    assert summary["experiment"] == "genotyping"
    assert summary["calls"] == {
        "Heterozygous Allele 1/Allele 2": 24, "Homozygous Allele 1/Allele 1": 32,
        "Homozygous Allele 2/Allele 2": 32, "Negative Control (NC)": 8,
    }  # fmt: skip


def test_classic_genotyping_workbook_reads_like_the_text(tmp_path: Path) -> None:
    """The text run written as a classic workbook (key/value rows, blank row, table; sheets
    ``Sample Setup`` and ``Results``), as QuantStudio's Excel export lays it out."""
    text = THERMO / "thermo_classic_qs7_96_genotyping.txt"
    lines = text.read_text("utf-8").splitlines()
    keys = [line.lstrip("* ").split(" = ", 1) for line in lines if line.startswith("* ")]
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("Sample Setup", "Results"):
        sheet = book.create_sheet(name)
        table = _text_section(text, name)
        for row in [*keys, [], list(table[0])]:
            sheet.append(row)
        for record in table:
            sheet.append([_number(v) if not math.isnan(_number(v)) else v for v in record.values()])
    path = tmp_path / "genotyping.xlsx"
    book.save(path)
    export = read_run(path)
    expected = read_run(text).wells
    assert export.info.format == "thermo_classic"
    assert export.info.experiment == "genotyping"
    columns = ["well", "sample", "target", "sample_type", "reporter", "cq", "cq_status", "call"]
    pd.testing.assert_frame_equal(export.wells[columns], expected[columns])


def test_a_multiplex_export_without_target_names_is_refused(tmp_path: Path) -> None:
    source = THERMO / "thermo_da_v2_qs7pro_96_primary_analysis.xlsx"
    book = openpyxl.load_workbook(source)
    sheet = book["Results"]
    sheet.append(["A1", "STANDARD", "VIC", 18.5, 0.02, 3.0, 16.0])  # a second dye in A1
    path = tmp_path / "multiplex.xlsx"
    book.save(path)
    with pytest.raises(ExportParseError, match="well A1 holds several reactions") as info:
        read_run(path)
    assert info.value.where.endswith(f"sheet 'Results' row {sheet.max_row}")
