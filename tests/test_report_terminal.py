"""Terminal output that summarises: `qpcr check` over many runs prints one line per run and then
the failing rules (`--verbose`: every rule); qc.csv's descriptive values carry no float
artefacts while the estimates keep full precision."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from qpcr.cli import app
from qpcr.config import load_config
from qpcr.pipeline import analyze
from qpcr.report import write_report

ROOT = Path(__file__).parents[1]
REFPLATE = ROOT / "examples" / "reference_plate"
GOOD = sorted((REFPLATE / "runs").glob("*.csv"))
BAD = sorted((REFPLATE / "bad").glob("*.csv"))
HYPOXIA = ROOT / "examples" / "hypoxia_tocilizumab"


def test_check_over_many_runs_prints_a_line_per_run() -> None:
    runs = [*GOOD[:5], *BAD]
    args = ["check", *map(str, runs), "--spec", str(REFPLATE / "spec.toml")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3, result.output
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == len(runs)  # one row per run
    shifted = next(line for line in rows if "refplate_myc_shifted" in line)
    assert [c.strip() for c in shifted.strip("│").split("│")] == [
        "refplate_myc_shifted", "fail", "3", "0", "16", "0"]  # fmt: skip
    fails = [line for line in lines if line.startswith("fail ")]
    assert len(fails) == 4  # 3 rules on the shifted run, 1 on the contaminated NTC
    assert lines[-1] == "FAIL (4 fail, 0 warn, 129 pass, 0 skip)"
    assert len(lines) < 30
    verbose = CliRunner().invoke(app, [*args, "--verbose"])
    status = re.compile(r"│ (pass|fail|warn|skip) +│$")
    rule_rows = [line for line in verbose.stdout.splitlines() if status.search(line)]
    assert len(rule_rows) == 19 * len(runs)  # every rule of every run
    assert verbose.stdout.splitlines()[-1] == lines[-1]


def test_qc_values_without_float_artefacts(tmp_path: Path) -> None:
    results = analyze(
        [HYPOXIA / "quantstudio_384_results.txt"],
        layout=HYPOXIA / "quantstudio_384_layout.csv",
        config=load_config(HYPOXIA / "analysis.toml"),
    )
    write_report(results, tmp_path / "out", figures=False, html=False)
    text = (tmp_path / "out" / "qc.csv").read_text(encoding="utf-8")
    spread = results.qc[results.qc["code"] == "replicate_spread"]
    assert len(spread) == 4
    # C11 BMP2 etc.: ranges of Cq read to 3 decimals print with at most 3 decimals.
    for value in spread["observed"]:
        assert f",{round(value, 3)!r}," in text
        assert f",{value!r}," not in text or value == round(value, 3)
    assert "0.517000000000003" not in text
    assert ",0.517," in text
    # Estimates keep full precision.
    fc = pd.read_csv(tmp_path / "out" / "fold_changes.csv")
    assert fc["fold_change"].tolist() == results.fold_changes["fold_change"].tolist()


def test_check_chart_as_a_page(tmp_path: Path) -> None:
    history, page = tmp_path / "history.csv", tmp_path / "chart.html"
    args = ["check", *map(str, GOOD), str(BAD[0]), "--spec", str(REFPLATE / "spec.toml"),
            "--history", str(history), "--chart", str(page), "-q"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3, result.output
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 1  # the control chart, inline
    assert "<img" not in text
    assert "<link" not in text
    assert f"<td>{BAD[0].stem}</td><td>fail</td>" in text  # the run's line
    printed = [line for line in result.stdout.splitlines() if line.startswith("fail ")]
    assert text.count("<li>fail ") == len(printed) >= 3  # the failing rules, as printed
