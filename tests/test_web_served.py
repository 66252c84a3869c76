"""``qpcr serve`` over real HTTP (uvicorn on a free port, a worker pool of two processes):
downloads byte-identical to the CLI's files, 20 uploads at once, and uploads that are slow or
hostile while the page keeps answering; the server's log never holds a traceback."""

from __future__ import annotations

import csv
import logging
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette", reason="the web extra is not installed")
pytest.importorskip("uvicorn", reason="the web extra is not installed")
httpx = pytest.importorskip("httpx", reason="the tests speak HTTP with httpx")

from _served import serving, without_timestamps  # noqa: E402

from qpcr.cli import app  # noqa: E402

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"
INPUTS = [
    ("export", EXAMPLE / "quantstudio_96_results.txt"),
    ("layout", EXAMPLE / "quantstudio_96_layout.csv"),
    ("config", EXAMPLE / "analysis_96.toml"),
]
pytestmark = pytest.mark.skipif(not EXAMPLE.is_dir(), reason="the example is not here")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[httpx.Client]:
    """A client of the server; at the end, the server's log holds no traceback."""
    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append  # type: ignore[method-assign]
    with (
        serving(tmp_path / "serve", workers=2) as url,
        httpx.Client(base_url=url, timeout=600) as client,
    ):
        logging.getLogger("uvicorn.error").addHandler(handler)  # uvicorn set its log up
        try:
            yield client
            time.sleep(0.5)  # what the server does once a client has hung up
        finally:
            logging.getLogger("uvicorn.error").removeHandler(handler)
    assert [r.getMessage() for r in logged if r.exc_info] == []


def _parts(export_name: str | None = None) -> list[tuple[str, tuple[str, bytes]]]:
    parts = [(field, (path.name, path.read_bytes())) for field, path in INPUTS]
    if export_name:
        parts[0] = ("export", (export_name, parts[0][1][1]))
    return parts


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``qpcr analyze`` of the example, run from a folder holding its three files (as the
    server runs each analysis from the upload's folder)."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    for _, path in INPUTS:
        shutil.copy(path, folder)
    monkeypatch.chdir(folder)
    names = [path.name for _, path in INPUTS]
    args = ["analyze", names[0], "-l", names[1], "-c", names[2], "-o", str(tmp_path / "cli")]
    result = CliRunner().invoke(app, [*args, "-q"])
    assert result.exit_code == 0, result.output
    return tmp_path / "cli"


def test_every_download_is_the_cli_file(served: httpx.Client, cli: Path) -> None:
    answer = served.post("/api/analyze", files=_parts())
    assert answer.status_code == 200, answer.text
    folder = answer.json()["downloads"]["report"].rsplit("/", 1)[0]
    written = sorted(p.relative_to(cli).as_posix() for p in cli.rglob("*") if p.is_file())
    assert len(written) == 13  # the CSVs, report.html, results.xlsx, provenance, miqe, figure
    for name in written:
        got = served.get(f"{folder}/{name}")
        assert got.status_code == 200, name
        want = (cli / name).read_bytes()
        assert without_timestamps(name, got.content) == without_timestamps(name, want), name
    provenance = served.get(f"{folder}/provenance.json").json()
    assert provenance["command"] == [
        "qpcr serve", "POST /api/analyze", "export=quantstudio_96_results.txt",
        "layout=quantstudio_96_layout.csv", "config=analysis_96.toml",
    ]  # fmt: skip
    # the two timestamps cut are the only difference: the report itself is byte-identical
    assert served.get(f"{folder}/report.html").content == (cli / "report.html").read_bytes()


def test_twenty_uploads_at_once_all_get_the_cli_numbers(served: httpx.Client, cli: Path) -> None:
    """20 uploads at once, each naming its plate; meanwhile ``/api/health`` and the page keep
    answering though both workers are busy."""
    with (cli / "fold_changes.csv").open(newline="", encoding="utf-8") as file:
        want = [float(row["fold_change"]) for row in csv.DictReader(file)]
    names = [f"plate_{i:02d}.txt" for i in range(20)]
    waits: list[float] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            start = time.monotonic()
            assert served.get("/api/health").status_code == 200
            assert served.get("/").status_code == 200
            waits.append(time.monotonic() - start)
            done.wait(0.2)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        with ThreadPoolExecutor(len(names)) as pool:
            answers = list(pool.map(lambda n: served.post("/api/analyze", files=_parts(n)), names))
    finally:
        done.set()
        poller.join()
    assert [a.status_code for a in answers] == [200] * 20
    bodies = [a.json() for a in answers]
    assert [{r["plate"] for r in b["qc"]} for b in bodies] == [{n[:-4]} for n in names]
    for body in bodies:
        assert [r["fold_change"] for r in body["fold_changes"]] == want
    assert len({b["downloads"]["report"] for b in bodies}) == 20
    assert len(waits) >= 3
    assert max(waits) < 5, waits  # the page never waits for an analysis


def _slow_upload(url: str, seconds: float) -> None:
    """A client that sends a multipart upload one byte a tenth of a second, then hangs up."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            b"POST /api/analyze HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n\r\n--b\r\n"
        )
        body = b'Content-Disposition: form-data; name="export"; filename="run.txt"\r\n\r\n'
        end = time.monotonic() + seconds
        for byte in body:
            if time.monotonic() > end:
                break
            sock.sendall(bytes([byte]))
            time.sleep(0.1)


def test_a_slow_upload_does_not_block_the_page(served: httpx.Client) -> None:
    slow = threading.Thread(target=_slow_upload, args=(str(served.base_url), 3.0))
    slow.start()
    time.sleep(0.5)
    waits = []
    while slow.is_alive():
        start = time.monotonic()
        assert served.get("/api/health").status_code == 200
        waits.append(time.monotonic() - start)
        time.sleep(0.2)
    slow.join()
    assert len(waits) >= 5
    assert max(waits) < 2, waits


def test_a_300_mb_upload_is_refused_and_the_server_keeps_serving(served: httpx.Client) -> None:
    def body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="export"; filename="big.txt"\r\n\r\n'
        chunk = b"x" * (1 << 20)
        for _ in range(300):
            yield chunk
        yield b"\r\n--b--\r\n"

    headers = {"content-type": "multipart/form-data; boundary=b"}
    answer = served.post("/api/analyze", content=body(), headers=headers)
    assert answer.status_code == 400
    pattern = r"the upload has more than 50.\d MB; expected at most 50.0 MB \(limit file_bytes\)"
    assert re.fullmatch(pattern, answer.json()["error"]), answer.text
    assert "QPCR_MAX_FILE_BYTES" in answer.json()["hint"]
    assert served.get("/api/health").status_code == 200
    small = served.post("/api/analyze", files=[("export", ("run.txt", b"\x00junk"))])
    assert (small.status_code, small.json()["where"]) == (400, "run.txt")
