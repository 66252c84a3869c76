"""Results workbook: round trip through python-calamine, formats, safety, figures."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from qpcr.errors import InputError
from qpcr.report.workbook import number_format, write_results_workbook

P_FORMAT = '[<0.001]"<0.001";0.000'  # three decimals, <0.001 below

EVIL = '=HYPERLINK("http://x","y")'


def _fold_changes() -> pd.DataFrame:
    # T12 of methods.md: FC 4.702192, 95 % CI [3.027407, 7.303481], Welch p 0.000682
    return pd.DataFrame(
        {
            "target": ["BMP2", "VEGFA"],
            "group": ["hypoxia", "hypoxia"],
            "fold_change": [4.702192, 0.812345],
            "ci_low": [3.027407, 0.61],
            "ci_high": [7.303481, 1.081],
            "p_value": [0.000682, 0.2],
            "p_adj": [0.001364, 0.2],
            "n": [3, 3],
        }
    )


def _tables() -> dict[str, pd.DataFrame]:
    wells = pd.DataFrame(
        {
            "well": ["A1", "A2", "A3"],
            "sample": [EVIL, "d1-normoxia", "-RT control"],
            "target": ["GAPDH", "GAPDH", "BMP2"],
            "cq": [18.123456, np.nan, 25.5],
            "delta_cq": [-1.5, 0.25, np.nan],
            "excluded": [False, True, False],
            "se": [0.123456, 0.2, 0.3],
        }
    )
    qc = pd.DataFrame(
        {
            "rule": ["ntc", "replicate_range", "reference_stability"],
            "severity": ["fail", "warn", "info"],
            "well": ["C1", "A2", None],
            "message": ["NTC amplified at 33.1", "range 0.8 > 0.5", "ok"],
        }
    )
    return {"wells": wells, "fold_changes": _fold_changes(), "qc": qc}


def _summary() -> dict[str, object]:
    return {
        "title": "qPCR results: chondrocytes under hypoxia",
        "lines": ["Input: plate1.xlsx", "Reference genes: GAPDH, HPRT1"],
        "fold_changes": _fold_changes(),
        "ratios": pd.DataFrame(
            {"ratio": ["RANKL/OPG"], "group": ["hypoxia"], "fold_change": [2.5]}
        ),
        "warnings": ["NTC of BMP2 amplified (C1)", "=cmd|' /C calc'!A0"],
    }


@pytest.fixture
def figure(tmp_path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3), dpi=50)
    ax.bar(["normoxia", "hypoxia"], [1.0, 4.7])
    path = tmp_path / "fold_changes.png"
    fig.savefig(path)
    plt.close(fig)
    return path


@pytest.fixture
def book(tmp_path: Path, figure: Path) -> Path:
    path = tmp_path / "out" / "results.xlsx"
    write_results_workbook(
        path,
        summary=_summary(),
        tables=_tables(),
        figures=[figure],
        methods_text="Cq values were averaged.\nPer sample.\n\nΔΔCq = ΔCq − mean ΔCq(control).",
    )
    return path


def _rows(path: Path, sheet: str) -> list[list[object]]:
    return [
        list(r) for r in CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    ]


def test_sheets_in_order(book: Path) -> None:
    names = CalamineWorkbook.from_path(str(book)).sheet_names
    assert names == ["Summary", "wells", "fold_changes", "qc", "Figures", "Methods"]


def test_tables_round_trip_through_calamine(book: Path) -> None:
    for name, table in _tables().items():
        rows = _rows(book, name)
        assert rows[0] == list(table.columns)
        got = pd.DataFrame(rows[1:], columns=rows[0])
        for column in table.columns:
            want = table[column]
            if pd.api.types.is_float_dtype(want):
                values = pd.to_numeric(got[column].replace("", np.nan))
                np.testing.assert_allclose(values, want, rtol=0, atol=1e-12, equal_nan=True)
            elif pd.api.types.is_bool_dtype(want):
                assert got[column].tolist() == want.tolist()
            elif pd.api.types.is_integer_dtype(want):
                assert got[column].astype(int).tolist() == want.tolist()
    wells = _rows(book, "wells")
    assert wells[1][1] == "'" + EVIL  # escaped text, not a formula
    assert wells[3][1] == "'-RT control"
    assert wells[1][3] == 18.123456  # full precision kept; the format only rounds the display


def test_summary_has_title_lines_fold_changes_ratios_and_warnings(book: Path) -> None:
    rows = _rows(book, "Summary")
    first = [r[0] for r in rows]
    assert first[0] == "qPCR results: chondrocytes under hypoxia"
    assert "Reference genes: GAPDH, HPRT1" in first
    header = first.index("Fold changes") + 1
    assert rows[header][:3] == ["target", "group", "fold_change"]
    assert rows[header + 1][2] == pytest.approx(4.702192)
    assert rows[header + 1][3:6] == pytest.approx([3.027407, 7.303481, 0.000682])
    ratios = first.index("Ratios") + 1
    assert rows[ratios + 1][:3] == ["RANKL/OPG", "hypoxia", 2.5]
    warnings = first.index("Warnings")
    assert first[warnings + 1 : warnings + 3] == [
        "• NTC of BMP2 amplified (C1)",
        "• =cmd|' /C calc'!A0",
    ]


def test_number_formats_freeze_filter_and_qc_highlight(book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    fc = wb["fold_changes"]
    formats = {fc.cell(1, j).value: fc.cell(2, j).number_format for j in range(1, 9)}
    assert formats["fold_change"] == "0.000"
    assert formats["ci_low"] == formats["ci_high"] == "0.000"
    assert formats["p_value"] == formats["p_adj"] == P_FORMAT
    assert formats["n"] == "General"
    assert wb["wells"]["F2"].number_format == "General"  # booleans
    assert wb["Summary"].page_setup.fitToWidth == 1
    assert fc.freeze_panes == "A2"
    summary = wb["Summary"]
    warned = [c for c in summary["A"] if str(c.value).startswith("• ")]
    assert len(warned) == 2
    assert all(c.alignment.wrap_text for c in warned)
    assert {str(m) for m in summary.merged_cells.ranges} == {f"A{c.row}:H{c.row}" for c in warned}
    assert fc.auto_filter.ref == "A1:H3"
    wells = wb["wells"]
    assert wells["D2"].number_format == "0.00"
    assert wells["E2"].number_format == "0.00"  # delta_cq
    assert wells["G2"].number_format == "0.000"  # any other float
    assert wells.column_dimensions["B"].width >= len("'" + EVIL)
    qc = wb["qc"]
    assert qc["A2"].fill.fgColor.rgb == "FFFFC7CE"  # fail
    assert qc["D3"].fill.fgColor.rgb == "FFFFEB9C"  # warn
    assert qc["A4"].fill.fgColor.rgb == "00000000"  # info: no fill


def test_no_formula_anywhere(book: Path) -> None:
    with zipfile.ZipFile(book) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name)


def test_figures_are_embedded_and_methods_wrapped(book: Path, figure: Path) -> None:
    with zipfile.ZipFile(book) as archive:
        media = [n for n in archive.namelist() if n.startswith("xl/media/")]
        assert len(media) == 1
        assert archive.read(media[0])[:8] == b"\x89PNG\r\n\x1a\n"
    methods = _rows(book, "Methods")
    assert [r[0] for r in methods if r[0]] == [
        "Methods",
        "Cq values were averaged. Per sample.",
        "ΔΔCq = ΔCq − mean ΔCq(control).",
    ]
    wb = openpyxl.load_workbook(book)
    assert wb["Methods"]["A3"].alignment.wrap_text
    assert _rows(book, "Figures")[0][0] == figure.name


def test_number_format_follows_the_declared_scale() -> None:
    assert number_format("cq_mean") == "0.00"  # Cq
    assert number_format("ref_cq") == "0.00"
    assert number_format("bestkeeper_sd") == "0.00"  # a Cq SD, whatever its name says
    assert number_format("p_value") == P_FORMAT
    assert number_format("bestkeeper_p") == P_FORMAT
    assert number_format("log2_fold_change") == "0.000"
    assert number_format("ci_low_log2") == "0.000"
    assert number_format("value_ci_low") == "0.000"
    assert number_format("donor") is None  # a design column: not declared
    assert number_format("n") is None  # a count
    assert number_format("recommended") is None  # a flag


def test_missing_figure_and_long_sheet_names(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    with pytest.raises(InputError, match="figure file"):
        write_results_workbook(
            path, summary={}, tables={}, figures=[tmp_path / "nope.png"], methods_text=""
        )
    assert not path.exists()
    tables = {"a/b: very long table name exceeding the limit": pd.DataFrame({"x": [1]})}
    tables["a_b_ very long table name exceeding the limit, again"] = pd.DataFrame({"y": [2.0]})
    write_results_workbook(path, summary={}, tables=tables, figures=[], methods_text="x")
    names = CalamineWorkbook.from_path(str(path)).sheet_names
    assert names[1:3] == ["a_b_ very long table name excee", "a_b_ very long table name exc_2"]
    assert all(len(n) <= 31 for n in names)
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


def _columns_of_every_kind(rng: np.random.Generator) -> pd.DataFrame:
    """Columns of each dtype a table may hold, with missing and non-finite values."""
    n = 40
    floats = rng.normal(0, 10, n) * 10.0 ** rng.integers(-8, 8, n)
    floats[rng.choice(n, 8, replace=False)] = [np.nan, np.inf, -np.inf, 0.0, -0.0, np.nan,
                                                1e-300, -1e300]  # fmt: skip
    text = pd.Series(rng.choice(["MYC", "", "=1+1", "-inf", "#N/A", " x"], n), dtype="str")
    text[3] = None
    return pd.DataFrame(
        {
            "floats": floats,
            "finite": rng.normal(0, 1, n),
            "float32": rng.normal(0, 1, n).astype(np.float32),
            "ints": rng.integers(-(2**40), 2**40, n),
            "unsigned": rng.integers(0, 255, n).astype(np.uint8),
            "flags": rng.random(n) < 0.5,
            "nullable_ints": pd.array([None if i % 7 == 0 else i for i in range(n)], dtype="Int64"),
            "nullable_flags": pd.array(
                [None if i % 5 == 0 else i % 2 == 0 for i in range(n)], dtype="boolean"
            ),
            "text": text,
            "objects": pd.Series(
                [None, 1, 2.5, "a", True, np.float64(np.nan)] * 6 + [pd.NA] * 4, dtype=object
            ),
            "category": pd.Categorical(rng.choice(["hypoxia", "normoxia"], n)),
            "dates": pd.date_range("2026-01-01", periods=n, freq="D"),
        }
    )


@pytest.mark.parametrize("seed", range(5))
def test_cell_values_are_the_values_one_by_one(seed: int) -> None:
    """The workbook's cell values taken a column at a time (numpy numbers and flags as they
    are) equal ``_value`` of each value of the table as an object array, type for type, and
    the ratio columns' decimals equal those of the column read by ``pd.to_numeric``."""
    from qpcr.report.workbook import _cells, _decimals, _value

    table = _columns_of_every_kind(np.random.default_rng(seed))
    body = table.to_numpy(dtype=object)
    for j, (name, column) in enumerate(table.items()):
        got, want = _cells(column), [_value(v) for v in body[:, j]]
        assert [(type(v), v) for v in got] == [(type(v), v) for v in want], name
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            for ordered in (column, column.sort_values(key=np.abs)):  # the smallest first
                values = pd.to_numeric(ordered, errors="coerce").abs()
                values = values[(values > 0) & np.isfinite(values)]
                decimals = min(10, max(3, 2 - int(np.floor(np.log10(float(values.min()))))))
                assert _decimals(ordered) == "0." + "0" * decimals, name
