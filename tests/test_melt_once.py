"""The melt derivative is computed once per run: ``qpcr curves`` and ``qpcr analyze`` with its
report take the melt table and the −dF/dT they draw from one :func:`qpcr.melt.melt_analysis`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import qpcr.melt
from qpcr.cli import app
from qpcr.config import from_mapping
from qpcr.io.curves import read_curves
from qpcr.melt import melt_analysis, melt_derivative, melt_peaks
from qpcr.pipeline import analyze
from qpcr.report import write_report

DATA = Path(__file__).parent / "data" / "exports"
CFX_MELT = DATA / "rdml" / "rdml_v1_1_biorad_cfx_melt.rdml"
STEPONE = DATA / "thermo" / "thermo_classic_stepone_48_synthetic.txt"


@pytest.fixture
def derivatives(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of curves in each call of the melt derivative (qpcr.melt._derivative)."""
    calls: list[int] = []
    real: Callable[..., np.ndarray] = qpcr.melt._derivative

    def counted(t: np.ndarray, *rest: Any) -> np.ndarray:
        calls.append(len(t))
        return real(t, *rest)

    monkeypatch.setattr(qpcr.melt, "_derivative", counted)
    return calls


def test_melt_analysis_is_melt_peaks_and_melt_derivative() -> None:
    curves = read_curves(CFX_MELT)
    melt, derivative = melt_analysis(curves)
    pd.testing.assert_frame_equal(melt, melt_peaks(curves))
    pd.testing.assert_frame_equal(derivative, melt_derivative(curves))
    assert len(melt) == 60
    assert len(derivative) == curves["kind"].eq("melt").sum()


def test_qpcr_curves_computes_the_melt_derivative_once(
    derivatives: list[int], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["curves", str(CFX_MELT), "--out", str(out),
                                      "--figure-formats", "svg"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert derivatives == [60]  # the 60 melt curves, once for melt.csv and the figures
    assert len(list((out / "figures").glob("melt_*.svg"))) > 0


def test_analyze_and_its_report_compute_the_melt_derivative_once(
    derivatives: list[int], tmp_path: Path
) -> None:
    wells = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"]
    layout = pd.DataFrame({"well": wells, "oxygen": ["normoxia"] * 4 + ["hypoxia"] * 4})
    config = from_mapping({"reference_genes": ["ACTB"], "control": {"oxygen": "normoxia"}})
    results = analyze([STEPONE], layout, config)
    assert results.melt_derivative is not None
    assert results.melt_derivative["well"].unique().tolist() == ["A1", "A3"]
    write_report(results, tmp_path / "results", workbook=False, figures=False)
    page = (tmp_path / "results" / "report.html").read_text(encoding="utf-8")
    assert page.count('data-figure="melt-curves"') == 2  # ACTB and VEGFA, drawn from it
    assert derivatives == [2]  # the two melt curves, once for melt.csv and the report
