"""Fuzzing ``read_run``: random bytes, random text and mutated real exports may only ever end
in an ``InputError`` subclass (or a successful read), never in another exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qpcr.errors import InputError
from qpcr.io import read_run
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
