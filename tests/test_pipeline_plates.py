"""Several plates through the analysis: inter-run calibration, pairing layouts, refusal."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import qpcr
from qpcr.cli import app
from qpcr.errors import DesignError

EX = Path(__file__).parents[1] / "examples" / "two_plates"
EXPORTS = [EX / "plate1.txt", EX / "plate2.txt"]
LAYOUTS = [EX / "plate1_layout.csv", EX / "plate2_layout.csv"]


def test_irc_calibration_recovers_the_group_effects() -> None:
    """The calibrated effects the example README states (group means of log2 values)."""
    out = qpcr.analyze(EXPORTS, layout=LAYOUTS[::-1], config=qpcr.load_config(EX / "analysis.toml"))
    fc = out.fold_changes.set_index(["target", "oxygen", "treatment"])["log2_fold_change"]
    expected = {
        ("BMP2", "hypoxia", "vehicle"): -1.025,
        ("BMP2", "hypoxia", "tocilizumab"): 0.344,
        ("VEGFA", "hypoxia", "vehicle"): 1.159,
        ("VEGFA", "hypoxia", "tocilizumab"): 1.940,
    }
    for key, value in expected.items():
        assert fc[key] == pytest.approx(value, abs=1e-3), key
    assert "IRC1" not in set(out.samples["sample"])
    cf = out.tables["plate_calibration"].set_index(["plate", "target"])["log2_cf"]
    assert cf[("plate2", "BMP2")] - cf[("plate1", "BMP2")] == pytest.approx(-0.930, abs=1e-3)
    assert any("inter-run calibrators IRC1, IRC2" in w for w in out.notes)


def test_without_ircs_the_confounded_design_is_refused(tmp_path: Path) -> None:
    layouts = []
    for path in LAYOUTS:
        table = pd.read_csv(path, keep_default_na=False)
        layouts.append(tmp_path / path.name)
        table = table[~table["sample"].str.startswith("IRC")]
        table.drop(columns="irc").to_csv(layouts[-1], index=False)
    with pytest.raises(DesignError, match="plate2"):
        qpcr.analyze(EXPORTS, layout=layouts, config=qpcr.load_config(EX / "analysis.toml"))


def test_cli_takes_one_layout_per_plate(tmp_path: Path) -> None:
    args = [str(p) for p in EXPORTS]
    for layout in LAYOUTS:
        args += ["--layout", str(layout)]
    result = CliRunner().invoke(app, ["analyze", *args, "--config", str(EX / "analysis.toml"),
                                      "--out", str(tmp_path), "--no-figures"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plate_calibration.csv").is_file()


def test_error_text_keeps_bracketed_section_names(tmp_path: Path) -> None:
    bad = tmp_path / "run.txt"
    bad.write_text("[Results]\nfoo\n")
    result = CliRunner().invoke(app, ["analyze", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "run.txt [Results]" in result.stderr


@pytest.mark.parametrize(
    "indexes",
    [
        [pd.RangeIndex(3)],  # the one frame kept as it is
        [pd.RangeIndex(3, name="row")],
        [pd.RangeIndex(2, 5)],
        [pd.RangeIndex(0, 6, 2)],
        [pd.Index([2, 0, 1])],
        [pd.RangeIndex(3), pd.RangeIndex(2)],
    ],
)
def test_stacking_the_exports_wells_is_concat_with_a_fresh_index(indexes: list[pd.Index]) -> None:
    """The wells of the exports one under the other as ``pd.concat(..., ignore_index=True)``
    gives them: one frame numbered from 0 is returned as it is, any other is renumbered."""
    from qpcr.pipeline import _stack

    frames = [
        pd.DataFrame({"well": [f"A{i}" for i in range(len(i))], "cq": 20.0 + i.to_numpy()}, index=i)
        for i in indexes
    ]
    stacked, expected = _stack(frames), pd.concat(frames, ignore_index=True)
    pd.testing.assert_frame_equal(stacked, expected, check_index_type=True)
    assert stacked.index.name is None
    assert type(stacked.index) is type(expected.index)
