"""The template's Settings sheet follows the settings declaration; its numbers follow the
export readers' rules; it is a registered reader; its errors name parameters."""

from __future__ import annotations

import traceback
from dataclasses import fields
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import python_calamine
from click.testing import CliRunner

from qpcr.cli import app
from qpcr.config import AnalysisConfig, choices, load_config
from qpcr.errors import ConfigError, ExportParseError, InputError, LayoutError
from qpcr.io import detect, read_run
from qpcr.settings import SETTINGS
from qpcr.template import read_template, template_config, write_template

#: Every setting with a value other than its default (the targets and levels are declared).
EVERY_SETTING = """
reference_genes = ["GAPDH", "TBP"]
candidate_genes = ["GAPDH", "TBP", "ACTB"]
irc_samples = ["IRC-1"]
replicate = "patient"
test = "welch"
adjust = "bh"
alpha = 0.01
min_replicates = 3
fail_on_controls = true
outlier_rule = "grubbs"
outlier_threshold = 0.35
single_copy_cq = 34.0
pipetting_sd = 0.05
low_copy_estimate = "poisson"
keep_outliers = true
nondetect_policy = "exclude"
nondetect_limit = 37.5
ntc_margin = 3.0
use_curve_efficiency = false
pooled_efficiency = false
efficiency_source = "settings"
cq_source = "instrument"
factorial_method = "welch"
pairing = "well"
decimal = ","
sample_names = "export"
run = ["Run 1", "Run 2"]
exclude_flags = ["BADROX", "*"]
figure_formats = ["png", "svg"]
[control]
oxygen = "normoxia"
treatment = "vehicle"
[efficiency]
BMP2 = 1.94
TBP = "95 %"
[assay_single_copy_cq]
BMP2 = 33.8
[ratios]
"BMP2/TBP" = ["BMP2", "TBP"]
[aliases]
"BMP-2" = "BMP2"
[[contrasts]]
name = "drug under hypoxia"
numerator = { oxygen = "hypoxia", treatment = "drug" }
denominator = { oxygen = "hypoxia", treatment = "vehicle" }
"""


def _field_names() -> list[str]:
    return [f.name for f in fields(AnalysisConfig) if f.compare]  # the settings


def _settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "S.toml"
    path.write_text(EVERY_SETTING, encoding="utf-8")
    return path


def test_the_settings_file_sets_every_field_to_a_non_default_value(tmp_path: Path) -> None:
    """A new field of AnalysisConfig fails here until the round trip below covers it."""
    config = load_config(_settings_file(tmp_path))
    same = [f for f in _field_names() if getattr(config, f) == getattr(AnalysisConfig(), f)]
    assert same == []
    assert [s.name for s in SETTINGS] == _field_names()


def test_every_setting_round_trips_toml_template_toml(tmp_path: Path) -> None:
    settings = _settings_file(tmp_path)
    out = tmp_path / "plate.xlsx"
    result = CliRunner().invoke(app, ["template", str(out), "--config", str(settings)])
    assert result.exit_code == 0, result.output
    back = template_config([out])
    assert back is not None
    assert back.to_toml() == load_config(settings).to_toml()
    assert back == load_config(settings)
    assert back.efficiency == {"BMP2": 1.94, "TBP": 1.95}


def test_the_sheet_has_one_row_per_field_with_its_help_and_choices(tmp_path: Path) -> None:
    """Fails when a field of AnalysisConfig is not carried by the template."""
    path = tmp_path / "t.xlsx"
    write_template(path)
    book = openpyxl.load_workbook(path)
    ws = book["Settings"]
    help_of = {}
    for row in ws.iter_rows(min_row=5, values_only=True):
        help_of.setdefault(row[0], row[1])
    assert [key for key in help_of if key not in ("targets", "factor")] == _field_names()
    for spec in SETTINGS:
        assert help_of[spec.name].startswith(spec.help)
    assert "mann-whitney, permutation" in help_of["test"]  # the vocabulary, not a stale copy
    assert "grubbs" in help_of["outlier_rule"]
    lists = book["Lists"]
    for j in range(2, lists.max_column + 1):
        name = lists.cell(2, j).value
        values = [lists.cell(i, j).value for i in range(3, lists.max_row + 1)]
        assert tuple(v for v in values if v is not None) == choices(name)
    assert {lists.cell(2, j).value for j in range(2, lists.max_column + 1)} == {
        s.name for s in SETTINGS if choices(s.name)
    }
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    alpha = next(c.row for c in ws["A"] if c.value == "alpha")
    assert (rules[f"C{alpha}"].formula1, rules[f"C{alpha}"].formula2) == ("0.0", "1.0")
    test = next(c.row for c in ws["A"] if c.value == "test")
    assert rules[f"C{test}"].formula1 == "=qpcr_test"


def test_a_table_entry_given_twice_with_different_values_is_refused(tmp_path: Path) -> None:
    """Two efficiency rows for BMP2 (1.94 and 2.0): the last one was taken silently."""
    path = tmp_path / "t.xlsx"
    write_template(path, settings={"efficiency": {"BMP2": 1.94, "TBP": 1.95}})
    book = openpyxl.load_workbook(path)
    ws = book["Settings"]
    second = [c.row for c in ws["A"] if c.value == "efficiency"][1]
    assert ws.cell(second, 3).value == "TBP"
    ws.cell(second, 3, "BMP2")
    ws.cell(second, 4, 1.94)
    book.save(path)
    assert template_config([path]).efficiency == {"BMP2": 1.94}  # the same value: one entry
    ws.cell(second, 4, 2.0)
    book.save(path)
    with pytest.raises(ConfigError) as info:
        template_config([path])
    assert info.value.where == f"{path} Settings!C{second}"
    assert str(info.value).endswith(
        "'BMP2' is given twice under efficiency, with different "
        "values; expected one row each. Keep one efficiency row for "
        "'BMP2'"
    )


def test_settings_cells_are_read_in_their_toml_types(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(path)
    book = openpyxl.load_workbook(path)
    ws = book["Settings"]
    row = {c.value: c.row for c in ws["A"]}
    ws.cell(row["min_replicates"], 3, 4)  # a whole number (a float in the file)
    ws.cell(row["keep_outliers"], 3, "true")  # text typed instead of TRUE
    ws.cell(row["pooled_efficiency"], 3, False)
    ws.cell(row["factorial_method"], 3, "paired")
    book.save(path)
    config = template_config([path])
    assert config is not None
    assert (config.min_replicates, config.keep_outliers) == (4, True)
    assert (config.pooled_efficiency, config.factorial_method) == (False, "paired")
    for key, value, message in [
        ("min_replicates", 2.5, "'min_replicates' must be a whole number, found '2.5'"),
        ("min_replicates", 1, "'min_replicates' must be a whole number ≥ 2, found 1"),
        ("keep_outliers", "maybe", "'keep_outliers' must be true or false"),
        ("factorial_method", "rcdb", "expected one of rcbd, paired, welch. Did you mean 'rcbd'"),
    ]:
        ws.cell(row[key], 3, value)
        book.save(path)
        with pytest.raises(ConfigError) as info:
            template_config([path])
        assert info.value.where == f"{path} Settings!C{row[key]}"
        assert message in str(info.value)
        ws.cell(row[key], 3).value = None


# ---------------------------------------------------------------------------------------------
# typed numbers: the export readers' rules


def _typed(tmp_path: Path, cq: dict[str, object], quantity: dict[str, object] | None = None):
    """A template with four GAPDH wells (A1-A4), Cq (and quantity) cells typed as given."""
    layout = pd.DataFrame({"well": ["A1", "A2", "A3", "A4"], "sample": ["s1", "s2", "s3", "s4"],
                           "target": "GAPDH"})  # fmt: skip
    path = tmp_path / "typed.xlsx"
    write_template(path, layout=layout, replicate="", force=True)
    book = openpyxl.load_workbook(path)
    for well, value in cq.items():
        book["Cq"].cell(5, 1 + int(well[1:]), value).data_type = (
            "s" if isinstance(value, str) else "n"
        )
    layout_ws = book["Layout"]
    top = next(c.row for c in layout_ws["A"] if c.value == "quantity")
    for well, value in (quantity or {}).items():
        layout_ws.cell(top + 1, 1 + int(well[1:]), value)
    book.save(path)
    return path


def test_cq_text_with_a_decimal_comma_is_read_for_the_whole_grid(tmp_path: Path) -> None:
    path = _typed(tmp_path, {"A1": "27,51", "A2": 28.25, "A3": "Undetermined", "A4": "30,0"})
    wells = read_template(path).wells
    assert wells["cq"].tolist()[:2] == [27.51, 28.25]
    assert wells["cq"].tolist()[3] == 30.0
    assert wells["cq_status"].tolist() == ["ok", "ok", "undetermined", "ok"]


def test_two_decimal_marks_in_the_cq_grid_are_refused_at_the_cell(tmp_path: Path) -> None:
    path = _typed(tmp_path, {"A1": "27,51", "A2": "28.25"})
    with pytest.raises(ExportParseError) as info:
        read_template(path)
    assert info.value.where == f"{path} Cq!C5"
    assert "'27,51' (decimal comma)" in info.value.message
    assert "'28.25' (decimal point)" in info.value.message


@pytest.mark.parametrize("cq", [0, -1.5, 150, "1e3"])
def test_a_cq_outside_0_to_100_cycles_is_refused_at_the_cell(tmp_path: Path, cq: object) -> None:
    path = _typed(tmp_path, {"A1": 25.0, "A3": cq})
    with pytest.raises(ExportParseError) as info:
        read_template(path)
    assert info.value.where == f"{path} Cq!D5"
    assert "not a number of cycles; expected above 0 and at most 100" in info.value.message


def test_quantities_use_one_decimal_mark_for_the_grid(tmp_path: Path) -> None:
    path = _typed(tmp_path, {"A1": 20.0}, {"A1": "1.234,5", "A2": "1.000", "A3": 12.5})
    wells = read_template(path).wells
    assert wells["quantity"].tolist()[:3] == [1234.5, 1000.0, 12.5]


def test_an_ambiguous_quantity_is_refused_at_its_cell(tmp_path: Path) -> None:
    path = _typed(tmp_path, {"A1": 20.0}, {"A1": 10.0, "A2": "1,234"})
    with pytest.raises(ExportParseError) as info:
        read_template(path)
    top = next(c.row for c in openpyxl.load_workbook(path)["Layout"]["A"] if c.value == "quantity")
    assert info.value.where == f"{path} Layout!C{top + 1}"
    assert "'1,234', which is 1234 with a decimal point or 1.234 with a decimal comma" in str(
        info.value
    )


def test_a_quantity_that_is_not_positive_is_refused(tmp_path: Path) -> None:
    path = _typed(tmp_path, {"A1": 20.0}, {"A2": "-5"})
    with pytest.raises(LayoutError, match=r"Layout!C\d+: quantity '-5' is not a positive number"):
        read_template(path)


# ---------------------------------------------------------------------------------------------
# a registered reader, opened twice at most per run


def test_read_run_detects_and_reads_a_filled_template(tmp_path: Path) -> None:
    path = _typed(tmp_path, {"A1": 20.0, "A2": 21.0, "A3": 22.0, "A4": 23.0})
    assert detect(path).name == "template"
    export = read_run(path)
    assert export.info.format == "template"
    assert export.wells["sample"].tolist() == ["s1", "s2", "s3", "s4"]
    pd.testing.assert_frame_equal(export.wells, read_template(path).wells)
    assert read_run(path, format="template").wells.equals(export.wells)
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    with pytest.raises(InputError, match="not a qpcr template"):
        read_run(other, format="template")


def test_a_run_loads_the_template_workbook_at_most_twice(tmp_path: Path, monkeypatch) -> None:
    """Before the template was a registered reader, a run loaded it 6 times (4 probes); the
    sniffers of every format now share one load."""
    from qpcr.pipeline import analyze

    layout = pd.DataFrame({"well": ["A1", "A2", "B1", "B2", "C1", "C2", "D1", "D2"],
                           "sample": ["c1", "c1", "t1", "t1", "c2", "c2", "t2", "t2"],
                           "target": ["GAPDH", "MYC"] * 4,
                           "group": ["ctrl", "ctrl", "trt", "trt"] * 2,
                           "donor": ["d1"] * 4 + ["d2"] * 4})  # fmt: skip
    path = tmp_path / "plate.xlsx"
    write_template(path, layout=layout, reference_genes=["GAPDH"],
                   settings={"control": {"group": "ctrl"}})  # fmt: skip
    book = openpyxl.load_workbook(path)
    for k, cq in enumerate([18.2, 24.1, 18.3, 22.0, 18.1, 24.0, 18.4, 22.3]):
        book["Cq"].cell(5 + k // 2, 2 + k % 2, cq)
    book.save(path)
    loads: list[str] = []
    original = python_calamine.CalamineWorkbook.from_filelike  # every load: open_workbook

    def counting(file: object, *args: object, **kwargs: object) -> object:
        frames = [
            f.filename
            for f in traceback.extract_stack()[:-1]
            if "/qpcr/" in f.filename and "/qpcr/io/inputs.py" not in f.filename
        ]
        loads.append("template" if "/qpcr/template/" in frames[-1] else "registry")
        return original(file, *args, **kwargs)

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", staticmethod(counting))
    results = analyze([path])
    assert results.runs[0].format == "template"
    assert results.config.control == {"group": "ctrl"}
    assert loads.count("template") <= 2
    assert loads.count("registry") == 1  # the sniffers share one open workbook
    loads.clear()
    result = CliRunner().invoke(app, ["analyze", str(path), "-o", str(tmp_path / "out"), "-q",
                                      "--no-figures"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert loads.count("template") <= 2


# ---------------------------------------------------------------------------------------------
# errors speak of parameters; the CLI of its options


def test_library_errors_name_parameters_and_the_cli_its_options(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        write_template(tmp_path / "a.xlsx", plate=100)
    assert info.value.where == "plate"
    path = tmp_path / "b.xlsx"
    write_template(path)
    with pytest.raises(InputError) as info:
        write_template(path)
    assert "force=True" in info.value.hint
    with pytest.raises(ConfigError, match="unknown setting 'tset'"):
        write_template(tmp_path / "c.xlsx", settings={"tset": "welch"})
    runner = CliRunner()
    result = runner.invoke(app, ["template", str(tmp_path / "d.xlsx"), "--plate", "100"])
    assert result.exit_code == 1
    assert "--plate: plate size 100" in result.output
    result = runner.invoke(app, ["template", str(path)])
    assert result.exit_code == 1
    assert "pass --force to overwrite it" in result.output


def test_reference_genes_auto_is_kept_and_not_a_target(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    settings = {"reference_genes": ["auto"], "candidate_genes": ["GAPDH", "TBP"]}
    write_template(path, targets=["GAPDH", "TBP", "ACTB"], settings=settings)
    ws = openpyxl.load_workbook(path)["Settings"]
    assert [ws.cell(5, c).value for c in range(3, 7)] == ["GAPDH", "TBP", "ACTB", None]
    config = template_config([path])
    assert config is not None
    assert (config.reference_genes, config.candidate_genes) == (("auto",), ("GAPDH", "TBP"))
    row = next(c.row for c in ws["A"] if c.value == "candidate_genes")
    ws.cell(row, 5, "autoo")
    ws.parent.save(path)
    with pytest.raises(ConfigError, match=rf"Settings!E{row}: 'autoo' is not among the targets"):
        template_config([path])
