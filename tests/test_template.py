"""Bench-scientist template: write, fill as a person would (openpyxl), read back."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from qpcr.config import from_mapping, load_config
from qpcr.errors import ConfigError, InputError, LayoutError
from qpcr.io import read_run
from qpcr.layout import load_layout
from qpcr.plate import PLATES, well_index
from qpcr.template import MARKER, is_template, read_template, write_template

DATA = Path(__file__).parent / "data" / "template"

DONORS = ("d1", "d2", "d3")
OXYGEN = ("normoxia", "hypoxia")
# Cq per (target, donor, oxygen); technical duplicates differ by +0.1 in the second well
GAPDH = {("d1", "normoxia"): 18.0, ("d1", "hypoxia"): 18.2, ("d2", "normoxia"): 18.4,
         ("d2", "hypoxia"): 18.1, ("d3", "normoxia"): 17.9, ("d3", "hypoxia"): 18.3}  # fmt: skip
BMP2 = {("d1", "normoxia"): 26.0, ("d1", "hypoxia"): 24.1, ("d2", "normoxia"): 26.5,
        ("d2", "hypoxia"): 24.6, ("d3", "normoxia"): 25.8, ("d3", "hypoxia"): 23.9}  # fmt: skip

TOML = """
reference_genes = ["GAPDH"]
replicate = "donor"
test = "paired"
adjust = "bh"
alpha = 0.05
outlier_rule = "poisson"
outlier_threshold = 0.5
nondetect_policy = "censor"
nondetect_limit = 38.0
ntc_margin = 5.0
[control]
oxygen = "normoxia"
[efficiency]
BMP2 = 1.94
[ratios]
"BMP2/GAPDH" = ["BMP2", "GAPDH"]
[aliases]
BMP-2 = "BMP2"
[[contrasts]]
name = "hypoxia vs normoxia"
numerator = { oxygen = "hypoxia" }
denominator = { oxygen = "normoxia" }
"""


def _design() -> pd.DataFrame:
    """The synthetic plate as a tidy table: rows A (GAPDH) and B (BMP2), columns 1-12 =
    donor × oxygen × duplicate; C1/C2 are NTCs (Undetermined)."""
    rows = []
    for t, (target, cqs) in enumerate((("GAPDH", GAPDH), ("BMP2", BMP2))):
        col = 1
        for donor in DONORS:
            for oxygen in OXYGEN:
                for dup in (0, 1):
                    rows.append(
                        {
                            "well": f"{'AB'[t]}{col}",
                            "sample": f"{donor}-{oxygen}",
                            "target": target,
                            "sample_type": "unkn",
                            "cq": round(cqs[donor, oxygen] + 0.1 * dup, 3),
                            "oxygen": oxygen,
                            "donor": donor,
                        }
                    )
                    col += 1
        rows.append(
            {
                "well": f"C{t + 1}",
                "sample": "water",
                "target": target,
                "sample_type": "ntc",
                "cq": np.nan,
                "oxygen": "",
                "donor": "",
            }
        )
    table = pd.DataFrame(rows)
    order = table["well"].map(lambda w: well_index(w, PLATES[96]))
    return table.iloc[np.argsort(order.to_numpy())].reset_index(drop=True)


def _tidy_csv(tmp_path: Path) -> Path:
    table = _design().rename(columns={"cq": "Cq"})
    table["Cq"] = table["Cq"].map(lambda v: "Undetermined" if np.isnan(v) else f"{v:.3f}")
    path = tmp_path / "tidy.csv"
    table.to_csv(path, index=False)
    return path


def _grid_cell(sheet: openpyxl.worksheet.worksheet.Worksheet, name: str, well: str):
    """The cell of ``well`` in the plate grid whose top-left cell is ``name``."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == name and sheet.cell(cell.row, cell.column + 1).value == 1:
                r = cell.row + "ABCDEFGHIJKLMNOP".index(well[0]) + 1
                return sheet.cell(r, cell.column + int(well[1:]))
    raise AssertionError(f"no grid {name}")


def _settings_row(sheet, key: str, nth: int = 0) -> int:
    rows = [c.row for c in sheet["A"] if c.value == key]
    return rows[nth]


def _new_template(path: Path) -> None:
    write_template(
        path,
        targets=["GAPDH", "BMP2"],
        reference_genes=["GAPDH"],
        factors={"oxygen": list(OXYGEN)},
        replicate="donor",
    )


def _fill_settings(book: openpyxl.Workbook) -> None:
    """Type the settings of TOML on the Settings sheet, as a person would."""
    ws = book["Settings"]
    ws.cell(_settings_row(ws, "control"), 3, "oxygen")
    ws.cell(_settings_row(ws, "control"), 4, "normoxia")
    ws.cell(_settings_row(ws, "efficiency"), 3, "BMP2")
    ws.cell(_settings_row(ws, "efficiency"), 4, 1.94)
    r = _settings_row(ws, "ratios")
    for j, value in enumerate(("BMP2/GAPDH", "BMP2", "GAPDH"), start=3):
        ws.cell(r, j, value)
    ws.cell(_settings_row(ws, "aliases"), 3, "BMP-2")
    ws.cell(_settings_row(ws, "aliases"), 4, "BMP2")
    r = _settings_row(ws, "contrasts")
    for j, value in enumerate(("hypoxia vs normoxia", "oxygen=hypoxia", "oxygen=normoxia"), 3):
        ws.cell(r, j, value)
    for key, value in (("test", "paired"), ("adjust", "bh"), ("nondetect_policy", "censor"),
                       ("nondetect_limit", 38)):  # fmt: skip
        ws.cell(_settings_row(ws, key), 3, value)


def _fill_layout(book: openpyxl.Workbook, design: pd.DataFrame, *, names: bool = True) -> None:
    ws = book["Layout"]
    for row in design.itertuples():
        if names:
            _grid_cell(ws, "sample", row.well).value = row.sample
            _grid_cell(ws, "target", row.well).value = row.target
        if row.sample_type != "unkn":
            _grid_cell(ws, "sample_type", row.well).value = row.sample_type.upper()
        if row.oxygen:
            _grid_cell(ws, "oxygen", row.well).value = row.oxygen
            _grid_cell(ws, "donor", row.well).value = row.donor


@pytest.fixture
def filled_grid(tmp_path: Path) -> Path:
    """A template filled by typing: layout, settings and Cq values."""
    path = tmp_path / "plate.xlsx"
    _new_template(path)
    book = openpyxl.load_workbook(path)
    design = _design()
    _fill_layout(book, design)
    _fill_settings(book)
    for row in design.itertuples():
        cell = _grid_cell(book["Cq"], "cq", row.well)
        cell.value = "Undetermined" if np.isnan(row.cq) else row.cq
    book.save(path)
    return path


def test_new_template_has_the_sheets_marker_and_drop_downs(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    _new_template(path)
    assert is_template(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Instructions", "Layout", "Cq", "Paste", "Settings", "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    assert book["Lists"]["A1"].value == MARKER
    layout = book["Layout"]
    rules = {str(dv.sqref): dv.formula1 for dv in layout.data_validations.dataValidation}
    target_range = "B15:M22"  # the second grid: header on row 14
    assert _grid_cell(layout, "target", "A1").coordinate == "B15"
    assert rules[target_range] == "=qpcr_targets"
    assert book.defined_names["qpcr_targets"].attr_text == "Settings!$C$5:$AP$5"
    assert book["Settings"]["C5"].value == "GAPDH"
    assert book["Settings"]["D5"].value == "BMP2"
    assert str(book.defined_names["qpcr_sample_type"].attr_text) == "Lists!$A$3:$A$11"
    assert [book["Lists"].cell(r, 1).value for r in range(3, 12)] == [
        "unkn", "ntc", "nac", "nrt", "ntp", "std", "pos", "opt", "ipc"
    ]  # fmt: skip
    assert len(layout.conditional_formatting) >= 5
    # 96-well grid: 12 numbered columns, 8 lettered rows
    assert [layout.cell(14, c).value for c in range(1, 14)] == ["target", *range(1, 13)]
    assert [layout.cell(r, 1).value for r in range(15, 23)] == list("ABCDEFGH")


def test_384_well_template_has_24_columns(tmp_path: Path) -> None:
    path = tmp_path / "t384.xlsx"
    write_template(path, plate=384, targets=["ACTB"])
    layout = openpyxl.load_workbook(path)["Layout"]
    assert [layout.cell(4, c).value for c in (1, 2, 25)] == ["sample", 1, 24]
    assert layout.cell(20, 1).value == "P"


def test_template_layout_is_readable_by_the_layout_module(filled_grid: Path) -> None:
    layout = load_layout(filled_grid)
    design = _design()
    got = layout.set_index("well").loc[design["well"]]
    assert got["sample"].tolist() == design["sample"].tolist()
    assert got["target"].tolist() == design["target"].tolist()


def test_typed_template_equals_tidy_table_and_toml(filled_grid: Path, tmp_path: Path) -> None:
    content = read_template(filled_grid)
    expected = read_run(_tidy_csv(tmp_path)).wells
    pd.testing.assert_frame_equal(content.wells, expected, check_dtype=False)
    assert content.wells.loc[content.wells["well"] == "B3", "cq"].item() == pytest.approx(24.1)
    assert content.wells.loc[content.wells["well"] == "C2", "cq_status"].item() == "undetermined"
    toml = tmp_path / "settings.toml"
    toml.write_text(TOML, encoding="utf-8")
    assert content.config == load_config(toml)  # the defaults are written out on Settings
    assert from_mapping(content.settings) == content.config
    assert {k: v for k, v in content.settings.items() if k in tomllib.loads(TOML)} == (
        tomllib.loads(TOML)
    )
    assert content.targets == ("GAPDH", "BMP2")
    assert content.factors == {"oxygen": ["normoxia", "hypoxia"]}
    assert content.source == str(filled_grid)
    assert (content.info.format, content.info.plate_size) == ("template", 96)


def _thermo_rows(design: pd.DataFrame) -> list[list[object]]:
    """A Thermo classic [Results] table of the design, as cells pasted into Excel."""
    header = ["Well", "Well Position", "Omit", "Sample Name", "Target Name", "Task",
              "Reporter", "Quencher", "CT", "Ct Mean"]  # fmt: skip
    rows: list[list[object]] = [header]
    for row in design.itertuples():
        letter, col = row.well[0], int(row.well[1:])
        index = "ABCDEFGH".index(letter) * 12 + col
        task = "NTC" if row.sample_type == "ntc" else "UNKNOWN"
        ct: object = "Undetermined" if np.isnan(row.cq) else row.cq
        rows.append([index, row.well, "false", row.sample, row.target, task, "FAM",
                     "NFQ-MGB", ct, ""])  # fmt: skip
    return rows


def test_pasted_thermo_results_equal_tidy_table_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "pasted.xlsx"
    _new_template(path)
    book = openpyxl.load_workbook(path)
    design = _design()
    _fill_layout(book, design, names=False)  # factors and donors only; names come from Paste
    _fill_settings(book)
    paste = book["Paste"]
    for i, cells in enumerate(_thermo_rows(design), start=3):
        for j, value in enumerate(cells, start=1):
            paste.cell(i, j, value)
    book.save(path)
    content = read_template(path)
    expected = read_run(_tidy_csv(tmp_path)).wells
    columns = ["well", "sample", "target", "sample_type", "cq", "cq_status", "oxygen", "donor"]
    got = content.wells.sort_values(["well", "target"]).reset_index(drop=True)[columns]
    want = expected.sort_values(["well", "target"]).reset_index(drop=True)[columns]
    got["oxygen"] = got["oxygen"].fillna("")
    got["donor"] = got["donor"].fillna("")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert content.wells["in_layout"].all()
    assert content.messages == ()
    assert content.settings["reference_genes"] == ["GAPDH"]


def test_pasted_export_names_are_aliased_before_the_layout_join(tmp_path: Path) -> None:
    """The instrument calls BMP2 'BMP-2' (alias row on Settings); the Layout says BMP2."""
    path = tmp_path / "alias.xlsx"
    _new_template(path)
    book = openpyxl.load_workbook(path)
    design = _design()
    _fill_layout(book, design)  # Layout targets: GAPDH, BMP2
    _fill_settings(book)  # alias BMP-2 -> BMP2
    rows = _thermo_rows(design.assign(target=design["target"].replace({"BMP2": "BMP-2"})))
    for i, cells in enumerate(rows, start=3):
        for j, value in enumerate(cells, start=1):
            book["Paste"].cell(i, j, value)
    book.save(path)
    content = read_template(path)
    assert sorted(set(content.wells["target"])) == ["BMP2", "GAPDH"]
    assert content.wells.loc[content.wells["well"] == "B3", "cq"].item() == pytest.approx(24.1)
    assert content.wells["in_layout"].all()


def test_pasted_real_thermo_export_reads_like_the_file(tmp_path: Path) -> None:
    """The whole QuantStudio results-only export, pasted line by line (cells typed as Excel
    would: numbers become numbers), gives the wells of the file itself."""
    source = DATA / "thermo_qs7_results_only.txt"
    path = tmp_path / "real.xlsx"
    write_template(path, replicate="")
    book = openpyxl.load_workbook(path)
    paste = book["Paste"]
    for i, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=3):
        for j, text in enumerate(line.split("\t"), start=1):
            try:
                value: object = float(text) if text.strip() else None
            except ValueError:
                value = text
            paste.cell(i, j, value)
    book.save(path)
    content = read_template(path)
    expected = read_run(source).wells
    pd.testing.assert_frame_equal(content.wells, expected)
    assert len(expected) == 93
    h10 = content.wells.set_index("well").loc["H10"]
    assert (h10["sample_type"], h10["cq_status"]) == ("ntc", "undetermined")
    assert content.wells.set_index("well").loc["A1", "cq"] == pytest.approx(16.484)
    assert content.info.format == read_run(source).info.format == "thermo_classic"
    assert content.info.instrument == "QuantStudio(TM) 7 Flex System"
    assert content.info.path == f"{path} [Paste]"


def test_filled_template_from_layout_and_settings_round_trips(tmp_path: Path) -> None:
    """A shipped layout offered as a filled template: only the Cq grid is typed."""
    design = _design()
    layout = design.drop(columns="cq")
    settings = tomllib.loads(TOML)
    path = tmp_path / "offered.xlsx"
    write_template(path, layout=layout, settings=settings)
    book = openpyxl.load_workbook(path)
    for row in design.itertuples():
        cell = _grid_cell(book["Cq"], "cq", row.well)
        cell.value = "Undetermined" if np.isnan(row.cq) else row.cq
    book.save(path)
    content = read_template(path)
    assert content.config == from_mapping(settings)
    pd.testing.assert_frame_equal(
        content.wells, read_run(_tidy_csv(tmp_path)).wells, check_dtype=False
    )
    assert content.targets == ("GAPDH", "BMP2")


def test_existing_file_is_not_overwritten_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_text("precious")
    with pytest.raises(InputError, match="the file exists"):
        write_template(path)
    assert path.read_text() == "precious"
    write_template(path, force=True)
    assert is_template(path)
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]  # no temporary file left


def test_is_template_is_false_for_other_files(tmp_path: Path, filled_grid: Path) -> None:
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    text = tmp_path / "x.csv"
    text.write_text("a,b\n")
    assert not is_template(other)
    assert not is_template(text)
    assert not is_template(tmp_path / "missing.xlsx")
    assert is_template(filled_grid)
    with pytest.raises(InputError, match="not a qpcr template"):
        read_template(other)


def _edit(path: Path, sheet: str, cell: str, value: object, data_type: str | None = None):
    book = openpyxl.load_workbook(path)
    book[sheet][cell].value = value
    if data_type:
        book[sheet][cell].data_type = data_type
    book.save(path)


def test_unknown_target_names_the_cell_and_suggests(filled_grid: Path) -> None:
    _edit(filled_grid, "Layout", "D15", "BMP")
    with pytest.raises(LayoutError) as info:
        read_template(filled_grid)
    assert str(info.value) == (
        f"{filled_grid} Layout!D15: target 'BMP' is not among the targets listed on "
        "Settings; did you mean 'BMP2'?"
    )


def test_formula_cell_is_refused(filled_grid: Path) -> None:
    _edit(filled_grid, "Layout", "B5", '=HYPERLINK("http://x","y")')
    with pytest.raises(InputError) as info:
        read_template(filled_grid)
    text = str(info.value)
    assert 'Layout!B5: the cell holds a formula (=HYPERLINK("http://x","y"))' in text
    assert "paste them as values" in text


def test_formula_text_typed_as_text_stays_text(filled_grid: Path) -> None:
    _edit(filled_grid, "Layout", "B5", '=HYPERLINK("http://x","y")', data_type="s")
    content = read_template(filled_grid)
    assert content.wells.loc[0, "sample"] == '=HYPERLINK("http://x","y")'


def test_error_cell_is_refused(filled_grid: Path) -> None:
    _edit(filled_grid, "Cq", "C6", "#N/A", data_type="e")
    with pytest.raises(InputError, match=r"Cq!C6: the cell holds the error value #N/A"):
        read_template(filled_grid)


def test_bad_cq_text_names_the_cell(filled_grid: Path) -> None:
    _edit(filled_grid, "Cq", "D5", "24,3x")
    with pytest.raises(InputError, match=r"Cq!D5: Cq '24,3x' is not a number"):
        read_template(filled_grid)


def test_cq_without_target_is_refused(filled_grid: Path) -> None:
    _edit(filled_grid, "Cq", "B12", 30.0)  # H1 has no target
    with pytest.raises(LayoutError, match=r"Cq!B12: well H1 has a Cq but no target on Layout"):
        read_template(filled_grid)


def test_unknown_factor_level_names_the_cell(filled_grid: Path) -> None:
    cell = _grid_cell(openpyxl.load_workbook(filled_grid)["Layout"], "oxygen", "A2").coordinate
    _edit(filled_grid, "Layout", cell, "hypoxya")
    with pytest.raises(LayoutError, match=rf"Layout!{cell}: 'hypoxya' is not a level of oxygen"):
        read_template(filled_grid)


def test_unknown_sample_type_suggests(filled_grid: Path) -> None:
    _edit(filled_grid, "Layout", "B25", "ntx")  # sample_type grid, well A1
    with pytest.raises(LayoutError, match=r"Layout!B25: sample type 'ntx' is unknown; did you"):
        read_template(filled_grid)


def test_settings_errors_name_the_cell(filled_grid: Path) -> None:
    book = openpyxl.load_workbook(filled_grid)
    ws = book["Settings"]
    control = _settings_row(ws, "control")
    ref = _settings_row(ws, "reference_genes")
    alpha = _settings_row(ws, "alpha")
    test = _settings_row(ws, "test")
    cases = [
        ("Settings", f"D{control}", "normoxa", rf"Settings!D{control}: 'normoxa' is not a "
         "level of oxygen; did you mean 'normoxia'\\?"),
        ("Settings", f"C{ref}", "GAPD", rf"Settings!C{ref}: 'GAPD' is not among the targets"),
        ("Settings", f"C{alpha}", 1.5, rf"Settings!C{alpha}: 'alpha' is 1.5; expected between "
         "0 and 1"),
        ("Settings", f"C{test}", "welsh", rf"Settings!C{test}: 'test' is 'welsh'; expected one "
         "of auto, welch, .*\\. Did you mean 'welch'\\?"),
        ("Settings", f"A{test}", "tset", rf"Settings!A{test}: unknown setting 'tset'; did you "
         "mean 'test'\\?"),
    ]  # fmt: skip
    for sheet, cell, value, pattern in cases:
        book.save(filled_grid)
        original = book[sheet][cell].value
        _edit(filled_grid, sheet, cell, value)
        with pytest.raises(ConfigError, match=pattern):
            read_template(filled_grid)
        _edit(filled_grid, sheet, cell, original)
    read_template(filled_grid)  # restored: readable again


def test_bad_efficiency_is_refused(filled_grid: Path) -> None:
    ws = openpyxl.load_workbook(filled_grid)["Settings"]
    r = _settings_row(ws, "efficiency")
    _edit(filled_grid, "Settings", f"D{r}", 94)
    with pytest.raises(
        ConfigError,
        match=rf"Settings!D{r} \[efficiency\] BMP2: efficiency 94.0 "
        "gives E = 94;",
    ):
        read_template(filled_grid)


def test_cq_typed_and_pasted_is_ambiguous(filled_grid: Path) -> None:
    _edit(filled_grid, "Paste", "A3", "sample")
    with pytest.raises(InputError, match="both typed on the Cq sheet and pasted"):
        read_template(filled_grid)


def test_empty_template_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    _new_template(path)
    with pytest.raises(InputError, match="no Cq values"):
        read_template(path)


def test_missing_replicate_grid_is_reported(filled_grid: Path) -> None:
    book = openpyxl.load_workbook(filled_grid)
    ws = book["Layout"]
    for row in _design().itertuples():
        if row.oxygen:
            _grid_cell(ws, "donor", row.well).value = None
    book.save(filled_grid)
    r = _settings_row(book["Settings"], "replicate")
    with pytest.raises(ConfigError, match=rf"Settings!C{r}: the replicate column 'donor'"):
        read_template(filled_grid)


def test_macro_workbook_is_read_for_values_only(filled_grid: Path, tmp_path: Path) -> None:
    """An .xlsm copy is read through calamine; its VBA part is never executed (nor opened)."""
    xlsm = tmp_path / "plate.xlsm"
    with zipfile.ZipFile(filled_grid) as src, zipfile.ZipFile(xlsm, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"not really vba")
    content = read_template(xlsm)
    assert len(content.wells) == 26


def _analysis_columns(fold_changes: pd.DataFrame) -> pd.DataFrame:
    numeric = fold_changes.select_dtypes("number").columns
    keys = [c for c in fold_changes.columns if c not in numeric and c not in ("plate", "source")]
    return fold_changes.sort_values(keys).reset_index(drop=True)[keys + list(numeric)]


def test_template_analysis_equals_export_layout_and_config(
    filled_grid: Path, tmp_path: Path
) -> None:
    """Template filled → wells + settings → analyze gives the fold changes of the same
    export analysed with a separate layout and TOML settings."""
    from qpcr.pipeline import analyze

    content = read_template(filled_grid)
    from_template = tmp_path / "plate.csv"
    table = content.wells.rename(columns={"cq": "Cq"}).drop(columns="cq_status")
    table["Cq"] = table["Cq"].map(lambda v: "Undetermined" if np.isnan(v) else repr(v))
    table.to_csv(from_template, index=False)
    got = analyze([from_template], config=from_mapping(content.settings))

    export = tmp_path / "export" / "plate.csv"
    export.parent.mkdir()
    design = _design()
    plain = design[["well", "sample", "target", "sample_type", "cq"]].rename(columns={"cq": "Cq"})
    plain["Cq"] = plain["Cq"].map(lambda v: "Undetermined" if np.isnan(v) else f"{v:.3f}")
    plain.to_csv(export, index=False)
    layout = design[["well", "sample", "target", "sample_type", "oxygen", "donor"]]
    toml = tmp_path / "settings.toml"
    toml.write_text(TOML, encoding="utf-8")
    want = analyze([export], layout=layout[layout["oxygen"] != ""], config=load_config(toml))

    assert len(got.fold_changes) > 0
    pd.testing.assert_frame_equal(
        _analysis_columns(got.fold_changes), _analysis_columns(want.fold_changes)
    )
    pd.testing.assert_frame_equal(_analysis_columns(got.ratios), _analysis_columns(want.ratios))
    bmp2 = got.fold_changes[got.fold_changes["target"] == "BMP2"]
    # Pfaffl with E(BMP2) = 1.94, E(GAPDH) = 2, paired by donor: per donor
    # log2 FC = log2(1.94)·ΔCq_BMP2(normoxia − hypoxia) − ΔCq_GAPDH(normoxia − hypoxia)
    #         = log2(1.94)·1.9 − (−0.2, 0.3, −0.4); mean over donors = 1.916508
    expected = np.log2(1.94) * 1.9 + np.mean([0.2, -0.3, 0.4])
    assert expected == pytest.approx(1.916508, abs=1e-6)
    assert np.log2(bmp2["fold_change"].to_numpy(dtype=float)) == pytest.approx(
        np.full(len(bmp2), expected), abs=1e-9
    )


def test_cli_template_command(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qpcr.cli import app

    out = tmp_path / "plate.xlsx"
    args = ["template", str(out), "--plate", "384", "--targets", "GAPDH,BMP2", "-t", "VEGFA",
            "--reference-genes", "GAPDH", "--factors", "oxygen=normoxia,hypoxia"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"qpcr analyze {out}" in result.output
    book = openpyxl.load_workbook(out)
    settings = book["Settings"]
    assert [settings.cell(5, c).value for c in range(3, 6)] == ["GAPDH", "BMP2", "VEGFA"]
    assert [settings.cell(6, c).value for c in range(3, 6)] == ["oxygen", "normoxia", "hypoxia"]
    assert book["Layout"].cell(4, 25).value == 24  # 384 wells: 24 columns
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1
    assert "the file exists" in again.output


def _biorad_rows(design: pd.DataFrame) -> list[list[object]]:
    """A Bio-Rad CFX 'Quantification Cq Results' table of the design (export-formats.md §2.2:
    leading empty column, zero-padded wells, 'NaN' non-detects, Content 'Unkn-01'/'NTC-01')."""
    header = ["", "Well", "Fluor", "Target", "Content", "Sample", "Biological Set Name",
              "Cq", "Cq Mean", "Cq Std. Dev", "Starting Quantity (SQ)", "Set Point",
              "Well Note"]  # fmt: skip
    rows: list[list[object]] = [header]
    for k, row in enumerate(design.itertuples(), start=1):
        well = f"{row.well[0]}{int(row.well[1:]):02d}"
        content = f"{'NTC' if row.sample_type == 'ntc' else 'Unkn'}-{k:02d}"
        cq: object = "NaN" if np.isnan(row.cq) else row.cq
        rows.append(
            ["", well, "SYBR", row.target, content, row.sample, "", cq, 0, 0, "NaN", 60, ""]
        )
    return rows


def test_pasted_biorad_table_equals_tidy_table_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "biorad.xlsx"
    _new_template(path)
    book = openpyxl.load_workbook(path)
    design = _design()
    _fill_layout(book, design, names=False)
    _fill_settings(book)
    for i, cells in enumerate(_biorad_rows(design), start=3):
        for j, value in enumerate(cells, start=1):
            book["Paste"].cell(i, j, value if value != "" else None)
    book.save(path)
    content = read_template(path)
    expected = read_run(_tidy_csv(tmp_path)).wells
    columns = ["well", "sample", "target", "sample_type", "cq", "cq_status", "oxygen", "donor"]
    got = content.wells[columns].fillna({"oxygen": "", "donor": ""})
    pd.testing.assert_frame_equal(got, expected[columns], check_dtype=False)


@settings(max_examples=8, deadline=None)
@given(
    samples=st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["C", "Z"]), min_size=1,
                 max_size=12),
        min_size=1, max_size=6,
    ),
    cqs=st.lists(st.floats(min_value=5, max_value=45, allow_nan=False), min_size=6, max_size=6),
)  # fmt: skip
def test_offered_layout_round_trips_any_sample_names(samples: list[str], cqs: list[float]) -> None:
    """Whatever text names a sample (formula-like, numeric-looking, non-Latin), a template
    written from a layout gives the same names, targets and Cq values back."""
    import tempfile

    wells = [f"D{k + 1}" for k in range(len(samples))]
    layout = pd.DataFrame({"well": wells, "sample": samples, "target": "ACTB"})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.xlsx"
        write_template(path, layout=layout, replicate="")
        book = openpyxl.load_workbook(path)
        for well, cq in zip(wells, cqs, strict=False):
            _grid_cell(book["Cq"], "cq", well).value = cq
        book.save(path)
        content = read_template(path)
    assert content.wells["well"].tolist() == wells
    assert content.wells["sample"].tolist() == [s.strip() for s in samples]
    assert content.wells["cq"].tolist() == pytest.approx(cqs[: len(samples)])
    assert set(content.wells["target"]) == {"ACTB"}


@pytest.mark.parametrize("name", ["filled_libreoffice.ods", "filled_libreoffice.xlsx"])
def test_template_saved_by_libreoffice_reads_the_same(name: str, tmp_path: Path) -> None:
    content = read_template(DATA / name)
    expected = read_run(_tidy_csv(tmp_path)).wells
    pd.testing.assert_frame_equal(content.wells, expected, check_dtype=False)
    # these files were written when "range" was the default outlier rule: the rule written out
    # on their Settings sheet still holds, so a filled template keeps the analysis it was made for
    assert content.settings == {**tomllib.loads(TOML), "outlier_rule": "range"}


def test_formulas_in_an_ods_are_refused_with_their_cell() -> None:
    from qpcr.template._special import _special_cells

    path = DATA / "formulas_libreoffice.ods"
    found = _special_cells(path, ["Layout", "Cq", "Settings"])
    assert found == {
        "Layout": {"B5": 'a formula (=HYPERLINK("http://x";"y"))'},
        "Cq": {"D6": "a formula (=[.B5]*2)"},
        "Settings": {},
    }
    with pytest.raises(InputError, match=r"formulas_libreoffice.ods Layout!B5: the cell holds a"):
        read_template(path)


def test_offered_layout_must_fit_the_plate_and_hold_one_target_per_well(tmp_path: Path) -> None:
    off = pd.DataFrame({"well": ["A1", "P24"], "sample": ["a", "b"], "target": ["ACTB"] * 2})
    with pytest.raises(LayoutError, match="layout column 'well': well 'P24' is outside a 96"):
        write_template(tmp_path / "a.xlsx", layout=off)
    multiplex = pd.DataFrame({"well": ["A1", "A01"], "target": ["ACTB", "GAPDH"]})
    with pytest.raises(LayoutError, match="wells A1 appear more than once"):
        write_template(tmp_path / "b.xlsx", layout=multiplex)
    with pytest.raises(InputError, match=r"must be an \.xlsx file"):
        write_template(tmp_path / "c.xls")
    with pytest.raises(InputError, match="plate size 100"):
        write_template(tmp_path / "d.xlsx", plate=100)
    assert list(tmp_path.iterdir()) == []


def test_gene_name_turned_into_a_date_is_refused(filled_grid: Path) -> None:
    """Excel turns the sample name '1/2' or a gene such as SEPT2 into a date."""
    import datetime

    _edit(filled_grid, "Layout", "C5", datetime.datetime(2026, 9, 2))
    with pytest.raises(InputError, match=r"Layout!C5: the cell holds a date or time \(2026-09-02"):
        read_template(filled_grid)
    _edit(filled_grid, "Layout", "C5", "d1-normoxia")
    ws = openpyxl.load_workbook(filled_grid)["Settings"]
    _edit(filled_grid, "Settings", "E5", datetime.datetime(2026, 3, 1))  # MARCH1 on targets
    with pytest.raises(InputError, match=r"Settings!E5: the cell holds a date"):
        read_template(filled_grid)
    assert ws["E5"].value is None  # the targets row had two genes (C5, D5)


def test_analyze_reads_a_filled_template_directly(filled_grid: Path, tmp_path: Path) -> None:
    """pipeline.analyze([template]) uses its wells and its Settings sheet; the fold changes
    equal those of the export + layout + TOML analysis."""
    from qpcr.pipeline import analyze

    got = analyze([filled_grid])
    export = tmp_path / "export" / "plate.csv"
    export.parent.mkdir()
    design = _design()
    plain = design[["well", "sample", "target", "sample_type", "cq"]].rename(columns={"cq": "Cq"})
    plain["Cq"] = plain["Cq"].map(lambda v: "Undetermined" if np.isnan(v) else f"{v:.3f}")
    plain.to_csv(export, index=False)
    layout = design[["well", "sample", "target", "sample_type", "oxygen", "donor"]]
    toml = tmp_path / "settings.toml"
    toml.write_text(TOML, encoding="utf-8")
    want = analyze([export], layout=layout[layout["oxygen"] != ""], config=load_config(toml))
    pd.testing.assert_frame_equal(
        _analysis_columns(got.fold_changes), _analysis_columns(want.fold_changes)
    )
    assert got.config.test == "paired"
    assert got.config.efficiency == {"BMP2": 1.94}
    assert got.runs[0].format == "template"
    assert got.inputs[0].path == str(filled_grid)


def test_cli_analyze_a_filled_template(filled_grid: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qpcr.cli import app

    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["analyze", str(filled_grid), "-o", str(out), "-q",
                                      "--test", "welch"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_path(str(out / "results.xlsx")).get_sheet_by_name("Summary")
    text = [str(c) for row in rows.to_python() for c in row]
    assert any("BMP2" in t for t in text)
    fold = pd.read_csv(out / "fold_changes.csv")
    assert fold["test"].tolist() == ["welch", "welch"]  # --test overrides the Settings sheet
    bmp2 = fold[fold["target"] == "BMP2"]
    assert np.log2(bmp2["fold_change"]).to_numpy() == pytest.approx(1.916508, abs=1e-6)


SHIPPED = sorted((Path(__file__).parent.parent / "plate_layouts").glob("*.csv"))


@pytest.mark.parametrize("source", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_layouts_become_filled_templates(source: Path, tmp_path: Path) -> None:
    """Every shipped plate layout, offered as a template, shows the same wells on Layout."""
    layout = load_layout(source)
    plate = 384 if "384" in source.name else 96
    path = tmp_path / "offered.xlsx"
    write_template(path, plate=plate, layout=layout)
    back = load_layout(path)  # the Layout sheet is a grid layout; the empty Cq grid adds nothing
    back = back.set_index("well").loc[layout["well"]].reset_index()
    for column in layout.columns:
        want = layout[column]
        if column == "quantity":
            np.testing.assert_allclose(back[column].astype(float), want.astype(float))
        else:
            assert back[column].tolist() == want.astype(str).tolist(), column
