"""Fuzzing ``read_run``: random bytes, random text and mutated real exports may only ever end
in an ``InputError`` subclass (or a successful read), never in another exception."""

from __future__ import annotations

import csv
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qpcr.errors import ExportParseError, FormatWarning, InputError, LayoutError
from qpcr.io import failures, read_run
from qpcr.io.registry import ExportFormat, registered
from qpcr.layout import load_layout
from qpcr.plate import PLATES, normalise_well
from qpcr.schema import check_wells

DATA = Path(__file__).parent / "data"
SUFFIXES = [".csv", ".txt", ".tsv", ".xlsx", ".xls", ".rdml", ".xml", ".gz", ".eds", ".rex"]
HEAD = 3000  # text fixtures over 8 kB are cut to their header and first rows
ZIP_LIMIT = 100_000  # binary fixtures are mutated whole when at most this size

#: Tokens that trip parsers: non-detect words, sentinels, bad numbers and wells, markup.
TOKENS = [b"", b"NaN", b"-1", b"1e999", b"-0", b"Undetermined", b"Q25", b"A0", b"0", b"99999",
          b"\x00", b"\xff\xfe", b"\"", b";", b"\t", b"\n\n", b",,,,", b"<", b"&amp;", b"]]>",
          b"</rdml>", b"<react id=\"x\">", b"\xc3\x28", b"Well", b"Cq", b"[Results]"]  # fmt: skip


def _seeds() -> dict[str, bytes]:
    seeds: dict[str, bytes] = {}
    for path in sorted((DATA / "exports").rglob("*")):
        if not path.is_file() or path.suffix == ".md":
            continue
        data = path.read_bytes()
        binary = data[:2] in (b"PK", b"\x1f\x8b") or data[:4] == b"\xd0\xcf\x11\xe0"
        if not binary:
            seeds[str(path.relative_to(DATA))] = data if len(data) <= 8000 else data[:HEAD]
        elif len(data) <= ZIP_LIMIT:
            seeds[str(path.relative_to(DATA))] = data
    return seeds


SEEDS = _seeds()


@st.composite
def mutated_export(draw: st.DrawFn) -> tuple[str, bytes]:
    """A real export (its head, or the whole small zip) with one to four random edits."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["byte", "delete", "insert", "token", "truncate", "repeat"]))
        if kind == "byte" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=32))
        elif kind == "token":
            end = pos + draw(st.integers(0, 12))
            data[pos:end] = draw(st.sampled_from(TOKENS))
        elif kind == "truncate":
            del data[pos:]
        else:
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 400))]
    return Path(name).suffix, bytes(data)


def _only_input_errors(folder: Path, suffix: str, data: bytes) -> None:
    path = folder / f"fuzzed{suffix}"
    path.write_bytes(data)
    try:
        with warnings.catch_warnings():  # a mutated file may well hold odd content: warned of
            warnings.simplefilter("ignore", FormatWarning)
            export = read_run(path)
    except InputError:
        return
    assert check_wells(export.wells) == []


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=4096))
def test_random_bytes(folder: Path, suffix: str, data: bytes) -> None:
    _only_input_errors(folder, suffix, data)


@given(
    suffix=st.sampled_from(SUFFIXES),
    prefix=st.sampled_from(
        [
            "",
            "sample,target,Cq\n",
            "Well,Fluor,Target,Content,Sample,Cq\n",
            "* Block Type = 96fast\n[Results]\n",
            "Experiment: x  Selected Filter: SYBR\nInclude\tColor\tPos\tName\tCp\n",
            '<?xml version="1.0"?><rdml xmlns="http://www.rdml.org" version="1.3">',
        ]
    ),
    text=st.text(max_size=2000),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_random_text_after_real_headers(
    folder: Path, suffix: str, prefix: str, text: str, encoding: str
) -> None:
    _only_input_errors(folder, suffix, (prefix + text).encode(encoding, errors="replace"))


@given(case=mutated_export())
def test_mutated_real_exports(folder: Path, case: tuple[str, bytes]) -> None:
    _only_input_errors(folder, *case)


def test_seed_corpus_covers_every_fixture_folder() -> None:
    folders = {Path(name).parts[1] for name in SEEDS}
    assert folders == {p.name for p in (DATA / "exports").iterdir() if p.is_dir()}


# --------------------------------------------------------------------------------------------
# Linear time: wide rows and duplicate header names (the tidy reader was quadratic in the
# column count, cubic with duplicate names: 65 s for 32,000 columns)

#: Seconds a wide file may take: generous for a loaded machine, far below the quadratic time.
WIDE_SECONDS = 20.0


def _timed(read: Callable[[], object]) -> float:
    began = time.perf_counter()
    read()
    return time.perf_counter() - began


@pytest.mark.parametrize("names", ["distinct", "duplicate"])
def test_tidy_reader_is_linear_in_the_column_count(
    tmp_path: Path, names: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QPCR_MAX_COLUMNS", "100000")  # the budget refuses it by default
    n = 32_000
    factors = [f"f{i}" for i in range(n)] if names == "distinct" else ["f"] * n
    path = tmp_path / "wide.csv"
    path.write_text(
        ",".join(["sample", "target", "Cq", *factors]) + "\n"
        + ",".join(["s1", "GAPDH", "18.1", *[str(i) for i in range(n)]]) + "\n"
    )  # fmt: skip
    wells: list[object] = []
    seconds = _timed(lambda: wells.append(read_run(path, format="tidy").wells))
    assert seconds < WIDE_SECONDS
    table = wells[0]
    assert isinstance(table, pd.DataFrame)
    assert table.shape == (1, 6 + n)  # well, sample, target, sample_type, cq, cq_status + n
    last = f"f{n - 1}" if names == "distinct" else f"f.{n}"  # duplicates numbered .2, .3 ...
    assert table[last].iloc[0] == str(n - 1)
    assert table["cq"].iloc[0] == 18.1


def test_tidy_reader_reads_a_line_of_a_million_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QPCR_MAX_LINE_BYTES", "10000000")  # the budget refuses it by default
    monkeypatch.setenv("QPCR_MAX_COLUMNS", "2000000")
    path = tmp_path / "long_line.csv"
    path.write_text("sample,target,Cq\n" + ",".join(["s1", "GAPDH", "18.1"] + ["x"] * 10**6))
    seconds = _timed(lambda: read_run(path, format="tidy"))
    assert seconds < WIDE_SECONDS


def test_layout_parser_is_linear_in_the_column_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QPCR_MAX_COLUMNS", "100000")  # the budget refuses it by default
    n = 32_000
    path = tmp_path / "layout.csv"
    path.write_text(
        ",".join(["well", "sample", *[f"f{i}" for i in range(n)]]) + "\n"
        + ",".join(["A1", "s1", *["x"] * n]) + "\n"
    )  # fmt: skip
    assert _timed(lambda: load_layout(path)) < WIDE_SECONDS
    path.write_text(",".join(["well", "sample", *["f"] * n]) + "\nA1,s1\n")
    with pytest.raises(LayoutError, match="column\\(s\\) 'f' appear more than once"):
        load_layout(path)


# --------------------------------------------------------------------------------------------
# Parser failures end in an InputError naming the file (and the place where known)


def test_two_columns_with_one_meaning_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    path.write_text("sample,target,Cq,Ct\ns1,GAPDH,18.1,19.0\n")
    with pytest.raises(ExportParseError, match="two columns mean 'cq': 'Cq' and 'Ct'"):
        read_run(path, format="tidy")
    path.write_text("sample,Sample,target,Cq\ns1,s2,GAPDH,18.1\n")
    with pytest.raises(ExportParseError, match="two columns mean 'sample'"):
        read_run(path, format="tidy")
    path.write_text("sample,target,Cq,cq_status\ns1,GAPDH,18.1,ok\n")
    with pytest.raises(ExportParseError, match="column 'cq_status' has the name of"):
        read_run(path, format="tidy")


@pytest.mark.parametrize("well", ["²", "1²", "9" * 5000], ids=["sup", "digit-sup", "5000-digits"])
def test_well_numbers_int_cannot_read_are_input_errors(tmp_path: Path, well: str) -> None:
    """``str.isdigit`` accepts superscripts and 5000-digit numbers, ``int()`` refuses them."""
    path = tmp_path / "run.csv"
    path.write_text(f"well,sample,target,Cq\n{well},s1,GAPDH,18.1\n")
    with pytest.raises(ExportParseError, match="column 'well'"):
        read_run(path)
    layout = tmp_path / "layout.csv"
    layout.write_text(f"x,1,{well}\nA,s1,s2\n")
    with pytest.raises(LayoutError):
        load_layout(layout)


def test_rdml_value_with_a_thousands_separator_names_the_value(tmp_path: Path) -> None:
    """numpy refuses '1,234.5' and qpcr's own number reader accepts it: a StopIteration once."""
    path = tmp_path / "melt.rdml"
    path.write_text(
        '<rdml xmlns="http://www.rdml.org" version="1.2"><sample id="s"><type>unkn</type>'
        '</sample><target id="T"><type>toi</type></target><experiment id="e"><run id="r">'
        '<react id="1"><sample id="s"/><data><tar id="T"/><cq>20</cq>'
        "<mdp><tmp>1,234.5</tmp><fluor>1.0</fluor></mdp></data></react></run></experiment></rdml>"
    )
    with pytest.raises(ExportParseError, match=r"value '1,234\.5' is not a number"):
        read_run(path)


def _zip_with_broken_member(path: Path, text: str) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("rdml_data.xml", text)
    data = bytearray(path.read_bytes())
    start = 30 + len("rdml_data.xml")
    data[start + 10 : start + 30] = b"\xff" * 20  # the deflate stream, not the headers
    path.write_bytes(bytes(data))


def test_corrupt_zip_member_is_an_export_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "run.rdml"
    _zip_with_broken_member(path, '<rdml xmlns="http://www.rdml.org" version="1.2">' * 50)
    with pytest.raises(ExportParseError, match=r"run\.rdml \[rdml_data\.xml\]: cannot decompress"):
        read_run(path, format="rdml")


#: What python-calamine raises on a Rust panic: pyo3_runtime.PanicException(BaseException).
PanicException = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (PanicException("index out of bounds"), r"damaged \(pyo3_runtime\.PanicException: index"),
        (zlib.error("invalid distance too far back"), r"damaged \(zlib\.error: invalid distance"),
        (csv.Error("field larger than field limit"), r"damaged \(_csv\.Error: field larger"),
        (UnicodeDecodeError("utf-8", b"\xf3", 0, 1, "bad"), r"damaged \(UnicodeDecodeError"),
        (OverflowError("int too large"), r"damaged \(OverflowError: int too large"),
        (ParseError("no element found"), r"damaged \(xml\.etree\.ElementTree\.ParseError: no "),
    ],
)
def test_parser_failures_in_a_reader_are_export_parse_errors(
    tmp_path: Path, error: BaseException, message: str
) -> None:
    """A parser failure inside any reader (a calamine panic is a BaseException) ends as an
    ExportParseError naming the file, from read_run's one guard."""
    path = tmp_path / "run.toy"
    path.write_text("toy\n")

    def read(path: Path, sample: object) -> object:
        raise error

    toy = ExportFormat("toy", "Toy", "never", lambda sample: False, read)
    damaged = rf"run\.toy: the file is {message}"
    with registered(toy), pytest.raises(ExportParseError, match=damaged) as caught:
        read_run(path, format="toy")
    assert caught.value.hint == "Export or copy the file again"


def test_the_parser_failures_are_made_on_first_use_with_the_xml_parsers() -> None:
    """``PARSER_FAILURES`` is made when asked for (a text export imports no XML parser)."""
    assert ParseError in failures.PARSER_FAILURES
    assert {zipfile.BadZipFile, zlib.error, csv.Error, OSError} < set(failures.PARSER_FAILURES)
    assert failures.PARSER_FAILURES is failures.PARSER_FAILURES  # made once, as a constant
    assert failures.is_parser_failure(ParseError("x"))
    assert not failures.is_parser_failure(SyntaxError("x"))
    with pytest.raises(AttributeError, match="has no attribute 'PARSER_FAILURE'"):
        failures.PARSER_FAILURE  # noqa: B018


def test_a_bug_in_a_reader_keeps_its_traceback(tmp_path: Path) -> None:
    path = tmp_path / "run.toy"
    path.write_text("toy\n")

    def read(path: Path, sample: object) -> object:
        raise TypeError("a bug")

    toy = ExportFormat("toy", "Toy", "never", lambda sample: False, read)
    with registered(toy), pytest.raises(TypeError, match="a bug"):
        read_run(path, format="toy")


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 2.5])
def test_a_numeric_well_cell_that_is_no_whole_number_is_an_input_error(value: float) -> None:
    """A workbook cell holding inf once raised OverflowError from int()."""
    with pytest.raises(InputError, match="is not a well name or a whole well number"):
        normalise_well(value, PLATES[96])


def test_rdml_pcr_format_larger_than_any_plate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rotor.rdml"
    path.write_text(
        '<rdml xmlns="http://www.rdml.org" version="1.2"><sample id="s"><type>unkn</type>'
        '</sample><target id="T"><type>toi</type></target><experiment id="e"><run id="r">'
        "<pcrFormat><rows>999999999</rows><columns>1</columns><rowLabel>123</rowLabel>"
        '<columnLabel>123</columnLabel></pcrFormat><react id="1"><sample id="s"/><data>'
        '<tar id="T"/><cq>20</cq></data></react></run></experiment></rdml>'
    )
    with pytest.raises(ExportParseError, match="pcrFormat has 999999999 wells; expected at most"):
        read_run(path)
