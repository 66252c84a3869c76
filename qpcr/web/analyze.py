"""``POST /api/analyze``: an upload in, the analysis as JSON and a results folder out.

The form (:mod:`qpcr.web.upload`: the input budget, cleaned file names, the request's own
folder) takes ``workbook`` (a filled template), or ``export`` (one or more) + ``layout`` +
optional ``config`` (TOML). A worker process (:mod:`qpcr.web.pool`) analyses it exactly as
``qpcr analyze`` would: :func:`qpcr.pipeline.analyze` and :func:`qpcr.report.write_report`,
plus ``tables.zip`` of the CSVs. The answer holds the tables ``fold_changes``, ``ratios`` and
``qc`` as records read back from the CSVs written (so the columns and numbers are the CSVs'),
and the URLs of the downloads under ``/results/<id>/``. A user's mistake answers 400 with
``{"error", "where", "hint", "text"}``; ``text`` is the error's one line as the CLI prints it
(in the library's words: a hint may name a parameter, e.g. ``format="NAME"``, where the CLI
names its option).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import InputError
from .upload import handle_upload

# The route, analyze_route, is mounted by qpcr.web.create_app (whose example calls it).
__all__ = ["TABLES"]

#: The tables the answer carries, each read back from its CSV.
TABLES = ("fold_changes", "ratios", "qc")
#: The upload's fields: how many files each takes.
_FIELDS = {"workbook": 1, "export": 20, "layout": 20, "config": 1}


async def analyze_route(request: Request) -> JSONResponse:
    """The route: the upload analysed in a worker process."""
    return await handle_upload(request, _FIELDS, _analyse)


def _analyse(files: dict[str, list[Path]], outdir: Path, url: str) -> dict[str, Any]:
    """In a worker: the analysis and its results folder, as ``qpcr analyze`` writes them,
    plus the CSV zip; returns the answer (:func:`_answer`, the folder served at ``url``)."""
    from ..config import load_config
    from ..pipeline import analyze
    from ..report import write_report

    if bool(files["workbook"]) == bool(files["export"]):
        raise InputError(
            "give either a filled template or instrument export(s); expected one of 'workbook' "
            "or 'export'",
            where="upload",
            hint="A filled template carries its layout and settings; an export needs a layout",
        )
    config = load_config(files["config"][0]) if files["config"] else None
    inputs = files["workbook"] + files["export"]
    results = analyze(inputs, layout=files["layout"] or None, config=config)
    write_report(results, outdir)
    with zipfile.ZipFile(outdir / "tables.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for csv in sorted(outdir.glob("*.csv")):
            archive.write(csv, csv.name)
    return _answer(outdir, url)


def _answer(outdir: Path, url: str) -> dict[str, Any]:
    """The JSON answer: the tables as records (the CSVs read back) and the download URLs."""
    import pandas as pd

    answer: dict[str, Any] = {}
    for table in TABLES:
        path = outdir / f"{table}.csv"
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""]) if path.exists() else None
        if frame is None or frame.empty:
            answer[table] = []
            continue
        answer[table] = frame.astype(object).where(frame.notna(), None).to_dict("records")
    files = {"report": "report.html", "workbook": "results.xlsx", "tables": "tables.zip"}
    downloads: dict[str, Any] = {
        key: f"{url}/{name}" for key, name in files.items() if (outdir / name).exists()
    }
    downloads["figures"] = [f"{url}/figures/{p.name}" for p in sorted(outdir.glob("figures/*"))]
    answer["downloads"] = downloads
    return answer
