"""RDML writer: the files validate against the RDML 1.3 schema, read back to the same analysis,
carry the curves, and refuse what RDML cannot say."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import qpcr
from qpcr.cli import app
from qpcr.errors import InputError
from qpcr.io import read_run
from qpcr.io.rdml_write import rdml_document, write_rdml

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "hypoxia_tocilizumab"
TWO = ROOT / "examples" / "two_plates"
XSD = Path(__file__).parent / "data" / "schema" / "RDML_v1_3_REC.xsd"
STEPONE = Path(__file__).parent / "data" / "exports" / "rdml" / "rdml_v1_0_stepone_std.rdml"
NS = {"r": "http://www.rdml.org"}
COMPARED = ["contrast", "target", "log2_fold_change", "fold_change", "ci_low", "ci_high",
            "p_value", "p_adj"]  # fmt: skip
runner = CliRunner()


def _xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["rdml_data.xml"]
        return archive.read("rdml_data.xml")


def _validate(path: Path) -> None:
    etree = pytest.importorskip("lxml.etree", reason="lxml (test extra) validates against the XSD")
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(_xml(path))
    assert schema.validate(document), str(schema.error_log)


def _analyse_example() -> qpcr.Results:
    return qpcr.analyze([EXAMPLE / "quantstudio_384_results.txt"],
                        layout=EXAMPLE / "quantstudio_384_layout.csv",
                        config=qpcr.load_config(EXAMPLE / "analysis.toml"))  # fmt: skip


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> qpcr.Results:
    """Six samples in two oxygen groups, MYC normalised to GAPDH (a tidy table)."""
    rows = ["well,sample,target,cq,oxygen"]
    for row, (sample, oxygen, myc) in enumerate(
        [
            ("n1", "normoxia", 24.0),
            ("n2", "normoxia", 24.2),
            ("h1", "hypoxia", 22.1),
            ("h2", "hypoxia", 22.3),
        ]
    ):
        rows += [f"{'ABCD'[row]}1,{sample},GAPDH,18.0,{oxygen}",
                 f"{'ABCD'[row]}2,{sample},MYC,{myc},{oxygen}"]  # fmt: skip
    path = tmp_path_factory.mktemp("small") / "run.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = qpcr.AnalysisConfig(reference_genes=("GAPDH",), control={"oxygen": "normoxia"})
    return qpcr.analyze([path], config=config)


@pytest.fixture(scope="module")
def example_rdml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rdml") / "hypoxia.rdml"
    args = [str(EXAMPLE / "quantstudio_384_results.txt"), "--layout",
            str(EXAMPLE / "quantstudio_384_layout.csv"), "--config",
            str(EXAMPLE / "analysis.toml"), "--out", str(path)]  # fmt: skip
    result = runner.invoke(app, ["export-rdml", *args])
    assert result.exit_code == 0, result.output
    return path


def test_example_validates_against_the_rdml_1_3_schema(example_rdml: Path) -> None:
    _validate(example_rdml)


def test_example_analysed_again_gives_identical_results(example_rdml: Path) -> None:
    original = _analyse_example()
    again = qpcr.analyze([example_rdml], config=qpcr.load_config(EXAMPLE / "analysis.toml"))
    assert len(original.fold_changes) == 20
    pd.testing.assert_frame_equal(again.fold_changes[COMPARED], original.fold_changes[COMPARED])
    pd.testing.assert_frame_equal(again.ratios, original.ratios)
    assert again.efficiency == original.efficiency  # the standards came along with quantities
    assert again.factors == ("oxygen", "treatment")


def test_document_holds_samples_targets_and_reactions(example_rdml: Path) -> None:
    from xml.etree import ElementTree as ET

    root = ET.fromstring(_xml(example_rdml))
    samples = {s.get("id"): s for s in root.findall("r:sample", NS)}
    # 12 samples (3 donors x 4 groups), the NTC and 5 standards
    assert len(samples) == 18
    notes = {a.findtext("r:property", namespaces=NS): a.findtext("r:value", namespaces=NS)
             for a in samples["D2 HT"].findall("r:annotation", NS)}  # fmt: skip
    assert notes == {"oxygen": "hypoxia", "treatment": "tocilizumab", "donor": "D2"}
    assert samples["NTC"].findtext("r:type", namespaces=NS) == "ntc"
    assert samples["STD 100"].findtext("r:quantity/r:value", namespaces=NS) == "100.0"
    targets = {t.get("id"): t for t in root.findall("r:target", NS)}
    assert [t for t, e in targets.items() if e.findtext("r:type", namespaces=NS) == "ref"] == [
        "TBP", "RPL13A"]  # fmt: skip
    bmp2 = targets["BMP2"]
    assert float(bmp2.findtext("r:amplificationEfficiency", namespaces=NS)) == pytest.approx(
        1.948026, abs=1e-6)  # fmt: skip
    assert bmp2.findtext("r:amplificationEfficiencyMethod", namespaces=NS).startswith(
        "standard curve: slope -3.4531, R² 0.9991")  # fmt: skip
    assert bmp2.find("r:dyeId", NS).get("id") == "FAM"
    run = root.find("r:experiment/r:run", NS)
    assert run.findtext("r:instrument", namespaces=NS) == "QuantStudio(TM) 7 Flex System"
    assert run.findtext("r:pcrFormat/r:rows", namespaces=NS) == "16"
    reacts = {int(r.get("id")): r for r in run.findall("r:react", NS)}
    assert len(reacts) == 378
    # C11 = row 3, column 11 of 24: the VEGFA outlier, excluded with its reason
    c11 = reacts[2 * 24 + 11].find("r:data", NS)
    assert c11.findtext("r:cq", namespaces=NS) == "25.212"
    assert c11.findtext("r:excl", namespaces=NS).startswith("replicate outlier")
    # E6: the isolated non-detect (-1 = no Cq), excluded as a failed reaction
    e6 = reacts[4 * 24 + 6].find("r:data", NS)
    assert (e6.findtext("r:cq", namespaces=NS), e6.find("r:excl", NS) is not None) == ("-1", True)
    # the NTC hit B13 and the standards are used by design: no exclusion
    assert reacts[24 + 13].find("r:data/r:excl", NS) is None
    assert len(run.findall("r:react/r:data/r:excl", NS)) == 2


def test_two_plates_with_inter_run_calibrators_round_trip(tmp_path: Path) -> None:
    rdml = tmp_path / "two.rdml"
    args = [str(TWO / "plate1.txt"), str(TWO / "plate2.txt"),
            "--layout", str(TWO / "plate1_layout.csv"), "--layout", str(TWO / "plate2_layout.csv"),
            "--config", str(TWO / "analysis.toml"), "--out", str(tmp_path / "results"),
            "--no-figures", "--quiet", "--rdml", str(rdml)]  # fmt: skip
    result = runner.invoke(app, ["analyze", *args])
    assert result.exit_code == 0, result.output
    _validate(rdml)
    config = qpcr.load_config(TWO / "analysis.toml")
    original = qpcr.analyze([TWO / "plate1.txt", TWO / "plate2.txt"],
                            layout=[TWO / "plate1_layout.csv", TWO / "plate2_layout.csv"],
                            config=config)  # fmt: skip
    again = qpcr.analyze([rdml], config=config)
    assert sorted(again.wells["plate"].unique()) == ["plate1", "plate2"]
    assert set(again.wells.loc[again.wells["irc"].eq("yes"), "sample"]) == {"IRC1", "IRC2"}
    pd.testing.assert_frame_equal(again.fold_changes[COMPARED], original.fold_changes[COMPARED])
    pd.testing.assert_frame_equal(again.tables["plate_calibration"],
                                  original.tables["plate_calibration"])  # fmt: skip


def test_amplification_curves_are_written_and_read_back(tmp_path: Path) -> None:
    rdml = tmp_path / "stepone.rdml"
    result = runner.invoke(app, ["export-rdml", str(STEPONE), "--out", str(rdml), "--quiet"])
    assert result.exit_code == 0, result.output
    _validate(rdml)
    before, after = read_run(STEPONE), read_run(rdml)
    curve = ["well", "target", "cycle", "fluorescence"]
    assert len(before.tables["amplification"]) == 960
    pd.testing.assert_frame_equal(after.tables["amplification"][curve],
                                  before.tables["amplification"][curve])  # fmt: skip
    keys = ["well", "target", "cq", "cq_status", "sample_type", "quantity"]
    pd.testing.assert_frame_equal(after.wells[keys], before.wells[keys])


def test_melt_points_are_written(tmp_path: Path, small: qpcr.Results) -> None:
    melt = pd.DataFrame(
        {
            "well": ["A2"] * 3,
            "target": ["MYC"] * 3,
            "temperature": [71.0, 70.0, 70.5],
            "fluorescence": [1.0, 3.0, 2.5],
        }
    )
    path = write_rdml(small, tmp_path / "melt.rdml", {"melt": melt})
    _validate(path)
    read = read_run(path)
    assert read.tables["melt"]["temperature"].tolist() == [70.0, 70.5, 71.0]
    assert read.tables["melt"]["fluorescence"].tolist() == [3.0, 2.5, 1.0]


def test_a_sample_with_two_levels_is_refused(small: qpcr.Results) -> None:
    results = small
    wells = results.wells.copy()
    wells.loc[wells.index[0], "oxygen"] = "hypoxia"  # n1 now in two groups
    from dataclasses import replace

    with pytest.raises(InputError, match="sample 'n1' has several levels of 'oxygen'"):
        rdml_document(replace(results, wells=wells))


def test_existing_file_and_wrong_suffix_are_refused(tmp_path: Path, small: qpcr.Results) -> None:
    path = write_rdml(small, tmp_path / "run.rdml")
    with pytest.raises(InputError, match="the file exists"):
        write_rdml(small, path)
    write_rdml(small, path, force=True)
    result = runner.invoke(app, ["export-rdml", str(STEPONE), "--out", str(tmp_path / "x.xml")])
    assert result.exit_code == 1
    assert "must end in .rdml" in result.output


def test_rdmlpython_reads_the_file(example_rdml: Path) -> None:
    rdml = pytest.importorskip(
        "rdmlpython", reason="rdmlpython (needs numpy < 2) is not installed; optional test extra"
    )
    document = rdml.Rdml(str(example_rdml))
    assert document.version() == "1.3"
    assert (len(document.samples()), len(document.targets())) == (18, 7)
    assert {"D2 HT", "NTC", "STD 100"} <= {sample["id"] for sample in document.samples()}
