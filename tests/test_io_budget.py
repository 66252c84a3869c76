"""The input budget (issue 12 item 1): every hostile file of ``tests/hostile.py`` is refused by
the CLI with one clean line, exit 1, within 10 s and under 1 GB of peak memory; the limits, their
environment variables and their messages; real exports pass untouched."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import hostile
import numpy as np
import pytest

from qpcr.errors import ExportParseError, InputError
from qpcr.io import read_run
from qpcr.io.budget import InputBudget, amounts, budget
from qpcr.io.inputs import check_input, check_text, open_workbook, read_input
from qpcr.io.workbooks import _tags, check_ole2, check_zip

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
XLS = hostile.XLS_SOURCE

#: Run the CLI in a child of a small wrapper, so that the wrapper's RUSAGE_CHILDREN is the peak
#: resident memory of that CLI run and its own children (the .xls parse) alone.
_WRAPPER = """
import json, resource, subprocess, sys, time
start = time.monotonic()
run = subprocess.run([sys.executable, "-m", "qpcr", *sys.argv[1:]], capture_output=True,
                     text=True, timeout=60)
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([run.returncode, used.ru_utime + used.ru_stime, time.monotonic() - start,
                  used.ru_maxrss * 1024, run.stdout + run.stderr]))
"""


def _cli(*args: str, cwd: Path) -> tuple[int, float, float, int, str]:
    """(exit status, CPU seconds, wall seconds, peak bytes, stdout + stderr) of ``qpcr ARGS``
    (a run that hangs is stopped after 60 s and fails the test)."""
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *args], capture_output=True, text=True, cwd=cwd, env=env
    )
    status, cpu, wall, peak, output = json.loads(done.stdout)
    return status, cpu, wall, peak, output


#: Each hostile file and a phrase the one error line must hold (what was found, which limit).
CASES = {
    "dense_bomb.xlsx": "(limit cells)",
    "sparse_bomb.xlsx": "1,048,576 rows × 16,384 columns",
    "lying_dimension.xlsx": "declares the range A1:XFD1048576",
    "repeat_bomb.ods": "6,000 rows × 16,000 columns",
    "member_bomb.xlsx": "inflate to 400 MB; expected at most 100 MB (limit inflated_bytes)",
    "entity_bomb.xlsx": "[xl/worksheets/sheet1.xml]: the XML contains a document type declaration",
    "external_entity.xlsx": "[xl/worksheets/sheet1.xml]: the XML contains a document type",
    "dtd_after_comment.xlsx": "[xl/workbook.xml]: the XML contains a document type declaration",
    "stream_size_lie.xls": "stream 'Workbook' declares",
    "huge_allocation.xls": "the .xls parser aborted",
    "200mb.csv": "the file has 200 MB; expected at most 50 MB (limit file_bytes)",
    "many_rows.csv": "3,000,001 rows; expected at most 1,048,576 rows",
    "wide_header.csv": "32,000 columns; expected at most 16,384 columns",
    "million_columns.csv": "line 1 has 2.0 MB; expected at most 1.0 MB (limit line_bytes)",
    "long_line.txt": "line 1 has 5.0 MB",
    "nul_bytes.csv": "text with NUL bytes: the first at byte 38",
    "binary.bin": "binary data:",
    "unknown_encoding.csv": "byte 0x81 at byte 27 is not UTF-8, UTF-16 or Windows-1252",
}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return hostile.build_all(tmp_path_factory.mktemp("hostile"))


def _assert_clean_refusal(
    status: int, cpu: float, wall: float, peak: int, output: str, found: str
) -> None:
    """One line ``error: ...`` naming what was found, exit 1, within 10 s of CPU (the wall
    clock is not asserted: helpers share two cores) and under 1 GiB of peak memory."""
    lines = output.strip().splitlines()
    assert status == 1, output
    assert "Traceback" not in output
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    assert found in lines[0], lines[0]
    assert cpu < 10, f"{cpu:.1f} s of CPU ({wall:.1f} s wall)"
    assert peak < 2**30, f"{peak / 2**20:.0f} MiB"


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_hostile_file_is_refused_cleanly_and_cheaply(
    name: str, bombs: dict[str, Path], tmp_path: Path
) -> None:
    result = _cli("analyze", str(bombs[name]), "-o", str(tmp_path / "out"), "-q", cwd=tmp_path)
    _assert_clean_refusal(*result, CASES[name])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["dense_bomb.xlsx", "sparse_bomb.xlsx"])
def test_workbook_bombs_given_as_layout_are_refused_the_same_way(
    name: str, bombs: dict[str, Path], tmp_path: Path
) -> None:
    result = _cli("analyze", str(XLS), "--layout", str(bombs[name]), "-o", str(tmp_path / "o"),
                  "-q", cwd=tmp_path)  # fmt: skip
    _assert_clean_refusal(*result, CASES[name])


@pytest.mark.parametrize(
    ("part", "dtd"),
    [
        ("xl/worksheets/sheet1.xml", hostile.LAUGHS),
        ("xl/workbook.xml", hostile.EXTERNAL),
        ("xl/_rels/workbook.xml.rels", hostile.AFTER_COMMENT),
        ("[Content_Types].xml", hostile.LAUGHS),
    ],
    ids=["sheet-laughs", "workbook-external", "rels-after-comment", "content-types"],
)
def test_a_template_with_a_dtd_in_any_part_is_refused_naming_the_part(
    part: str, dtd: bytes, tmp_path: Path
) -> None:
    from qpcr.template import read_template, write_template

    write_template(tmp_path / "clean.xlsx", targets=["GAPDH"])
    with zipfile.ZipFile(tmp_path / "clean.xlsx") as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[part] = hostile.with_dtd(parts[part], dtd)
    path = tmp_path / "template.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(ExportParseError, match="document type declaration") as info:
        read_template(path)
    assert info.value.where == f"{path} [{part}]"
    assert info.value.hint == "Re-save the workbook from the instrument software or Excel"


def test_inspect_refuses_an_xls_that_aborts_the_parser(
    bombs: dict[str, Path], tmp_path: Path
) -> None:
    _assert_clean_refusal(*_cli("inspect", str(bombs["huge_allocation.xls"]), cwd=tmp_path),
                          "the .xls parser aborted")  # fmt: skip


def test_a_limit_raised_by_its_environment_variable_lets_the_file_through(
    bombs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bombs["lying_dimension.xlsx"]
    with pytest.raises(ExportParseError, match="QPCR_MAX_CELLS=") as info:
        check_input(path)
    assert info.value.where.endswith("[xl/worksheets/sheet1.xml]")
    monkeypatch.setenv("QPCR_MAX_CELLS", str(2**35))
    check_input(path)  # the dimension alone is harmless: calamine reads the one row
    sheet = open_workbook(path).get_sheet_by_name("Results").to_python()
    assert sheet == [["well", "sample", "target", "cq"]]


def test_budget_reads_every_field_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    names = {field: InputBudget.variable(field) for field in vars(InputBudget())}
    assert names["file_bytes"] == "QPCR_MAX_FILE_BYTES"
    for k, name in enumerate(names.values(), start=1):
        monkeypatch.setenv(name, str(1000 * k))
    assert list(vars(budget()).values()) == [1000 * k for k in range(1, len(names) + 1)]
    monkeypatch.setenv("QPCR_MAX_ROWS", "-3")
    with pytest.raises(InputError, match="QPCR_MAX_ROWS: '-3' is not a whole number"):
        budget()


def test_defaults_fit_the_largest_real_export_many_times_over() -> None:
    limits = InputBudget()
    largest = max(DATA.rglob("*.*"), key=lambda p: p.stat().st_size if p.is_file() else 0)
    assert limits.file_bytes > 20 * largest.stat().st_size
    # the largest sheet of a real 384-well export: 15,406 rows × 6 columns
    assert limits.cells > 50 * 15_406 * 6
    assert limits.rows > 60 * 15_406
    assert limits.file_bytes < 200_000_000


@pytest.mark.parametrize(
    ("found", "limit", "unit", "expected"),
    [
        (210_400_000, 210_000_000, "bytes", ("210.4 MB", "210.0 MB")),
        (210_000_001, 210_000_000, "bytes", ("210.000001 MB", "210.000000 MB")),
        (200_000_000, 50_000_000, "bytes", ("200 MB", "50 MB")),
        (1_023, 1_000, "bytes", ("1.02 kB", "1.00 kB")),
        (999, 100, "bytes", ("999 bytes", "100 bytes")),
        (16_385, 16_384, "columns", ("16,385 columns", "16,384 columns")),
    ],
)
def test_amounts_are_never_rounded_into_each_other(
    found: int, limit: int, unit: str, expected: tuple[str, str]
) -> None:
    assert amounts(found, limit, unit) == expected


def test_amounts_over_many_sizes_show_the_found_one_larger() -> None:
    for found, limit in [(10**k + d, 10**k) for k in range(3, 11) for d in (1, 7, 499, 10**k)]:
        shown, allowed = amounts(found, limit, "bytes")
        assert shown != allowed
        assert float(shown.split()[0].replace(",", "")) > float(allowed.split()[0].replace(",", ""))


def test_check_text_counts_rows_cells_lines_and_columns_on_bytes() -> None:
    small = InputBudget(rows=3, cells=10, line_bytes=20, columns=4)
    check_text(b"a,b\n1,2\n3,4\n", "t.csv", small)
    with pytest.raises(ExportParseError, match="the text has 4 rows; expected at most 3 rows"):
        check_text(b"a\n1\n2\n3", "t.csv", small)
    with pytest.raises(ExportParseError, match="about 7 cells; expected at most 6 cells"):
        check_text(b"a,b,c\n1,2,3,4\n", "t.csv", InputBudget(cells=6))  # 3 + 4 cells
    with pytest.raises(ExportParseError, match="line 2 has 21 bytes; expected at most 20 bytes"):
        check_text(b"a\n" + b"x" * 21 + b"\n", "t.csv", small)
    with pytest.raises(ExportParseError, match=r"line 1 \(split at ';'\) has 5 columns"):
        check_text(b"a;b;c;d;e\n", "t.csv", InputBudget(columns=4))
    check_text(b"a\r1\r2\r", "mac.csv", small)  # CR line ends count as lines too


def test_read_input_refuses_by_size_before_reading(tmp_path: Path) -> None:
    path = hostile.csv_200mb(tmp_path / "big.csv")
    start = time.monotonic()
    with pytest.raises(ExportParseError) as info:
        read_input(path)
    assert time.monotonic() - start < 1
    assert info.value.where == str(path)
    assert "QPCR_MAX_FILE_BYTES" in info.value.hint


def test_zip_directory_total_is_checked_before_any_member_is_inflated(tmp_path: Path) -> None:
    path = hostile.zip_member_bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 500_000
    start = time.monotonic()
    with pytest.raises(ExportParseError, match="1,011× smaller"):
        check_zip(path, InputBudget())
    assert time.monotonic() - start < 1


def test_sheet_scan_bounds_a_sheet_without_dimension_or_references(tmp_path: Path) -> None:
    path = hostile.xlsx_dense_bomb(tmp_path / "dense.xlsx", rows=3_000, columns=40)
    check_zip(path, InputBudget())  # 120,000 cells
    with pytest.raises(ExportParseError, match="3,001 rows × 40 columns = 120,040 cells"):
        check_zip(path, InputBudget(cells=100_000))
    with pytest.raises(ExportParseError, match="41 columns; expected at most 39"):
        check_zip(hostile.xlsx_dense_bomb(tmp_path / "wide.xlsx", rows=1_000, columns=41),
                  InputBudget(columns=39))  # fmt: skip


def test_real_workbooks_pass_the_checks() -> None:
    books = [
        p
        for p in DATA.rglob("*")
        if p.suffix in (".xlsx", ".xlsm", ".ods") and "fuzz" not in p.relative_to(DATA).parts
    ]  # fuzz/ holds broken files by design
    assert len(books) >= 8
    for path in books:
        if path.name != "truncated_workbook.xlsx":
            check_zip(path, InputBudget())
    check_ole2(XLS.read_bytes(), str(XLS), InputBudget())


def test_ole2_directory_and_child_parse(tmp_path: Path) -> None:
    lie = hostile.xls_stream_size_lie(tmp_path / "lie.xls")
    with pytest.raises(ExportParseError, match=r"stream 'Workbook' declares 4,294,967 kB in a "
                       r"file of 104 kB"):  # fmt: skip
        check_ole2(lie.read_bytes(), str(lie), InputBudget())
    bomb = hostile.xls_huge_allocation(tmp_path / "bomb.xls")
    with pytest.raises(ExportParseError, match="parser aborted") as info:
        check_ole2(bomb.read_bytes(), str(bomb), InputBudget())
    assert "QPCR_MAX_PARSE_MEMORY" in info.value.hint


def test_a_real_xls_reads_as_before_and_is_parsed_in_a_child_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qpcr.io import workbooks

    calls: list[int] = []
    original = workbooks._parse_in_child

    def counting(data: bytes, where: str, limits: InputBudget) -> None:
        calls.append(len(data))
        original(data, where, limits)

    monkeypatch.setattr(workbooks, "_parse_in_child", counting)
    monkeypatch.setenv("QPCR_MAX_PARSE_SECONDS", "7")  # a budget of its own: not cached yet
    wells = read_run(XLS).wells  # 21 wells, 18 with a Cq (as read before the budget)
    assert (len(wells), int(wells["cq"].notna().sum())) == (21, 18)
    assert wells["cq"].sum() == pytest.approx(435.6243438720703)
    assert calls == [XLS.stat().st_size]  # sniffers and reader share one checked parse


def test_a_sheet_anywhere_in_the_zip_is_measured_whatever_its_head(tmp_path: Path) -> None:
    path = tmp_path / "hidden.xlsx"
    comment = b"<!--" + b"x" * 2_000_000 + b"-->"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("elsewhere/data.xml", comment + b'<worksheet><sheetData><row r="1">'
                         b'<c r="A1"><v>1</v></c><c r="ZZ900000"><v>1</v></c></row></sheetData>'
                         b"</worksheet>")  # fmt: skip
    with pytest.raises(ExportParseError, match="900,000 rows × 702 columns") as info:
        check_zip(path, InputBudget())
    assert info.value.where == f"{path} [elsewhere/data.xml]"


def test_a_zip_whose_names_are_not_the_utf8_they_claim_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "names.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sheet\u00e9.xml", "<a/>")  # flagged as UTF-8 (bit 11)
    data = path.read_bytes().replace("sheet\u00e9".encode(), b"sheet\xff\xfe")
    path.write_bytes(data)
    with pytest.raises(ExportParseError, match="cannot open the zip container"):
        check_input(path)


def test_tag_offsets_match_a_regular_expression_on_random_markup() -> None:
    rng = np.random.default_rng(7)
    pieces = [b"<row", b"<c", b"<cq", b"<rowBreaks", b" ", b"\n", b">", b"/", b"r", b"<", b"x"]
    for _ in range(200):
        part = b"".join(pieces[i] for i in rng.integers(0, len(pieces), rng.integers(0, 60)))
        for tag in (b"<row", b"<c"):
            expected = [m.start() for m in re.finditer(re.escape(tag) + rb"(?=[ \t\r\n>/])", part)]
            assert _tags(part, tag).tolist() == expected
