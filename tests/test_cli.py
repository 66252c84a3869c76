"""Command line: exit codes, messages without tracebacks, files written, fast --help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from qpcr.cli import app
from qpcr.report import OUTPUT_FILES

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"
ARGS = [
    str(EXAMPLE / "quantstudio_384_results.txt"),
    "--layout",
    str(EXAMPLE / "quantstudio_384_layout.csv"),
    "--config",
    str(EXAMPLE / "analysis.toml"),
]
runner = CliRunner()


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run") / "results"
    result = runner.invoke(app, ["analyze", *ARGS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.stdout


def test_analyze_writes_every_output(analysed: tuple[Path, str]) -> None:
    out, stdout = analysed
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name
    assert (out / "figures" / "fold_changes.png").is_file()
    assert (out / "figures" / "ratios.png").is_file()
    for text in ("Fold changes", "RANKL/OPG", "tocilizumab under hypoxia"):
        assert text in stdout


def test_output_tables_have_the_promised_columns(analysed: tuple[Path, str]) -> None:
    out, _ = analysed
    fold = pd.read_csv(out / "fold_changes.csv")
    assert {"target", "oxygen", "treatment", "n", "log2_fold_change", "fold_change", "ci_low",
            "ci_high", "p_value", "p_adj", "contrast"} <= set(fold.columns)  # fmt: skip
    ratios = pd.read_csv(out / "ratios.csv")
    assert {"ratio", "oxygen", "treatment", "n", "value", "ci_low", "ci_high", "fold_change",
            "p_value"} <= set(ratios.columns)  # fmt: skip
    wells = pd.read_csv(out / "wells.csv", keep_default_na=False)
    assert len(wells) == 378  # 273 sample and NTC wells + 105 standards
    assert {"excluded", "exclude_reason", "oxygen", "donor"} <= set(wells.columns)
    samples = pd.read_csv(out / "samples.csv")
    assert {"ref_cq", "delta_cq", "rel_quantity"} <= set(samples.columns)
    assert {"rule", "severity", "message"} <= set(pd.read_csv(out / "qc.csv").columns)
    provenance = json.loads((out / "provenance.json").read_text())
    roles = {i["role"] for i in provenance["inputs"]}
    assert roles == {"export", "layout", "settings"}
    assert all(len(i["sha256"]) == 64 for i in provenance["inputs"])
    assert provenance["settings"]["reference_genes"] == ["TBP", "RPL13A"]


def test_existing_results_need_force(analysed: tuple[Path, str]) -> None:
    out, _ = analysed
    before = (out / "fold_changes.csv").stat().st_mtime_ns
    result = runner.invoke(app, ["analyze", *ARGS, "--out", str(out)])
    assert result.exit_code == 1
    assert "already holds results" in result.stderr
    assert "--force" in result.stderr
    assert (out / "fold_changes.csv").stat().st_mtime_ns == before
    result = runner.invoke(app, ["analyze", *ARGS, "--out", str(out), "--force", "--quiet",
                                 "--no-figures"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--reference", "TBX"], "reference gene 'TBX' is not among the targets measured"),
     (["--control", "oxygen=normoxic", "--control", "treatment=vehicle"],
      "level 'normoxic' of factor 'oxygen'"),
     (["--efficiency", "BMP2=250"], "gives E = 250; expected 1.0 ≤ E ≤ 2.2"),
     (["--format", "rdmlx"], "unknown format 'rdmlx'")],
)  # fmt: skip
def test_user_errors_exit_1_without_traceback(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    result = runner.invoke(app, ["analyze", *ARGS, "--out", str(tmp_path / "o"), *extra])
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "o" / "fold_changes.csv").exists()


def test_layout_that_does_not_fit_the_export(tmp_path: Path) -> None:
    layout = tmp_path / "layout.csv"
    layout.write_text(
        (EXAMPLE / "quantstudio_384_layout.csv")
        .read_text()
        .replace("A1,D1 NV,BMP2", "A1,D1 NV,VEGFA")
    )
    args = [ARGS[0], "--layout", str(layout), "--config", ARGS[4], "--out", str(tmp_path / "o")]
    result = runner.invoke(app, ["analyze", *args])
    assert result.exit_code == 1
    assert "targets disagree" in result.stderr
    assert "A1: export 'BMP2' vs layout 'VEGFA'" in result.stderr


def test_empty_export(tmp_path: Path) -> None:
    empty = tmp_path / "run.txt"
    empty.write_text("")
    result = runner.invoke(app, ["analyze", str(empty), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "run.txt: the file is empty" in result.stderr


def test_missing_file_is_a_usage_error_exit_1(tmp_path: Path) -> None:
    """click's usage message, and exit code 1 like every other user mistake (``main``)."""
    args = [sys.executable, "-m", "qpcr", "analyze", str(tmp_path / "nope.txt")]
    run = subprocess.run(args, capture_output=True, text=True)
    assert run.returncode == 1
    assert "Usage: " in run.stderr
    assert "does not exist" in run.stderr


def test_help_does_not_import_heavy_modules() -> None:
    code = "\n".join(
        [
            "import sys, runpy",
            "sys.argv = ['qpcr', '--help']",
            "try:",
            "    runpy.run_module('qpcr', run_name='__main__')",
            "except SystemExit:",
            "    pass",
            "heavy = ('matplotlib', 'scipy', 'statsmodels', 'pandas')",
            "print('HEAVY', [m for m in heavy if m in sys.modules])",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
    assert "analyze" in out.stdout


COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
#: What a help text shows when an option's metavar is left to its Python type.
PYTHON_METAVARS = re.compile(r"<|\{|list\[|\b(TEXT|PATH|INTEGER|FLOAT|BOOLEAN|FILENAME)\b")


def test_every_command_is_checked() -> None:
    assert COMMANDS == ["analyze", "check", "formats", "inspect", "stability", "template"]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["qpcr", *COMMANDS])
def test_help_shows_human_metavars(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.stdout
    found = PYTHON_METAVARS.search(result.stdout)
    assert found is None, f"{found.group()!r} in:\n{result.stdout}"
