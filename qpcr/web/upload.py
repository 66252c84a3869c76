"""What every upload route shares: the multipart form read within the input budget, its files
saved under cleaned names into the request's own folder, the job run in the worker pool, and a
user's mistake answered as JSON 400 in the CLI's words.

No path the client sends is ever opened: a part's file name is cut to its last component and
cleaned of every character outside letters, digits, ``._-`` and space before anything is
written, and only into a folder named by a random id.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from ..errors import InputError, InternalError, QpcrError
from ..io.budget import budget, over_budget

__all__ = ["check_fields", "error_response", "forget", "handle_upload", "read_form", "saved_files"]

#: Bytes of multipart framing allowed beyond the files themselves.
_FRAMING = 64_000


async def handle_upload(
    request: Request, fields: dict[str, int], job: Callable[..., dict[str, Any]]
) -> JSONResponse:
    """Read the form (file fields ``fields``: name → most files), save its files into a fresh
    upload folder, run ``job(files, outdir, url)`` in the worker pool and answer its JSON;
    ``files`` maps each field to its saved paths, ``outdir`` is the results folder served at
    ``url``. The upload folder is removed whatever happens.

    Parameters
    ----------
    request
        The request; its application's state holds ``root``, ``keep_seconds`` and ``pool``.
    fields
        The form's file fields: name → the most files it takes.
    job
        A module-level function (the pool pickles it by name), run from inside the upload
        folder on the files' bare names.

    Returns
    -------
    JSONResponse
        The job's answer, or a user's mistake (400, :func:`error_response`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from starlette.applications import Starlette
    >>> from starlette.routing import Route
    >>> from starlette.testclient import TestClient
    >>> class InProcess:  # stands in for the worker pool (qpcr.web.pool.WorkerPool)
    ...     async def run(self, job, *args):
    ...         return job(*args)
    >>> def sizes(files, outdir, url):  # a job: the size of each file saved
    ...     return {field: [p.stat().st_size for p in paths] for field, paths in files.items()}
    >>> async def route(request):
    ...     return await handle_upload(request, {"run": 2}, sizes)
    >>> app = Starlette(routes=[Route("/up", route, methods=["POST"])])
    >>> app.state.root, app.state.keep_seconds = Path(tempfile.mkdtemp()), 60
    >>> app.state.pool = InProcess()
    >>> (app.state.root / "results").mkdir()
    >>> client = TestClient(app)
    >>> client.post("/up", files=[("run", ("a.csv", b"well,cq"))]).json()
    {'run': [7]}
    >>> client.post("/up", files=[("runs", ("a.csv", b"well,cq"))]).json()["text"]
    "upload: unknown field(s) 'runs'; expected 'run'"
    """
    root: Path = request.app.state.root
    forget(root / "results", request.app.state.keep_seconds)
    run_id = secrets.token_urlsafe(16)
    inbox, outdir = root / "uploads" / run_id, root / "results" / run_id
    form = None
    try:
        form = await read_form(request, sum(fields.values()))
        files = await saved_files(form, fields, inbox)
        names = {field: [Path(path.name) for path in paths] for field, paths in files.items()}
        sent = [f"{field}={path}" for field, paths in names.items() for path in paths]
        command = ["qpcr serve", f"POST {request.url.path}", *sent]
        url = f"/results/{run_id}"
        answer = await request.app.state.pool.run(
            _in_inbox, job, inbox, command, names, outdir, url
        )
    except QpcrError as exc:
        if isinstance(exc, InternalError):
            raise
        return error_response(exc, inbox)
    finally:
        if form is not None:
            await form.close()
        shutil.rmtree(inbox, ignore_errors=True)
    return JSONResponse(answer)


def _in_inbox(
    job: Callable[..., dict[str, Any]],
    inbox: Path,
    command: list[str],
    files: dict[str, list[Path]],
    outdir: Path,
    url: str,
) -> dict[str, Any]:
    """In a worker process: ``job(files, outdir, url)`` run from inside the upload folder with
    ``files`` by their bare names, so that messages and the provenance name each file as the
    user named it; the provenance's ``command`` (``sys.argv``) is the request's ``command``."""
    argv, cwd = sys.argv, os.getcwd()
    sys.argv = command
    os.chdir(inbox)
    try:
        return job(files, outdir, url)
    finally:
        os.chdir(cwd)
        sys.argv = argv


def forget(results: Path, keep_seconds: float) -> None:
    """Remove the results folders written more than ``keep_seconds`` ago.

    Parameters
    ----------
    results
        The folder holding one folder per analysis.
    keep_seconds
        How long a folder stays.

    Examples
    --------
    >>> import os, tempfile, time
    >>> from pathlib import Path
    >>> results = Path(tempfile.mkdtemp())
    >>> (results / "old").mkdir(); (results / "new").mkdir()
    >>> os.utime(results / "old", (time.time() - 120, time.time() - 120))
    >>> forget(results, keep_seconds=60)
    >>> sorted(p.name for p in results.iterdir())
    ['new']
    """
    now = time.time()
    for folder in results.iterdir():
        # a folder being written is renamed into place meanwhile (qpcr.atomic): let it be
        with contextlib.suppress(FileNotFoundError):
            if now - folder.stat().st_mtime > keep_seconds:
                shutil.rmtree(folder, ignore_errors=True)


async def read_form(request: Request, max_files: int) -> FormData:
    """The multipart form, read through a counter that refuses a body beyond the input
    budget's ``file_bytes`` (:mod:`qpcr.io.budget`) while it streams in.

    Parameters
    ----------
    request
        The request.
    max_files
        The most file parts taken.

    Returns
    -------
    FormData
        The form (close it when done).

    Raises
    ------
    InputError
        Where ``upload``: the request is not multipart, too large, malformed or cut off.

    Examples
    --------
    >>> import asyncio
    >>> from starlette.requests import ClientDisconnect, Request
    >>> async def receive():
    ...     return {"type": "http.request", "body": b"{}"}
    >>> scope = {"type": "http", "method": "POST", "headers": [(b"content-type", b"text/json")]}
    >>> asyncio.run(read_form(Request(scope, receive), 1))
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: upload: the request is not a multipart upload; expected ...
    """
    limits = budget()
    limit = limits.file_bytes + _FRAMING
    if request.headers.get("content-type", "").split(";")[0].strip() != "multipart/form-data":
        raise InputError(
            "the request is not a multipart upload; expected multipart/form-data",
            where="upload",
            hint="Send the files and values as form fields",
        )

    async def counted() -> AsyncGenerator[bytes, None]:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise over_budget("upload", "the upload has", seen, "file_bytes", limits, more=True)
            yield chunk

    parser = MultiPartParser(request.headers, counted(), max_files=max_files)
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise InputError(
            f"the upload cannot be read ({exc.message}); expected a multipart form",
            where="upload",
        ) from None
    except ClientDisconnect:  # nobody is left to read the answer; the server's log stays clean
        raise InputError(
            "the upload stopped before its end; expected the whole form", where="upload"
        ) from None


def check_fields(form: FormData, known: list[str]) -> None:
    """Refuse a form with a field outside ``known``.

    Parameters
    ----------
    form
        The form read.
    known
        The fields the route takes.

    Raises
    ------
    InputError
        Naming the unknown fields and the known ones.

    Examples
    --------
    >>> from starlette.datastructures import FormData
    >>> check_fields(FormData([("exports", "x")]), ["export", "layout"])
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: upload: unknown field(s) 'exports'; expected 'export', 'layout'
    """
    unknown = sorted(set(form.keys()) - set(known))
    if unknown:
        raise InputError(
            f"unknown field(s) {', '.join(map(repr, unknown))}; expected "
            f"{', '.join(map(repr, known))}",
            where="upload",
        )


async def saved_files(form: FormData, fields: dict[str, int], inbox: Path) -> dict[str, list[Path]]:
    """The form's files, field by field, written into ``inbox`` (made here).

    A browser sends an empty part, without a file name, for a file input left empty: such
    parts, and empty text values, are left out.

    Parameters
    ----------
    form
        The form read.
    fields
        Field name → the most files it takes.
    inbox
        A new folder for the files.

    Returns
    -------
    dict of str to list of Path
        Field → the saved files, in the order sent.

    Examples
    --------
    >>> import asyncio, io, tempfile
    >>> from pathlib import Path
    >>> from starlette.datastructures import FormData, UploadFile
    >>> part = UploadFile(io.BytesIO(b"well,cq"), filename="../../etc/run.csv")
    >>> inbox = Path(tempfile.mkdtemp()) / "inbox"
    >>> files = asyncio.run(saved_files(FormData([("run", part)]), {"run": 2}, inbox))
    >>> files["run"] == [inbox / "run.csv"], files["run"][0].read_bytes()
    (True, b'well,cq')
    """
    check_fields(form, list(fields))
    parts = {
        field: [p for p in form.getlist(field) if (p.filename if isinstance(p, UploadFile) else p)]
        for field in fields
    }
    inbox.mkdir(parents=True)
    saved: dict[str, list[Path]] = {}
    for field, most in fields.items():
        if len(parts[field]) > most:
            raise InputError(f"{len(parts[field])} files; expected at most {most}", where=field)
        saved[field] = [await _write(part, field, inbox) for part in parts[field]]
    return saved


async def _write(part: UploadFile | str, field: str, inbox: Path) -> Path:
    """One part written into ``inbox`` under its cleaned file name."""
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


def error_response(exc: QpcrError, inbox: Path | None = None) -> JSONResponse:
    """A user's mistake as JSON (400): ``error``, ``where``, ``hint`` and ``text`` (the line
    the CLI prints), the upload folder ``inbox`` cut from every text so that a file is named
    as the user named it.

    Parameters
    ----------
    exc
        The mistake.
    inbox
        The request's upload folder, if any.

    Returns
    -------
    JSONResponse
        Status 400.

    Examples
    --------
    >>> import json
    >>> from pathlib import Path
    >>> from qpcr.errors import InputError
    >>> exc = InputError("no wells", where="/srv/up/x1/run.txt", hint="Check the file")
    >>> answer = error_response(exc, Path("/srv/up/x1"))
    >>> body = json.loads(answer.body)
    >>> answer.status_code, body["where"], body["text"]
    (400, 'run.txt', 'run.txt: no wells. Check the file')
    """

    def clean(text: str) -> str:
        if inbox is None:
            return text
        return text.replace(f"{inbox}/", "").replace(str(inbox), "upload")

    body = {
        "error": clean(exc.message),
        "where": clean(exc.where),
        "hint": clean(exc.hint),
        "text": clean(str(exc)),
    }
    return JSONResponse(body, status_code=400)
