"""report.html of the bundled example in a real browser (headless Chromium, Debian's `chromium`
package; `.ci/run` installs it when missing and apt-get is usable, otherwise this test skips):
no console error, no request beyond the file itself, every fold change, CI and p-value of
fold_changes.csv shown as the page prints it, one plate-map cell per well, sorting works, and
a screenshot kept beside the results. At a phone's width (390 px) nothing but the tables' own
boxes scrolls sideways; printed to PDF, no figure or plate map is split across pages and no
page is blank."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _browser import Browser, chromium, emulate_device, print_media, print_pdf
from PIL import Image

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


_WIDE = """JSON.stringify({inner: window.innerWidth, page: document.documentElement.scrollWidth,
  out: Array.from(document.body.querySelectorAll('*')).filter(function (e) {
    return !e.closest('.scroll') && e.getBoundingClientRect().right > window.innerWidth + 0.5;
  }).map(function (e) { return e.tagName + '.' + e.className; }),
  boxes: Array.from(document.querySelectorAll('table')).map(function (t) {
    var box = t.closest('.scroll');
    return box ? [box.getBoundingClientRect().right, box.scrollWidth > box.clientWidth] : null;
  })})"""

_FIGURES = """JSON.stringify(Array.from(document.querySelectorAll('figure')).map(function (f) {
  return [getComputedStyle(f).breakInside, f.getBoundingClientRect().height]; }))"""


def test_example_report_at_phone_width(outdir: Path) -> None:
    with Browser(CHROMIUM, width=1200, height=900) as browser:
        session = browser.open((outdir / "report.html").resolve().as_uri())
        emulate_device(browser, session, 390, 844)
        wide = json.loads(browser.evaluate(session, _WIDE))
        browser.screenshot(session, outdir / "report-phone.png")
        errors = browser.console_errors()
    assert errors == []
    # The page is laid out at 390 px (not zoomed out to a wider layout) and nothing outside a
    # table's scroll box reaches past the right edge.
    assert wide["inner"] == wide["page"] == 390
    assert wide["out"] == []
    # Every table sits in its own scroll box within the screen; the wide ones scroll there.
    assert None not in wide["boxes"]
    assert all(right <= 390.5 for right, _ in wide["boxes"])
    assert sum(scrolls for _, scrolls in wide["boxes"]) >= 7  # the plate maps at least


def test_example_report_prints_to_pdf(outdir: Path) -> None:
    # A4 portrait less Chromium's default 0.4-inch margins: 718 × 1045 CSS px.
    with Browser(CHROMIUM, width=718, height=1045) as browser:
        session = browser.open((outdir / "report.html").resolve().as_uri())
        print_media(browser, session)
        figures = json.loads(browser.evaluate(session, _FIGURES))
        pdf = print_pdf(browser, session, outdir / "report.pdf")
        errors = browser.console_errors()
    assert errors == []
    # 3 figures and 7 plate maps, each kept whole: never broken inside and shorter than a page.
    assert len(figures) == 10
    assert all(brk == "avoid" and 0 < height <= 1045 for brk, height in figures), figures
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler) not installed: the PDF's pages are not checked")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    pages = text.split("\f")[:-1]
    assert 3 <= len(pages) <= 12  # 6 today
    if shutil.which("pdftoppm"):  # no blank page: each, rendered, has ink on it
        subprocess.run(["pdftoppm", "-r", "20", "-gray", str(pdf), str(outdir / "page")],
                       check=True)  # fmt: skip
        shots = sorted(outdir.glob("page-*.pgm"))
        assert len(shots) == len(pages)
        assert all((np.asarray(Image.open(shot)) < 250).sum() > 100 for shot in shots)
    # Each plate map's title and its legend below the map print on the same page.
    wells = pd.read_csv(outdir / "wells.csv")
    for target in dict.fromkeys(wells["target"]):
        title = [i for i, page in enumerate(pages) if f"{target}: Cq per well" in page]
        assert len(title) == 1, target
        after = pages[title[0]].split(f"{target}: Cq per well", 1)[1]
        assert "thick edges outline each sample" in after, target
