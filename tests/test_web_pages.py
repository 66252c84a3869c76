"""``qpcr serve``'s Start and Check pages and their API (``POST /api/template``,
``POST /api/check``): the same files and JSON as ``qpcr template`` and ``qpcr check``; the
worker pool and the clean-up; a bug answers JSON, never a traceback."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

pytest.importorskip("starlette", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")
with warnings.catch_warnings():  # Starlette now prefers httpx's successor; httpx still works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from _served import without_timestamps

from qpcr.cli import app
from qpcr.errors import InternalError
from qpcr.web import create_app
from qpcr.web.pool import WorkerPool

PLATE = Path(__file__).parents[1] / "examples" / "reference_plate"
RUNS = [*sorted((PLATE / "runs").glob("*.csv"))[:6], PLATE / "bad" / "refplate_myc_shifted.csv"]
needs_plate = pytest.mark.skipif(not PLATE.is_dir(), reason="the reference-plate example is absent")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(tmp_path_factory.mktemp("serve"), workers=1)) as client:
        yield client


def _text(**values: str) -> dict[str, tuple[None, str]]:
    """Text fields sent as a browser's FormData sends them (multipart)."""
    return {name: (None, value) for name, value in values.items()}


def test_start_form_gives_the_cli_template(client: TestClient, tmp_path: Path) -> None:
    form = _text(plate="384", targets="BMP2, VEGFA,TBP", reference_genes="TBP",
                 factors="oxygen=normoxia,hypoxia\n\ntreatment = vehicle, drug",
                 replicate="animal")  # fmt: skip
    answer = client.post("/api/template", files=form)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == 'attachment; filename="qpcr-template.xlsx"'
    want = tmp_path / "cli.xlsx"
    args = ["template", str(want), "--plate", "384", "--targets", "BMP2,VEGFA,TBP",
            "--reference-genes", "TBP", "--factors", "oxygen=normoxia,hypoxia",
            "--factors", "treatment=vehicle,drug", "--replicate", "animal"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    got = without_timestamps("t.xlsx", answer.content)
    assert got == without_timestamps("t.xlsx", want.read_bytes())
    settings = _settings(answer.content)
    assert settings["targets"] == ["BMP2", "VEGFA", "TBP"]
    assert settings["factor"] == [
        ["oxygen", "normoxia", "hypoxia"],
        ["treatment", "vehicle", "drug"],
    ]
    assert settings["replicate"] == ["animal"]


def _settings(content: bytes) -> dict[str, list]:
    """The Settings sheet's values by setting (a list of rows for the repeated ``factor``)."""
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Settings"]
    out: dict[str, list] = {"factor": []}
    for row in sheet.iter_rows(min_row=5, values_only=True):
        values = [v for v in row[2:] if v is not None]
        if row[0] == "factor":
            out["factor"] += [values] if values else []
        elif row[0]:
            out[row[0]] = values
    return out


def test_start_form_defaults_to_a_96_well_template(client: TestClient) -> None:
    answer = client.post("/api/template", files=_text(targets=""))
    assert answer.status_code == 200, answer.text
    layout = openpyxl.load_workbook(io.BytesIO(answer.content))["Layout"]
    assert [c.value for c in layout[4]][-1] == 12  # a sample grid of 12 columns
    assert _settings(answer.content)["replicate"] == ["donor"]


@pytest.mark.parametrize(
    ("form", "text"),
    [
        (_text(plate="95"), "plate: plate size 95; expected one of 48, 96, 384"),
        (_text(plate="a lot"), "plate: plate size 'a lot'; expected a number of wells"),
        (_text(factors="oxygen"), "factors: 'oxygen' is not FACTOR=LEVEL,..."),
        (
            _text(genes="BMP2"),
            "upload: unknown field(s) 'genes'; expected 'plate', 'targets', "
            "'reference_genes', 'factors', 'replicate'",
        ),
    ],
)
def test_start_form_mistakes_are_named(client: TestClient, form: dict, text: str) -> None:
    answer = client.post("/api/template", files=form)
    assert answer.status_code == 400
    assert answer.json()["text"] == text


def test_a_file_in_a_text_field_is_refused(client: TestClient) -> None:
    answer = client.post("/api/template", files={"targets": ("genes.txt", b"BMP2")})
    assert answer.status_code == 400
    # a file part counts against max_files=0 before its field is looked at
    assert answer.json()["where"] == "upload"


@needs_plate
def test_check_gives_what_qpcr_check_writes(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six good runs and one with MYC shifted: the JSON, the page and the history are the
    CLI's (its --json, --chart .html and --history), timestamps aside."""
    folder = tmp_path / "plate"
    folder.mkdir()
    for path in [*RUNS, PLATE / "spec.toml"]:
        shutil.copy(path, folder)
    monkeypatch.chdir(folder)
    runs = [path.name for path in RUNS]
    args = ["check", *runs, "--spec", "spec.toml", "--json", "../cli.json", "--history",
            "../history.csv", "--chart", "../cli.html"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 3
    parts = [("run", (name, (folder / name).read_bytes())) for name in runs]
    parts.append(("spec", ("spec.toml", (folder / "spec.toml").read_bytes())))
    answer = client.post("/api/check", files=parts)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    downloads = body.pop("downloads")
    assert body == json.loads((tmp_path / "cli.json").read_text(encoding="utf-8"))
    assert body["verdict"] == "fail"
    assert list(body["runs"].values()) == ["pass"] * 6 + ["fail"]
    assert body["counts"] == {"pass": 130, "warn": 0, "fail": 3, "skip": 385}
    assert client.get(downloads["json"]).json() == body

    def history(text: str) -> list[dict[str, str]]:
        rows = list(csv.DictReader(io.StringIO(text)))
        return [{k: v for k, v in row.items() if k != "recorded_at"} for row in rows]

    kept = client.get(downloads["history"]).text
    assert history(kept) == history((tmp_path / "history.csv").read_text(encoding="utf-8"))

    def page(text: str) -> str:  # the chart's date and its random element ids
        text = re.sub(r"<dc:date>[^<]*</dc:date>", "", text)
        return re.sub(r'(id="|url\(#|href="#)[\w-]+', r"\1", text)

    got = client.get(downloads["page"])
    assert got.headers["content-type"].startswith("text/html")
    assert page(got.text) == page((tmp_path / "cli.html").read_text(encoding="utf-8"))
    assert client.get(downloads["chart"]).text.startswith("<?xml")

    # the next week: the kept history sent with a new run, judged against the runs before it
    parts = [("run", ("refplate_2026-11-16.csv", (PLATE / "runs" / "refplate_2026-11-16.csv")
              .read_bytes())), parts[-1], ("history", ("history.csv", kept.encode()))]  # fmt: skip
    again = client.post("/api/check", files=parts)
    assert again.status_code == 200, again.text
    assert again.json()["runs"] == {"refplate_2026-11-16": "pass"}
    grown = history(client.get(again.json()["downloads"]["history"]).text)
    assert grown[: len(history(kept))] == history(kept)
    assert {row["run"] for row in grown[len(history(kept)) :]} == {"refplate_2026-11-16"}


@pytest.mark.parametrize(
    ("files", "text"),
    [
        (
            [("run", ("r.csv", b"well,cq\n"))],
            "upload: a run and a spec are needed; expected 'run' (one or more exports) and 'spec'",
        ),
        (
            [
                ("run", ("r.csv", b"x")),
                ("spec", ("spec.toml", b"[[rule]\n")),
                ("history", ("h.txt", b"")),
            ],
            "history: a history file named 'h.txt'; expected .csv or .parquet",
        ),
    ],
)
def test_check_mistakes_are_named(client: TestClient, files: list, text: str) -> None:
    answer = client.post("/api/check", files=files)
    assert answer.status_code == 400
    assert answer.json()["text"].startswith(text)


@needs_plate
def test_a_broken_spec_is_named_by_file_and_line(client: TestClient) -> None:
    spec = b'[[rule]]\nid = "x"\ntype = "cq"\ntraget = "MYC"\n'
    parts = [("run", (RUNS[0].name, RUNS[0].read_bytes())), ("spec", ("spec.toml", spec))]
    answer = client.post("/api/check", files=parts)
    assert answer.status_code == 400
    assert answer.json()["where"].startswith("spec.toml line 4")
    assert "/uploads/" not in answer.text


def test_pages_link_each_other(client: TestClient) -> None:
    fields = {"/start": ["plate", "targets", "reference_genes", "factors", "replicate"],
              "/": ["workbook", "export", "layout", "config"],
              "/check": ["run", "spec", "layout", "history"]}  # fmt: skip
    for path, names in fields.items():
        page = client.get(path)
        assert page.status_code == 200
        assert re.findall(r'<(?:input|select|textarea)[^>]* name="(\w+)"', page.text) == names
        assert all(f'href="{p}"' in page.text for p in fields)
        assert f'href="{path}" aria-current=page' in page.text
    assert "<option selected>96</option>" in client.get("/start").text


def test_a_bug_answers_json_without_a_traceback(tmp_path: Path) -> None:
    class Broken:
        async def run(self, *args: object) -> None:
            raise KeyError("a bug")

    application = create_app(tmp_path / "serve", workers=1)
    application.state.pool = Broken()
    with TestClient(application, raise_server_exceptions=False) as client:
        answer = client.post("/api/template", files=_text(targets="MYC"))
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "internal error (KeyError: 'a bug')",
        "where": "server",
        "hint": "This is a bug in qpcr: please report it, with the files if you can",
        "text": "server: internal error (KeyError: 'a bug'). This is a bug in qpcr: please "
        "report it, with the files if you can",
    }
    assert "Traceback" not in answer.text


def test_a_worker_that_dies_is_replaced() -> None:
    async def jobs() -> tuple[str, int]:
        pool = WorkerPool(1)
        try:
            with pytest.raises(InternalError) as died:
                await pool.run(os._exit, 1)
            return str(died.value), await pool.run(pow, 2, 10)
        finally:
            pool.close()

    message, answer = asyncio.run(jobs())
    assert message.startswith("server: a worker process ended during the job")
    assert answer == 1024


def test_results_are_swept_while_the_server_is_idle(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "serve", keep_seconds=1, workers=1)):
        old = tmp_path / "serve" / "results" / "old-run"
        old.mkdir()
        for _ in range(100):
            if not old.exists():
                break
            time.sleep(0.1)
        assert not old.exists()


def test_serve_passes_workers_and_refuses_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    pools: list[int] = []
    monkeypatch.setattr(
        uvicorn.Server, "run", lambda self: pools.append(self.config.app.state.pool.workers)
    )
    assert CliRunner().invoke(app, ["serve", "--workers", "3"]).exit_code == 0
    assert pools == [3]
    result = CliRunner().invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 1
    assert "--workers: 0 workers; expected at least 1" in result.output
