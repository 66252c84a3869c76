"""report.html of the bundled example in a real browser (headless Chromium, Debian's `chromium`
package; `.ci/run` installs it when missing and apt-get is usable, otherwise this test skips):
no console error, no request beyond the file itself, every fold change, CI and p-value of
fold_changes.csv shown as the page prints it, one plate-map cell per well, sorting works, and
a screenshot kept beside the results."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _browser import Browser, chromium

from qpcr.config import load_config
from qpcr.pipeline import analyze
from qpcr.report import write_report
from qpcr.report.html import fmt_p

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"
CHROMIUM = chromium()

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)

_ROWS = """JSON.stringify(Array.from(document.querySelectorAll(
  '#fold-changes ~ .scroll tbody tr, section:has(#fold-changes) tbody tr')).map(function (tr) {
  return [tr.dataset.contrast, tr.dataset.target].concat(
    Array.from(tr.cells).map(function (td) { return td.innerText.trim(); }));
}))"""

_MAPS = """JSON.stringify(Array.from(document.querySelectorAll('figure.platemap')).map(
  function (f) { return [f.dataset.target, f.querySelectorAll('td[data-well]').length,
    new Set(Array.from(f.querySelectorAll('td[data-well]')).map(function (td) {
      return td.dataset.well; })).size,
    f.querySelector('table.plate').getBoundingClientRect().width]; }))"""


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = analyze(
        [EXAMPLE / "quantstudio_384_results.txt"],
        layout=EXAMPLE / "quantstudio_384_layout.csv",
        config=load_config(EXAMPLE / "analysis.toml"),
    )
    out = tmp_path_factory.mktemp("browser") / "results"
    write_report(results, out)
    return out


def test_example_report_in_chromium(outdir: Path) -> None:
    page = (outdir / "report.html").resolve()
    with Browser(CHROMIUM, width=1200, height=900) as browser:
        session = browser.open(page.as_uri())
        rows = json.loads(browser.evaluate(session, _ROWS))
        maps = json.loads(browser.evaluate(session, _MAPS))
        # Sorting by p (column 7) puts the smallest p first.
        browser.evaluate(session, "document.querySelectorAll('section:has(#fold-changes) th')[6]"
                                  ".click()")  # fmt: skip
        first = json.loads(browser.evaluate(session, _ROWS))[0]
        shot = browser.screenshot(session, outdir / "report.png")
        errors, requests = browser.console_errors(), browser.requests()
    assert errors == []
    assert requests == [page.as_uri()]  # the page itself, nothing else
    table = pd.read_csv(outdir / "fold_changes.csv")
    assert len(rows) == len(table) == 20
    shown = {(r[0], r[1]): r[2:] for r in rows}
    for r in table.to_dict("records"):
        cells = shown[(r["contrast"], r["target"])]
        # comparison, target, n, fold change, CI low, CI high, p, p adj, test, note
        assert cells[1:8] == [r["target"], str(r["n"]), f"{r['fold_change']:.3g}",
                              f"{r['ci_low']:.3g}", f"{r['ci_high']:.3g}",
                              fmt_p(r["p_value"]), fmt_p(r["p_adj"])]  # fmt: skip
    assert first[1] == table.loc[table["p_value"].idxmin(), "target"]
    wells = pd.read_csv(outdir / "wells.csv")
    assert [m[0] for m in maps] == list(dict.fromkeys(wells["target"]))
    assert all(m[1] == m[2] == 384 for m in maps)  # one cell per well of the 384-well plate
    assert all(0 < m[3] <= 1200 for m in maps)  # the map fits the window's width
    assert shot.stat().st_size > 50_000  # a real picture, kept with the results
