"""The three pages of ``qpcr serve``: Start (a blank template), Analyse (the report) and Check
a reference plate (the verdict and the control chart). Each posts its form to the API with a
short script and shows the answer, or the error as the CLI words it, next to the form.

The pages are plain HTML with no external resource (the server may have no internet).
"""

from __future__ import annotations

from html import escape

from ..plate import PLATES

__all__ = ["PAGES"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; }
nav a { margin-right: 1.2rem; } nav a[aria-current] { font-weight: bold; color: inherit; }
fieldset { margin-bottom: 1rem; } label { display: block; margin: .4rem 0; }
input[type=text], textarea { width: 100%; box-sizing: border-box; }
#error { color: #a00; white-space: pre-wrap; } #downloads a { margin-right: 1rem; }
iframe { width: 100%; height: 80vh; border: 1px solid #ccc; }
"""

#: Posts a form to its action; shows the status, the error (the CLI's line), or calls `done`.
_POST = """
function post(form, done) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("status"), error = document.getElementById("error");
    status.textContent = "Working..."; error.textContent = "";
    document.getElementById("downloads").textContent = "";
    document.getElementById("report").hidden = true;
    let answer;
    try { answer = await fetch(form.action, {method: "POST", body: new FormData(form)}); }
    catch (e) {
      status.textContent = ""; error.textContent = "error: no answer from the server"; return;
    }
    status.textContent = "";
    if (!answer.ok) {
      const said = {text: "the server answered " + answer.status};
      const body = await answer.json().catch(() => said);
      error.textContent = "error: " + body.text; return;
    }
    await done(answer);
  });
}
function links(downloads, names) {
  const place = document.getElementById("downloads");
  for (const [key, name] of Object.entries(names)) {
    if (!downloads[key]) continue;
    const a = document.createElement("a"); a.href = downloads[key]; a.textContent = name;
    place.append(a);
  }
}
function show(url) {
  const frame = document.getElementById("report"); frame.src = url; frame.hidden = false;
}
"""

_PLATE_OPTIONS = "".join(f"<option{' selected' * (n == 96)}>{n}</option>" for n in PLATES)

_START = f"""
<h2>Start: a blank template to fill in</h2>
<p>Type what you will measure; everything can be changed later on the workbook's Settings sheet.
Fill in the workbook in Excel or LibreOffice, then drop it on the <a href="/">Analyse</a> page.</p>
<form id="template" action="/api/template" method="post" enctype="multipart/form-data">
<label>Plate size <select name="plate">{_PLATE_OPTIONS}</select></label>
<label>Targets (genes, separated by commas)
<input type="text" name="targets" placeholder="BMP2, VEGFA, TBP, RPL13A"></label>
<label>Reference genes, among the targets
<input type="text" name="reference_genes" placeholder="TBP, RPL13A"></label>
<label>Factors: one per line, its name then its levels
<textarea name="factors" rows="3"
placeholder="oxygen=normoxia,hypoxia&#10;treatment=vehicle,tocilizumab"></textarea></label>
<label>Biological replicate (the column naming donor, animal or culture)
<input type="text" name="replicate" value="donor"></label>
<button type="submit">Download the template</button>
</form>
"""

_START_SCRIPT = """
post(document.getElementById("template"), async (answer) => {
  const name = /filename="([^"]+)"/.exec(answer.headers.get("content-disposition"))[1];
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await answer.blob()); a.download = name; a.textContent = name;
  document.getElementById("downloads").append(a);
  document.getElementById("status").textContent =
    "Downloaded " + name + ": fill it in, then analyse it.";
  a.click();
});
"""

_ANALYSE = """
<h2>Analyse: a filled template, or instrument export(s) and a layout</h2>
<form id="analyze" action="/api/analyze" method="post" enctype="multipart/form-data">
<fieldset><legend>A filled template</legend>
<label>Workbook (.xlsx) <input type="file" name="workbook" accept=".xlsx,.xlsm,.ods"></label>
</fieldset>
<fieldset><legend>Or instrument export(s) and a layout</legend>
<label>Export(s) <input type="file" name="export" multiple></label>
<label>Layout <input type="file" name="layout" multiple></label>
<label>Settings (TOML, optional) <input type="file" name="config" accept=".toml"></label>
</fieldset>
<button type="submit">Analyse</button>
</form>
"""

_ANALYSE_SCRIPT = """
post(document.getElementById("analyze"), async (answer) => {
  const body = await answer.json();
  links(body.downloads,
    {report: "report.html", workbook: "results.xlsx", tables: "tables (CSV, zip)"});
  show(body.downloads.report);
});
"""

_CHECK = """
<h2>Check a reference plate</h2>
<p>The runs are checked in the order given, each against its spec and the runs before it; keep
the history file to send with the next runs.</p>
<form id="check" action="/api/check" method="post" enctype="multipart/form-data">
<label>Run(s): instrument exports <input type="file" name="run" multiple></label>
<label>Spec (TOML) <input type="file" name="spec" accept=".toml"></label>
<label>Layout (optional) <input type="file" name="layout"></label>
<label>History of earlier runs (optional)
<input type="file" name="history" accept=".csv,.parquet"></label>
<button type="submit">Check</button>
</form>
"""

_CHECK_SCRIPT = """
post(document.getElementById("check"), async (answer) => {
  const body = await answer.json(), c = body.counts;
  document.getElementById("status").textContent = body.verdict.toUpperCase() + " (" + c.fail +
    " fail, " + c.warn + " warn, " + c.pass + " pass, " + c.skip + " skip)";
  links(body.downloads, {page: "check.html", json: "check.json", chart: "control chart",
    history: "history (keep it)"});
  show(body.downloads.page);
});
"""

_NAV = (("/start", "Start"), ("/", "Analyse"), ("/check", "Check a reference plate"))


def _page(path: str, body: str, script: str) -> str:
    """A whole page: the navigation (``path`` is the current one), ``body`` and its script."""
    nav = " ".join(
        f'<a href="{href}"{" aria-current=page" * (href == path)}>{escape(name)}</a>'
        for href, name in _NAV
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>qpcr</title><style>{_STYLE}</style></head><body>\n"
        f"<h1>qpcr: relative quantification of qPCR data</h1><nav>{nav}</nav>{body}"
        '<p id="status" role="status"></p><p id="error" role="alert"></p><p id="downloads"></p>'
        f'<iframe id="report" title="report" hidden></iframe>\n<script>{_POST}{script}</script>'
        "</body></html>\n"
    )


#: Path → the page's HTML.
PAGES = {
    "/start": _page("/start", _START, _START_SCRIPT),
    "/": _page("/", _ANALYSE, _ANALYSE_SCRIPT),
    "/check": _page("/check", _CHECK, _CHECK_SCRIPT),
}
