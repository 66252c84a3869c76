"""Sniff matrix: every export fixture is claimed by exactly the format(s) of its folder, no
sniffer crashes on any fixture, and every deliberately broken input ends in an InputError
(never another exception)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qpcr.errors import InputError
from qpcr.io import detect, formats, read_run
from qpcr.io.registry import FileSample, _claims

DATA = Path(__file__).parent / "data"
EXPORTS = DATA / "exports"
INVALID = DATA / "invalid"
_NOT_DATA = {".md", ".py"}

#: Folder → format names allowed to claim its files, where the names do not start with the
#: folder name (the default rule: ``thermo`` allows ``thermo``, ``thermo_classic``...).
FOLDER_FORMATS = {"runfiles": {"runfile"}}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() not in _NOT_DATA)


EXPORT_FILES = _files(EXPORTS)
INVALID_FILES = _files(INVALID)


def _allowed(folder: str) -> set[str]:
    names = {f.name for f in formats()}
    if folder in FOLDER_FORMATS:
        return FOLDER_FORMATS[folder] & names
    return {n for n in names if n == folder or n.startswith(f"{folder}_")}


def _id(path: Path) -> str:
    return str(path.relative_to(DATA))


def test_the_matrix_is_not_empty() -> None:
    assert len(EXPORT_FILES) >= 8
    assert {p.parent.name for p in EXPORT_FILES} >= {"rdml"}
    assert len(INVALID_FILES) >= 15


@pytest.mark.parametrize("path", EXPORT_FILES, ids=[_id(p) for p in EXPORT_FILES])
def test_export_is_claimed_by_its_own_format_only(path: Path) -> None:
    folder = path.relative_to(EXPORTS).parts[0]
    allowed = _allowed(folder)
    if not allowed:
        pytest.skip(f"no reader registered for folder '{folder}' yet")
    if "_invalid_" in path.name:
        with pytest.raises(InputError):
            read_run(path)
        return
    claims, crashes = _claims(FileSample(path))
    assert crashes == []
    claimed = {c.format.name for c in claims}
    assert len(claimed) == 1, f"claimed by {sorted(claimed)}"
    assert claimed <= allowed, f"claimed by {sorted(claimed)}; expected one of {sorted(allowed)}"
    assert detect(path).name in allowed


@pytest.mark.parametrize("path", INVALID_FILES, ids=[p.name for p in INVALID_FILES])
def test_invalid_input_ends_in_input_error(path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_run(path)
    assert path.name in str(info.value)  # the message names the file
    assert _claims(FileSample(path))[1] == []  # no sniffer crashed on it


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("entity_bomb.xml", "document type declaration"),
        ("external_entity.xml", "document type declaration"),
        ("zip_bomb.rdml", "decompression bomb"),
        ("well_q25.csv", "384-well"),
        ("well_q25_rdml.xml", "well 'Q25' is outside a 384-well plate"),
        ("truncated_rdml.xml", "XML is broken"),
        ("wrong_encoding_latin1_declared_utf8.xml", "XML is broken"),
        ("other_table.csv", "not a supported export"),
        ("empty.csv", "the file is empty"),
    ],
)
def test_invalid_inputs_fail_for_the_right_reason(name: str, error: str) -> None:
    with pytest.raises(InputError) as info:
        read_run(INVALID / name)
    assert error in str(info.value)


def test_invalid_fixtures_are_small() -> None:
    assert all(p.stat().st_size < 100_000 for p in INVALID_FILES)
