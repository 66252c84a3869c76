"""``qpcr serve`` and ``POST /api/analyze`` (issue 18), driven with Starlette's TestClient
(real HTTP: test_web_served.py): the answer's tables are the CLI's CSVs, the downloads are the
CLI's files, and a user's mistake comes back as JSON 400 in the CLI's words, never as a
traceback."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
import tomllib
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("starlette", reason="the web extra is not installed")
pytest.importorskip("multipart", reason="the web extra is not installed")
httpx = pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")
with warnings.catch_warnings():  # Starlette now prefers httpx's successor; httpx still works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

import hostile  # noqa: E402

from qpcr.cli import app  # noqa: E402
from qpcr.template import write_template  # noqa: E402
from qpcr.web import create_app  # noqa: E402

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"
EXPORT = EXAMPLE / "quantstudio_96_results.txt"
LAYOUT = EXAMPLE / "quantstudio_96_layout.csv"
CONFIG = EXAMPLE / "analysis_96.toml"
needs_example = pytest.mark.skipif(not EXAMPLE.is_dir(), reason="the example is not here")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One application (and its pool of one worker process) for the module's tests."""
    with TestClient(create_app(tmp_path_factory.mktemp("serve"), workers=1)) as client:
        yield client


def _part(field: str, path: Path) -> tuple[str, tuple[str, bytes]]:
    return field, (path.name, path.read_bytes())


def _cli(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["analyze", *args, "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def _as_json(got: object, text: str) -> object:
    """A CSV cell as the answer should hold it: empty → null, a number → the same float."""
    if text == "":
        return None
    return float(text) if isinstance(got, (int, float)) and not isinstance(got, bool) else text


def _same_as_cli(client: httpx.Client, answer: dict, cli: Path) -> None:
    """The answer's tables equal the CLI's CSVs; the CSV zip holds the CLI's bytes; the report
    and workbook are served."""
    for table in ("fold_changes", "ratios", "qc"):
        with (cli / f"{table}.csv").open(newline="", encoding="utf-8") as file:
            want = list(csv.DictReader(file))
        assert len(answer[table]) == len(want)
        for got, row in zip(answer[table], want, strict=True):
            assert list(got) == list(row)
            assert got == {k: _as_json(got[k], text) for k, text in row.items()}
    downloads = answer["downloads"]
    tables = zipfile.ZipFile(io.BytesIO(client.get(downloads["tables"]).content))
    assert sorted(tables.namelist()) == sorted(p.name for p in cli.glob("*.csv"))
    for name in tables.namelist():
        assert tables.read(name) == (cli / name).read_bytes(), name
    report = client.get(downloads["report"])
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    workbook = client.get(downloads["workbook"])
    assert openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames
    assert [client.get(url).status_code for url in downloads["figures"]] == [200]


@needs_example
def test_export_layout_and_config_give_the_cli_numbers(client: TestClient, tmp_path: Path):
    parts = [_part("export", EXPORT), _part("layout", LAYOUT), _part("config", CONFIG)]
    answer = client.post("/api/analyze", files=parts)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    cli = _cli(tmp_path, str(EXPORT), "-l", str(LAYOUT), "-c", str(CONFIG))
    _same_as_cli(client, body, cli)
    # the paper's key comparison, by hand from the CSV: BMP2 under hypoxia, tocilizumab/vehicle
    fold = {(r["target"], r["comparison"]): r["fold_change"] for r in body["fold_changes"]}
    assert len(fold) == 4
    assert fold["BMP2", "tocilizumab under hypoxia"] == pytest.approx(2.0, rel=0.5)
    assert [r["code"] for r in body["qc"]] == ["ntc_amplification"]
    assert body["ratios"] == []


@needs_example
def test_filled_template_gives_the_cli_numbers(client: TestClient, tmp_path: Path):
    """The example's layout and settings in a template, the export pasted on the Paste sheet."""
    workbook = tmp_path / "plate.xlsx"
    settings = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    write_template(workbook, layout=pd.read_csv(LAYOUT), settings=settings)
    book = openpyxl.load_workbook(workbook)
    for i, line in enumerate(EXPORT.read_text(encoding="utf-8").splitlines(), start=3):
        for j, text in enumerate(line.split("\t"), start=1):
            try:
                value: object = float(text) if text.strip() else None
            except ValueError:
                value = text
            book["Paste"].cell(i, j, value)
    book.save(workbook)
    answer = client.post("/api/analyze", files=[_part("workbook", workbook)])
    assert answer.status_code == 200, answer.text
    _same_as_cli(client, answer.json(), _cli(tmp_path, str(workbook)))


def test_garbage_upload_is_a_400_naming_the_file(client: TestClient) -> None:
    answer = client.post("/api/analyze", files=[("export", ("run.txt", b"\x00\x01\x02 junk"))])
    assert answer.status_code == 400
    body = answer.json()
    assert body["where"] == "run.txt"
    assert body["error"].startswith("not a supported export (text with NUL bytes")
    assert body["text"] == f"run.txt: {body['error']}. {body['hint']}"
    assert "Traceback" not in answer.text
    assert "/serve/uploads" not in answer.text
    assert client.get("/api/health").status_code == 200  # and the server keeps serving


def test_workbook_bomb_is_a_400(client: TestClient, tmp_path: Path) -> None:
    bomb = hostile.zip_member_bomb(tmp_path / "plate.xlsx")
    answer = client.post("/api/analyze", files=[_part("workbook", bomb)])
    assert answer.status_code == 400
    body = answer.json()
    assert body["where"].startswith("plate.xlsx")
    assert "(limit inflated_bytes)" in body["error"]
    assert "decompression bomb" in body["hint"]
    assert client.get("/api/health").status_code == 200


def test_client_paths_are_cut_to_the_file_name(client: TestClient) -> None:
    answer = client.post("/api/analyze", files=[("export", ("../../x/run.txt", b"well,cq\n"))])
    assert (answer.status_code, answer.json()["where"]) == (400, "run.txt")
    root = client.app.state.root
    assert not (root / "x").exists()
    assert not (root.parent / "x").exists()
    assert list((root / "uploads").iterdir()) == []  # uploads are removed


def test_upload_beyond_the_budget_is_refused_while_streaming(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QPCR_MAX_FILE_BYTES", "100000")
    answer = client.post("/api/analyze", files=[("export", ("big.txt", b"x" * 500_000))])
    assert answer.status_code == 400
    body = answer.json()
    assert body["where"] == "upload"
    # the whole upload (files and form framing) stops being read past the limit
    pattern = r"the upload has more than [\d.]+ kB; expected at most 100 kB \(limit file_bytes\)"
    assert re.fullmatch(pattern, body["error"]), body["error"]
    assert "QPCR_MAX_FILE_BYTES" in body["hint"]


@pytest.mark.parametrize(
    ("files", "where", "start"),
    [
        ([], "upload", "give either a filled template or instrument export(s)"),
        (
            [("workbook", ("a.xlsx", b"a")), ("export", ("b.txt", b"b"))],
            "upload",
            "give either a filled template or instrument export(s)",
        ),
        ([("exports", ("b.txt", b"b"))], "upload", "unknown field(s) 'exports'; expected"),
        (
            [("export", ("b.txt", b"b")), ("export", ("b.txt", b"c"))],
            "export",
            "two files named 'b.txt'",
        ),
    ],
)
def test_malformed_forms_are_refused(client, files, where, start) -> None:
    # an empty file part (what a browser sends for an empty input) keeps the request multipart
    answer = client.post("/api/analyze", files=files or [("config", ("", b""))])
    assert answer.status_code == 400
    body = answer.json()
    assert (body["where"], body["error"][: len(start)]) == (where, start)


def test_text_in_a_file_field_is_refused(client: TestClient) -> None:
    files = [("layout", ("layout.csv", b"well,sample"))]
    answer = client.post("/api/analyze", data={"workbook": "plate.xlsx"}, files=files)
    assert answer.status_code == 400
    assert answer.json()["text"] == "workbook: a text value; expected a file"


def test_a_request_that_is_not_multipart_is_refused(client: TestClient) -> None:
    answer = client.post("/api/analyze", json={"export": "run.txt"})
    assert (answer.status_code, answer.json()["where"]) == (400, "upload")


def test_page_offers_the_upload_form(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for field in ("workbook", "export", "layout", "config"):
        assert f'name="{field}"' in page.text
    assert client.get("/results/not-an-id/report.html").status_code == 404


def test_serve_without_the_extra_refuses_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "serve: the web extra is not installed (no module 'uvicorn')" in result.output
    assert 'pip install "qpcrkit[web]"' in result.output


def test_serve_warns_when_listening_beyond_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    started: list[tuple[str, int]] = []
    monkeypatch.setattr(
        uvicorn.Server, "run", lambda self: started.append((self.config.host, self.config.port))
    )
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert started == [("0.0.0.0", 8123)]
    assert "the page has no login" in result.output
    result = CliRunner().invoke(app, ["serve"])
    assert "no login" not in result.output
    assert started[-1] == ("127.0.0.1", 8000)


def test_help_imports_no_web_stack() -> None:
    script = (
        "import sys\nfrom qpcr.cli import main\n"
        "try:\n    main(['serve', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'starlette', 'uvicorn', 'multipart'}))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "--open" in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_serve_refuses_a_port_out_of_range() -> None:
    result = CliRunner().invoke(app, ["serve", "--port", "70000"])
    assert result.exit_code == 1
    assert "--port: 70000 is not a port; expected 1 to 65535" in result.output
    result = CliRunner().invoke(app, ["serve", "--keep", "0"])
    assert result.exit_code == 1
    assert "--keep: 0 minutes; expected at least 1" in result.output


@needs_example
def test_results_older_than_keep_seconds_are_removed(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "serve", keep_seconds=60, workers=1)) as client:
        old = tmp_path / "serve" / "results" / "old-run"
        old.mkdir()
        (old / "report.html").write_text("<p>old</p>")
        assert client.get("/results/old-run/report.html").text == "<p>old</p>"
        os.utime(old, (time.time() - 61, time.time() - 61))
        parts = [_part("export", EXPORT), _part("layout", LAYOUT), _part("config", CONFIG)]
        answer = client.post("/api/analyze", files=parts)
        assert answer.status_code == 200
        assert not old.exists()
        assert client.get("/results/old-run/report.html").status_code == 404
        assert client.get(answer.json()["downloads"]["report"]).status_code == 200
