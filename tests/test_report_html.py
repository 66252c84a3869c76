"""report.html on the bundled example: self-contained, every fold change shown with its full
value, one plate-map cell per well with the planted QC cases marked, and `--no-html`."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from qpcr.config import load_config
from qpcr.pipeline import analyze
from qpcr.report import write_report
from qpcr.report.html import fmt_p, report_html
from qpcr.results import Results

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"


@pytest.fixture(scope="module")
def results() -> Results:
    return analyze(
        [EXAMPLE / "quantstudio_384_results.txt"],
        layout=EXAMPLE / "quantstudio_384_layout.csv",
        config=load_config(EXAMPLE / "analysis.toml"),
    )


@pytest.fixture(scope="module")
def outdir(results: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "results"
    write_report(results, out)
    return out


class _Cells(HTMLParser):
    """Collects the attributes and text of every <td>, and every tag that loads a resource."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[dict[str, str | None], str]] = []
        self.rows: list[dict[str, str | None]] = []
        self.loads: list[str] = []
        self._cell: dict[str, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr":
            self.rows.append(a)
        if tag == "td":
            self._cell, self._text = a, ""
        for key in ("src", "href"):
            value = a.get(key) or ""
            if value and not value.startswith("#"):
                self.loads.append(f"{tag} {key}={value}")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            a = self._cell
            a["_row"] = str(len(self.rows) - 1)
            self.cells.append((a, self._text))
            self._cell = None


@pytest.fixture(scope="module")
def page(outdir: Path) -> _Cells:
    parser = _Cells()
    parser.feed((outdir / "report.html").read_text(encoding="utf-8"))
    return parser


def test_self_contained(outdir: Path, page: _Cells) -> None:
    text = (outdir / "report.html").read_text(encoding="utf-8")
    assert page.loads == []  # no src= or href= outside the page
    assert not re.search(r"url\((?!#)|@import|<link|<img", text)  # url(#id): inside the SVG
    # The three figures are inline SVG.
    assert text.count("<svg") == 3
    assert len(re.findall(r'data-figure="(fold_changes|ratios|standard_curves)"', text)) == 3


def test_every_fold_change_shown_with_its_value(outdir: Path) -> None:
    text = (outdir / "report.html").read_text(encoding="utf-8")
    table = pd.read_csv(outdir / "fold_changes.csv")
    body = text.split('id="fold-changes"')[1].split("</table>")[0]
    rows = re.findall(r'<tr data-contrast="([^"]*)" data-target="([^"]*)">(.*?)</tr>', body)
    assert len(rows) == len(table) == 20
    shown = {(c.replace("&quot;", '"'), t): cells for c, t, cells in rows}
    contrasts = pd.read_csv(outdir / "contrasts.csv").set_index(["name", "comparison"])
    model = contrasts["p_adj"]
    in_model = 0
    for r in table.to_dict("records"):
        # Donors complete: each two-group test is paired, so it is the primary result.
        assert (r["test"], r["p_role"]) == ("paired t", "primary")
        cells = shown[(r["contrast"], r["target"])]
        values = [float(v) for v in re.findall(r'data-v="([^"]+)"', cells)]
        # n, fold change, CI low, CI high, p, p adj: full precision kept.
        assert values[:6] == [r["n"], r["fold_change"], r["ci_low"], r["ci_high"], r["p_value"],
                              r["p_adj"]]  # fmt: skip
        # The factorial model's adjusted p of the same comparison (same label), when it has one.
        key = (r["target"], r["comparison"])
        assert values[6:] == ([model[key]] if key in model.index else [])
        in_model += key in model.index
        sensitivity = "<td>rcbd</td>" if key in model.index else "<td></td>"
        assert cells.count("<td>paired t</td>") == 1
        assert sensitivity in cells
        if key in model.index:
            assert contrasts.loc[key, "p_role"] == "sensitivity"
        assert f">{r['fold_change']:.3g}<" in cells
        assert f">{fmt_p(r['p_value'])}<" in cells.replace("&lt;", "<")
    # Both simple effects vs control and the [[contrasts]] entry: 3 of 4 comparisons per target.
    assert in_model == 15
    # The model's other contrasts (interactions, effects not vs control) have no other analysis.
    assert (contrasts["p_role"] == "primary").sum() == len(contrasts) - 15 - 3  # + 3 ratio rows


def test_verdicts_in_words(outdir: Path) -> None:
    text = (outdir / "report.html").read_text(encoding="utf-8")
    # VEGFA under hypoxia: 2.69-fold, CI 1.52-4.75 from the paired t (fold_changes.csv), p 0.013.
    row = pd.read_csv(outdir / "fold_changes.csv").iloc[6]
    assert (row["target"], round(row["fold_change"], 2)) == ("VEGFA", 2.69)
    expected = (f"VEGFA: 2.69-fold up in hypoxia + vehicle vs normoxia + vehicle, 95 % CI "
                f"{row['ci_low']:.3g}–{row['ci_high']:.3g}, adjusted p = {row['p_adj']:.3f} "
                "(paired t, holm)")  # fmt: skip
    assert expected in text


def test_plate_maps_one_cell_per_well_with_marks(page: _Cells, outdir: Path) -> None:
    wells = pd.read_csv(outdir / "wells.csv")
    cells = [(a, t) for a, t in page.cells if "data-well" in a]
    targets = list(dict.fromkeys(wells["target"]))
    assert len(cells) == 384 * len(targets) == 384 * 7
    per_map = [cells[i * 384 : (i + 1) * 384] for i in range(len(targets))]
    for target, cells_ in zip(targets, per_map, strict=True):
        assert len({a["data-well"] for a, _ in cells_}) == 384
        used = {a["data-well"] for a, _ in cells_ if "empty" not in (a["class"] or "")}
        assert used == set(wells.loc[wells["target"] == target, "well"])
    marked = {(a["data-well"], t) for a, t in cells if "class" in a and a["class"] != "w empty"
              and any(m in a["class"].split() for m in ("nd", "outlier", "ntc-hit"))}  # fmt: skip
    # The planted cases (examples README): outlier C11, isolated non-detect E6, NTC hit B13.
    assert ("C11", "O") in marked
    assert ("E6", "ND") in marked
    assert ("B13", "NTC") in marked
    # A Cq cell shows its value to one decimal.
    a1 = next(t for a, t in per_map[0] if a["data-well"] == "A1")
    cq = wells.loc[(wells["well"] == "A1") & (wells["target"] == "BMP2"), "cq"].iloc[0]
    assert a1 == f"{cq:.1f}"


def test_methods_and_provenance_on_the_page(outdir: Path) -> None:
    text = (outdir / "report.html").read_text(encoding="utf-8")
    assert "Relative quantification was performed with qpcr" in text
    assert "bb45cddab6cecf83670522ebc68464369a0d3995418d514705bd694a59e1306b" in text  # SHA-256


def test_no_html(results: Results, tmp_path: Path) -> None:
    names = {p.name for p in write_report(results, tmp_path / "a", figures=False, html=False)}
    assert "report.html" not in names
    assert "fold_changes.csv" in names
    page = report_html(results)  # without figures: tables and plate maps only
    assert page.count("<svg") == 0
    assert page.count('class="platemap"') == 7


def test_reference_gene_stability_when_candidates_ranked(tmp_path: Path) -> None:
    """reference_genes = ["auto"] over four candidates (T17's data set): the page holds the
    ranking (one row per candidate, geNorm M as computed) and the stability figure inline."""
    from qpcr.config import AnalysisConfig

    config = AnalysisConfig(
        reference_genes=("auto",), candidate_genes=("REF_A", "REF_B", "REF_C", "GAPDH"),
        replicate="donor", control={"oxygen": "normoxia", "treatment": "vehicle"},
    )  # fmt: skip
    found = analyze([Path(__file__).parent / "data" / "methods" / "dataset_2_0.csv"],
                    config=config)  # fmt: skip
    write_report(found, tmp_path / "out")
    text = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    section = text.split('id="reference-genes"')[1].split("</section>")[0]
    genes = found.tables["reference_genes"]
    assert section.count("<tr>") == len(genes) + 1 == 5  # header and one row per candidate
    m = float(genes.set_index("target").loc["GAPDH", "genorm_m"])
    assert f'data-v="{m!r}"' in section
    assert m == pytest.approx(0.5240, abs=1e-4)
    assert text.count('data-figure="reference_genes"><svg') == 1
