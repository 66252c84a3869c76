"""Formula and error cells of a workbook's sheets, found in its XML: python-calamine shows
values only, and a template reads typed values only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..io.safety import parse_xml, read_zip_member, zip_member_names
from ._common import _col

if TYPE_CHECKING:
    from xml.etree import ElementTree


def _special_cells(path: Path, sheets: Sequence[str]) -> dict[str, dict[str, str]]:
    """Formula and error cells of the named sheets (``{sheet: {ref: what}}``) of an .xlsx,
    .xlsm or .ods, read from the XML because calamine shows values only; empty for others.
    The members are read through :mod:`qpcr.io.safety` (inflated size capped, no DTD)."""
    found: dict[str, dict[str, str]] = {name: {} for name in sheets}
    try:
        members = set(zip_member_names(path))
    except InputError:
        return found
    if "xl/workbook.xml" in members:
        _xlsx_special(path, found)
    elif "content.xml" in members:
        _ods_special(path, found)
    return found


def _xml(path: Path, member: str) -> ElementTree.Element:
    """A member of the workbook's zip, parsed as hardened XML."""
    return parse_xml(read_zip_member(path, member), where=f"{path} [{member}]")


def _formula(text: str | None) -> str:
    """How a formula cell is described in messages."""
    return f"a formula (={text})" if text else "a formula"


def _xlsx_special(path: Path, found: dict[str, dict[str, str]]) -> None:
    """Office Open XML: cells with a formula (``<f>``) or an error value (``t="e"``)."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    book = _xml(path, "xl/workbook.xml")
    rels = _xml(path, "xl/_rels/workbook.xml.rels")
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    for sheet in book.iter(f"{ns}sheet"):
        name = sheet.get("name")
        if name not in found:
            continue
        target = targets.get(sheet.get(f"{rel_ns}id"), "")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        for cell in _xml(path, member).iter(f"{ns}c"):
            formula = cell.find(f"{ns}f")
            if formula is not None:
                found[name][cell.get("r", "?")] = _formula(formula.text)
            elif cell.get("t") == "e":
                value = cell.findtext(f"{ns}v") or "?"
                found[name][cell.get("r", "?")] = f"the error value {value}"


def _ods_special(path: Path, found: dict[str, dict[str, str]]) -> None:
    """OpenDocument: cells with a ``table:formula`` attribute (error values only arise from
    formulas there). Rows and cells may carry repeat counts."""
    t = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    cells = (f"{t}table-cell", f"{t}covered-table-cell")
    for table in _xml(path, "content.xml").iter(f"{t}table"):
        name = table.get(f"{t}name")
        if name not in found:
            continue
        row = 0
        for element in table.iter(f"{t}table-row"):
            col = 0
            for cell in element:
                if cell.tag not in cells:
                    continue
                if cell.get(f"{t}formula"):
                    text = cell.get(f"{t}formula", "").removeprefix("of:").lstrip("=")
                    found[name][f"{_col(col + 1)}{row + 1}"] = _formula(text)
                col += int(cell.get(f"{t}number-columns-repeated", "1"))
            row += int(element.get(f"{t}number-rows-repeated", "1"))
