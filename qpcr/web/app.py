"""The Starlette application of ``qpcr serve``: routes and the upload page."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .analyze import analyze_route

__all__ = ["create_app"]

#: The upload page: a filled template, or export(s) + layout + optional settings. The script
#: posts the form to /api/analyze and shows the error next to the form, or the report.
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qpcr</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
fieldset { margin-bottom: 1rem; } label { display: block; margin: .4rem 0; }
#error { color: #a00; white-space: pre-wrap; }
iframe { width: 100%; height: 80vh; border: 1px solid #ccc; }
</style></head><body>
<h1>qpcr: relative quantification of qPCR data</h1>
<form id="analyze" action="/api/analyze" method="post" enctype="multipart/form-data">
<fieldset><legend>A filled template</legend>
<label>Workbook (.xlsx) <input type="file" name="workbook" accept=".xlsx"></label></fieldset>
<fieldset><legend>Or instrument export(s) and a layout</legend>
<label>Export(s) <input type="file" name="export" multiple></label>
<label>Layout <input type="file" name="layout" multiple></label>
<label>Settings (TOML, optional) <input type="file" name="config" accept=".toml"></label>
</fieldset>
<button type="submit">Analyse</button>
</form>
<p id="status"></p><p id="error" role="alert"></p><p id="downloads"></p>
<iframe id="report" title="report" hidden></iframe>
<script>
const form = document.getElementById("analyze");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = document.getElementById("status"), error = document.getElementById("error");
  const links = document.getElementById("downloads"), report = document.getElementById("report");
  status.textContent = "Analysing..."; error.textContent = ""; links.textContent = "";
  report.hidden = true;
  const answer = await fetch(form.action, {method: "POST", body: new FormData(form)});
  const body = await answer.json().catch(() => ({text: "The server answered " + answer.status}));
  status.textContent = "";
  if (!answer.ok) { error.textContent = "error: " + body.text; return; }
  const names = {report: "report.html", workbook: "results.xlsx", tables: "tables (CSV, zip)"};
  for (const [key, name] of Object.entries(names)) {
    if (!body.downloads[key]) continue;
    const a = document.createElement("a"); a.href = body.downloads[key]; a.textContent = name;
    links.append(a, " ");
  }
  report.src = body.downloads.report; report.hidden = false;
});
</script></body></html>
"""


async def _page(request: Request) -> HTMLResponse:
    return HTMLResponse(_PAGE)


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(root: str | Path, keep_seconds: float = 3600) -> Starlette:
    """The web application; each analysis writes its results under ``root/results/<id>``.

    Parameters
    ----------
    root
        A folder the application owns (``qpcr serve`` makes a temporary one): uploads are kept
        in ``root/uploads/<id>`` while they are analysed, results in ``root/results/<id>``,
        served under ``/results/<id>/``. The id is random and unguessable.
    keep_seconds
        How long results stay to be downloaded: older folders are removed when the next
        analysis starts.

    Returns
    -------
    Starlette
        The ASGI application (run it with uvicorn).

    Examples
    --------
    >>> import tempfile
    >>> from starlette.testclient import TestClient
    >>> client = TestClient(create_app(tempfile.mkdtemp()))
    >>> client.get("/api/health").json()
    {'status': 'ok'}
    >>> answer = client.post("/api/analyze", files={"layout": ("layout.csv", b"well,sample")})
    >>> answer.status_code, answer.json()["where"]
    (400, 'upload')
    """
    root = Path(root)
    (root / "results").mkdir(parents=True, exist_ok=True)
    app = Starlette(
        routes=[
            Route("/", _page),
            Route("/api/health", _health),
            Route("/api/analyze", analyze_route, methods=["POST"]),
            Mount("/results", StaticFiles(directory=root / "results"), name="results"),
        ]
    )
    app.state.root = root
    app.state.keep_seconds = keep_seconds
    return app
