"""``POST /api/analyze``: an upload in, the analysis as JSON and a results folder out.

The multipart body is read through a counter held to the input budget (the whole upload within
``file_bytes``, :mod:`qpcr.io.budget`) before anything is kept; each part is then written under
a name made from its file name (never a path the client chose) into the request's own folder,
and analysed exactly as ``qpcr analyze`` would: :func:`qpcr.pipeline.analyze` and
:func:`qpcr.report.write_report`. The answer holds the tables ``fold_changes``, ``ratios`` and
``qc`` as records read back from the CSVs written (so the columns and numbers are the CSVs'),
and the URLs of the downloads under ``/results/<id>/``. A user's mistake answers 400 with
``{"error", "where", "hint", "text"}``; ``text`` is the error's one line as the CLI prints it
(in the library's words: a hint may name a parameter, e.g. ``format="NAME"``, where the CLI
names its option). Results folders older than the application's ``keep_seconds`` are removed
when the next analysis starts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import secrets
import shutil
import threading
import time
import zipfile
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import InputError, InternalError, QpcrError
from ..io.budget import budget, over_budget

# The route, analyze_route, is mounted by qpcr.web.create_app (whose example calls it).
__all__ = ["TABLES"]

#: The tables the answer carries, each read back from its CSV.
TABLES = ("fold_changes", "ratios", "qc")
#: The upload's fields: how many files each takes.
_FIELDS = {"workbook": 1, "export": 20, "layout": 20, "config": 1}
#: Bytes of multipart framing allowed beyond the files themselves.
_FRAMING = 64_000
#: One analysis at a time: the analysis keeps caches that were not written for threads. It runs
#: in a worker thread, so the page and the other routes keep answering meanwhile.
_ONE_AT_A_TIME = threading.Lock()


@dataclasses.dataclass(frozen=True)
class _Upload:
    """The files of one request, saved in its upload folder."""

    exports: list[Path]
    layouts: list[Path]
    config: Path | None


async def analyze_route(request: Request) -> JSONResponse:
    """The route: parse, save, analyse in a worker thread, answer."""
    root: Path = request.app.state.root
    _forget(root / "results", request.app.state.keep_seconds)
    run_id = secrets.token_urlsafe(16)
    inbox, outdir = root / "uploads" / run_id, root / "results" / run_id
    form = None
    try:
        form = await _read_form(request)
        upload = await _save(form, inbox)
        answer = await run_in_threadpool(_analyse, upload, outdir, f"/results/{run_id}")
    except QpcrError as exc:
        if isinstance(exc, InternalError):
            raise
        return _error(exc, inbox)
    finally:
        if form is not None:
            await form.close()
        shutil.rmtree(inbox, ignore_errors=True)
    return JSONResponse(answer)


def _forget(results: Path, keep_seconds: float) -> None:
    """Remove the results folders written more than ``keep_seconds`` ago."""
    now = time.time()
    for folder in results.iterdir():
        # a folder being written is renamed into place meanwhile (qpcr.atomic): let it be
        with contextlib.suppress(FileNotFoundError):
            if now - folder.stat().st_mtime > keep_seconds:
                shutil.rmtree(folder, ignore_errors=True)


async def _read_form(request: Request) -> FormData:
    """The multipart form, read through a counter that refuses a body beyond the budget."""
    limits = budget()
    limit = limits.file_bytes + _FRAMING
    if request.headers.get("content-type", "").split(";")[0].strip() != "multipart/form-data":
        raise InputError(
            "the request is not a multipart upload; expected multipart/form-data",
            where="upload",
            hint="Send the files as form fields: workbook, or export(s) + layout + config",
        )

    async def counted() -> AsyncGenerator[bytes, None]:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise over_budget("upload", "the upload has", seen, "file_bytes", limits, more=True)
            yield chunk

    parser = MultiPartParser(request.headers, counted(), max_files=sum(_FIELDS.values()))
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise InputError(
            f"the upload cannot be read ({exc.message}); expected a multipart form",
            where="upload",
        ) from None


async def _save(form: FormData, inbox: Path) -> _Upload:
    """Check the form's fields and write its files into ``inbox``."""
    unknown = sorted(set(form.keys()) - set(_FIELDS))
    if unknown:
        raise InputError(
            f"unknown field(s) {', '.join(map(repr, unknown))}; expected "
            f"{', '.join(map(repr, _FIELDS))}",
            where="upload",
        )
    # A browser sends an empty part, without a file name, for a file input left empty.
    fields = {
        field: [p for p in form.getlist(field) if not isinstance(p, UploadFile) or p.filename]
        for field in _FIELDS
    }
    if bool(fields["workbook"]) == bool(fields["export"]):
        raise InputError(
            "give either a filled template or instrument export(s); expected one of 'workbook' "
            "or 'export'",
            where="upload",
            hint="A filled template carries its layout and settings; an export needs a layout",
        )
    saved: dict[str, list[Path]] = {}
    inbox.mkdir(parents=True)
    for field, most in _FIELDS.items():
        parts = fields[field]
        if len(parts) > most:
            raise InputError(f"{len(parts)} files; expected at most {most}", where=field)
        saved[field] = [await _write(part, field, inbox) for part in parts]
    config = saved["config"][0] if saved["config"] else None
    return _Upload(saved["workbook"] + saved["export"], saved["layout"], config)


async def _write(part: UploadFile | str, field: str, inbox: Path) -> Path:
    """One part written into ``inbox`` under its file name, cleaned of any folder and of
    characters outside letters, digits, ``._-`` and space."""
    if not isinstance(part, UploadFile):
        raise InputError("a text value; expected a file", where=field)
    name = re.sub(r"[^\w.\- ]", "_", Path(part.filename or "").name).lstrip(". ") or field
    path = inbox / name
    if path.exists():
        raise InputError(
            f"two files named {name!r}; expected one file per name",
            where=field,
            hint="Rename one of them: the file name names the plate in the results",
        )
    with path.open("wb") as out:
        while chunk := await part.read(1 << 20):
            out.write(chunk)
    return path


def _analyse(upload: _Upload, outdir: Path, url: str) -> dict[str, Any]:
    """The analysis and its results folder, as ``qpcr analyze`` writes them, plus the CSV zip;
    returns the answer (:func:`_answer`, the folder served at ``url``)."""
    from ..config import load_config
    from ..pipeline import analyze
    from ..report import write_report

    with _ONE_AT_A_TIME:
        config = load_config(upload.config) if upload.config else None
        results = analyze(upload.exports, layout=upload.layouts or None, config=config)
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


def _error(exc: QpcrError, inbox: Path) -> JSONResponse:
    """A user's mistake as JSON (400), the upload folder's path cut from every text so that a
    file is named as the user named it."""

    def clean(text: str) -> str:
        return text.replace(f"{inbox}/", "").replace(str(inbox), "upload")

    body = {
        "error": clean(exc.message),
        "where": clean(exc.where),
        "hint": clean(exc.hint),
        "text": clean(str(exc)),
    }
    return JSONResponse(body, status_code=400)
