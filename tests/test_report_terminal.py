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


def test_small_p_prints_the_same_in_the_terminal_html_and_workbook(tmp_path: Path) -> None:
    """p below 0.001 reads <0.001 in the terminal tables as in report.html and the workbook's
    number format (it printed 0.00032); larger p with three decimals everywhere."""
    import openpyxl

    from qpcr.config import from_mapping
    from qpcr.report.html import report_html
    from qpcr.report.summary import display_tables

    rows = ["sample,target,cq,group"]
    # ΔCq control 5.0, 5.3, 4.8; drug 1.0, 1.1, 0.9 (STRONG, Welch p 0.00032) and 4.6, 4.4, 4.8
    # (WEAK, p ≈ 0.1)
    cqs = {"c1": (25.0, 25.0), "c2": (25.3, 25.3), "c3": (24.8, 24.8),
           "t1": (21.0, 24.6), "t2": (21.1, 24.4), "t3": (20.9, 24.8)}  # fmt: skip
    for sample, (strong, weak) in cqs.items():
        group = "ctrl" if sample.startswith("c") else "drug"
        rows += [f"{sample},REF,20.0,{group}", f"{sample},STRONG,{strong},{group}",
                 f"{sample},WEAK,{weak},{group}"]  # fmt: skip
    path = tmp_path / "run.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = from_mapping({"reference_genes": ["REF"], "control": {"group": "ctrl"}})
    results = analyze([path], config=config)
    fc = results.fold_changes.set_index("target")
    assert fc.loc["STRONG", "p_value"] < fc.loc["STRONG", "p_adj"] < 0.001
    assert 0.001 < fc.loc["WEAK", "p_value"] < 1
    terminal = next(iter(display_tables(results).values())).set_index("target")
    assert terminal.loc["STRONG", ["p", "p adj"]].tolist() == ["<0.001", "<0.001"]
    weak = f"{fc.loc['WEAK', 'p_value']:.3f}"
    assert terminal.loc["WEAK", "p"] == weak
    html = report_html(results)
    assert f'data-v="{float(fc.loc["STRONG", "p_value"])!r}">&lt;0.001</td>' in html
    assert f'data-v="{float(fc.loc["WEAK", "p_value"])!r}">{weak}</td>' in html
    write_report(results, tmp_path / "out", figures=False, html=False)
    sheet = openpyxl.load_workbook(tmp_path / "out" / "results.xlsx")["fold_changes"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(2, header.index("p_value") + 1)
    assert cell.number_format == '[<0.001]"<0.001";0.000'  # Excel's form of the same rule
