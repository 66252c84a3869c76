"""``qpcr check`` on the command line: exit codes 0/3/1 and the files it writes."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from qpcr.check import load_spec, read_history
from qpcr.cli import app, main

EXAMPLE = Path(__file__).parents[1] / "examples" / "reference_plate"
GOOD = sorted((EXAMPLE / "runs").glob("*.csv"))
NTC_BAD = EXAMPLE / "bad" / "refplate_ntc_contaminated.csv"
SHIFTED = EXAMPLE / "bad" / "refplate_myc_shifted.csv"
SPEC = EXAMPLE / "spec.toml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_good_run_exits_0_and_writes_reports(runner: CliRunner, tmp_path: Path) -> None:
    out_json, out_xml = tmp_path / "r.json", tmp_path / "r.xml"
    args = ["check", str(GOOD[0]), "--spec", str(SPEC), "--json", str(out_json)]
    result = runner.invoke(app, [*args, "--junit", str(out_xml)])
    assert result.exit_code == 0, result.output
    assert "PASS (0 fail, 0 warn, 19 pass, 0 skip)" in result.stdout
    report = json.loads(out_json.read_text(encoding="utf-8"))
    assert report["verdict"] == "pass"
    assert len(report["results"]) == 19
    suite = ET.parse(out_xml).getroot().find("testsuite")
    assert suite.get("name") == GOOD[0].stem
    assert suite.get("tests") == "19"
    assert suite.get("failures") == "0"


@pytest.mark.parametrize(
    ("export", "rule_ids"),
    [
        (NTC_BAD, ["ntc-clean"]),
        (SHIFTED, ["cq-MYC-REF_A", "dcq-MYC-GAPDH", "fc-MYC-REF_B"]),
    ],
)
def test_failing_run_exits_3_naming_rules(
    runner: CliRunner, tmp_path: Path, export: Path, rule_ids: list[str]
) -> None:
    out_xml = tmp_path / "r.xml"
    result = runner.invoke(
        app, ["check", str(export), "--spec", str(SPEC), "--junit", str(out_xml)]
    )
    assert result.exit_code == 3, result.output
    failures = [
        case.get("name").split(" ")[0]
        for case in ET.parse(out_xml).getroot().iter("testcase")
        if case.find("failure") is not None
    ]
    assert failures == rule_ids
    for rule_id in rule_ids:
        assert f"fail {rule_id} (" in result.stdout


def test_malformed_spec_exits_1_with_line(runner: CliRunner, tmp_path: Path) -> None:
    text = SPEC.read_text(encoding="utf-8").replace(
        'target = "MYC"\nsample', "target = MYC\nsample"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    line = text.splitlines().index("target = MYC") + 1
    result = runner.invoke(app, ["check", str(GOOD[0]), "--spec", str(bad)])
    assert result.exit_code == 1
    assert f"bad.toml line {line}, column 10: not valid TOML" in " ".join(result.stderr.split())


def test_unknown_rule_key_exits_1_with_suggestion(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.read_text(encoding="utf-8").replace("min_percent", "min_percnt"), "utf-8")
    result = runner.invoke(app, ["check", str(GOOD[0]), "--spec", str(bad)])
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "rule 'efficiency': unknown key 'min_percnt'" in message
    assert "Did you mean 'min_percent'?" in message


def test_folder_of_exports_with_history_and_chart(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    shutil.copytree(EXAMPLE / "runs", folder)
    (folder / "notes.txt").write_text("not an export\n", encoding="utf-8")
    history, chart = tmp_path / "history.csv", tmp_path / "chart.png"
    args = ["check", str(folder), "--spec", str(SPEC), "--history", str(history)]
    result = runner.invoke(app, [*args, "--chart", str(chart), "--quiet"])
    assert result.exit_code == 0, result.output
    table = read_history(history)
    assert list(table["run"].unique()) == [p.stem for p in GOOD]
    assert chart.read_bytes().startswith(b"\x89PNG")
    # 26 runs x 19 rule rows pass; 11 watched series (6 mean Cq, 2 ΔCq, 3 efficiencies) x 5
    # Westgard rules are skipped for the 20 baseline runs and pass for the 6 later ones
    assert "PASS (0 fail, 0 warn, 824 pass, 1100 skip)" in result.stdout
    args[1] = str(folder / GOOD[-1].name)
    again = runner.invoke(app, [*args, "--quiet"])
    assert again.exit_code == 0
    assert len(read_history(history)) == len(table)  # the same runs are not appended twice


def test_init_spec_writes_a_spec_that_the_runs_pass(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "new.toml"
    args = ["check", *map(str, GOOD[:3]), "--init-spec", str(out), "--reference", "GAPDH"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    spec = load_spec(out)
    assert {"cq-MYC-REF_A", "dcq-MYC-GAPDH-REF_A", "ntc-clean", "efficiency"} <= {
        r.id for r in spec.rules
    }
    checked = runner.invoke(app, ["check", *map(str, GOOD[:3]), "--spec", str(out), "-q"])
    assert checked.exit_code == 0, checked.output
    assert runner.invoke(app, args).exit_code == 1  # never overwrites a spec


def test_init_spec_takes_the_single_copy_cq_from_config_and_options(
    runner: CliRunner, tmp_path: Path
) -> None:
    from qpcr.check import init_spec
    from qpcr.config import AnalysisConfig
    from qpcr.io import read_run

    settings = tmp_path / "qpcr.toml"
    settings.write_text('reference_genes = ["GAPDH"]\n[assay_single_copy_cq]\nMYC = 27\n')
    out = tmp_path / "new.toml"
    args = ["check", *map(str, GOOD[:3]), "--init-spec", str(out), "-c", str(settings)]
    result = runner.invoke(app, [*args, "--pipetting-sd", "0.1"])
    assert result.exit_code == 0, result.output
    config = AnalysisConfig(reference_genes=("GAPDH",), assay_single_copy_cq={"MYC": 27.0},
                            pipetting_sd=0.1)  # fmt: skip
    runs = [read_run(path).wells for path in GOOD[:3]]
    text = out.read_text(encoding="utf-8")
    assert text == init_spec(runs, ["GAPDH"], config=config)
    assert "(single-copy Cq 27 cycles, measured;\n# pipetting SD 0.1)" in text
    assert "dcq-MYC-GAPDH-REF_A" in text  # the reference genes of the settings file
    again = tmp_path / "again.toml"
    option = ["--init-spec", str(again), "-r", "GAPDH", "--assay-single-copy-cq", "MYC=27"]
    result = runner.invoke(app, ["check", *map(str, GOOD[:3]), *option, "--pipetting-sd", "0.1"])
    assert result.exit_code == 0, result.output
    assert again.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "Invalid value for --spec: give either --spec or --init-spec"),
     (["--spec", str(SPEC), "--init-spec", "new.toml"], "give either --spec or --init-spec"),
     (["--spec", str(SPEC), "--chart", "c.png"], "Invalid value for --chart: needs --history"),
     (["--spec", str(SPEC), "--assay-single-copy-cq", "MYC=26", "--pipetting-sd", "0.1"],
      "Invalid value for --assay-single-copy-cq, --pipetting-sd: only with --init-spec"),
     (["--spec", str(SPEC), "-r", "GAPDH"], "Invalid value for --reference-genes: only with "
      "--init-spec"),
     (["--init-spec", "new.toml", "--layout", str(SPEC)],
      "Invalid value for --layout: only with --spec"),
     (["--init-spec", "new.toml", "--json", "r.json", "--junit", "r.xml"],
      "Invalid value for --json, --junit: only with --spec (--init-spec checks no run)")],
)  # fmt: skip
def test_usage_errors_exit_1_through_main(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A usage error is a user mistake: exit code 1 from the console script, as the README
    promises (click alone would exit with 2)."""
    with pytest.raises(SystemExit) as exited:
        main(["check", str(GOOD[0]), *args])
    assert exited.value.code == 1
    stderr = capsys.readouterr().err
    assert "Usage: " in stderr
    assert message in stderr


def test_init_spec_refuses_a_single_copy_cq_of_no_target(runner: CliRunner, tmp_path: Path) -> None:
    args = ["check", str(GOOD[0]), "--init-spec", str(tmp_path / "new.toml")]
    result = runner.invoke(app, [*args, "--assay-single-copy-cq", "MCY=27"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: --assay-single-copy-cq: single-copy Cq of 'MCY' is not on the plate; "
        "expected one of ACTB, GAPDH, MYC. Did you mean 'MYC'?"
    )
    assert not (tmp_path / "new.toml").exists()


def test_init_spec_names_the_settings_file_of_a_reference_gene_of_no_target(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A reference gene given in a settings file is refused at that file's key, not at the
    command-line option the user did not give."""
    settings = tmp_path / "ref.toml"
    settings.write_text('reference_genes = ["GAPHD"]\n', encoding="utf-8")
    args = ["check", str(GOOD[0]), "--init-spec", str(tmp_path / "new.toml"), "-c", str(settings)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == (
        f"error: {settings} reference_genes: reference gene 'GAPHD' is not on the plate; "
        "expected one of ACTB, GAPDH, MYC. Did you mean 'GAPDH'?"
    )
    assert not (tmp_path / "new.toml").exists()
