"""``qpcr serve``: the upload page and HTTP API (:mod:`qpcr.web`) on a local uvicorn server."""

import click

from ..errors import InputError
from . import app, stderr, user_errors

#: The modules of the ``web`` extra (import names).
_WEB_EXTRA = ("starlette", "uvicorn", "multipart", "python_multipart")
_LOCAL = ("127.0.0.1", "localhost", "::1")


@app.command()
@click.option("--host", default="127.0.0.1", metavar="ADDRESS",
              help="Address to listen on; anything but localhost opens the page (which has no "
              "login) to the network.")  # fmt: skip
@click.option("--port", default=8000, metavar="PORT", help="Port to listen on (1 to 65535).")
@click.option("--keep", default=60, metavar="MIN",
              help="Minutes the results stay to be downloaded.")  # fmt: skip
@click.option("--workers", type=int, metavar="N", help="Analyses at once, each in its own "
              "process (default: the number of CPUs).")  # fmt: skip
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the web browser.")
def serve(host: str, port: int, keep: int, workers: int | None, open_browser: bool) -> None:
    """Serve a web page (and HTTP API) that analyses an uploaded workbook or export."""
    with user_errors():
        if not 1 <= port <= 65_535:
            raise InputError(f"{port} is not a port; expected 1 to 65535", where="--port")
        if keep < 1:
            raise InputError(f"{keep} minutes; expected at least 1", where="--keep")
        if workers is not None and workers < 1:
            raise InputError(f"{workers} workers; expected at least 1", where="--workers")
        try:
            import uvicorn

            from ..web import create_app
        except ImportError as exc:
            if exc.name not in _WEB_EXTRA:
                raise
            raise InputError(
                f"the web extra is not installed (no module {exc.name!r}); expected starlette, "
                "uvicorn and python-multipart",
                where="serve",
                hint='Install them with pip install "qpcrkit[web]"',
            ) from None
        import tempfile
        import threading
        import webbrowser

        if host not in _LOCAL:
            stderr().print(
                f"[yellow]warning:[/] listening on {host}: the page has no login; anyone who "
                "can reach this address can upload files and read the results.",
                highlight=False,
            )
        url = f"http://{'localhost' if host in _LOCAL else host}:{port}/"
        with tempfile.TemporaryDirectory(prefix="qpcr-serve-") as root:
            server = uvicorn.Server(
                uvicorn.Config(create_app(root, keep * 60, workers), host=host, port=port)
            )
            if open_browser:
                threading.Timer(1.0, webbrowser.open, [url]).start()
            stderr().print(f"qpcr serves {url} (Ctrl+C stops it)", highlight=False)
            server.run()
