"""A design factor or the replicate column named like a column qpcr writes or works with is
refused up front with the place it was given (it gave tracebacks, or wrong messages: a factor
``unit`` was overwritten by the biological units' label and "not in the data")."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qpcr.cli import app
from qpcr.config import AnalysisConfig
from qpcr.errors import ConfigError
from qpcr.pipeline import analyze
from qpcr.validate import RESERVED

DATASET = Path(__file__).parent / "data" / "methods" / "dataset_2_0.csv"
CONFIG = AnalysisConfig(reference_genes=("REF_A", "REF_B"), replicate="donor",
                        control={"oxygen": "normoxia", "treatment": "vehicle"})  # fmt: skip


def test_the_reserved_names_are_the_design_tables_columns_and_the_working_ones() -> None:
    assert {"unit", "item", "value", "n_samples", "log2_rq", "n", "se", "plate"} <= RESERVED
    assert not {"oxygen", "treatment", "donor", "group", "dose", "time"} & RESERVED


@pytest.mark.parametrize("name", ["unit", "item", "value", "n_samples", "log2_rq", "n"])
def test_a_factor_with_a_reserved_name_is_refused_naming_the_setting(
    tmp_path: Path, name: str
) -> None:
    data = pd.read_csv(DATASET).rename(columns={"oxygen": name})
    config = CONFIG.with_overrides(control={name: "normoxia", "treatment": "vehicle"})
    with pytest.raises(ConfigError, match=f"factor '{name}' has the name of a column") as e:
        analyze([data], config=config)
    assert e.value.where == "settings [control]"
    assert f"'{name}_id'" in (e.value.hint or "")


def test_a_reserved_replicate_column_is_refused_by_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "unit.csv"
    pd.read_csv(DATASET).rename(columns={"donor": "unit"}).to_csv(path, index=False)
    result = CliRunner().invoke(app, [
        "analyze", str(path), "--reference-genes", "REF_A,REF_B", "--replicate", "unit",
        "--control", "oxygen=normoxia", "--control", "treatment=vehicle",
        "--out", str(tmp_path / "out"), "--no-figures", "--no-workbook"])  # fmt: skip
    assert result.exit_code == 1
    assert "--replicate" in result.output
    assert "replicate column 'unit' has the name of a column qpcr writes" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
