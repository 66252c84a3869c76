"""What a reader sees of ``results.xlsx``, as plain data: every cell's value, type and styles,
each sheet's widths, panes, filter, print settings, merged ranges, row heights (other than the
default), page breaks and images, read back with openpyxl (and the drawing parts for the
images' anchors and sizes).

Used by tests/test_results_workbook_snapshot.py and by the script that wrote its golden file
(``python tests/_workbook_snapshot.py [OUT.json.gz]``, by default :data:`GOLDEN`).
"""

from __future__ import annotations

import gzip
import json
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "hypoxia_tocilizumab"
GOLDEN = Path(__file__).parent / "data" / "expected" / "workbook" / "hypoxia_tocilizumab.json.gz"
#: The figures embedded: fixed PNGs (name, width px, height px, dpi), so that the golden file
#: does not depend on how the figures are drawn.
FIGURES = (("fold_changes.png", 2400, 1500, 300), ("ratios.png", 900, 1200, 150))


def png(path: Path, width: int, height: int, dpi: int) -> Path:
    """A white greyscale PNG of ``width`` × ``height`` pixels stating ``dpi`` (pHYs chunk)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    per_metre = round(dpi / 0.0254)
    rows = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def write_example(folder: Path) -> Path:
    """The example's ``results.xlsx`` with :data:`FIGURES`, written into ``folder``."""
    from qpcr.config import load_config
    from qpcr.pipeline import analyze
    from qpcr.report.summary import write_workbook

    results = analyze(
        [EXAMPLE / "quantstudio_384_results.txt"],
        layout=EXAMPLE / "quantstudio_384_layout.csv",
        config=load_config(EXAMPLE / "analysis.toml"),
    )
    figures = [png(folder / name, *size) for name, *size in FIGURES]
    return write_workbook(results, folder / "results.xlsx", figures)


def _cell(cell: Any) -> list[Any] | None:
    """Value, type and styles of a cell; None for an empty cell in the default style."""
    font, fill, align = cell.font, cell.fill, cell.alignment
    styles = [
        cell.number_format,
        bool(font.b),
        float(font.sz or 11),
        fill.fgColor.rgb if fill.fill_type == "solid" else None,
        align.horizontal,
        float(align.indent or 0),
        bool(align.wrap_text),
        align.vertical,
    ]
    if cell.value is None and styles == ["General", False, 11.0, None, None, 0.0, False, None]:
        return None
    return [cell.value, type(cell.value).__name__, *styles]


_XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def _pictures(drawing: bytes) -> list[list[int]]:
    """Each picture of a drawing part as [column, row, width EMU, height EMU]: its top-left
    cell (0-based) and its size (the anchor's extent, or the picture's own for a two-cell
    anchor)."""
    out = []
    for anchor in ElementTree.fromstring(drawing):
        start = anchor.find(_XDR + "from")
        ext = anchor.find(_XDR + "ext")
        if ext is None:
            ext = anchor.find(f"{_XDR}pic/{_XDR}spPr/{_A}xfrm/{_A}ext")
        assert start is not None
        assert ext is not None
        col, row = (int(start.findtext(_XDR + k) or 0) for k in ("col", "row"))
        out.append([col, row, int(ext.get("cx", 0)), int(ext.get("cy", 0))])
    return out


def _images(path: Path, book: Any) -> dict[str, list[list[int]]]:
    """Sheet title → its pictures as [column, row, width EMU, height EMU] (0-based cell)."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        out = {}
        for index, ws in enumerate(book.worksheets, start=1):
            rels = f"xl/worksheets/_rels/sheet{index}.xml.rels"
            if rels not in names:
                continue
            found = re.findall(r'Target="([^"]*drawing\d+\.xml)"', archive.read(rels).decode())
            for target in found:
                drawing = archive.read("xl/drawings/" + target.rsplit("/", 1)[-1])
                out[ws.title] = _pictures(drawing)
    return out


def snapshot(path: Path) -> dict[str, Any]:
    """Everything :mod:`tests._workbook_snapshot` compares, as JSON-ready data."""
    book = openpyxl.load_workbook(path)
    images = _images(path, book)
    sheets = {}
    for ws in book.worksheets:
        merged = sorted(str(r) for r in ws.merged_cells.ranges)
        cells = {}
        for row in ws.iter_rows():
            for cell in row:
                if type(cell).__name__ != "MergedCell" and (found := _cell(cell)) is not None:
                    cells[cell.coordinate] = found
        setup, widths, heights = ws.page_setup, ws.column_dimensions, ws.row_dimensions
        sheets[ws.title] = {
            "cells": cells,
            "widths": {
                get_column_letter(j): d.width  # a range of columns holds one width
                for d in widths.values()
                if d.customWidth
                for j in range(d.min, d.max + 1)
            },
            # the default height (15 pt) set or not reads the same
            "heights": {str(k): d.height for k, d in sorted(heights.items()) if d.height != 15},
            "freeze_panes": ws.freeze_panes,
            "auto_filter": ws.auto_filter.ref,
            "print_title_rows": ws.print_title_rows,
            "page": [
                setup.orientation,
                setup.fitToWidth,
                setup.fitToHeight,
                ws.sheet_properties.pageSetUpPr.fitToPage,
            ],
            "merged": merged,
            "row_breaks": [b.id for b in ws.row_breaks.brk],
            "images": images.get(ws.title, []),
        }
    return {"sheets": list(sheets), "sheet": sheets}


def main() -> None:
    """Write the snapshot of the example's workbook to the path given, or to :data:`GOLDEN`."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        data = snapshot(write_example(Path(folder)))
    text = json.dumps(data, indent=0, sort_keys=True, ensure_ascii=False)
    target = sys.argv[1] if len(sys.argv) > 1 else GOLDEN
    with gzip.GzipFile(target, "wb", mtime=0) as out:  # the same bytes every time
        out.write(text.encode("utf-8"))


if __name__ == "__main__":
    main()
