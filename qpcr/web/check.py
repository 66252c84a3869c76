"""``POST /api/check``: reference-plate runs and a spec in, the check as ``qpcr check``
reports it out.

The form takes ``run`` (one or more exports, checked in the order sent), ``spec`` (TOML),
optional ``layout`` and optional ``history`` (the history file of earlier runs, ``.csv`` or
``.parquet``). A worker process checks every run as ``qpcr check RUN... --spec SPEC --history
FILE`` does (:func:`qpcr.check.check_run`, each run judged against the runs before it, then
appended), and writes into the results folder what ``--json``, ``--chart check.html`` and
``--history`` write: ``check.json``, ``check.html`` (the verdicts, every rule and the control
chart) and the history with the new runs appended, to keep for next time. The answer is
``check.json`` (``verdict``, ``spec``, ``runs``, ``counts``, ``results``: the rule table)
plus ``downloads``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import InputError
from .upload import handle_upload

# The route, check_route, is mounted by qpcr.web.create_app.
__all__ = ["FIELDS"]

#: The upload's fields: how many files each takes.
FIELDS = {"run": 100, "spec": 1, "layout": 1, "history": 1}
_HISTORY_SUFFIXES = (".csv", ".parquet")


async def check_route(request: Request) -> JSONResponse:
    """The route: the runs checked in a worker process."""
    return await handle_upload(request, FIELDS, _check)


def _check(files: dict[str, list[Path]], outdir: Path, url: str) -> dict[str, Any]:
    """In a worker: the check of every run, its files in ``outdir`` (served at ``url``) and
    the answer."""
    import pandas as pd

    from .. import check as checks

    if not files["run"] or not files["spec"]:
        raise InputError(
            "a run and a spec are needed; expected 'run' (one or more exports) and 'spec'",
            where="upload",
            hint="The spec is the reference plate's TOML file (qpcr check --init-spec makes one)",
        )
    outdir.mkdir(parents=True)
    history = _history(files["history"], outdir)
    spec = checks.load_spec(files["spec"][0])
    layout = files["layout"][0] if files["layout"] else None
    results = pd.concat(
        [checks.check_run(run, spec, layout, history) for run in files["run"]],
        ignore_index=True,
    )
    text = checks.to_json(results, spec)
    (outdir / "check.json").write_text(text, encoding="utf-8")
    page = checks.check_page(results, spec, history, outdir / "chart.svg")
    (outdir / "check.html").write_text(page, encoding="utf-8")
    answer: dict[str, Any] = json.loads(text)
    names = {"page": "check.html", "json": "check.json", "chart": "chart.svg",
             "history": history.name}  # fmt: skip
    answer["downloads"] = {key: f"{url}/{name}" for key, name in names.items()}
    return answer


def _history(uploaded: list[Path], outdir: Path) -> Path:
    """The history file in ``outdir``: a copy of the uploaded one, else a new CSV."""
    if not uploaded:
        return outdir / "history.csv"
    suffix = uploaded[0].suffix.lower()
    if suffix not in _HISTORY_SUFFIXES:
        raise InputError(
            f"a history file named {uploaded[0].name!r}; expected .csv or .parquet",
            where="history",
            hint="Send the history file an earlier check wrote (or none to start one)",
        )
    return Path(shutil.copyfile(uploaded[0], outdir / f"history{suffix}"))
