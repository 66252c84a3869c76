"""The Python API: the same tables as the command line writes, light import."""

from __future__ import annotations

import ast
import subprocess
import sys
import typing
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

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


def test_dir_lists_the_lazy_api() -> None:
    names = dir(qpcr)
    assert {"analyze", "Results", "load_config", "check_run", "write_report"} <= set(names)
    assert set(qpcr.__all__) <= set(names)
    assert "import_module" not in names  # module internals stay out of the listing


def test_type_checkers_see_the_same_names_as_the_lazy_import() -> None:
    """The ``TYPE_CHECKING`` imports of ``qpcr/__init__.py`` name exactly the lazy API, each
    from the module it is loaded from at run time, so a type checker sees the real objects."""
    tree = ast.parse(Path(qpcr.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    static = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name  # "import X as X": an explicit re-export
    }
    assert static == qpcr._API


def test_the_api_functions_are_annotated() -> None:
    hints = typing.get_type_hints(qpcr.analyze)
    assert hints["return"] is qpcr.Results
    assert hints["config"] == qpcr.AnalysisConfig | None
    assert typing.get_type_hints(qpcr.read_export)["return"] is pd.DataFrame
