"""Native run files are recognised by content and refused; and the whole-tree sniff matrix."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from _vendor_io import EXPORTS

from qpcr.errors import InputError, UnrecognizedFormatError
from qpcr.io import detect, read_run, runfiles
from qpcr.io.registry import FileSample

FOLDER = EXPORTS / "runfiles"

#: folder under tests/data/exports -> format name (other folders: the name or "<folder>_*")
FOLDER_FORMAT = {"runfiles": "runfile"}


@pytest.mark.parametrize(
    ("name", "software", "export"),
    [
        ("runfile_rotorgene_rex_ptgdr.rex", "Rotor-Gene", "Excel Analysed Data Sheet"),
        ("runfile_quantstudio_eds_synthetic.eds", "QuantStudio", "Results table"),
        ("runfile_biorad_pcrd_encrypted_synthetic.pcrd", "Bio-Rad CFX", "Quantification Cq"),
        ("runfile_lc480_ixo_synthetic.ixo", "LightCycler 480", "Abs Quant results"),
    ],
)
def test_run_files_are_refused(name: str, software: str, export: str) -> None:
    path = FOLDER / name
    assert detect(path).name == "runfile"
    with pytest.raises(UnrecognizedFormatError, match=software) as info:
        read_run(path)
    assert isinstance(info.value, InputError)
    assert info.value.where == str(path)
    assert export in info.value.hint
    assert info.value.hint.endswith("first")


def test_detection_is_by_content_not_extension(tmp_path: Path) -> None:
    renamed = tmp_path / "results.csv"
    shutil.copy(FOLDER / "runfile_rotorgene_rex_ptgdr.rex", renamed)
    assert detect(renamed).name == "runfile"
    renamed = tmp_path / "plate.xlsx"
    shutil.copy(FOLDER / "runfile_biorad_pcrd_encrypted_synthetic.pcrd", renamed)
    assert detect(renamed).name == "runfile"


def _zip(tmp_path: Path, name: str, members: dict[str, str]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def test_not_claimed_lc96p_xlsx_plain_xml(tmp_path: Path) -> None:
    """.lc96p (RDML inside a zip) is left to the RDML reader; xlsx and other XML are not run
    files."""
    lc96p = _zip(
        tmp_path,
        "run.lc96p",
        {"rdml_data.xml": "<rdml version='1.1'/>", "app_data.xml": "<LightCycler480/>"},
    )
    xlsx = _zip(
        tmp_path, "book.xlsx", {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<x/>"}
    )
    xml = tmp_path / "other.xml"
    xml.write_text("<?xml version='1.0'?><Experiment><Name>x</Name></Experiment>")
    for path in (lc96p, xlsx, xml):
        assert not runfiles.sniff(FileSample(path)), path.name


def _exports() -> list[Path]:
    return sorted(
        p for p in EXPORTS.glob("*/*") if p.is_file() and p.suffix != ".md" and p.name[0] != "."
    )


@pytest.mark.parametrize("path", _exports(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_export_is_claimed_by_exactly_its_own_format(path: Path) -> None:
    """The matrix over tests/data/exports/**: detect() names the folder's format (a folder
    ``thermo`` holds ``thermo_*`` formats); ``*invalid_for_sniffer*`` files are claimed by none."""
    folder = path.parent.name
    if "invalid_for_sniffer" in path.name:
        with pytest.raises(UnrecognizedFormatError):
            detect(path)
        return
    name = detect(path).name
    assert name == FOLDER_FORMAT.get(folder, folder) or name.startswith(f"{folder}_")
