"""Every file under tests/data has its licence stated.

Rules (tests/data/LICENSES.md explains them): each file is named in a table row of its folder's
PROVENANCE.md whose ``Licence`` cell starts with a known licence; the project's own files say
``MIT (project)``; every other file is also listed in tests/data/LICENSES.md with the same
licence. Files whose source states no licence are not in the repository at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _vendor_io import NOT_REDISTRIBUTED

DATA = Path(__file__).parent / "data"
LICENSES = DATA / "LICENSES.md"
#: Licences under which a file may be shipped as test data (SPDX identifiers).
OPEN = {"MIT", "Apache-2.0", "GPL-3.0", "LGPL-3.0", "GPL-2.0-or-later"}
PROJECT = "MIT (project)"


def _tables(path: Path) -> list[dict[str, str]]:
    """Rows of every Markdown table in a file, as {lower-case header: cell}."""
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for line in path.read_text("utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
        elif not set("".join(cells)) <= set("-: "):
            rows.append(dict(zip(header, cells, strict=False)))
    return rows


def _licence(rows: list[dict[str, str]], name: str) -> str | None:
    """The licence cell of the row whose first cell names ``name`` (in backticks), or None."""
    for row in rows:
        if f"`{name}`" in next(iter(row.values())) and "licence" in row:
            return row["licence"]
    return None


def _data_files() -> list[Path]:
    return sorted(
        p
        for p in DATA.rglob("*")
        if p.is_file()
        and p.name != "PROVENANCE.md"
        and p != LICENSES
        and "__pycache__" not in p.parts
    )


FILES = _data_files()
THIRD_PARTY = _tables(LICENSES)


def test_there_are_files_to_check() -> None:
    assert len(FILES) > 100
    assert len(THIRD_PARTY) > 40


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_file_has_a_stated_open_licence(path: Path) -> None:
    provenance = path.parent / "PROVENANCE.md"
    assert provenance.is_file(), f"{path.parent.relative_to(DATA)} has no PROVENANCE.md"
    licence = _licence(_tables(provenance), path.name)
    assert licence is not None, f"{path.name} is not in a table row with a Licence of {provenance}"
    assert licence.split()[0] in OPEN, f"{path.name}: licence {licence!r} is not one of {OPEN}"
    if licence.startswith(PROJECT):
        return
    listed = _licence(THIRD_PARTY, str(path.relative_to(DATA)))
    assert listed is not None, f"third-party {path.name} is not listed in tests/data/LICENSES.md"
    assert listed.split()[0] == licence.split()[0]


def test_licenses_md_lists_only_existing_files() -> None:
    for row in THIRD_PARTY:
        name = row["file"].strip("`")
        assert (DATA / name).is_file(), f"LICENSES.md lists {name}, which is not in tests/data"
        assert row["stated in"].strip("`").endswith("PROVENANCE.md")
        assert (DATA / name).parent == (DATA / row["stated in"].strip("`")).parent


def test_files_without_a_licence_are_not_in_the_repository() -> None:
    for name in NOT_REDISTRIBUTED:
        assert not (DATA / "exports" / name).exists(), f"{name} states no licence"
