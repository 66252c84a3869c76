"""``qpcr serve``'s application on a real uvicorn server, in a thread, on a free port (as the
CLI runs it), for the tests that speak HTTP over a socket."""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

from qpcr.web import create_app


@contextlib.contextmanager
def serving(root: Path, workers: int = 2) -> Iterator[str]:
    """Serve ``create_app(root, workers=workers)``; yields the base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(root, workers=workers)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(400):
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
    assert not thread.is_alive()


_XLSX_STAMP = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def without_timestamps(name: str, content: bytes) -> object:
    """A file's content with its timestamps cut: the provenance's ``created`` and
    ``command``, the workbook's document properties' dates."""
    if name == "provenance.json":
        provenance = json.loads(content)
        del provenance["created"], provenance["command"]
        return provenance
    if name.endswith(".xlsx"):
        book = zipfile.ZipFile(io.BytesIO(content))
        return {n: _XLSX_STAMP.sub(b"", book.read(n)) for n in book.namelist()}
    return content
