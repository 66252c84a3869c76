"""``qpcr analyze`` pauses the cyclic garbage collector for the imports and the analysis, and
leaves it as it found it: enabled, nothing frozen, whether the command succeeds or fails."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from click.testing import CliRunner

from qpcr.cli import app
from qpcr.cli.analyze import _collector_paused

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"
ARGS = [
    str(EXAMPLE / "quantstudio_384_results.txt"),
    "--layout",
    str(EXAMPLE / "quantstudio_384_layout.csv"),
    "--config",
    str(EXAMPLE / "analysis.toml"),
    "--no-figures",
    "--no-workbook",
    "--quiet",
]


def test_paused_until_resumed_then_frozen_then_restored() -> None:
    assert gc.isenabled()
    before = gc.get_freeze_count()
    with _collector_paused() as resume:
        assert not gc.isenabled()
        resume()
        assert gc.isenabled()
        assert gc.get_freeze_count() > before
    assert gc.isenabled()
    assert gc.get_freeze_count() == before


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with _collector_paused() as resume:
            resume()
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_before_the_outputs_restores_the_collector() -> None:
    with pytest.raises(RuntimeError), _collector_paused():
        raise RuntimeError("the analysis failed")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("extra", [[], ["--alpha", "2"]])
def test_analyze_leaves_the_collector_as_it_found_it(tmp_path: Path, extra: list[str]) -> None:
    result = CliRunner().invoke(app, ["analyze", *ARGS, *extra, "--out", str(tmp_path / "o")])
    assert result.exit_code == (1 if extra else 0), result.output
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
