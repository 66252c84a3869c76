"""``qpcr serve`` driven by a user in headless Chromium (as test_report_browser.py; skipped
without Chromium): on the Start page, type the genes and factors and download the template;
on the Analyse page, pick the example's export, layout and settings and see the report with
the CLI's fold changes; on the Check page, pick reference-plate runs and a spec and see the
verdict and the control chart. Screenshots are kept in the test's folder."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from _browser import Browser, allow_downloads, chromium, set_files, wait_until
from click.testing import CliRunner

pytest.importorskip("uvicorn", reason="the web extra is not installed")

from _served import serving

from qpcr.cli import app

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"
EXPORT = EXAMPLE / "quantstudio_96_results.txt"
LAYOUT = EXAMPLE / "quantstudio_96_layout.csv"
CONFIG = EXAMPLE / "analysis_96.toml"
PLATE = Path(__file__).parents[1] / "examples" / "reference_plate"
CHROMIUM = chromium()

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt chromium)"),
    pytest.mark.skipif(not EXAMPLE.is_dir(), reason="the example is not here"),
]

#: The fold-change rows of the report shown in the page's frame: target, fold change.
_FOLDS = """JSON.stringify(Array.from(document.getElementById('report').contentDocument
  .querySelectorAll('section:has(#fold-changes) tbody tr')).map(function (tr) {
  return [tr.dataset.contrast, tr.dataset.target, tr.cells[3].innerText.trim()]; }))"""


def _go(browser: Browser, session: str, link: str, form: str) -> None:
    """Follow the navigation link named ``link`` and wait for the page's form."""
    name, form = json.dumps(link), json.dumps(form)
    nav = "Array.from(document.querySelectorAll('nav a'))"
    browser.evaluate(session, f"{nav}.find(a => a.textContent === {name}).click()")
    ready = f"document.readyState === 'complete' && document.getElementById({form}) !== null"
    wait_until(browser, session, ready)


def _status(pattern: str) -> str:
    """An expression: the status line once it matches ``pattern`` (a JS regular expression)."""
    return f"document.getElementById('status').textContent.match({pattern})?.input"


def test_a_user_starts_analyses_and_checks_in_chromium(tmp_path: Path) -> None:
    cli = tmp_path / "cli"
    args = ["analyze", str(EXPORT), "-l", str(LAYOUT), "-c", str(CONFIG), "-o", str(cli), "-q"]
    assert CliRunner().invoke(app, args).exit_code == 0
    want = pd.read_csv(cli / "fold_changes.csv")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with serving(tmp_path / "serve", workers=1) as url, Browser(CHROMIUM) as browser:
        allow_downloads(browser, downloads)
        session = browser.open(f"{url}/start")
        for name, value in [("targets", "BMP2, VEGFA, TBP, RPL13A"), ("reference_genes",
                            "TBP, RPL13A"), ("factors", "oxygen=normoxia,hypoxia\n"
                            "treatment=vehicle,tocilizumab")]:  # fmt: skip
            browser.evaluate(session, f"document.querySelector('[name={name}]').value = "
                                      f"{json.dumps(value)}")  # fmt: skip
        browser.evaluate(session, "document.querySelector('#template button').click()")
        template = downloads / "qpcr-template.xlsx"
        wait_until(browser, session, _status("/^Downloaded/"))
        for _ in range(300):  # the file is renamed into place once written
            if template.exists():
                break
            time.sleep(0.1)
        start = browser.screenshot(session, tmp_path / "serve-start.png")

        _go(browser, session, "Analyse", "analyze")
        set_files(browser, session, "input[name=export]", [EXPORT])
        set_files(browser, session, "input[name=layout]", [LAYOUT])
        set_files(browser, session, "input[name=config]", [CONFIG])
        browser.evaluate(session, "document.querySelector('#analyze button').click()")
        rows = (
            f"(() => {{ try {{ const r = {_FOLDS}; return r !== '[]' && r; }} catch (e) {{}} }})()"
        )
        shown = json.loads(wait_until(browser, session, rows))
        anchors = "Array.from(document.querySelectorAll('#downloads a'))"
        links = browser.evaluate(session, f"{anchors}.map(a => a.textContent)")
        analyse = browser.screenshot(session, tmp_path / "serve-analyse.png")

        _go(browser, session, "Check a reference plate", "check")
        set_files(browser, session, "input[name=run]", sorted((PLATE / "runs").glob("*.csv"))[:8])
        set_files(browser, session, "input[name=spec]", [PLATE / "spec.toml"])
        browser.evaluate(session, "document.querySelector('#check button').click()")
        verdict = wait_until(browser, session, _status("/^(PASS|WARN|FAIL) /"))
        frame = "document.getElementById('report').contentDocument"
        wait_until(browser, session, f"{frame}.querySelector('svg') !== null")
        check = browser.screenshot(session, tmp_path / "serve-check.png")
        errors = browser.console_errors()
    assert errors == []
    settings = openpyxl.load_workbook(io.BytesIO(template.read_bytes()))["Settings"]
    targets = next(r for r in settings.iter_rows(values_only=True) if r[0] == "targets")
    assert [v for v in targets[2:] if v] == ["BMP2", "VEGFA", "TBP", "RPL13A"]
    assert [(r[0], r[1], r[2]) for r in shown] == [
        (r["contrast"], r["target"], f"{r['fold_change']:.3g}") for r in want.to_dict("records")
    ]
    assert links == ["report.html", "results.xlsx", "tables (CSV, zip)"]
    assert verdict == "PASS (0 fail, 0 warn, 152 pass, 440 skip)"  # 8 runs x 19 rules
    for shot in (start, analyse, check):
        assert shot.read_bytes()[:4] == b"\x89PNG"
