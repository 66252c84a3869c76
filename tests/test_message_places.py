"""Messages name the place a value was given (the option, the settings file and its key, or
``settings`` in Python), however the setting reached the analysis.

Before: an unknown ``exclude_flags`` code in a settings file was blamed on
``--exclude-flags``; ``--pairing well`` was reported as ``settings pairing``; a contrast naming a
factor that ``--control`` (which replaces the file's whole ``[control]`` table) left out said
only "contrast '…' numerator: 'treatment' is not a design factor", with no place and no
"expected".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qpcr.cli import app
from qpcr.errors import ConfigError
from qpcr.groups import compare_groups

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hypoxia_tocilizumab"
EXPORT = EXAMPLE / "quantstudio_96_results.txt"
LAYOUT = EXAMPLE / "quantstudio_96_layout.csv"
SETTINGS = """reference_genes = ["TBP", "RPL13A"]
replicate = "donor"
[control]
oxygen = "normoxia"
treatment = "vehicle"
"""
CONTRAST = """[[contrasts]]
name = "toc"
numerator = { oxygen = "hypoxia", treatment = "tocilizumab" }
denominator = { oxygen = "hypoxia", treatment = "vehicle" }
"""


def _error(tmp_path: Path, toml_text: str, *options: str) -> tuple[Path, str]:
    """``qpcr analyze`` of the 96-well example with these settings, expecting a user error:
    exit 1, no traceback; the settings file and the message (rejoined where wrapped)."""
    toml = tmp_path / "analysis.toml"
    toml.write_text(toml_text, encoding="utf-8")
    args = ["analyze", str(EXPORT), "-l", str(LAYOUT), "-c", str(toml), *options,
            "-o", str(tmp_path / "out"), "--no-figures", "--no-workbook", "--no-html"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return toml, " ".join(result.stderr.split())


def test_an_unknown_flag_code_in_the_file_names_the_file(tmp_path: Path) -> None:
    toml, message = _error(tmp_path, 'exclude_flags = ["BADROXX"]\n' + SETTINGS)
    assert message.startswith(
        f"error: {toml} exclude_flags: 'BADROXX' is not a vendor flag code; expected one of "
    )
    assert message.endswith("did you mean 'BADROX'?")
    _, given = _error(tmp_path, SETTINGS, "--exclude-flags", "BADROXX")
    assert given.startswith("error: --exclude-flags: 'BADROXX' is not a vendor flag code")


@pytest.mark.parametrize("given", ["option", "file"])
def test_pairing_well_names_where_it_was_given(tmp_path: Path, given: str) -> None:
    """The example's targets and references sit in separate wells: no per-well ΔCq."""
    if given == "option":
        toml, message = _error(tmp_path, SETTINGS, "--pairing", "well")
        place = "--pairing"
    else:
        toml, message = _error(tmp_path, 'pairing = "well"\n' + SETTINGS)
        place = f"{toml} pairing"
    assert message.startswith(f"error: {place}: pairing = 'well', but 24 target well(s) hold no ")


def test_a_contrast_factor_control_leaves_out_names_the_contrast_and_control(
    tmp_path: Path,
) -> None:
    """``--control`` replaces the file's whole [control] table (as every table option does):
    ``treatment`` is then no design factor, and the contrast using it is refused before any
    analysis, saying where the contrast is, what the factors are and why."""
    toml, message = _error(tmp_path, SETTINGS + CONTRAST, "--control", "oxygen=normoxia")
    assert message == (
        f"error: {toml} [[contrasts]] 'toc' numerator: factor 'treatment' is not a design "
        "factor; expected one of oxygen. The design factors are those --control names, which "
        "replaces the settings file's whole [control] table: give the control level of "
        "'treatment' there too, or leave the factor out of the contrast"
    )
    one_factor = SETTINGS.replace('treatment = "vehicle"\n', "")
    toml, message = _error(tmp_path, one_factor + CONTRAST)
    assert message == (
        f"error: {toml} [[contrasts]] 'toc' numerator: factor 'treatment' is not a design "
        "factor; expected one of oxygen. The design factors are those the control group names "
        f"({toml} [control]): give the control level of 'treatment' there too, or leave the "
        "factor out of the contrast"
    )


def test_every_factor_given_with_control_runs_the_contrast(tmp_path: Path) -> None:
    toml = tmp_path / "analysis.toml"
    toml.write_text(SETTINGS + CONTRAST, encoding="utf-8")
    args = ["analyze", str(EXPORT), "-l", str(LAYOUT), "-c", str(toml), "--control",
            "oxygen=normoxia", "--control", "treatment=vehicle", "-o", str(tmp_path / "out"),
            "--no-figures", "--no-workbook", "--no-html"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    fold = pd.read_csv(tmp_path / "out" / "fold_changes.csv")
    assert sorted(fold.loc[fold["contrast"].eq("toc"), "target"]) == ["BMP2"]


def test_no_control_group_names_the_settings_file(tmp_path: Path) -> None:
    toml, message = _error(tmp_path, 'reference_genes = ["TBP", "RPL13A"]\nreplicate = "donor"\n')
    assert message.startswith(f"error: {toml} [control]: no control group is set. ")


def test_compare_groups_names_where_its_control_was_given() -> None:
    """The engine's own check of the levels (for callers of ``compare_groups``) names the place
    it is told, else the parameter."""
    values = pd.DataFrame({"target": "MYC", "sample": ["c1", "c2", "t1", "t2"],
                           "group": ["ctrl", "ctrl", "drug", "drug"],
                           "log2_rq": [-5.0, -5.3, -2.8, -3.1]})  # fmt: skip
    common = dict(value="log2_rq", item="target", factors=["group"], control={"group": "ctl"})
    with pytest.raises(ConfigError) as caught:
        compare_groups(values, **common, where={"control": "run.toml [control]"})
    assert str(caught.value) == (
        "run.toml [control]: level 'ctl' of factor 'group' is not in the data; expected one of "
        "ctrl, drug. did you mean 'ctrl'?"
    )
    with pytest.raises(ConfigError) as caught:
        compare_groups(values, **common)
    assert caught.value.where == "control"
