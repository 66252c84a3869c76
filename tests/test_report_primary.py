"""One primary result per comparison: with donors, the analysis that takes them into account.

T17's data set (tests/data/methods/dataset_2_0.csv) with sample D3-HT missing: the two-group
test of "toci in hypoxia" (HT vs HV) cannot pair donor D3, so it is Welch's, while the factorial
model keeps every donor through the mixed model. The model's result is then primary (p_role) and
shown as the comparison's result in the terminal, the workbook's Summary, report.html and the
verdicts; Welch's test is the sensitivity analysis. The comparisons whose two-group test is
paired keep it as primary, with the model's contrast as the sensitivity analysis."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from qpcr.config import AnalysisConfig, Contrast
from qpcr.labels import primary_view
from qpcr.pipeline import analyze
from qpcr.report import write_report
from qpcr.report.html import report_html, verdicts
from qpcr.report.methods import methods_text
from qpcr.report.summary import display_tables
from qpcr.results import Results
from qpcr.stats.linear import MIXED_TEST

DATASET = Path(__file__).parent / "data" / "methods" / "dataset_2_0.csv"
HT, HV = {"oxygen": "hypoxia", "treatment": "tocilizumab"}, {"oxygen": "hypoxia",
                                                           "treatment": "vehicle"}  # fmt: skip
CONFIG = AnalysisConfig(
    reference_genes=("REF_A", "REF_B"),
    replicate="donor",
    control={"oxygen": "normoxia", "treatment": "vehicle"},
    ratios={"RANKL/OPG": ("RANKL", "OPG")},
    contrasts=(Contrast("toci in hypoxia", HT, HV),),
)


def without_d3_ht(folder: Path) -> Results:
    """T17's data set analysed without sample D3-HT (the factorial model is primary for some
    comparisons, a blocked pooled test for others)."""
    data = pd.read_csv(DATASET)
    path = folder / "d3_ht_missing.csv"
    data[data["sample"] != "D3-HT"].to_csv(path, index=False)
    return analyze([path], config=CONFIG)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    return without_d3_ht(tmp_path_factory.mktemp("primary"))


def _row(table: pd.DataFrame, name: str, comparison: str) -> pd.Series:
    column = next(c for c in ("target", "ratio", "name") if c in table)
    return table[(table[column] == name) & (table["comparison"] == comparison)].iloc[0]


def test_roles_follow_the_donors(results: Results) -> None:
    fc, model = results.fold_changes, results.tables["contrasts"]
    # HT lacks D3: its comparisons cannot pair (Welch); HV vs NV holds every donor (paired t).
    assert set(fc.loc[fc["comparison"] == "toci in hypoxia", "test"]) == {"welch"}
    assert set(fc.loc[fc["comparison"] == "hypoxia + vehicle vs normoxia + vehicle", "test"]) \
        == {"paired t"}  # fmt: skip
    for item in ("BMP2", "RANKL"):
        welch = _row(fc, item, "toci in hypoxia")
        mixed = _row(model, item, "toci in hypoxia")
        assert (welch["p_role"], mixed["test"], mixed["p_role"]) == \
            ("sensitivity", MIXED_TEST, "primary")  # fmt: skip
        paired = _row(fc, item, "hypoxia + vehicle vs normoxia + vehicle")
        blocked = _row(model, item, "hypoxia + vehicle vs normoxia + vehicle")
        assert (paired["p_role"], blocked["p_role"]) == ("primary", "sensitivity")
    # HT vs NV is no simple effect of the model: the two-group test (Welch) is the only one.
    diagonal = fc[fc["comparison"] == "hypoxia + tocilizumab vs normoxia + vehicle"]
    assert set(diagonal["test"]) == {"welch"}
    assert set(diagonal["p_role"]) == {"primary"}
    # Interactions are the model's alone.
    assert set(model.loc[model["kind"] == "interaction", "p_role"]) == {"primary"}
    ratio = _row(results.ratios, "RANKL/OPG", "toci in hypoxia")
    assert ratio["p_role"] == "sensitivity"
    assert results.ratios.loc[results.ratios["contrast"] == "control", "p_role"].tolist() == [""]


def test_a_paired_permutation_test_says_so_and_stays_primary(
    results: Results, tmp_path: Path
) -> None:
    """test = "permutation" with donors: sign flips within donors where both groups hold every
    donor ("paired permutation", primary over the model's contrast); where D3-HT is missing the
    values are reallocated ("permutation", unpaired), so the mixed model is primary."""
    from dataclasses import replace

    data = pd.read_csv(DATASET)
    path = tmp_path / "d3_ht_missing.csv"
    data[data["sample"] != "D3-HT"].to_csv(path, index=False)
    perm = analyze([path], config=replace(CONFIG, test="permutation"))
    fc, model = perm.fold_changes, perm.tables["contrasts"]
    paired = "hypoxia + vehicle vs normoxia + vehicle"
    assert set(fc.loc[fc["comparison"] == paired, "test"]) == {"paired permutation"}
    assert set(fc.loc[fc["comparison"] == "toci in hypoxia", "test"]) == {"permutation"}
    for item in ("BMP2", "RANKL"):
        assert _row(fc, item, paired)["p_role"] == "primary"
        assert _row(model, item, paired)["p_role"] == "sensitivity"
        assert _row(fc, item, "toci in hypoxia")["p_role"] == "sensitivity"
        mixed = _row(model, item, "toci in hypoxia")
        assert (mixed["test"], mixed["p_role"]) == (MIXED_TEST, "primary")
    # 3 donors: 2^3 = 8 sign patterns, so a paired p is a multiple of 1/8, at least 2/8 (the
    # observed signs and their mirror); 2 HT vs 3 HV are reallocated C(5, 2) = 10 ways.
    for p in fc.loc[fc["comparison"] == paired, "p_value"]:
        assert p * 8 == pytest.approx(round(p * 8))
        assert p >= 2 / 8
    for p in fc.loc[fc["comparison"] == "toci in hypoxia", "p_value"]:
        assert p * 10 == pytest.approx(round(p * 10))
        assert p >= 1 / 10
    assert "a randomisation test flipping the signs of the differences within each " \
        "biological replicate" in methods_text(perm)  # fmt: skip
    from qpcr.report.figures import fold_change_figure

    with warnings.catch_warnings():  # 3 donors: an unbounded interval (0, inf), no warning
        warnings.simplefilter("error")
        caption = fold_change_figure(perm).texts[0].get_text()
    assert "joined by donor" in caption  # the figure joins each donor's points, as for paired t


def test_long_table_says_which_p_is_primary(results: Results) -> None:
    """results_long.csv (--tidy) carries p_role: Welch's p of "toci in hypoxia" is the
    sensitivity analysis there too, the paired comparisons' p primary."""
    long = results.to_long()
    tested = long[long["measure"].isin(["fold_change", "ratio_fold_change"])]
    ratios = results.ratios[results.ratios["contrast"] != "control"]
    wide = pd.concat([results.fold_changes, ratios])
    assert tested["p_role"].tolist() == wide["p_role"].tolist()
    welch = tested[tested["contrast"] == "toci in hypoxia"]
    assert len(welch) == 7  # 6 targets, 1 ratio
    assert set(welch["p_role"]) == {"sensitivity"}
    assert set(tested.loc[tested["contrast"] != "toci in hypoxia", "p_role"]) == {"primary"}
    assert set(long.loc[~long.index.isin(tested.index), "p_role"]) == {""}


def test_primary_result_shown_everywhere(results: Results, tmp_path: Path) -> None:
    mixed = _row(results.tables["contrasts"], "BMP2", "toci in hypoxia")
    welch = _row(results.fold_changes, "BMP2", "toci in hypoxia")
    view = _row(primary_view(results, "fold_changes"), "BMP2", "toci in hypoxia")
    result = ["fold_change", "ci_low", "ci_high", "p_value", "p_adj", "test"]
    assert view[result].tolist() == mixed[result].tolist()
    assert (view["sensitivity_test"], view["sensitivity_p_adj"]) == ("welch", welch["p_adj"])
    assert view["p_value"] != welch["p_value"]
    # Terminal: the model's p with its test, Welch's as the sensitivity.
    terminal = next(iter(display_tables(results).values()))
    shown = _row(terminal, "BMP2", "toci in hypoxia")
    assert shown["fold change [95 % CI]"] == \
        f"{mixed['fold_change']:.3g} [{mixed['ci_low']:.3g}, {mixed['ci_high']:.3g}]"  # fmt: skip
    assert (shown["test"], shown["p adj"]) == (MIXED_TEST, f"{mixed['p_adj']:.3f}")
    assert shown["sensitivity"] == f"two-group test: welch, p adj {welch['p_adj']:.3f}"
    paired = _row(terminal, "BMP2", "hypoxia + vehicle vs normoxia + vehicle")
    assert paired["test"] == "paired t"
    assert paired["sensitivity"].startswith(f"model: {MIXED_TEST}, p adj")
    # report.html's verdict quotes the primary p.
    line = next(v for v in verdicts(results) if v.startswith("BMP2:") and "toci in hypoxia" in v)
    assert f"adjusted p = {mixed['p_adj']:.3f} ({MIXED_TEST}, holm)" in line
    assert f"<td>{MIXED_TEST}</td>" in report_html(results)
    # The workbook's Summary: the model's numbers; a line above names the tests.
    write_report(results, tmp_path / "out", figures=False, html=False)
    summary = openpyxl.load_workbook(tmp_path / "out" / "results.xlsx")["Summary"]
    rows = [[c.value for c in row] for row in summary.iter_rows()]
    header = next(r for r in rows if r[:2] == ["target", "comparison"])
    hit = dict(zip(header, next(r for r in rows if r[:2] == ["BMP2", "toci in hypoxia"]),
                   strict=True))  # fmt: skip
    assert hit["p_adj"] == pytest.approx(mixed["p_adj"])
    line = next(r[0] for r in rows if str(r[0]).startswith("Primary p-values"))
    # 7 results (6 targets, 1 ratio) per comparison: NT vs NV and HV vs NV paired (the model
    # beside them), HT vs NV Welch alone, toci in hypoxia the mixed model (Welch beside it).
    assert line.startswith(f"Primary p-values (the tables below): paired t (14 results), "
                           f"welch (7 results), {MIXED_TEST} (7 results); the other analysis "
                           f"of the same comparison, a sensitivity analysis: {MIXED_TEST} (14)"
                           ", welch (7)")  # fmt: skip
    # The CSVs say the same in p_role.
    csv = pd.read_csv(tmp_path / "out" / "fold_changes.csv")
    assert _row(csv, "BMP2", "toci in hypoxia")["p_role"] == "sensitivity"


def test_methods_give_the_reason(results: Results) -> None:
    text = methods_text(results)
    roles = pd.concat([results.fold_changes["p_role"], results.ratios["p_role"]])
    n, total = (
        int((roles == "sensitivity").sum()),
        int(roles.isin(["primary", "sensitivity"]).sum()),
    )
    assert n == 7  # toci in hypoxia: 6 targets (REF_C, GAPDH, BMP2, VEGFA, RANKL, OPG), 1 ratio
    assert f"except for {n} of the {total} results, whose two-group test did not pair the " \
           "biological replicates (donor) while the model took them into account" \
           in text  # fmt: skip
    assert "the model's contrast is primary, because it keeps the comparison within each " \
           "replicate" in text  # fmt: skip


def test_figure_stars_follow_the_primary_result(tmp_path: Path) -> None:
    """With D3-HV missing, "hypoxia + vehicle vs normoxia + vehicle" is Welch's in
    fold_changes and the mixed model's as the primary result: the figure's stars over the HV
    group are the primary adjusted p-value's, and the caption names the primary tests."""
    from qpcr.labels import labelled
    from qpcr.report.figures import _stars, fold_change_figure

    data = pd.read_csv(DATASET)
    path = tmp_path / "d3_hv_missing.csv"
    data[data["sample"] != "D3-HV"].to_csv(path, index=False)
    results = labelled(analyze([path], config=CONFIG))
    view = primary_view(results, "fold_changes")
    comparison = "hypoxia + vehicle vs normoxia + vehicle"
    rows = view[view["comparison"] == comparison].set_index("target")
    assert set(rows["test"]) == {MIXED_TEST}  # the model is primary for this comparison
    two_group = results.fold_changes[results.fold_changes["comparison"] == comparison]
    assert set(two_group["test"]) == {"welch"}
    figure = fold_change_figure(results)
    shown = {ax.get_title(): {t.get_text() for t in ax.texts if "*" in t.get_text()}
             for ax in figure.axes}  # fmt: skip
    differs = 0
    for target, row in rows.iterrows():
        others = view[(view["target"] == target) & view["contrast"].str.endswith(" vs control")]
        expected = {_stars(p) for p in others["p_adj"]} - {""}
        assert shown[target] == expected, target
        welch = two_group.set_index("target").loc[target, "p_adj"]
        differs += _stars(welch) != _stars(row["p_adj"])
    assert differs  # at least one target's stars would be wrong if drawn from Welch's p
    assert MIXED_TEST in figure.texts[0].get_text()


def test_labelled_roles_are_p_roles_of_its_labelled_tables(results: Results) -> None:
    """``labelled`` finds each table's labels and roles in one pass; they equal
    ``comparison_labels`` of each table and ``p_roles`` of the labelled tables (the two steps
    it replaced), model-first comparisons included, also without the model's table."""
    from dataclasses import replace

    from qpcr.labels import comparison_labels, labelled, p_roles

    bare = replace(results, fold_changes=results.fold_changes.drop(columns=["comparison",
                   "p_role"]), ratios=results.ratios.drop(columns=["comparison", "p_role"]),
                   tables={**results.tables, "contrasts": results.tables["contrasts"].drop(
                       columns=["comparison", "p_role"])})  # fmt: skip
    without_model = replace(bare, tables={k: v for k, v in bare.tables.items()
                                          if k != "contrasts"})  # fmt: skip
    for given in (bare, without_model):
        found = labelled(given)
        tables = {"fold_changes": found.fold_changes, "ratios": found.ratios,
                  **{k: v for k, v in found.tables.items() if k == "contrasts"}}  # fmt: skip
        roles = p_roles(replace(found, fold_changes=found.fold_changes.drop(columns="p_role")))
        assert roles.keys() == tables.keys()
        for name, table in tables.items():
            expected = comparison_labels(table, found.factors, found.config)
            assert table["comparison"].tolist() == expected.tolist()
            assert table["p_role"].tolist() == roles[name].tolist(), name
        assert "sensitivity" in found.fold_changes["p_role"].tolist() or given is without_model


def _bare(results: Results) -> Results:
    """``results`` without the ``comparison`` and ``p_role`` columns that ``labelled`` adds."""
    from dataclasses import replace

    drop = ["comparison", "p_role"]
    contrasts = results.tables["contrasts"].drop(columns=drop)
    return replace(results, fold_changes=results.fold_changes.drop(columns=drop),
                   ratios=results.ratios.drop(columns=drop),
                   tables={**results.tables, "contrasts": contrasts})  # fmt: skip


def test_kept_labels_and_roles_equal_fresh_ones_and_changed_cells_miss(results: Results) -> None:
    """``labelled`` keeps each table set's labels and roles by the cells and settings that
    decide them: after another plate's numbers under the same labels the tables equal those
    made with nothing kept; a changed test (which decides the primary analysis), contrast or
    setting is labelled anew and equals a fresh labelling too."""
    from dataclasses import replace

    from qpcr import labels

    bare = _bare(results)
    fold = bare.fold_changes
    welch = fold.index[fold["test"] == "welch"]
    renamed = fold["contrast"].str.replace("hypoxia", "normoxia", n=1)
    variants = [
        replace(bare, fold_changes=fold.assign(test=fold["test"].replace({"welch": "paired t"}))),
        replace(bare, fold_changes=fold.assign(contrast=renamed)),
        replace(bare, config=replace(bare.config, replicate=None)),
    ]
    assert len(welch)  # a comparison whose primary analysis the test decides

    def fresh(given: Results) -> Results:
        labels._LABELLED.clear()
        return labels.labelled(given)

    def same(got: Results, want: Results) -> None:
        pd.testing.assert_frame_equal(got.fold_changes, want.fold_changes, check_exact=True)
        pd.testing.assert_frame_equal(got.ratios, want.ratios, check_exact=True)
        pd.testing.assert_frame_equal(got.tables["contrasts"], want.tables["contrasts"],
                                      check_exact=True)  # fmt: skip

    expected = fresh(bare)
    tests = [float("nan") if t != t else t for t in bare.ratios["test"].tolist()]
    assert any(t != t for t in tests)  # the control group's row: a missing test, a new NaN
    other = replace(bare, fold_changes=fold.assign(p_value=fold["p_value"] / 3),
                    ratios=bare.ratios.assign(test=pd.Series(tests, dtype=object)))  # fmt: skip
    labels.labelled(other)  # kept
    same(labels.labelled(bare), expected)
    assert len(labels._LABELLED) == 1
    for k, variant in enumerate(variants):
        want = fresh(variant)
        labels.labelled(bare)
        same(labels.labelled(variant), want)
        assert len(labels._LABELLED) == 2, k
        assert not want.fold_changes["p_role"].equals(expected.fold_changes["p_role"]) or not \
            want.fold_changes["comparison"].equals(expected.fold_changes["comparison"])  # fmt: skip
