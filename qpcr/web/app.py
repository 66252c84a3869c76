"""The Starlette application of ``qpcr serve``: routes, the worker pool and the clean-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .analyze import analyze_route
from .check import check_route
from .pages import PAGES
from .pool import WorkerPool, default_workers
from .start import template_route
from .upload import forget

__all__ = ["create_app"]

_LOG = logging.getLogger("qpcr.web")


async def _page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGES[request.url.path])


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    """A bug answers 500 in the shape of a user's error, without a traceback (the server's log
    keeps it)."""
    text = f"internal error ({type(exc).__name__}: {exc})"
    hint = "This is a bug in qpcr: please report it, with the files if you can"
    body = {"error": text, "where": "server", "hint": hint, "text": f"server: {text}. {hint}"}
    return JSONResponse(body, status_code=500)


def create_app(
    root: str | Path, keep_seconds: float = 3600, workers: int | None = None
) -> Starlette:
    """The web application; each analysis writes its results under ``root/results/<id>``.

    Parameters
    ----------
    root
        A folder the application owns (``qpcr serve`` makes a temporary one): uploads are kept
        in ``root/uploads/<id>`` while they are analysed, results in ``root/results/<id>``,
        served under ``/results/<id>/``. The id is random and unguessable.
    keep_seconds
        How long results stay to be downloaded: older folders are removed when the next
        upload starts, and every minute (or ``keep_seconds``, if shorter) while the
        application runs.
    workers
        How many analyses run at once, each in its own process (default: the CPUs,
        :func:`qpcr.web.pool.default_workers`). The workers are started with ``spawn``: a
        script that runs the application itself needs the ``if __name__ == "__main__":``
        guard, as with any use of :mod:`multiprocessing`.

    Returns
    -------
    Starlette
        The ASGI application (run it with uvicorn).

    Examples
    --------
    >>> import tempfile
    >>> from starlette.testclient import TestClient
    >>> with TestClient(create_app(tempfile.mkdtemp(), workers=1)) as client:
    ...     print(client.get("/api/health").json())
    ...     answer = client.post("/api/analyze", files={"layout": ("layout.csv", b"well,sample")})
    ...     print(answer.status_code, answer.json()["where"])
    {'status': 'ok'}
    400 upload
    """
    root = Path(root).resolve()  # the workers change folder
    (root / "results").mkdir(parents=True, exist_ok=True)
    pool = WorkerPool(workers or default_workers())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(_sweep(root / "results", keep_seconds))
        try:
            yield
        finally:
            sweeper.cancel()
            await asyncio.get_running_loop().run_in_executor(None, pool.close)

    app = Starlette(
        routes=[
            *(Route(path, _page) for path in PAGES),
            Route("/api/health", _health),
            Route("/api/template", template_route, methods=["POST"]),
            Route("/api/analyze", analyze_route, methods=["POST"]),
            Route("/api/check", check_route, methods=["POST"]),
            Mount("/results", StaticFiles(directory=root / "results"), name="results"),
        ],
        exception_handlers={Exception: _internal},
        lifespan=lifespan,
    )
    app.state.root = root
    app.state.keep_seconds = keep_seconds
    app.state.pool = pool
    return app


async def _sweep(results: Path, keep_seconds: float) -> None:
    """Remove old results folders every minute (or every ``keep_seconds``, if shorter)."""
    while True:
        await asyncio.sleep(min(60.0, keep_seconds))
        try:
            forget(results, keep_seconds)
        except OSError as exc:  # the folder gone or unreadable: try again next time
            _LOG.warning("could not clean %s: %s", results, exc)
