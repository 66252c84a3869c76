"""The Python API: the same tables as the command line writes, light import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import qpcr
from qpcr.cli import app

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"


def test_import_is_light() -> None:
    code = "import sys, qpcr; print(sorted(m for m in ('pandas', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_api_matches_the_files_the_cli_writes(tmp_path: Path) -> None:
    export = EXAMPLE / "quantstudio_384_results.txt"
    layout = EXAMPLE / "quantstudio_384_layout.csv"
    settings = EXAMPLE / "analysis.toml"
    results = qpcr.analyze([export], layout=layout, config=qpcr.load_config(settings))
    args = [str(export), "--layout", str(layout), "--config", str(settings)]
    cli = CliRunner().invoke(app, ["analyze", *args, "--out", str(tmp_path), "-q", "--no-figures"])
    assert cli.exit_code == 0, cli.output
    for name in ("fold_changes", "ratios", "samples", "anova", "contrasts"):
        api = results.tables.get(name, getattr(results, name, None))
        written = pd.read_csv(tmp_path / f"{name}.csv")
        assert list(written.columns) == list(api.columns), name
        numeric = api.select_dtypes("number").columns
        np.testing.assert_allclose(
            written[numeric].to_numpy(float), api[numeric].to_numpy(float), rtol=1e-12,
            equal_nan=True, err_msg=name,
        )  # fmt: skip
    wells = qpcr.read_export(export)
    assert len(wells) == len(results.wells)
