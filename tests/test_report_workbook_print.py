"""results.xlsx prints: rendered by LibreOffice to PDF (skipped when `soffice` or `pdftotext` is
not installed; `.ci/run` installs Debian's libreoffice-calc-nogui and poppler-utils when it can):
every column name printed whole, no word running into the next, no text below ~7 pt, a page
count in bounds, p-values read 0.013 or <0.001, small
ratios keep three significant digits, figures sit on their own pages, the header row repeats,
and wide sheets spread over pages instead of shrinking to an unreadable size."""

from __future__ import annotations

import re
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from qpcr.config import load_config
from qpcr.pipeline import analyze
from qpcr.report import write_report

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = analyze(
        [EXAMPLE / "quantstudio_384_results.txt"],
        layout=EXAMPLE / "quantstudio_384_layout.csv",
        config=load_config(EXAMPLE / "analysis.toml"),
    )
    out = tmp_path_factory.mktemp("print") / "results"
    write_report(results, out, html=False)
    return out / "results.xlsx"


def test_headers_fit_their_columns(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    for ws in book.worksheets[1:]:
        if ws.title in ("Figures", "Methods"):
            continue
        assert ws.print_title_rows == "$1:$1"
        for cell in ws[1]:
            width = ws.column_dimensions[get_column_letter(cell.column)].width
            assert len(str(cell.value)) + 2 <= width, (ws.title, cell.value, width)
        widths = [ws.column_dimensions[get_column_letter(j)].width
                  for j in range(1, ws.max_column + 1)]  # fmt: skip
        # at most ~190 characters of columns per landscape page: text stays ≥ 8 pt
        assert sum(widths) / ws.page_setup.fitToWidth <= 190
    assert book["wells"].page_setup.fitToWidth == 2
    # The Summary's rows read across one page (a second page across would split each row).
    assert book["Summary"].page_setup.fitToWidth == 1


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                   r"([^<]*)</word>")  # fmt: skip


def _pdf_words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, every word as (y, x min, x max, height, text), sorted by line then by x (the
    words of one printed line share their y; ``pdftotext -bbox``)."""
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    return [sorted((round(float(y0), 1), float(x0), float(x1), float(y1) - float(y0), w)
                   for x0, y0, x1, y1, w in _WORD.findall(page))
            for page in bbox.split("<page ")[1:]]  # fmt: skip


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) not installed")
def test_rendered_by_libreoffice(workbook: Path, tmp_path: Path) -> None:
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(workbook)],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    pdf = tmp_path / "results.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    pages = text.split("\f")[:-1]
    # 42 pages today: the Summary, the tables (wide ones over two pages), one per figure.
    assert 20 <= len(pages) <= 60
    # No header overprinted or cut: every column name of every table sheet is printed whole as a
    # word of its own (a name run into its neighbour reads as one word, e.g. "ci_highbound"),
    # and on no line does a word reach into the next one (a clipped or overflowing cell).
    words = _pdf_words(pdf)
    printed = {w for page in words for *_, w in page}
    book = openpyxl.load_workbook(workbook, read_only=True)
    for ws in book.worksheets[1:]:
        if ws.title not in ("Figures", "Methods"):
            header = next(ws.iter_rows(max_row=1, values_only=True))
            assert set(header) <= printed, (ws.title, set(header) - printed)
    for page in words:
        for (y, _, right, _, a), (y2, left, _, _, b) in pairwise(page):
            assert y != y2 or left - right >= 1.0, (a, b, left - right)
    # Readable everywhere: no text shrunk below ~7 pt (a word box ≥ 6.5 pt high).
    assert min(h for page in words for *_, h, _ in page) >= 6.5
    for glued in ("ci_highbound", "p_adjnote", "p_valuetest", "p_adjadjust"):
        assert glued not in text
    # p-values in a fixed format: no scientific notation anywhere, small ones as <0.001.
    assert not re.search(r"\d\.\d+E[-+]\d", text)
    assert "<0.001" in text
    # RANKL/OPG of the control group, 0.006535: three significant digits, not "0.007".
    assert "0.00653" in text
    # Each figure on a page of its own.
    figure_pages = [i for i, page in enumerate(pages) if ".png" in page]
    assert len(figure_pages) == 3
    assert all(pages[i].count(".png") == 1 for i in figure_pages)
    # The wells header row repeats on every page of the wells sheet.
    wells_pages = [p for p in pages if "quantstudio_384_results" in p and "unkn" in p]
    assert len(wells_pages) >= 4
    assert all("sample_type" in p for p in wells_pages)
