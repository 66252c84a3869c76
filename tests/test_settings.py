"""Settings declared once (qpcr.settings): the TOML file, the CLI options, the README table and
the methods text all follow the fields of AnalysisConfig."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import qpcr.pipeline
from qpcr import censoring, outliers, stats
from qpcr.cli import OPTIONS, app
from qpcr.config import choices, from_mapping, load_config, parse_setting, with_settings_table
from qpcr.errors import ConfigError, QpcrError
from qpcr.settings import SETTINGS, AnalysisConfig, Contrast, Setting

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "hypoxia_tocilizumab"
runner = CliRunner()

FULL_TOML = """
reference_genes = ["TBP", "RPL13A"]
candidate_genes = ["TBP", "RPL13A", "B2M"]
irc_samples = ["IRC1", "IRC2"]
replicate = "donor"
test = "welch"
adjust = "bh"
alpha = 0.01
min_replicates = 3
fail_on_controls = true
outlier_rule = "mad"
outlier_threshold = 0.8
single_copy_cq = 36.5
pipetting_sd = 0.12
low_copy_estimate = "poisson"
keep_outliers = true
nondetect_policy = "exclude"
nondetect_limit = 38.0
ntc_margin = 4.5
use_curve_efficiency = false
pooled_efficiency = false
efficiency_source = "curves"
cq_source = "cpd2"
factorial_method = "paired"
pairing = "sample"
decimal = ","
sample_names = "layout"
run = ["Amp Step 3_FAM"]
exclude_flags = ["BADROX", "PRFDROP"]
figure_formats = ["svg", "pdf"]
[control]
oxygen = "normoxia"
treatment = "vehicle"
[efficiency]
BMP2 = "94 %"
VEGFA = 1.97
[assay_single_copy_cq]
TNFSF11 = 33.6
VEGFA = "34.2"
[ratios]
"RANKL/OPG" = ["TNFSF11", "TNFRSF11B"]
[aliases]
RANKL = "TNFSF11"
[[contrasts]]
name = "tocilizumab under hypoxia"
numerator = { oxygen = "hypoxia", treatment = "tocilizumab" }
denominator = { oxygen = "hypoxia", treatment = "vehicle" }
"""

FULL_CLI = [
    "--reference-genes", "TBP,RPL13A", "--candidate-genes", "TBP", "--candidate-genes",
    "RPL13A,B2M", "--irc-samples", "IRC1,IRC2", "--replicate", "donor", "--test", "welch",
    "--adjust", "bh", "--alpha", "0.01", "--min-replicates", "3", "--fail-on-controls",
    "--outlier-rule", "mad", "--outlier-threshold", "0.8", "--keep-outliers",
    "--single-copy-cq", "36.5", "--pipetting-sd", "0.12", "--low-copy-estimate", "poisson",
    "--nondetect-policy", "exclude", "--nondetect-limit", "38", "--ntc-margin", "4.5",
    "--no-use-curve-efficiency", "--no-pooled-efficiency", "--efficiency-source", "curves",
    "--cq-source", "cpd2", "--factorial-method", "paired",
    "--pairing", "sample",
    "--decimal", ",", "--sample-names", "layout",
    "--run", "Amp Step 3_FAM", "--exclude-flags", "BADROX,PRFDROP",
    "--figure-formats", "svg", "--figure-formats", "pdf",
    "--control", "oxygen=normoxia", "--control", "treatment=vehicle",
    "--efficiency", "BMP2=94 %", "--efficiency", "VEGFA=1.97",
    "--assay-single-copy-cq", "TNFSF11=33.6", "--assay-single-copy-cq", "VEGFA = 34.2",
    "--ratio", "RANKL/OPG=TNFSF11/TNFRSF11B",
    "--alias", "RANKL=TNFSF11",
    "--contrast", "tocilizumab under hypoxia: oxygen=hypoxia,treatment=tocilizumab / "
    "oxygen=hypoxia,treatment=vehicle",
]  # fmt: skip


def _settings_from_cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> AnalysisConfig:
    """The config ``qpcr analyze`` hands to the analysis for ``args``."""
    seen: list[AnalysisConfig] = []

    def capture(exports: Any, layout: Any = None, config: Any = None, format: Any = None) -> None:
        seen.append(config)
        raise QpcrError("stopped after reading the settings")

    monkeypatch.setattr(qpcr.pipeline, "analyze", capture)
    export = str(EXAMPLE / "quantstudio_384_results.txt")
    result = runner.invoke(app, ["analyze", export, *args])
    assert "stopped after reading the settings" in result.stderr, result.output
    return seen[0]


# --------------------------------------------------------------------------------------------
# the declaration


def test_every_setting_is_declared_completely() -> None:
    names = [s.name for s in SETTINGS]
    # the fields that make two configs equal; the others say where they came from
    assert names == [f.name for f in fields(AnalysisConfig) if f.compare]
    for spec in SETTINGS:
        assert spec.help.endswith("."), spec.name
        derived = "--" + spec.toml_key.replace("_", "-")
        tables = (
            dict[str, str],
            dict[str, float],
            dict[str, tuple[str, str]],
            tuple[Contrast, ...],
        )
        # tables take one entry per (singular) option: --control, --ratio, --contrast, ...
        assert spec.option[0] == derived or spec.shape in tables, spec.name
        assert spec.metavar or spec.shape is bool, spec.name
        assert spec.metavar.upper() == spec.metavar, spec.name


def test_choice_settings_take_their_vocabulary_from_the_implementing_module() -> None:
    assert choices("test") == stats.TESTS
    assert choices("adjust") == stats.ADJUST
    assert choices("factorial_method") == stats.CONTRAST_METHODS
    assert choices("nondetect_policy") == censoring.POLICIES == ("censor", "exclude", "substitute")
    assert choices("outlier_rule") == outliers.RULES
    assert choices("alpha") == choices("reference_genes") == ()


@pytest.mark.parametrize(
    ("vocabulary", "wording"),
    [(stats.TESTS, stats.TEST_METHODS_TEXT), (stats.ADJUST, stats.ADJUST_METHODS_TEXT),
     (censoring.POLICIES, censoring.POLICY_METHODS_TEXT),
     (outliers.RULES, outliers.RULE_METHODS_TEXT)],
)  # fmt: skip
def test_every_choice_has_methods_wording(vocabulary: tuple, wording: dict) -> None:
    assert tuple(wording) == vocabulary


def test_parse_setting_reads_one_value_as_a_settings_file_does() -> None:
    """What the template's Settings sheet needs: one cell value, the same checks."""
    assert parse_setting("reference_genes", "TBP") == ("TBP",)
    assert parse_setting("alpha", "0.01") == 0.01
    assert parse_setting("efficiency", {"BMP2": "95 %"}) == {"BMP2": pytest.approx(1.95)}
    with pytest.raises(ConfigError, match="'keep_outliers' must be true or false"):
        parse_setting("keep_outliers", "yes", where="Settings!C9")
    with pytest.raises(ConfigError, match=r"Settings!C5: .alpha. is 1\.5; expected between 0"):
        parse_setting("alpha", 1.5, where="Settings!C5")
    with pytest.raises(ConfigError, match="'test' is 'anova'; expected one of auto, welch"):
        parse_setting("test", "anova")


# --------------------------------------------------------------------------------------------
# TOML round trip


def _strategy(spec: Setting) -> st.SearchStrategy[Any]:
    """Valid values of any setting, from its declaration."""
    name = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6)
    names = st.lists(name, max_size=3).map(tuple)
    low, high = spec.bounds
    if choices(spec.name):
        choice = st.sampled_from(choices(spec.name))
        if spec.shape == tuple[str, ...]:  # several choices (figure_formats)
            return st.lists(choice, max_size=3).map(tuple)
        return st.none() | choice if spec.default is None else choice
    shapes: dict[Any, st.SearchStrategy[Any]] = {
        bool: st.booleans(),
        int: st.integers(min_value=int(low or 0), max_value=10**6),
        float: st.floats(min_value=low, max_value=high, exclude_min=low is not None,
                         exclude_max=high is not None, allow_nan=False, allow_infinity=False),
        str | None: st.none() | name,
        tuple[str, ...]: names,
        dict[str, str]: st.dictionaries(name, name, max_size=3),
        dict[str, float]: st.dictionaries(name, st.floats(1.0, 2.2), max_size=3),
        dict[str, tuple[str, str]]: st.dictionaries(name, st.tuples(name, name), max_size=3),
        tuple[Contrast, ...]: st.lists(st.builds(
            Contrast, name, st.dictionaries(name, name, min_size=1, max_size=2),
            st.dictionaries(name, name, min_size=1, max_size=2)), max_size=2).map(tuple),
    }  # fmt: skip
    return shapes[spec.shape]


@given(st.fixed_dictionaries({s.name: _strategy(s) for s in SETTINGS}))
def test_to_toml_round_trips_every_setting(values: dict[str, Any]) -> None:
    config = AnalysisConfig(**values)
    assert from_mapping(tomllib.loads(config.to_toml())) == config


def test_to_toml_of_the_example_reads_back(tmp_path: Path) -> None:
    config = load_config(EXAMPLE / "analysis.toml")
    path = tmp_path / "settings.toml"
    path.write_text(config.to_toml(), encoding="utf-8")
    assert load_config(path) == config
    assert config.to_dict()["ratios"] == {"RANKL/OPG": ["TNFSF11", "TNFRSF11B"]}


# --------------------------------------------------------------------------------------------
# command line


def _analyze_options() -> dict[str, Any]:
    command = app.commands["analyze"]
    return {opt: param for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def test_every_setting_has_an_option_on_analyze() -> None:
    options = _analyze_options()
    for spec in SETTINGS:
        assert OPTIONS[spec.name] in options, spec.name
        for alias in spec.aliases:
            assert options[alias].hidden, alias
        assert not options[spec.option[0]].hidden


def test_full_settings_from_the_cli_equal_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(tomllib.loads(FULL_TOML)) == set(OPTIONS)  # every setting is given
    path = tmp_path / "full.toml"
    path.write_text(FULL_TOML, encoding="utf-8")
    from_file = load_config(path)
    from_cli = _settings_from_cli(FULL_CLI, monkeypatch)
    assert from_cli == from_file
    assert from_cli != AnalysisConfig()


def test_cli_overrides_the_settings_file_and_keeps_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = str(EXAMPLE / "analysis.toml")
    config = _settings_from_cli(["--config", settings, "--test", "student"], monkeypatch)
    assert config.test == "student"
    assert config.reference_genes == ("TBP", "RPL13A")
    assert config.source == settings


def test_older_spellings_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _settings_from_cli(["--reference", "TBP", "--reference", "RPL13A", "--candidates",
                                 "A,B,C", "--keep-outliers"], monkeypatch)  # fmt: skip
    assert config.reference_genes == ("TBP", "RPL13A")
    assert config.candidate_genes == ("A", "B", "C")
    assert config.keep_outliers


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--test", "anova"], "--test: 'test' is 'anova'; expected one of auto, welch"),
     (["--alpha", "2"], "--alpha: 'alpha' is 2.0; expected between 0 and 1"),
     (["--min-replicates", "1"], "--min-replicates: 'min_replicates' must be a whole number ≥ 2"),
     (["--ratio", "R=A"], "--ratio: 'A' is not NAME=NUM/DEN"),
     (["--contrast", "x: a=b"], "--contrast: 'a=b' is not NAME:GROUP/GROUP"),
     (["--efficiency", "BMP2=250"], "gives E = 250"),
     (["--figure-formats", "png,jpg"], "'figure_formats' is 'jpg'; expected one of png, svg")],
)  # fmt: skip
def test_a_bad_option_value_names_the_option(args: list[str], message: str) -> None:
    export = str(EXAMPLE / "quantstudio_384_results.txt")
    result = runner.invoke(app, ["analyze", export, *args])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_help_lists_choices_and_human_metavars() -> None:
    result = runner.invoke(app, ["analyze", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "One of: auto, welch, paired, student, mann-" in text  # click may break at "-"
    assert "--layout FILE" in text
    assert "--control FACTOR=LEVEL" in text
    assert "-r, --reference-genes GENE,..." in text
    assert not re.search(r"<list|\{exports|\[Path\]", text)
    assert "--reference " not in text  # hidden spellings
    assert "--candidates" not in text


def test_a_library_error_at_a_setting_is_shown_at_its_option(tmp_path: Path) -> None:
    runs = sorted((ROOT / "examples" / "reference_plate" / "runs").glob("*.csv"))[:1]
    args = ["check", *map(str, runs), "--init-spec", str(tmp_path / "s.toml"), "-r", "NOPE"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "--reference-genes: reference gene 'NOPE' is not on the plate" in result.stderr


@pytest.mark.parametrize("args", [["analyze", "--no-such-option"], ["analyze"], ["nonsense"]])
def test_usage_errors_exit_1_with_the_usage_message(args: list[str]) -> None:
    run = subprocess.run([sys.executable, "-m", "qpcr", *args], capture_output=True, text=True)
    assert run.returncode == 1
    assert "Usage: " in run.stderr
    assert "Error: " in run.stderr


# --------------------------------------------------------------------------------------------
# README


def test_readme_settings_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert with_settings_table(readme) == readme, (
        "README settings table is stale: python -m qpcr.config --readme README.md"
    )


def test_a_setting_in_both_spellings_is_refused() -> None:
    # '--reference TBP -r RPL13A' could mean either order, and the first reference gene decides
    # check --init-spec's ΔCq rules: refused rather than ordered by spelling
    export = str(EXAMPLE / "quantstudio_384_results.txt")
    result = runner.invoke(app, ["analyze", export, "--reference", "TBP", "-r", "RPL13A"])
    assert result.exit_code == 1
    assert "given as --reference-genes and as its older spelling --reference" in result.output
    assert "Give every value with --reference-genes" in result.output
