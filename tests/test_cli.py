"""Command line: exit codes, messages without tracebacks, files written, fast --help."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

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
     (["--format", "rdmlx"], "unknown format 'rdmlx'"),
     (["--assay-single-copy-cq", "BMP2=34", "--assay-single-copy-cq", "BMP2=35"],
      "--assay-single-copy-cq: 'BMP2' is given twice ('34', '35'); expected one value per name. "
      "Give 'BMP2' once"),
     (["--control", "oxygen=normoxia", "--control", "oxygen=hypoxia"],
      "--control: 'oxygen' is given twice ('normoxia', 'hypoxia')")],
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
    assert "Export it again from the instrument software" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_is_a_usage_error_exit_1(tmp_path: Path) -> None:
    """click's usage message, and exit code 1 like every other user mistake (``main``)."""
    args = [sys.executable, "-m", "qpcr", "analyze", str(tmp_path / "nope.txt")]
    run = subprocess.run(args, capture_output=True, text=True)
    assert run.returncode == 1
    assert "Usage: " in run.stderr
    assert "does not exist" in run.stderr


def _modules_after_help(command: list[str]) -> str:
    """What ``qpcr COMMAND --help`` printed, and the heavy modules it left imported."""
    code = "\n".join(
        [
            "import sys, runpy",
            f"sys.argv = ['qpcr', *{command!r}, '--help']",
            "try:",
            "    runpy.run_module('qpcr', run_name='__main__')",
            "except SystemExit:",
            "    pass",
            f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout


#: Modules no help text may import (a command's help lists its settings' choices from
#: :mod:`qpcr.vocabularies`, which imports neither numpy nor pandas).
HEAVY = ("matplotlib", "scipy", "statsmodels", "openpyxl", "xlsxwriter", "rich", "pandas", "numpy")


def test_help_does_not_import_heavy_modules() -> None:
    out = _modules_after_help([])
    assert "HEAVY []" in out
    assert "analyze" in out


@pytest.mark.parametrize("command", sorted(app.commands))
def test_command_help_imports_no_heavy_module(command: str) -> None:
    """Not even the commands with setting options, whose help lists the choices."""
    out = _modules_after_help([command])
    assert ast.literal_eval(out.rsplit("HEAVY ", 1)[1]) == [], out
    assert f"Usage: qpcr {command}" in out


def test_help_lists_the_choices_of_the_settings() -> None:
    """The choices in ``qpcr analyze --help`` come from the settings' vocabularies."""
    text = " ".join(runner.invoke(app, ["analyze", "--help"], terminal_width=400).stdout.split())
    assert "One of: censor, exclude, substitute." in text
    assert "One of: auto, welch, paired, student, mann-whitney, permutation." in text
    assert "One of: '.', ','." in text


COMMANDS = sorted(app.commands)
#: What a help text shows when an option's metavar is left to its Python type.
PYTHON_METAVARS = re.compile(r"<|\{|list\[|\b(TEXT|PATH|INTEGER|FLOAT|BOOLEAN|FILENAME)\b")


def test_every_command_is_checked() -> None:
    assert COMMANDS == [
        "analyze", "batch", "check", "curves", "export-rdml", "formats", "inspect", "serve",
        "stability", "template",
    ]  # fmt: skip


def test_each_command_is_registered_by_the_module_named_for_it() -> None:
    """The map the app imports a command's module by holds what the modules register."""
    from qpcr.cli import COMMAND_MODULES

    registered_by = {name: app.commands[name].callback.__module__ for name in app.commands}
    assert registered_by == {name: f"qpcr.cli.{module}" for name, module in COMMAND_MODULES.items()}
    assert list(app.commands) == list(COMMAND_MODULES)  # the order qpcr --help lists them


def test_a_command_imports_its_own_module_only() -> None:
    """Running a command imports the module that registers it, not the other commands'."""
    code = (
        "import sys\nfrom qpcr.cli import main\n"
        "try:\n    main(['formats'])\nexcept SystemExit as exc:\n    assert not exc.code\n"
        "print(sorted(m for m in sys.modules if m.startswith('qpcr.cli.')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip().splitlines()[-1] == "['qpcr.cli.inspect', 'qpcr.cli.options']"


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["qpcr", *COMMANDS])
def test_help_shows_human_metavars(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.stdout
    found = PYTHON_METAVARS.search(result.stdout)
    assert found is None, f"{found.group()!r} in:\n{result.stdout}"


# --------------------------------------------------------------------------------------------
# --decimal: a file whose numbers read either way

#: Standards in a German-style tidy table: '10.000' is 10 (decimal point) or 10000 (thousands
#: separator before a decimal comma), and the Cq values carry no mark to tell.
STANDARDS = [("A1", "STD1", "std", "17", "10.000"), ("A2", "STD2", "std", "20", "1.000"),
             ("A3", "STD3", "std", "24", "100"), ("A4", "STD4", "std", "27", "10"),
             ("A5", "S1", "unkn", "22", ""), ("A6", "S2", "unkn", "25", "")]  # fmt: skip


def _standards(folder: Path) -> Path:
    path = folder / "standards.csv"
    rows = [";".join((w, s, "GAPDH", t, cq, q)) for w, s, t, cq, q in STANDARDS]
    path.write_text("well;sample;target;sample_type;Cq;quantity\n" + "\n".join(rows) + "\n")
    return path


def _export_and_layout(folder: Path) -> list[str]:
    """The same plate as an export without quantities and a layout holding them."""
    export, layout = folder / "cq.csv", folder / "layout.csv"
    export.write_text("well;sample;target;Cq\n" + "".join(
        f"{w};{s};GAPDH;{cq}\n" for w, s, _, cq, _ in STANDARDS))  # fmt: skip
    layout.write_text("well;sample;sample_type;quantity\n" + "".join(
        f"{w};{s};{t};{q}\n" for w, s, t, _, q in STANDARDS))  # fmt: skip
    return [str(export), "--layout", str(layout)]


def _candidates(folder: Path) -> Path:
    """Three candidate genes on four samples; one quantity reads either way."""
    path = folder / "candidates.csv"
    cq = {"A": [20, 21, 22, 23], "B": [24, 25, 26, 28], "C": [18, 20, 19, 22]}
    rows = [f"S{i + 1};{gene};{values[i]};{'1.000' if (gene, i) == ('A', 0) else ''}"
            for gene, values in cq.items() for i in range(4)]  # fmt: skip
    path.write_text("sample;target;Cq;quantity\n" + "\n".join(rows) + "\n")
    return path


def _command(name: str, folder: Path) -> list[str]:
    """``qpcr NAME`` on a file with an ambiguous quantity."""
    out = ["--out", str(folder / "out")]
    return {
        "inspect": ["inspect", str(_standards(folder))],
        "analyze": ["analyze", str(_standards(folder)), *out, "-q", "--no-figures"],
        "analyze --layout": ["analyze", *_export_and_layout(folder), *out, "-q", "--no-figures"],
        "check": ["check", str(_standards(folder)), "--init-spec", str(folder / "spec.toml")],
        "stability": ["stability", str(_candidates(folder)), "--candidate-genes", "A,B,C", *out],
    }[name]


COMMANDS_READING = ["inspect", "analyze", "analyze --layout", "check", "stability"]


@pytest.mark.parametrize("name", COMMANDS_READING)
def test_an_ambiguous_file_is_refused_naming_decimal(tmp_path: Path, name: str) -> None:
    result = runner.invoke(app, _command(name, tmp_path))
    assert result.exit_code == 1, result.output
    message = result.stderr.strip()
    assert "\n" not in message
    assert "which is 10 with a decimal point or 10000 with a decimal comma" in message or (
        "which is 1 with a decimal point or 1000 with a decimal comma" in message
    )
    assert message.endswith("Say which decimal mark the file uses: --decimal , (27,51) or "
                            "--decimal . (27.51)")  # fmt: skip
    assert "decimal=" not in message


@pytest.mark.parametrize("name", COMMANDS_READING)
def test_decimal_option_reads_an_ambiguous_file(tmp_path: Path, name: str) -> None:
    result = runner.invoke(app, [*_command(name, tmp_path), "--decimal", ","])
    assert result.exit_code == 0, result.output


def _settings_file(folder: Path) -> list[str]:
    path = folder / "settings.toml"
    path.write_text('decimal = ","\n', encoding="utf-8")
    return ["--config", str(path)]


@pytest.mark.parametrize("how", ["option", "settings"])
def test_the_decimal_mark_given_reads_the_standards(tmp_path: Path, how: str) -> None:
    """log10 quantities 4, 3, 2, 1 at Cq 17, 20, 24, 27: slope -17/5 = -3.4, intercept
    22 + 3.4 × 2.5 = 30.5; S1 (Cq 22) is 10^(8.5/3.4) = 10^2.5 copies, S2 10^(5.5/3.4)."""
    option = ["--decimal", ","] if how == "option" else _settings_file(tmp_path)
    out = tmp_path / "out"
    args = [str(_standards(tmp_path)), *option, "--out", str(out), "-q", "--no-figures"]
    result = runner.invoke(app, ["analyze", *args])
    assert result.exit_code == 0, result.output
    wells = pd.read_csv(out / "wells.csv").set_index("well")
    assert wells["cq"].tolist() == [17.0, 20.0, 24.0, 27.0, 22.0, 25.0]
    assert wells["quantity"].iloc[:4].tolist() == [10000.0, 1000.0, 100.0, 10.0]
    curve = pd.read_csv(out / "standard_curves.csv").iloc[0]
    assert curve["slope"] == pytest.approx(-3.4, abs=1e-12)
    assert curve["intercept"] == pytest.approx(30.5, abs=1e-12)
    found = pd.read_csv(out / "quantities.csv").set_index("sample")["quantity"]
    assert found["S1"] == pytest.approx(10**2.5, rel=1e-12)
    assert found["S2"] == pytest.approx(10 ** (5.5 / 3.4), rel=1e-12)


def test_a_decimal_point_reads_the_other_way(tmp_path: Path) -> None:
    """Read as 10, 1, 100, 10 copies (log10 1, 0, 2, 1): slope 4/2 = 2, intercept 22 - 2 = 20,
    which the standard curve refuses: with no reference gene, nothing is left to quantify."""
    args = [str(_standards(tmp_path)), "--decimal", ".", "--out", str(tmp_path / "out")]
    result = runner.invoke(app, ["analyze", *args])
    assert result.exit_code == 1
    assert "the standards give no standard curve to read quantities" in result.stderr


def test_decimal_reaches_the_layout(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [*_export_and_layout(tmp_path), "--decimal", ",", "--out", str(out), "-q"]
    result = runner.invoke(app, ["analyze", *args, "--no-figures"])
    assert result.exit_code == 0, result.output
    wells = pd.read_csv(out / "wells.csv").set_index("well")
    assert wells["quantity"].iloc[:4].tolist() == [10000.0, 1000.0, 100.0, 10.0]
    assert pd.read_csv(out / "standard_curves.csv")["slope"].tolist() == [pytest.approx(-3.4)]


def test_decimal_reaches_check_init_spec(tmp_path: Path) -> None:
    result = runner.invoke(app, [*_command("check", tmp_path), "--decimal", ","])
    assert result.exit_code == 0, result.output
    spec = (tmp_path / "spec.toml").read_text(encoding="utf-8")
    assert 'sample = "S1"\nexpected = 22.00\n' in spec
    assert 'sample = "S2"\nexpected = 25.00\n' in spec


def test_an_unknown_decimal_mark_names_the_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inspect", str(_standards(tmp_path)), "--decimal", ";"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: --decimal: 'decimal' is ';'; expected one of '.', ','"


def test_cli_runs_blas_on_one_thread_unless_the_user_chose(tmp_path: Path) -> None:
    """The command line sets BLAS to one thread before numpy loads (its start-up threads cost
    0.13 s CPU a process and buy nothing on a few dozen rows); a user's own setting stands."""
    probe = (
        "import os, sys; from qpcr.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'],"
        " 'numpy' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("NUM_THREADS")}
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert run.stdout.split()[-3:] == ["1", "1", "False"], run.stderr
    env["OPENBLAS_NUM_THREADS"] = "4"
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert run.stdout.split()[-3:] == ["4", "1", "False"], run.stderr
