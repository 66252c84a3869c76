"""Every kind of run an instrument exports (issue 19): content decides the format whatever the
file is called; rare and unknown task labels; genotyping; exports without sample or target
names; Design & Analysis 4.3 (Diomni) workbooks; digital PCR refused with its own message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from _vendor_io import DATA, export_file

from qpcr.errors import InputError
from qpcr.io import Export, read_run

#: Every workbook fixture (xlsx, legacy xls, LibreOffice ods), named as the tests know it.
WORKBOOKS = [
    *sorted(
        str(p.relative_to(DATA / "exports"))
        for p in (DATA / "exports").rglob("*")
        if p.suffix in (".xlsx", ".xls", ".ods")
    ),
    "thermo/thermo_classic_qs6_96_sybr.xls",  # no licence stated: read from ../shared
]
#: The templates and the broken workbooks: read, or refused, the same way under any name.
OTHER_WORKBOOKS = sorted(
    str(p.relative_to(DATA))
    for folder in ("template", "invalid")
    for p in (DATA / folder).glob("*")
    if p.suffix in (".xlsx", ".ods")
)


def _renamed(source: Path, folder: Path) -> dict[str, Path]:
    """Copies of ``source`` named ``.xlsx``, ``.xls``, ``.txt`` and with no extension."""
    copies = {}
    for suffix in (".xlsx", ".xls", ".txt", ""):
        copies[suffix.lstrip(".") or "none"] = folder / f"run{suffix}"
        shutil.copyfile(source, folder / f"run{suffix}")
    return copies


def _outcome(path: Path) -> object:
    """The export read from ``path``, or the message refusing it (with the name left out)."""
    try:
        return read_run(path)
    except InputError as exc:
        return str(exc).replace(str(path), "FILE")


def _same_reads(source: Path, folder: Path) -> None:
    reads = {name: _outcome(path) for name, path in _renamed(source, folder).items()}
    first = reads.pop("xlsx")
    for name, export in reads.items():
        if isinstance(first, str):
            assert export == first, name
            continue
        assert isinstance(export, Export), f"{name}: {export}"
        assert export.info.format == first.info.format, name
        pd.testing.assert_frame_equal(export.wells, first.wells, obj=name)
        assert export.tables.keys() == first.tables.keys(), name


@pytest.mark.parametrize("name", WORKBOOKS)
def test_workbook_reads_the_same_whatever_its_name(name: str, tmp_path: Path) -> None:
    _same_reads(export_file(name), tmp_path)


@pytest.mark.parametrize("name", OTHER_WORKBOOKS)
def test_template_or_broken_workbook_reads_the_same_whatever_its_name(
    name: str, tmp_path: Path
) -> None:
    _same_reads(DATA / name, tmp_path)
