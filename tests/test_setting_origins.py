"""A settings error names where the value was given: the option on the command line, the file
and its table or key for a settings file, ``settings`` for the Python API.

A misspelt ``--control`` used to be blamed on the ``--config`` file (``analysis.toml
[control]``), sending the user to edit a file that was right.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qpcr.batch import run_batch
from qpcr.cli import app
from qpcr.config import AnalysisConfig, load_config
from qpcr.errors import ConfigError
from qpcr.pipeline import analyze

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hypoxia_tocilizumab"
EXPORT = EXAMPLE / "quantstudio_384_results.txt"
LAYOUT = EXAMPLE / "quantstudio_384_layout.csv"
TARGETS = "BMP2, VEGFA, TNFSF11, TNFRSF11B, TBP, RPL13A, GAPDH"
SETTINGS = """reference_genes = ["TBP", "RPL13A"]
replicate = "donor"
[control]
oxygen = "normoxia"
treatment = "vehicle"
"""

#: (the options, the same misspelling as a settings file, the message after its ``where``)
MISSPELT = [
    (["--control", "oxygen=normoxi", "--control", "treatment=vehicle"],
     'reference_genes = ["TBP", "RPL13A"]\n[control]\noxygen = "normoxi"\n'
     'treatment = "vehicle"\n',
     "level 'normoxi' of factor 'oxygen' is not in the data; expected one of normoxia, "
     "hypoxia. did you mean 'normoxia'?"),
    (["--reference", "TBP,RPL13"], SETTINGS.replace('"RPL13A"', '"RPL13"'),
     f"reference gene 'RPL13' is not among the targets measured; expected one of {TARGETS}. "
     "did you mean 'RPL13A'?"),
    (["--efficiency", "BMP=1.9"], SETTINGS + "[efficiency]\nBMP = 1.9\n",
     f"efficiency of 'BMP' names no target of the data; expected one of {TARGETS}. did you "
     "mean 'BMP2'?"),
]  # fmt: skip
#: Where the file's misspelling of each case stands.
IN_FILE = ["[control]", "reference_genes", "[efficiency]"]
#: The option that names each setting (``--reference`` is the older spelling).
OPTION = ["--control", "--reference-genes", "--efficiency"]


def _error(args: list[str]) -> str:
    """``qpcr`` expecting a user error: exit code 1, a message on stderr (rejoined where the
    console wrapped it), no traceback."""
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return " ".join(result.stderr.split())


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "analysis.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _analyze(tmp_path: Path, toml: Path, *options: str) -> list[str]:
    return ["analyze", str(EXPORT), "-l", str(LAYOUT), "-c", str(toml), *options,
            "-o", str(tmp_path / "out"), "--no-figures", "--no-workbook", "--no-html"]  # fmt: skip


@pytest.mark.parametrize(("case", "option"), zip(MISSPELT, OPTION, strict=True))
def test_a_misspelt_option_names_the_option_not_the_file(
    tmp_path: Path, case: tuple, option: str
) -> None:
    options, _, message = case
    toml = _toml(tmp_path, SETTINGS)
    assert _error(_analyze(tmp_path, toml, *options)) == f"error: {option}: {message}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("case", "where"), zip(MISSPELT, IN_FILE, strict=True))
def test_the_same_misspelling_in_the_file_names_the_file(
    tmp_path: Path, case: tuple, where: str
) -> None:
    _, text, message = case
    toml = _toml(tmp_path, text)
    assert _error(_analyze(tmp_path, toml)) == f"error: {toml} {where}: {message}"


def test_a_file_error_beside_a_good_option_still_names_the_file(tmp_path: Path) -> None:
    """An option sets its own setting only: the file's misspelt [efficiency] stays the file's."""
    toml = _toml(tmp_path, SETTINGS + "[efficiency]\nBMP = 1.9\n")
    message = _error(_analyze(tmp_path, toml, "--control", "oxygen=hypoxia",
                              "--control", "treatment=vehicle"))  # fmt: skip
    assert message.startswith(f"error: {toml} [efficiency]: efficiency of 'BMP' names no target")


def test_the_python_api_names_settings_not_the_file(tmp_path: Path) -> None:
    loaded = load_config(_toml(tmp_path, SETTINGS))
    config = loaded.with_overrides(control={"oxygen": "normoxi", "treatment": "vehicle"})
    with pytest.raises(ConfigError) as info:
        analyze([EXPORT], layout=LAYOUT, config=config)
    assert str(info.value) == f"settings [control]: {MISSPELT[0][2]}"
    assert config.source == loaded.source  # the file is still recorded as the source
    with pytest.raises(ConfigError, match=r"^settings: 'alpha' is 2.0; expected between 0 and 1"):
        loaded.with_overrides(alpha=2.0)


def test_where_a_setting_was_given_is_no_part_of_its_value() -> None:
    """Equal settings compare equal however they were given, and the origins survive pickling
    (batch workers receive the settings pickled)."""
    from_option = AnalysisConfig().with_overrides({"alpha": "--alpha"}, alpha=0.01)
    assert from_option == AnalysisConfig(alpha=0.01) == AnalysisConfig().with_overrides(alpha=0.01)
    assert from_option.where("alpha") == "--alpha"
    assert pickle.loads(pickle.dumps(from_option)).where("alpha") == "--alpha"
    # a later override from Python takes the setting over
    assert from_option.with_overrides(alpha=0.02).where("alpha") == "settings alpha"


def test_a_misspelt_option_of_a_batch_names_the_option(tmp_path: Path) -> None:
    toml = _toml(tmp_path, SETTINGS)
    args = ["batch", str(EXPORT), "-l", str(LAYOUT), "-c", str(toml), "-o", str(tmp_path / "b"),
            "--jobs", "1", "--efficiency", "BMP=1.9"]  # fmt: skip
    assert _error(args) == f"error: 1 of 1 plate(s) failed; see {tmp_path / 'b' / 'errors.csv'}"
    errors = pd.read_csv(tmp_path / "b" / "errors.csv")
    # a batch's plates share the settings; an option sets its setting on every plate, so the
    # hint sends the entry to the plates' own settings
    option = (
        "If 'BMP' is a target of other plates, give efficiency in each plate's settings (a "
        "manifest row's config) rather than with --efficiency, which applies to every plate"
    )
    # the CSV guards a cell that starts with '-' (a formula to a spreadsheet) with a quote
    assert errors["message"].tolist() == [f"'--efficiency: {MISSPELT[2][2]} {option}"]
    # from Python without origins the override is named as one, and set on every plate too
    override = (
        "If 'BMP' is a target of other plates, give efficiency in each plate's settings (a "
        "manifest row's config) rather than in the batch's overrides, which apply to every plate"
    )
    done = run_batch([EXPORT], tmp_path / "api", layout=LAYOUT, config=toml, jobs=1,
                     overrides={"efficiency": {"BMP": 1.9}})  # fmt: skip
    assert done.errors[0][1] == f"overrides [efficiency]: {MISSPELT[2][2]} {override}"
