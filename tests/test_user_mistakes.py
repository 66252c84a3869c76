"""Input mistakes labs really make: each is read as the file means it, or refused in one line.

Every case builds its input here and asserts either the exact values read or, through the
command line, exit code 1 with a one-line message naming the file and the place, and no
traceback. The last part re-writes every real text export in ``../shared/exports`` with decimal
commas (and ``;`` where the original uses ``,``) and reads it to the original Cq values.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qpcr.cli import app
from qpcr.errors import InputError, LayoutError
from qpcr.io import read_export, read_run
from qpcr.layout import load_layout

runner = CliRunner()
SHARED = Path(__file__).parents[1].parent / "shared"


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_text(text, encoding=encoding)
    return path


def _refused(path: Path, *options: str) -> str:
    """The one-line error of ``qpcr inspect`` on ``path`` (exit code 1, no traceback)."""
    result = runner.invoke(app, ["inspect", *options, str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    message = result.stderr.strip()
    assert message.startswith(f"error: {path}"), message
    assert "\n" not in message, message
    return message


def _tidy(folder: Path, *rows: str, sep: str = ",", name: str = "tidy.csv") -> Path:
    return _write(folder, name, "\n".join(rows) + "\n")


# --- 1. decimal marks: tidy tables ---------------------------------------------------------


def test_semicolon_csv_with_decimal_commas_reads_the_values(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "well;sample;target;Cq", "A1;S1;GAPDH;27,51", "A2;S1;GAPDH;28,02")
    wells = read_export(path)
    np.testing.assert_array_equal(wells["cq"], [27.51, 28.02])
    assert wells["cq_status"].tolist() == ["ok", "ok"]
    result = runner.invoke(app, ["inspect", "--json", str(path)])
    assert result.exit_code == 0, result.output
    assert '"ok": 2' in result.stdout  # inspect gives the same verdict


def test_quoted_decimal_commas_in_a_comma_csv(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "sample,target,Cq", 'S1,GAPDH,"27,51"', 'S2,GAPDH,"19,5"')
    np.testing.assert_array_equal(read_export(path)["cq"], [27.51, 19.5])


def test_thousands_separators_follow_the_files_decimal_mark(tmp_path: Path) -> None:
    path = _tidy(
        tmp_path,
        "sample;target;Cq;quantity",
        "S1;GAPDH;27,51;1.234,5",
        "S2;GAPDH;20,1;1 000 000",
        "S3;GAPDH;21,1;0,5",
    )
    np.testing.assert_array_equal(read_export(path)["quantity"], [1234.5, 1_000_000.0, 0.5])


def test_ambiguous_quantity_is_refused_with_the_decimal_hint(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "sample,target,Cq,quantity", 'S1,GAPDH,27,"1,000"')
    message = _refused(path)
    assert message == (
        f"error: {path}: column 'quantity' has '1,000', which is 1000 with a decimal point or 1 "
        "with a decimal comma, and no other number in the file tells which; expected an "
        "unambiguous decimal mark. Say which decimal mark the file uses: --decimal , (27,51) or "
        "--decimal . (27.51)"
    )


@pytest.mark.parametrize(("decimal", "quantity"), [(",", 1.0), (".", 1000.0)])
def test_the_decimal_parameter_settles_an_ambiguous_file(
    tmp_path: Path, decimal: str, quantity: float
) -> None:
    path = _tidy(tmp_path, "sample,target,Cq,quantity", 'S1,GAPDH,27,"1,000"')
    assert read_export(path, decimal=decimal)["quantity"].tolist() == [quantity]


def test_mixed_decimal_marks_are_refused(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "sample;target;Cq", "S1;GAPDH;27.5", "S1;GAPDH;27,6")
    message = _refused(path)
    assert "column 'Cq' has '27,6' (decimal comma) and column 'Cq' has '27.5'" in message
    assert "--decimal , (27,51)" in message


def test_an_unknown_decimal_mark_is_refused(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "sample,target,Cq", "S1,GAPDH,27.5")
    with pytest.raises(InputError, match=r"^decimal: decimal mark ';'; expected ',' or '.'"):
        read_run(path, decimal=";")


# --- 2. a Cq is a number of cycles ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "what"),
    [
        ("inf", "is not a number or a non-detect token"),
        ("1e308", "is not a number of cycles; expected above 0 and at most 100"),
        ("-5", "is not a number of cycles; expected above 0 and at most 100"),
        ("0", "is not a number of cycles; expected above 0 and at most 100"),
        ("9" * 400, "is not a number of cycles; expected above 0 and at most 100"),
    ],
    ids=["inf", "1e308", "negative", "zero", "400 digits"],
)
def test_impossible_cq_is_refused_with_file_and_row(tmp_path: Path, cell: str, what: str) -> None:
    path = _tidy(tmp_path, "sample,target,Cq", "S1,GAPDH,20.5", f"S1,GAPDH,{cell}")
    message = _refused(path)
    assert message.startswith(f"error: {path} row 3 column 'Cq': Cq '{cell[:40]}' {what}")


def test_impossible_cq_in_an_omitted_well_is_invalid_not_a_value(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "sample,target,Cq,omit", "S1,GAPDH,20.5,false", "S1,GAPDH,-5,true")
    wells = read_export(path)
    assert wells["cq_status"].tolist() == ["ok", "invalid"]
    np.testing.assert_array_equal(wells["cq"], [20.5, np.nan])


# --- 1 and 2 in the vendor readers ----------------------------------------------------------

CFX_HEADER = ";Well;Fluor;Target;Content;Sample;Cq;Starting Quantity (SQ)"


def test_biorad_semicolon_decimal_comma_keeps_every_digit(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "run-Quantification-Cq-Results.csv",
        "\r\n".join([CFX_HEADER, ";A01;SYBR;G;Std-01;s;24,80123456789012;1.000",
                     ";A02;SYBR;G;Unkn-01;s;Non Numérique;"]) + "\r\n",
        encoding="cp1252",
    )  # fmt: skip
    wells = read_export(path)
    assert wells["cq"].iloc[0] == 24.80123456789012  # was 2.48e14
    assert wells["cq_status"].tolist() == ["ok", "undetermined"]
    assert wells["quantity"].iloc[0] == 1000.0  # '.' groups thousands in a ',' file


def test_biorad_impossible_cq_names_the_row(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "run-Quantification-Cq-Results.csv",
        "\n".join([CFX_HEADER.replace(";", ","), ",A01,SYBR,G,Unkn-01,s,1e308,"]) + "\n",
    )
    assert _refused(path).startswith(f"error: {path} row 2 column 'Cq': Cq '1e308' is not a")


ROCHE_HEAD = (
    "Experiment: run  Selected Filter: SYBR Green I / HRM Dye (465-510)\n"
    "Include\tColor\tPos\tName\tCp\tConcentration\tStandard\tStatus\n"
)


def test_roche_decimal_comma_cp(tmp_path: Path) -> None:
    path = _write(tmp_path, "cp.txt", ROCHE_HEAD + "True\t255\tA1\ts\t14,98\t\t0\t\n")
    assert read_export(path)["cq"].tolist() == [14.98]  # was 1498


def test_roche_excluded_well_with_an_impossible_cp_is_invalid(tmp_path: Path) -> None:
    rows = "True\t255\tA1\ts\t14.98\t\t0\t\nFalse\t255\tA2\ts\t-3\t\t0\t\n"
    wells = read_export(_write(tmp_path, "cp.txt", ROCHE_HEAD + rows))
    assert wells["cq_status"].tolist() == ["ok", "invalid"]
    bad = _write(tmp_path, "bad.txt", ROCHE_HEAD + rows.replace("False", "True"))
    assert _refused(bad).startswith(f"error: {bad} row 4 column 'Cp': Cp '-3' is not a number")


ROTOR = (
    "Excel Analysed Data Export;;;;;\n\nQuantitative analysis of Cycling A.Green (ACTB);;;;;\n"
    "No.;Colour;Name;Type;Ct;Given Conc (copies/reaction)\n"
)


def test_rotorgene_decimal_commas_in_ct_and_given_conc(tmp_path: Path) -> None:
    path = _write(tmp_path, "rg.csv", ROTOR + "1;;s1;Standard;7,49;1,5\n2;;s2;Unknown;8,58;\n")
    wells = read_export(path)
    np.testing.assert_array_equal(wells["cq"], [7.49, 8.58])
    np.testing.assert_array_equal(wells["quantity"], [1.5, np.nan])


def test_rotorgene_impossible_ct_names_section_and_row(tmp_path: Path) -> None:
    path = _write(tmp_path, "rg.csv", ROTOR + "1;;s1;Unknown;200;\n")
    assert _refused(path).startswith(
        f"error: {path} section 'Quantitative analysis of Cycling A.Green (ACTB)' row 5 "
        "column 'Ct': Ct '200' is not a number of cycles"
    )


THERMO = (
    "* Block Type = 96-Well Block (0.2mL)\n* Instrument Type = QuantStudio 7 Flex\n\n[Results]\n"
    "Well\tWell Position\tOmit\tSample Name\tTarget Name\tTask\tReporter\tCT\tQuantity\n"
)


def test_thermo_decimal_comma_re_save_is_read(tmp_path: Path) -> None:
    rows = (
        "1\tA1\tfalse\ts1\tG\tSTANDARD\tSYBR\t27,51\t1.000,5\n"
        "2\tA2\tfalse\ts1\tG\tUNKNOWN\tSYBR\t28,02\t\n"
    )
    wells = read_export(_write(tmp_path, "run.txt", THERMO + rows))
    np.testing.assert_array_equal(wells["cq"], [27.51, 28.02])
    np.testing.assert_array_equal(wells["quantity"], [1000.5, np.nan])


def test_thermo_infinite_ct_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "run.txt", THERMO + "1\tA1\tfalse\ts1\tG\tUNKNOWN\tSYBR\tinf\t\n")
    assert _refused(path).startswith(f"error: {path} [Results] line 6 column 'CT': CT 'inf'")


def _rdml(folder: Path, data: str, lc96: bool = False) -> Path:
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?><rdml xmlns="http://www.rdml.org" version="1.3">'
        '<sample id="s"><type>unkn</type></sample><target id="G"/><experiment id="e">'
        '<run id="r"><pcrFormat><rows>8</rows><columns>12</columns></pcrFormat>'
        f'<react id="1"><sample id="s"/>{data}</react></run></experiment></rdml>'
    )
    path = folder / "run.rdml"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("rdml_data.xml", doc)
        if lc96:
            archive.writestr(
                "app_data.xml",
                '<rocheLC96AppExtension xmlns="http://www.roche.ch/LC96AppExtensionSchema"/>',
            )
    return path


def test_rdml_minus_one_is_no_cq_and_an_excluded_impossible_cq_is_invalid(tmp_path: Path) -> None:
    failed = read_export(_rdml(tmp_path, '<data><tar id="G"/><cq>-1</cq></data>'))
    assert failed["cq_status"].tolist() == ["undetermined"]
    excluded = _rdml(tmp_path, '<data><tar id="G"/><cq>-5</cq><excl>bad</excl></data>')
    assert read_export(excluded)["cq_status"].tolist() == ["invalid"]


def test_lightcycler96_codes_for_no_cq_are_non_detects(tmp_path: Path) -> None:
    curve = "".join(f"<adp><cyc>{c}</cyc><fluor>0.1</fluor></adp>" for c in range(1, 51))
    data = "".join(
        f'<data><tar id="{t}"/><cq>{cq}</cq>{curve}</data>'
        for t, cq in (("G", "100"), ("M", "68.85"), ("N", "49.78"))
    )
    wells = read_export(_rdml(tmp_path, data, lc96=True))
    assert wells["cq_status"].tolist() == ["undetermined", "undetermined", "ok"]
    assert wells["cq"].iloc[2] == 49.78
    # the same values from another RDML writer: 100 and 68.85 are possible Cq values
    assert read_export(_rdml(tmp_path, data))["cq"].tolist() == [100.0, 68.85, 49.78]


def test_rdml_impossible_cq_names_the_reaction(tmp_path: Path) -> None:
    path = _rdml(tmp_path, '<data><tar id="G"/><cq>1e308</cq></data>')
    assert _refused(path).startswith(
        f'error: {path} [rdml_data.xml] <run id="r"> <react id="1"> target \'G\' <cq>: '
        "Cq '1e308' is not a number of cycles"
    )


def test_layout_quantity_with_decimal_commas(tmp_path: Path) -> None:
    path = _write(tmp_path, "layout.csv", "well;sample;quantity\nA1;std1;1,5\nA2;std2;0,25\n")
    np.testing.assert_array_equal(load_layout(path)["quantity"], [1.5, 0.25])
    ambiguous = _write(tmp_path, "amb.csv", 'well,sample,quantity\nA1,std1,"1,000"\n')
    with pytest.raises(LayoutError, match=r"column 'quantity' has '1,000'"):
        load_layout(ambiguous)
    assert load_layout(ambiguous, decimal=",")["quantity"].tolist() == [1.0]


# --- 3. duplicate wells ---------------------------------------------------------------------


def test_a_row_pasted_twice_is_refused(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "well,sample,target,Cq", "A1,S1,G,20.5", "A2,S1,G,20.6", "A1,S1,G,20.5")
    assert _refused(path) == (
        f"error: {path}: 1 well × target pair(s) occur more than once: A1 G (2×); expected one "
        "row per well and target. Remove the repeated rows (a row pasted twice counts as one "
        "more reaction), or export the run again"
    )


def test_a_well_with_two_samples_is_refused(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "well,sample,target,Cq", "B3,S1,G,20.5", "B3,S2,M,24.0")
    assert "1 well(s) hold two or more samples: B3 (S1 / S2)" in _refused(path)


def test_multiplex_wells_and_well_less_replicates_are_fine(tmp_path: Path) -> None:
    multiplex = _tidy(tmp_path, "well,sample,target,Cq", "A1,S1,G,20.5", "A1,S1,M,24.0")
    assert len(read_export(multiplex)) == 2
    no_wells = _tidy(tmp_path, "sample,target,Cq", "S1,G,20.5", "S1,G,20.5", name="nw.csv")
    assert read_export(no_wells)["cq"].tolist() == [20.5, 20.5]


def test_same_well_on_two_plates_is_two_reactions(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "plate,well,sample,target,Cq", "p1,A1,S1,G,20.5", "p2,A1,S1,G,20.7")
    assert read_export(path)["cq"].tolist() == [20.5, 20.7]


def test_biorad_duplicated_row_is_refused(tmp_path: Path) -> None:
    row = ",A01,SYBR,G,Unkn-01,s,20.5,"
    path = _write(
        tmp_path,
        "run-Quantification-Cq-Results.csv",
        "\n".join([CFX_HEADER.replace(";", ","), row, row]) + "\n",
    )
    assert "A1 G (2×)" in _refused(path)


# --- 4. tidy tables as users write them -----------------------------------------------------


def test_well_numbers_beyond_48_are_placed_on_a_96_well_plate(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "well,sample,target,Cq", "49,S1,G,20.5", "96,S1,M,24.0")
    assert read_export(path)["well"].tolist() == ["E1", "H12"]


def test_analyze_without_wells_flags_the_outlier_by_its_cq(tmp_path: Path) -> None:
    rows = ["sample,target,Cq,group"]
    for sample, group, gapdh, myc in (
        ("S1", "ctl", (20.0, 20.1, 23.5), (25.0, 25.1, 25.2)),
        ("S2", "trt", (20.0, 20.1, 20.2), (24.0, 24.1, 24.2)),
    ):
        rows += [f"{sample},GAPDH,{c},{group}" for c in gapdh]
        rows += [f"{sample},MYC,{c},{group}" for c in myc]  # fmt: skip
    path = _tidy(tmp_path, *rows)
    out = tmp_path / "out"
    args = ["analyze", str(path), "-r", "GAPDH", "--control", "group=ctl", "-o", str(out)]
    result = runner.invoke(app, [*args, "--no-figures", "-q"])
    assert result.exit_code == 0, result.output
    qc = pd.read_csv(out / "qc.csv")
    assert qc["message"].tolist() == [
        "GAPDH in S1: technical replicates span 3.50 cycles (> 0.5); the replicate at Cq 23.50 "
        "excluded"
    ]
    fold = pd.read_csv(out / "fold_changes.csv")
    # ΔCq ctl = 25.1 − 20.05, trt = 24.1 − 20.1: fold change 2^(5.05 − 4.0)
    assert fold[["contrast", "target"]].values.tolist() == [["group=trt vs control", "MYC"]]
    assert fold["fold_change"].iloc[0] == pytest.approx(2**1.05, rel=0, abs=1e-9)


def test_forced_tidy_on_an_instrument_export_says_what_was_expected(tmp_path: Path) -> None:
    path = _write(tmp_path, "cp.txt", ROCHE_HEAD + "True\t255\tA1\ts\t14.98\t\t0\t\n")
    message = _refused(path, "--format", "tidy")
    assert message.startswith(f"error: {path} row 1: the first row has no sample or target or")
    assert "expected a tidy header with 'sample', 'target' and a Cq column" in message


def test_forced_tidy_on_an_rdml_zip_says_what_was_expected(tmp_path: Path) -> None:
    path = _rdml(tmp_path, '<data><tar id="G"/><cq>20</cq></data>')
    assert _refused(path, "--format", "tidy") == (
        f"error: {path}: a zip file that is not a workbook; expected delimited text or a "
        "workbook table. Run 'qpcr formats' to see which reader fits the file, or drop --format"
    )


def test_forced_well_table_format_on_a_tidy_file(tmp_path: Path) -> None:
    path = _tidy(tmp_path, "sample,target,Cq", "S1,G,20.5")
    message = _refused(path, "--format", "thermo_wellresult")
    assert message.startswith(f"error: {path} line 1: the first line starts sample, target, cq")


# --- decimal-comma variants of the real text exports -----------------------------------------

_NUMBER = re.compile(r"^[+-]?\d[\d,]*\.\d+(?:[eE][+-]?\d+)?$")
_SWAP = str.maketrans(",.", ".,")


def _localise(cell: str) -> str:
    """``1,234.5`` → ``1.234,5`` as Excel writes it with a German or French locale."""
    return cell.translate(_SWAP) if _NUMBER.match(cell.strip()) else cell


def _comma_variant(original: Path, folder: Path) -> Path:
    """The export re-written with decimal commas; ``,``-separated files become ``;``."""
    from qpcr.io._tabular import decode_bytes, sniff_delimiter

    text = decode_bytes(original.read_bytes())[0]
    delimiter = sniff_delimiter(text.split("\n")[:50])
    if delimiter == ",":
        rows = csv.reader(io.StringIO(text))
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        for row in rows:
            writer.writerow([_localise(c) for c in row])
        new = out.getvalue()
    else:
        new = "\n".join(delimiter.join(_localise(c) for c in line.split(delimiter))
                        for line in text.split("\n"))  # fmt: skip
    path = folder / original.name
    path.write_text(new, encoding="utf-8")
    return path


def _text_exports() -> list[Path]:
    folders = ("abi-design-analysis", "abi-quantstudio-classic", "biorad-cfx", "qiagen-rotorgene",
               "roche-lightcycler")  # fmt: skip
    found = [
        p for f in folders for p in sorted((SHARED / "exports" / f).glob("*"))
        if p.suffix.lower() in (".csv", ".txt")
    ]  # fmt: skip
    readable = []
    for path in found:
        try:
            read_run(path)
        except InputError:  # run information, raw curves: no Cq values in the original either
            continue
        readable.append(path)
    return readable


@pytest.mark.skipif(not (SHARED / "exports").is_dir(), reason="../shared/exports is absent")
def test_decimal_comma_variants_of_real_exports_read_the_same_cq(tmp_path: Path) -> None:
    exports = _text_exports()
    assert len(exports) >= 10
    for original in exports:
        folder = tmp_path / original.parent.name
        folder.mkdir(exist_ok=True)
        variant = _comma_variant(original, folder)
        assert variant.read_text("utf-8") != original.read_text("utf-8", errors="replace")
        expected = read_run(original).wells
        try:
            got = read_run(variant).wells
        except InputError as exc:  # refused only as ambiguous, naming the decimal parameter
            refusal = str(exc)
            assert "decimal=" in refusal, f"{original.name}: {refusal}"
            continue
        assert got["cq_status"].tolist() == expected["cq_status"].tolist(), original.name
        np.testing.assert_allclose(
            got["cq"], expected["cq"], rtol=0, atol=1e-9, err_msg=original.name
        )
