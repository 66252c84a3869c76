"""Settings files: every key read and checked, errors that name the file, the key and a fix."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import qpcr.errors as errors
from qpcr.config import AnalysisConfig, load_config
from qpcr.errors import ConfigError

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab" / "analysis.toml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "analysis.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_settings() -> None:
    config = load_config(EXAMPLE)
    assert config.reference_genes == ("TBP", "RPL13A")
    assert config.control == {"oxygen": "normoxia", "treatment": "vehicle"}
    assert config.ratios == {"RANKL/OPG": ("TNFSF11", "TNFRSF11B")}
    assert config.aliases == {}  # the example exports use the HGNC symbols
    assert config.contrasts[0].numerator == {"oxygen": "hypoxia", "treatment": "tocilizumab"}
    assert config.nondetect_policy == "censor"


def test_every_key_round_trips(tmp_path: Path) -> None:
    text = """
reference_genes = "TBP"
candidate_genes = ["TBP", "B2M", "HPRT1"]
irc_samples = ["IRC1"]
replicate = "donor"
test = "welch"
adjust = "bh"
alpha = 0.01
min_replicates = 3
fail_on_controls = true
outlier_rule = "mad"
outlier_threshold = 3.5
keep_outliers = true
nondetect_policy = "exclude"
nondetect_limit = 38
ntc_margin = 4
use_curve_efficiency = false
factorial_method = "paired"
[control]
oxygen = "normoxia"
[efficiency]
BMP2 = "94 %"
VEGFA = 1.97
"""
    config = load_config(_write(tmp_path, text))
    assert config.reference_genes == ("TBP",)
    assert config.efficiency == {"BMP2": pytest.approx(1.94), "VEGFA": 1.97}
    assert (config.alpha, config.min_replicates, config.nondetect_limit) == (0.01, 3, 38.0)
    assert config.fail_on_controls
    assert config.keep_outliers
    assert not config.use_curve_efficiency
    assert config.to_dict()["candidate_genes"] == ["TBP", "B2M", "HPRT1"]


def test_settings_under_a_qpcr_table(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, '[qpcr]\nreference_genes = ["ACTB"]\n'))
    assert config.reference_genes == ("ACTB",)


@pytest.mark.parametrize(
    ("text", "message"),
    [("reference_gene = ['ACTB']", "'reference_gene'.*did you mean 'reference_genes"),
     ("test = 'anova'", "'test' is 'anova'; expected one of auto, welch"),
     ("alpha = 5", "'alpha' is 5.0; expected between 0 and 1"),
     ("min_replicates = 1", "'min_replicates' must be a whole number ≥ 2"),
     ("keep_outliers = 'yes'", "'keep_outliers' must be true or false"),
     ("[efficiency]\nBMP2 = 95", "efficiency 95.* gives E = 95"),
     ("[ratios]\n'R' = ['A']", "ratio 'R' must be \\[numerator, denominator\\]"),
     ("[[contrasts]]\nname = 'x'", "contrast 1 needs 'numerator' and 'denominator'"),
     ("reference_genes = [ACTB]", "not valid TOML")],
)  # fmt: skip
def test_errors_name_the_file_and_the_fix(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="settings file not found"):
        load_config("no/such/analysis.toml")


def test_overrides_are_validated() -> None:
    with pytest.raises(ConfigError, match="'adjust' is 'fdr'"):
        AnalysisConfig().with_overrides(adjust="fdr")
    assert AnalysisConfig().with_overrides(alpha=None).alpha == 0.05


@pytest.mark.parametrize(
    "cls",
    [c for c in vars(errors).values()
     if isinstance(c, type) and issubclass(c, errors.QpcrError)],
)  # fmt: skip
def test_every_error_survives_pickling(cls: type[errors.QpcrError]) -> None:
    """Errors cross process pools (architecture A.5): fields and text survive pickling."""
    error = cls("something is wrong", where="run.txt [Results] row 3", hint="Fix it")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error) == "run.txt [Results] row 3: something is wrong. Fix it"
