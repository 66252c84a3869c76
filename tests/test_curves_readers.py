"""`qpcr.read_curves` on the raw-curve exports that hold no Cq: the LightCycler 480 raw-data
text export, the MxPro raw-fluorescence export, the Rotor-Gene run file and plain curve tables.
Each golden test compares every reading with an independent parse (the csv module, gzip,
ElementTree); the melt tests compare Tm with the top of a plain np.gradient derivative."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from _vendor_io import EXPORTS, SHARED
from mutations import corpus
from test_curves_read import mutated_curves

import qpcr
from qpcr.errors import InputError
from qpcr.melt import melt_peaks
from qpcr.schema.curves import CURVES
from qpcr.schema.melt import MELT

KEYS = ["plate", "well", "target", "reporter"]

LC480 = EXPORTS / "roche" / "roche_lc480_raw_fluorescence_465-510.txt"
LC480_GZ = EXPORTS / "roche" / "roche_lc480_384_nrd1_raw_fluorescence.txt.gz"
MXPRO = EXPORTS / "agilent" / "agilent_mxpro_raw_fluorescence.txt"
REX = EXPORTS / "runfiles" / "runfile_rotorgene_rex_ptgdr.rex"
WIDE = EXPORTS / "curve_table" / "curve_table_qpcr_batsch1_wide.csv"


def _tsv(text: str) -> list[list[str]]:
    """Rows below the two header lines of a TAB-separated export."""
    return [r for r in csv.reader(io.StringIO(text), delimiter="\t") if r][2:]


def _sorted(curves: pd.DataFrame, x: str) -> pd.DataFrame:
    return curves.sort_values(["well", "reporter", x], kind="stable").reset_index(drop=True)


def _peak_of_gradient(curves: pd.DataFrame, well: str) -> float:
    """Temperature of the largest −dF/dT of a well by np.gradient, 3-point moving average."""
    curve = curves[(curves["kind"] == "melt") & (curves["well"] == well)]
    curve = curve.sort_values("temperature")
    t, f = curve["temperature"].to_numpy(), curve["fluorescence"].to_numpy()
    d = np.convolve(-np.gradient(f, t), np.ones(3) / 3, mode="same")
    return float(t[1:-1][np.argmax(d[1:-1])])


def test_lc480_raw_export_matches_an_independent_parse() -> None:
    rows = _tsv(LC480.read_text(encoding="utf-8"))
    curves = qpcr.read_curves(LC480)
    assert list(curves.columns) == CURVES.names()
    assert set(curves["kind"]) == {"amplification"}
    assert curves["well"].nunique() == 96
    assert (curves["cycle"].min(), curves["cycle"].max()) == (1, 45)
    assert set(curves["reporter"]) == {"465-510"}
    assert set(curves["plate"]) == {LC480.stem}
    expected = sorted((r[0], float(r[4]), float(r[7])) for r in rows)
    got = _sorted(curves, "cycle")
    assert len(got) == len(rows) == 4320
    by_well = sorted(zip(got["well"], got["cycle"], got["fluorescence"], strict=True))
    assert by_well == expected
    assert got.loc[got["well"] == "A1", "sample"].unique().tolist() == ["Sample_1"]


def test_lc480_gzip_export_holds_amplification_and_melt() -> None:
    """The 384-well Nrd1 run: program 2 acquires per cycle (40), program 3 is a melt (176
    readings per well, 59.6-94.7 °C)."""
    rows = _tsv(gzip.decompress(LC480_GZ.read_bytes()).decode("ascii"))
    curves = qpcr.read_curves(LC480_GZ)
    counts = curves["kind"].value_counts().to_dict()
    assert counts == {"melt": 384 * 176, "amplification": 384 * 40}
    amp = [(r[0], float(r[4]), float(r[7])) for r in rows if r[2] == "2"]
    melt = [(r[0], float(r[6]), float(r[7])) for r in rows if r[2] == "3"]
    got = curves[curves["kind"] == "amplification"]
    assert sorted(zip(got["well"], got["cycle"], got["fluorescence"], strict=True)) == sorted(amp)
    got = curves[curves["kind"] == "melt"]
    assert sorted(zip(got["well"], got["temperature"], got["fluorescence"], strict=True)) == sorted(
        melt
    )
    assert curves.loc[curves["kind"] == "melt", "cycle"].isna().all()
    assert curves.loc[curves["kind"] == "amplification", "temperature"].isna().all()
    # the melt peaks: each called Tm lies within 0.5 °C of the plain derivative's top
    table = melt_peaks(curves)
    assert len(table) == 384
    called = table[table["n_peaks"] > 0]
    assert len(called) > 200
    for well, tm in zip(called["well"][:40], called["tm"][:40], strict=True):
        assert abs(tm - _peak_of_gradient(curves, well)) <= 0.5, well


def test_mxpro_raw_export_matches_an_independent_parse() -> None:
    """MxPro wells are numbers 1-96, row by row: 14 is B2."""
    rows = _tsv(MXPRO.read_text(encoding="utf-8"))
    curves = qpcr.read_curves(MXPRO)
    assert set(curves["kind"]) == {"amplification"}
    assert sorted(set(curves["target"])) == ["Campy", "ICD", "Salmo", "Yersi"]
    assert (curves["target"] == curves["reporter"]).all()
    assert curves["well"].nunique() == 34
    to_well = {n: f"{'ABCDEFGH'[(n - 1) // 12]}{(n - 1) % 12 + 1}" for n in range(1, 97)}
    assert to_well[14] == "B2"
    expected = sorted((to_well[int(r[3])], r[4], float(r[5]), float(r[6])) for r in rows)
    got = zip(
        curves["well"], curves["target"], curves["cycle"], curves["fluorescence"], strict=True
    )
    assert sorted(got) == expected


def test_rotorgene_run_file_raw_channels_and_methylation_melt() -> None:
    """The PTGDR methylation run: 72 rotor positions, 55 cycles (Cycling A.Green) and an HRM
    melt 65-90 °C. Fully methylated standards melt higher (~84.8 °C) than unmethylated ones
    (~82.2 °C); the 50 % standards show both products."""
    root = ET.parse(REX).getroot()
    channels = {c.findtext("Name"): c for c in root.iter("RawChannel")}
    curves = qpcr.read_curves(REX)
    for name, kind, x in (("Cycling A.Green", "amplification", "cycle"),
                          ("HRM A.HRM", "melt", "temperature")):  # fmt: skip
        channel = channels[name]
        start, step = float(channel.findtext("StartX")), float(channel.findtext("StepX"))
        expected = [
            (str(i + 1), start + step * k, float(v))
            for i, reading in enumerate(channel.iterfind("Reading"))
            for k, v in enumerate(reading.text.split())
        ]
        got = curves[curves["reporter"] == name]
        assert set(got["kind"]) == {kind}
        assert got["well"].tolist() == [w for w, _, _ in expected]
        assert np.allclose(got[x], [a for _, a, _ in expected])
        assert got["fluorescence"].tolist() == [v for _, _, v in expected]
    names = {s.findtext("TubePosition"): s.findtext("Name") for s in root.iter("Sample")}
    assert curves.groupby("well")["sample"].first().to_dict() == names
    melt = melt_peaks(curves).set_index("well")
    assert melt.loc[["13", "14"], "tm"].tolist() == pytest.approx([84.8, 84.8], abs=0.2)
    assert melt.loc[["3", "4"], "tm"].tolist() == pytest.approx([82.2, 82.2], abs=0.2)
    assert melt.loc[["3", "4", "13", "14"], "n_peaks"].tolist() == [1, 1, 1, 1]
    assert (melt.loc[["11", "12"], "n_peaks"] >= 2).all()


def test_qpcr_wide_table_reads_run_names_as_reactions() -> None:
    with WIDE.open(newline="") as handle:
        rows = list(csv.reader(handle))
    names = rows[0][1:]
    curves = qpcr.read_curves(WIDE)
    assert len(curves) == len(names) * (len(rows) - 1) == 15 * 45
    assert curves["well"].unique().tolist() == names
    assert (curves["sample"] == curves["well"]).all()
    expected = [(n, float(r[0]), float(r[j + 1])) for j, n in enumerate(names) for r in rows[1:]]
    assert list(zip(curves["well"], curves["cycle"], curves["fluorescence"], strict=True)) == (
        expected
    )


@pytest.mark.parametrize("name", ["guescini1", "dil4reps94"])
def test_qpcr_reference_tables_from_the_shared_folder(name: str) -> None:
    path = SHARED / "reference" / "qpcR_raw_curves" / f"{name}.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    header = path.read_text(encoding="utf-8").split("\n", 1)[0].replace('"', "").split(",")
    curves = qpcr.read_curves(path)
    assert curves["well"].unique().tolist() == header[1:]
    assert curves.groupby("well").size().nunique() == 1
    assert set(curves["kind"]) == {"amplification"}


def test_long_tables_of_amplification_and_melt(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("well;target;sample;cycle;fluorescence\nA01;MYC;s1;1;0,5\nA01;MYC;s1;2;0,75\n"
                    "B2;MYC;s2;1;0,25\n")  # fmt: skip
    curves = qpcr.read_curves(path)
    assert curves[
        ["well", "target", "sample", "cycle", "fluorescence", "kind"]
    ].values.tolist() == [
        ["A1", "MYC", "s1", 1.0, 0.5, "amplification"],
        ["A1", "MYC", "s1", 2.0, 0.75, "amplification"],
        ["B2", "MYC", "s2", 1.0, 0.25, "amplification"],
    ]
    assert set(curves["plate"]) == {"long"}
    path.write_text("plate,well,cycle,fluorescence\nrun1,A1,1,0.5\n,A1,1,0.6\n")
    assert qpcr.read_curves(path)["plate"].tolist() == ["run1", "long"]
    path.write_text("well\ttemperature\tfluorescence\nA1\t80.5\t10\nA1\t81.0\t8\n")
    curves = qpcr.read_curves(path)
    assert curves[["temperature", "fluorescence", "kind"]].values.tolist() == [
        [80.5, 10.0, "melt"], [81.0, 8.0, "melt"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Cycle,B1,s1\n1,0.5,0.6\n", r"could name wells or samples \('B1'\)"),
        ("Cycles,1,2\n1,0.5,0.6\n", r"could name wells or samples \('1'\)"),
        ("Cycles,F1,F1\n1,0.5,0.6\n", r"column 'F1' appears twice"),
        ("Cycles,s1,s2\n1,0,5,0,6\n", r"row 2: the row has 5 cells but the header 3"),
        (
            "Cycles;s1;s2\n1;0,5;0.6\n",
            r"column 's1' \(no\. 2, letter B\) has '0,5' \(decimal comma\) and column 's2' "
            r"\(no\. 3, letter C\) has '0\.6' \(decimal point\)",
        ),
        ("well,cycle,fluorescence\nX99,1,0.5\n", r"'X99' in column 'well' is not a well name"),
        ("well,cycle,fluorescence\nA1,1,lots\n", r"row 2 column 3: 'lots' is not a number"),
        # blank rows are left out but counted: a message names the row in the file
        ("\nCycles;s1\n\n1;0,5\n2;x\n", r"row 5 column 2: 'x' is not a number"),
        ("Cycles,s1\n\n1,0,5\n", r"row 3: the row has 3 cells but the header 2"),
        ("well,cycle,fluorescence\nA1,1,0.5\nA1,1,0.6\n", r"well A1 has two readings at cycle 1"),
        ("Cycles,s1\n1,0.5\n1,0.6\n", r"well s1 has two readings at cycle 1;"),
        # fluorescence may carry thousands separators: 1,234 alone is 1234 or 1.234
        (
            'well,cycle,fluorescence\nA1,1,"1,234"\nA1,2,"1,500"\n',
            r"column 'fluorescence' \(no\. 3, letter C\) has '1,234', which is 1234 with a "
            r"decimal point or 1\.234 with a decimal comma",
        ),
        # the raw-curve readers and Bio-Rad's curve files name their columns the same way
        (
            "Raw Data \t\tExperiment - x (Run on LCS480 1.5.0.39)\nSamplePos\tSampleName\t"
            "Prog#\tSeg#\tCycle#\tTime\tTemp\t465-510\nA1\tS\t2\t3\t1\t691600\t71,79\t15.58\n",
            r"column 'Temp' \(no\. 7, letter G\) has '71,79' \(decimal comma\) and column "
            r"'465-510' \(no\. 8, letter H\)",
        ),
        (
            "C:\\runs\\run.mxp\nSegment\tRamp/Plateau\tRamp/Plateau #\tWell\tDye\tCycle #\t"
            "Fluorescence\tTemperature\n 2\tP\t 2\t14\tCampy\t  1\t  4827.5\t59,6\n",
            r"column 'Temperature' \(no\. 8, letter H\) has '59,6' \(decimal comma\) and column "
            r"'Fluorescence' \(no\. 7, letter G\)",
        ),
        (
            ',Cycle,A1,A2\n,1,"1,234","2,345"\n',
            r"column 'A1' \(no\. 3, letter C\) has '1,234', which is 1234",
        ),
    ],
)
def test_ambiguous_or_broken_curve_tables_are_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "curves.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        qpcr.read_curves(path)


def test_an_analysis_of_a_curve_table_is_refused_with_a_pointer() -> None:
    with pytest.raises(InputError, match=r"table of raw curves.*qpcr\.read_curves reads"):
        qpcr.io.read_run(WIDE)


#: The new readers' fixtures: LC480 raw text, MxPro raw, a Rotor-Gene run file, a wide table.
NEW = {
    name: data
    for name, data in corpus().items()
    if name.endswith(("465-510.txt", "mxpro_raw_fluorescence.txt", "ptgdr.rex", "wide.csv"))
}


def test_mutated_raw_curve_exports_end_in_curves_or_an_input_error(tmp_path: Path) -> None:
    """120 mutations (``tests/mutations.py``) of the new readers' fixtures: read_curves
    returns the declared table or raises InputError, nothing else, and melt_peaks takes
    whatever it returns."""
    assert len(NEW) == 4
    outcomes = []
    for label, curves in mutated_curves(NEW, 20261206, 120, tmp_path):
        if curves is None:
            outcomes.append("input-error")
            continue
        assert list(curves.columns) == CURVES.names(), label
        assert set(curves["kind"]) <= {"amplification", "melt"}, label
        melt = melt_peaks(curves)  # whatever the reader let through, the peaks are called
        assert list(melt.columns) == MELT.names(), label
        assert len(melt) == len(curves[curves["kind"] == "melt"].groupby(KEYS)), label
        outcomes.append("ok")
    assert 0 < outcomes.count("ok") < len(outcomes)
