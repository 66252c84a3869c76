"""report.html of an analysis that called Cq from raw amplification curves and carries a melt
table, in headless Chromium (skips without it): one log-scale amplification chart per amplicon
with one line per well and the threshold, one melt-curve chart per target with a −dF/dT line
per well (the primer-dimer well apart in colour), one melt-peak chart per target with a dot per
well with a peak, no console error, no request beyond the page; a screenshot kept beside it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _browser import Browser, chromium
from PIL import Image
from test_analyze_curves import DESIGN, _plate

from qpcr.config import from_mapping
from qpcr.melt import melt_analysis
from qpcr.pipeline import analyze
from qpcr.report import write_report

CHROMIUM = chromium()

_CHARTS = """JSON.stringify(Array.from(document.querySelectorAll('figure.curve')).map(
  function (f) { return [f.dataset.figure, f.dataset.target,
    f.querySelectorAll('polyline').length, f.querySelectorAll('circle').length,
    f.querySelectorAll('line.threshold, line.consensus').length,
    f.querySelector('svg').getBoundingClientRect().width]; }))"""

_MELT_LINES = """JSON.stringify((function () { var l = Array.from(document.querySelectorAll(
  'figure[data-figure="melt-curves"][data-target="MYC"] polyline'));
  return [l.map(function (p) { return p.dataset.well; }),
          l.map(function (p) { return p.getAttribute('stroke'); })]; })())"""


def _melt_curves(layout: pd.DataFrame) -> pd.DataFrame:
    """A melt curve per well: GAPDH melts at 86 °C, MYC at 82 °C, except well B12 (MYC),
    which melts only at 74 °C (a primer-dimer)."""
    t = np.arange(65.0, 95.0, 0.25)
    rows = []
    for well, target in layout[["well", "target"]].itertuples(index=False):
        tm = 74.0 if well == "B12" else {"GAPDH": 86.0, "MYC": 82.0}[target]
        rows.append(pd.DataFrame({"plate": "plate1", "well": well, "target": target,
                                  "reporter": "", "sample": "", "kind": "melt",
                                  "temperature": t, "derivative": np.nan,
                                  "fluorescence": 100 / (1 + np.exp((t - tm) / 0.6))}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_curve_report_in_chromium(tmp_path: Path) -> None:
    export, layout = _plate(tmp_path)
    results = analyze([export], layout, from_mapping({**DESIGN, "efficiency_source": "curves"}))
    raw = _melt_curves(pd.read_csv(layout))
    melt, derivative = melt_analysis(raw)
    results = replace(results, tables={**results.tables, "melt": melt}, melt_derivative=derivative,
                      curves=pd.concat([results.curves, raw], ignore_index=True))  # fmt: skip
    out = tmp_path / "results"
    write_report(results, out, workbook=False)
    page = (out / "report.html").resolve()
    with Browser(CHROMIUM, width=1200, height=900) as browser:
        session = browser.open(page.as_uri())
        charts = json.loads(browser.evaluate(session, _CHARTS))
        wells, colours = json.loads(browser.evaluate(session, _MELT_LINES))
        shot = browser.screenshot(session, out / "report_curves.png")
        errors, requests = browser.console_errors(), browser.requests()
    assert errors == []
    assert requests == [page.as_uri()]
    # 12 wells per target, each called (a line each), the amplicon's threshold drawn once
    assert [c[:5] for c in charts] == [
        ["amplification", "GAPDH", 12, 0, 1], ["amplification", "MYC", 12, 0, 1],
        ["melt-curves", "GAPDH", 12, 0, 1], ["melt-curves", "MYC", 12, 0, 1],
        ["melt", "GAPDH", 0, 12, 1], ["melt", "MYC", 0, 12, 1],
    ]  # fmt: skip
    assert colours.count("#D55E00") == 1  # B12's primer-dimer curve, apart in colour
    assert colours.index("#D55E00") == wells.index("B12")
    assert all(c[5] > 300 for c in charts)  # drawn at a readable size
    assert melt.set_index("well").loc["B12", "primer_dimer"]
    assert melt.groupby("target")["target_tm"].first().round(1).to_dict() == {
        "GAPDH": 86.0, "MYC": 82.0,
    }  # fmt: skip
    with Image.open(shot) as image:
        assert image.height > 900  # the whole page, longer than the window
