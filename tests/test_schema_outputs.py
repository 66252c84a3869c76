"""Output tables against their declarations in qpcr.schema: columns, dtypes, one scale per
column name, interval names, codes instead of sentences, and the generated docs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qpcr import melt, schema
from qpcr.config import AnalysisConfig, load_config
from qpcr.errors import AssumptionWarning
from qpcr.factorial import factorial_tables
from qpcr.pipeline import analyze
from qpcr.qc import event_table
from qpcr.report.docs import BEGIN, END, columns_markdown, readme_with_tables
from qpcr.report.tables import result_tables
from qpcr.schema import EXCLUDE_REASONS, QC_EVENTS, SCALES, TABLES, Column, conform

ROOT = Path(__file__).parents[1]
HYPOXIA = ROOT / "examples" / "hypoxia_tocilizumab"
TWO = ROOT / "examples" / "two_plates"

#: Names whose meaning differs between two tables, kept for compatibility: qc's ``value`` is
#: the statistic a rule tested, ratios' ``value`` the group's ratio; genorm_steps' ``excluded``
#: names a gene, wells' ``excluded`` is a flag.


def _hypoxia(**overrides):
    config = load_config(HYPOXIA / "analysis.toml").with_overrides(**overrides)
    return analyze([HYPOXIA / "quantstudio_384_results.txt"],
                   layout=HYPOXIA / "quantstudio_384_layout.csv", config=config)  # fmt: skip


@pytest.fixture(scope="module")
def hypoxia():
    """The example with a third candidate gene: every table but plate_calibration."""
    return _hypoxia(candidate_genes=("GAPDH",))


@pytest.fixture(scope="module")
def two_plates():
    config = load_config(TWO / "analysis.toml")
    return analyze([TWO / "plate1.txt", TWO / "plate2.txt"], config=config,
                   layout=[TWO / "plate1_layout.csv", TWO / "plate2_layout.csv"])  # fmt: skip


def _check_dtypes(name: str, frame: pd.DataFrame) -> None:
    for column in TABLES[name].columns:
        if not isinstance(column, Column) or column.name not in frame or frame.empty:
            continue
        values = frame[column.name]
        where = f"{name}.{column.name}"
        if column.dtype == "float":
            assert pd.api.types.is_float_dtype(values) or values.isna().all(), where
        elif column.dtype == "int":
            numbers = values.dropna().astype(float)
            assert pd.api.types.is_numeric_dtype(values), where
            assert (numbers == numbers.round()).all(), where
        elif column.dtype == "bool":
            assert set(values.dropna().unique()) <= {True, False}, where
        else:
            assert values.dropna().map(lambda v: isinstance(v, str)).all(), where


def test_every_table_has_exactly_its_declared_columns(hypoxia, two_plates) -> None:
    tables = result_tables(hypoxia)
    plates = result_tables(two_plates)
    # results_long.csv (written with --tidy) is Results.to_long, checked in test_results_long.py;
    # curves.csv and melt.csv come from exports with curves (tests/test_calling.py,
    # tests/test_analyze_curves.py); these two analyses read Cq tables; settings_applied.csv
    # and warnings.csv are qpcr batch's (tests/test_batch_shared_settings.py, test_batch.py)
    written_elsewhere = {"results_long", "curves", "melt", "settings_applied", "warnings"}
    assert set(tables) | set(plates) == {n for n, t in TABLES.items() if t.file} - written_elsewhere
    for results, written in ((hypoxia, tables), (two_plates, plates)):
        for name, frame in written.items():
            _check_dtypes(name, frame)
        factors = list(results.factors)
        ratio_samples = conform("ratio_samples", results.ratio_samples, factors, "donor")
        _check_dtypes("ratio_samples", ratio_samples)
    assert list(tables["fold_changes"].columns[2:4]) == ["oxygen", "treatment"]  # factor slot
    assert list(tables["replicates"].columns[-3:]) == ["oxygen", "treatment", "donor"]
    assert {"oxygen", "donor", "quantity"} <= set(tables["wells"].columns)


def test_conform_makes_float_columns_held_as_objects_float() -> None:
    events = [{"plate": "p", "well": "A1", "sample": "s", "target": "t", "code": "ntc_amplified",
               "severity": "warning", "value": v, "threshold": 35.0, "message": "m"}
              for v in (31.5, None, np.nan)]  # fmt: skip
    qc = event_table(events).astype({"value": object, "threshold": object})
    out = conform("qc", qc)
    pd.testing.assert_frame_equal(out, qc.astype({"value": float, "threshold": float}))
    assert out["value"].tolist()[0] == 31.5
    assert out["value"].isna().tolist() == [False, True, True]
    assert qc["value"].dtype == object  # the input is left as it was


def test_conform_refuses_an_undeclared_or_missing_column() -> None:
    qc = event_table([])
    assert list(conform("qc", qc)) == list(qc.columns)
    with pytest.raises(ValueError, match=r"undeclared column\(s\) \['p'\]"):
        conform("qc", qc.assign(p=1.0).iloc[:0].reindex([0]))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['message'\]"):
        conform("qc", qc.drop(columns="message").reindex([0]))
    # a table without rows gets its columns; factors fill the slot in order
    empty = conform("ratios", pd.DataFrame(), ["oxygen", "treatment"])
    assert list(empty.columns[:5]) == ["ratio", "contrast", "oxygen", "treatment", "n"]
    assert {"value_ci_low", "fc_ci_low"} <= set(empty.columns)


def test_factorial_tables_keep_their_columns_when_no_model_fits() -> None:
    config = AnalysisConfig(reference_genes=("R",), control={"oxygen": "n", "treatment": "v"})
    samples = pd.DataFrame({"sample": ["a", "b"], "target": "X", "oxygen": ["n", "h"],
                            "treatment": "v", "log2_rq": [1.0, 2.0]})  # fmt: skip
    tables = factorial_tables(samples, pd.DataFrame(), ["oxygen", "treatment"], None, config)
    for name, frame in tables.items():
        assert list(conform(name, frame)) == schema.columns_of(name)
        assert frame["note"].str.contains("treatment").all()  # one level: no model
        assert (
            frame.drop(columns=["item", "name", "note", "adjust"], errors="ignore")
            .isna()
            .all(axis=None)
        )


def test_a_column_name_has_one_dtype_scale_and_unit_in_every_table() -> None:
    seen: dict[str, Column] = {}
    for table in TABLES.values():
        for column in table.columns:
            if not isinstance(column, Column) or "deprecated" in column.meaning:  # old names
                continue
            first = seen.setdefault(column.name, column)
            assert (column.dtype, column.scale, column.unit) == (
                first.dtype, first.scale, first.unit), column.name  # fmt: skip
    for table in TABLES.values():
        for column in table.columns:
            if isinstance(column, Column):
                assert column.scale in SCALES, column
                assert column.dtype in schema.DTYPES, column
                assert column.meaning, column


def test_ci_low_and_ci_high_always_bound_fold_change(hypoxia) -> None:
    for name, table in TABLES.items():
        names = table.names()
        for bound in ("ci_low", "ci_high"):
            if bound in names:  # the long table's ci_low bounds its linear value
                assert "fold_change" in names or name == "results_long", name
                column = next(c for c in table.columns if getattr(c, "name", "") == bound)
                assert column.scale == "fold change", name
        # an interval on anything else names its quantity or its scale
        for n in names:
            if re.search(r"ci_(low|high)", n) and n not in ("ci_low", "ci_high"):
                stem = re.sub(r"_?(fc_)?ci_(low|high)_?", "", n)
                assert stem in (*names, "log2", ""), (name, n)
    tables = result_tables(hypoxia)
    for name in ("fold_changes", "ratios", "contrasts"):
        rows = tables[name].dropna(subset=["ci_low"])
        assert len(rows) > 3, name
        assert (rows["ci_low"] < rows["fold_change"]).all(), name
        assert (rows["fold_change"] < rows["ci_high"]).all(), name
    contrasts = tables["contrasts"]
    np.testing.assert_allclose(2.0 ** contrasts["ci_low_log2"], contrasts["ci_low"], rtol=1e-12)
    np.testing.assert_allclose(2.0 ** contrasts["estimate_log2"], contrasts["fold_change"])
    ratios = tables["ratios"].dropna(subset=["value_ci_low"])
    assert (
        (ratios["value_ci_low"] < ratios["value"]) & (ratios["value"] < ratios["value_ci_high"])
    ).all()
    for table in (ratios, contrasts):  # the deprecated duplicates, for one release
        pd.testing.assert_series_equal(table["fc_ci_low"], table["ci_low"], check_names=False)
        pd.testing.assert_series_equal(table["fc_ci_high"], table["ci_high"], check_names=False)


def test_every_code_emitted_is_declared(hypoxia, two_plates) -> None:
    with pytest.warns(AssumptionWarning, match="Grubbs"):  # triplicates: said, then run
        grubbs = _hypoxia(outlier_rule="grubbs", fail_on_controls=True)
    runs = [hypoxia, two_plates, _hypoxia(outlier_rule="mad", nondetect_policy="exclude"), grubbs]
    excluded, events = set(), set()
    for results in runs:
        wells = results.wells
        excluded |= set(wells["exclude_code"]) - {""}
        events |= set(results.qc["code"])
        for code, detail_reason in zip(wells["exclude_code"], wells["exclude_reason"], strict=True):
            template = EXCLUDE_REASONS.get(code, "") if code else ""
            pattern = re.escape(template).replace(re.escape("{detail}"), ".+")
            assert re.fullmatch(pattern, detail_reason), (code, detail_reason)
        assert (wells["excluded"] == wells["exclude_code"].ne("")).all()
    assert excluded <= set(EXCLUDE_REASONS)
    assert events <= set(QC_EVENTS)
    assert {"standard", "ntc", "isolated_nondetect", "outlier_range", "outlier_mad",
            "nondetect"} <= excluded  # fmt: skip
    assert {"replicate_spread", "ntc_amplification", "isolated_nondetect"} <= events


def test_codes_in_the_source_are_declared() -> None:
    """Codes built in code paths the examples do not reach (curve and reference-gene rules)."""
    qpcr = ROOT / "qpcr"
    text = {p.name: p.read_text(encoding="utf-8") for p in qpcr.glob("*.py")}
    stages = "".join(p.read_text(encoding="utf-8") for p in (qpcr / "stages").glob("*.py"))
    found = text["qc.py"] + text["pipeline.py"] + text["layout_join.py"] + stages
    events = set(re.findall(r'"code": "([a-z_]+)"', found))
    curve_rules = re.findall(r'\(\s*"([a-z_]+)",\s*"(?:warning|error|info)"', text["efficiency.py"])
    curve_rules += re.findall(r'"rule": "([a-z_]+)"', text["efficiency.py"])  # fallback events
    warnings = (qpcr / "stability" / "warnings.py").read_text(encoding="utf-8")
    gene_rules = re.findall(r'"rule": "([a-z_]+)"', warnings)
    assert len(curve_rules) >= 7
    assert len(gene_rules) >= 3
    events |= {f"standard_curve_{r}" for r in curve_rules} | set(gene_rules)
    calling = (qpcr / "calling" / "__init__.py").read_text(encoding="utf-8")
    events |= set(re.findall(r'"(curve_[a-z_]+)": "(?:info|warn|fail)"', calling))
    melt_names = set(re.findall(r'"((?:melt|ntc_melt|ntc_primer)_[a-z_]+)"', text["melt.py"]))
    events |= melt_names - set(melt.__all__)
    assert events <= set(QC_EVENTS), events - set(QC_EVENTS)
    assert set(QC_EVENTS) <= events | {"missing_reference", "missing_target"}


def test_rewording_a_sentence_does_not_change_what_is_selected(monkeypatch, hypoxia) -> None:
    monkeypatch.setitem(EXCLUDE_REASONS, "standard", "dilution series for the efficiency")
    monkeypatch.setitem(EXCLUDE_REASONS, "not_in_layout", "absent from the layout")
    reworded = _hypoxia(candidate_genes=("GAPDH",))
    std = reworded.wells["sample_type"].eq("std")
    assert reworded.wells.loc[std, "exclude_reason"].eq("dilution series for the efficiency").all()
    for name in ("standard_curves", "quantities"):
        pd.testing.assert_frame_equal(reworded.tables[name], hypoxia.tables[name])
    pd.testing.assert_frame_equal(reworded.fold_changes, hypoxia.fold_changes)
    from qpcr.report.figures import standard_curve_figure

    figure = standard_curve_figure(reworded.wells, reworded.tables["standard_curves"])
    assert sum(len(ax.collections) for ax in figure.axes) == 7  # 7 curves with their points


def test_qc_rule_keeps_its_earlier_spelling() -> None:
    codes = ["nondetect", "isolated_nondetect", "ntc_amplification", "standard_curve_r_squared"]
    table = event_table([{"code": c} for c in codes])
    assert list(table["rule"]) == ["non-detect", "isolated-non-detect", "ntc-amplification",
                                   "standard-curve-r-squared"]  # fmt: skip


def test_readme_and_columns_doc_are_generated_from_the_schema() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_tables(readme), "run: python -m qpcr.report.docs"
    assert (ROOT / "docs" / "columns.md").read_text(encoding="utf-8") == columns_markdown(), (
        "run: python -m qpcr.report.docs"
    )
    section = readme[readme.index(BEGIN) : readme.index(END)]
    assert all(f"`{t.file}`" in section for t in TABLES.values() if t.file)
    with pytest.raises(ValueError, match="markers"):
        readme_with_tables("# no markers\n")


def test_conform_gives_a_table_apart_from_its_input() -> None:
    frame = pd.DataFrame({"target": ["MYC"], "quantity": [1200.0], "plate": ["p1"],
                          "sample": ["s1"], "cq_mean": [24.1], "n": [3],
                          "upper_bound": [False]})  # fmt: skip
    in_order = conform("quantities", frame)
    again = conform("quantities", in_order)  # already in the declared order
    assert again is not in_order
    again.loc[0, "quantity"] = 1.0
    again["n"] = 5
    assert in_order["quantity"].tolist() == [1200.0]
    assert in_order["n"].tolist() == [3]
    loose = conform("quantities", in_order.astype({"cq_mean": object}))
    assert loose["cq_mean"].dtype == float
    assert in_order["cq_mean"].tolist() == [24.1]
