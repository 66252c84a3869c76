"""Group comparisons pair biological units by label and pool factors within a unit
(:func:`qpcr.groups.compare_groups`), checked against hand computations."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from qpcr.config import Contrast
from qpcr.groups import compare_groups, group_summary


def test_paired_test_pairs_donors_by_name_not_by_row_order() -> None:
    # control D3, D1, D2; treated D2, D1 (D3 missing): pairs D1 (2.2) and D2 (2.3),
    # mean 2.25, SE = s_d / √2 = 0.05, t = 45 on 1 df, p = 1 − 2·atan(45)/π
    values = pd.DataFrame({
        "target": "MYC", "donor": ["D3", "D1", "D2", "D2", "D1"],
        "sample": ["c3", "c1", "c2", "t2", "t1"], "group": ["ctrl"] * 3 + ["drug"] * 2,
        "log2_rq": [-4.8, -5.0, -5.3, -3.0, -2.8],
    })  # fmt: skip
    row = compare_groups(values, value="log2_rq", item="target", factors=["group"],
                         control={"group": "ctrl"}, replicate="donor",
                         test="paired").iloc[0]  # fmt: skip
    assert row["test"] == "paired t"
    assert row["n"] == 2
    assert row["log2_fold_change"] == pytest.approx(2.25)
    assert row["se"] == pytest.approx(0.05)
    assert row["statistic"] == pytest.approx(45.0)
    assert row["p_value"] == pytest.approx(1 - 2 * math.atan(45) / math.pi)


def test_a_contrast_naming_one_factor_pools_the_other_within_each_donor() -> None:
    # per donor: mean over drug of hypoxia − of normoxia: D1 (2 + 4)/2 − (0 + 1)/2 = 2.5,
    # D2 (2.0 + 3.4)/2 − (0.2 + 0.6)/2 = 2.3; paired: mean 2.4, SE 0.1, t 24 on 1 df
    cells = [("normoxia", "vehicle"), ("normoxia", "drug"), ("hypoxia", "vehicle"),
             ("hypoxia", "drug")]  # fmt: skip
    values = pd.DataFrame([{"target": "MYC", "donor": d, "sample": f"{d}{i}", "oxygen": o,
                            "drug": g} for d in ("D1", "D2")
                           for i, (o, g) in enumerate(cells)])  # fmt: skip
    values["log2_rq"] = [0.0, 1.0, 2.0, 4.0, 0.2, 0.6, 2.0, 3.4]
    contrast = Contrast("hypoxia", {"oxygen": "hypoxia"}, {"oxygen": "normoxia"})
    table = compare_groups(values, value="log2_rq", item="target", factors=["oxygen", "drug"],
                           control={"oxygen": "normoxia", "drug": "vehicle"},
                           replicate="donor", contrasts=[contrast])  # fmt: skip
    row = table[table["contrast"] == "hypoxia"].iloc[0]
    assert (row["oxygen"], row["drug"]) == ("hypoxia", "")
    assert row["test"] == "paired t"
    assert row["log2_fold_change"] == pytest.approx(2.4)
    assert row["se"] == pytest.approx(0.1)
    assert row["p_value"] == pytest.approx(1 - 2 * math.atan(24) / math.pi)


def _random_values(rng: np.random.Generator) -> pd.DataFrame:
    """0-60 samples of three targets in a 2 × 2 design with four donors: some values NaN, some
    flagged bounds or not detected (each flag column present or not)."""
    n = int(rng.integers(0, 60))
    table = pd.DataFrame({
        "target": rng.choice(["MYC", "IL6", "TBP"], n),
        "oxygen": rng.choice(["normoxia", "hypoxia"], n),
        "drug": rng.choice(["none", "toci"], n),
        "donor": rng.choice(["d1", "d2", "d3", "d4"], n),
        "log2_rq": np.round(rng.normal(-5, 2, n), int(rng.integers(0, 4))),
        "sample": [f"s{i}" for i in range(n)],
    })  # fmt: skip
    for flag, share in (("upper_bound", 0.2), ("lower_bound", 0.1), ("not_detected", 0.3)):
        if rng.random() < 0.5:
            table[flag] = rng.random(n) < share
    table.loc[rng.random(n) < 0.1, "log2_rq"] = np.nan
    return table


def test_compared_table_is_the_frame_of_its_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """``compare_groups`` builds its table column by column; on 150 random designs (every
    test, with and without donors and contrasts, some without rows) it equals the frame of its
    rows as ``pd.DataFrame(rows)`` built it, dtypes included, and the biological units keep
    their keys' dtypes."""
    from qpcr import groups

    build, rows_seen = groups._columns_of_rows, []

    def spy(rows: list[dict], item: str, factors: list[str]) -> dict:
        rows_seen.append(rows)
        return build(rows, item, factors)

    monkeypatch.setattr(groups, "_columns_of_rows", spy)
    contrasts = [Contrast("drug in hypoxia", {"oxygen": "hypoxia", "drug": "toci"},
                          {"oxygen": "hypoxia", "drug": "none"}),
                 Contrast("hypoxia", {"oxygen": "hypoxia"}, {"oxygen": "normoxia"})]  # fmt: skip
    rng = np.random.default_rng(2026)
    tests = ["auto", "welch", "student", "paired", "mann-whitney", "permutation"]
    for k in range(150):
        values = _random_values(rng)
        if not values["target"].nunique() or values["oxygen"].nunique() < 2 or \
                values["drug"].nunique() < 2:  # fmt: skip
            continue  # a control level or contrast level missing: refused
        replicate = "donor" if k % 3 else None
        units = groups.biological_units(values, "log2_rq", "target", ["oxygen", "drug"],
                                        replicate)  # fmt: skip
        keys = ["target", "oxygen", "drug", replicate or "sample"]
        assert units.dtypes.iloc[:4].tolist() == values.dtypes[keys].tolist()
        table = compare_groups(values, value="log2_rq", item="target", units=units,
                               factors=["oxygen", "drug"], replicate=replicate,
                               control={"oxygen": "normoxia", "drug": "none"},
                               contrasts=contrasts[: k % 3],
                               test=tests[k % len(tests)])  # fmt: skip
        columns = ["contrast", "item", "oxygen", "drug", "n", "n_ref", "log2_fold_change", "se",
                   "df", "statistic", "fold_change", "ci_low", "ci_high", "p_value", "test",
                   "bound", "note"]  # fmt: skip
        expected = pd.DataFrame(rows_seen[-1]).reindex(columns=columns)
        expected = expected.assign(
            **{c: expected[c].astype(object).fillna("") for c in ("test", "bound", "note")}
        ).rename(columns={"item": "target"})
        pd.testing.assert_frame_equal(table, expected, check_exact=True)


def _merged_ratio_results(ratio_samples: pd.DataFrame, units: pd.DataFrame, settings, common):
    """The ratios table as a left merge of the group summary with the comparisons built it
    (the formulation :func:`qpcr.stages.comparisons._ratio_results` replaced)."""
    from qpcr.groups import group_order, group_summary
    from qpcr.schema import columns_of

    factors = common["factors"]
    columns = [c for c in columns_of("ratios", factors) if c not in ("p_adj", "adjust")]
    summary = group_summary(ratio_samples, value="log2_ratio", item="ratio", factors=factors,
                            replicate=common["replicate"], units=units)  # fmt: skip
    summary = summary.assign(value=2.0 ** summary["mean_log2"],
                             value_ci_low=2.0 ** summary["ci_low_log2"],
                             value_ci_high=2.0 ** summary["ci_high_log2"])  # fmt: skip
    tests = compare_groups(ratio_samples, value="log2_ratio", item="ratio", units=units, **common)
    vs_control = tests["contrast"].str.endswith(" vs control").to_numpy(bool)
    keep = ["ratio", "contrast", *factors, "fold_change", "ci_low", "ci_high", "p_value", "test",
            "bound", "note"]  # fmt: skip
    merged = summary.merge(tests.loc[vs_control, keep], on=["ratio", *factors], how="left")
    merged["contrast"] = merged["contrast"].fillna("")
    control = np.logical_and.reduce(
        [merged[f].astype(str).eq(settings.control[f]).to_numpy() for f in factors]
    )
    merged.loc[control, "fold_change"] = 1.0
    merged.loc[control, "note"] = "control group"
    merged.loc[control, "contrast"] = "control"
    groups = group_order(merged, factors, settings.control)
    order = {tuple(g.values()): i for i, g in enumerate(groups)}
    merged["_order"] = [order[r] for r in merged[factors].astype(str).itertuples(index=False)]
    merged = merged.sort_values(["ratio", "_order"], kind="stable")
    table = merged[[c for c in columns if c in merged]]
    if not vs_control.all():
        table = pd.concat([table, tests.loc[~vs_control, [*keep, "n"]]], ignore_index=True)
    table = table.assign(fc_ci_low=table["ci_low"], fc_ci_high=table["ci_high"])
    return table[columns].reset_index(drop=True)


def test_ratio_results_equal_the_merge_of_summary_and_comparisons() -> None:
    """The ratios table, built by position, equals the left merge of the group summary with
    the comparisons it replaced, dtypes included, on 150 random designs (with and without
    donors; contrasts, also ones named '... vs control' that match a group twice or the
    control group)."""
    from qpcr.config import from_mapping
    from qpcr.groups import _units
    from qpcr.stages.comparisons import _ratio_results

    rng = np.random.default_rng(1515)
    both = {"oxygen": "hypoxia", "drug": "toci"}
    contrasts = [
        {"name": "hypoxia", "numerator": {"oxygen": "hypoxia"},
         "denominator": {"oxygen": "normoxia"}},
        {"name": "x vs control", "numerator": both,
         "denominator": {"oxygen": "normoxia", "drug": "none"}},
        {"name": "y vs control", "numerator": {"oxygen": "normoxia", "drug": "none"},
         "denominator": both},
    ]  # fmt: skip
    for k in range(150):
        values = _random_values(rng).rename(columns={"target": "ratio", "log2_rq": "log2_ratio"})
        if values["oxygen"].nunique() < 2 or values["drug"].nunique() < 2:
            continue
        replicate = "donor" if k % 3 else None
        settings = from_mapping({"control": {"oxygen": "normoxia", "drug": "none"},
                                 "contrasts": contrasts[: k % 4]})  # fmt: skip
        common = dict(factors=["oxygen", "drug"], control=settings.control, replicate=replicate,
                      contrasts=settings.contrasts, test=settings.test, alpha=settings.alpha,
                      min_n=settings.min_replicates, where=None)  # fmt: skip
        units, layout = _units(values, "log2_ratio", "ratio", ["oxygen", "drug"], replicate)
        # with the layout the units were made with, as compare gives it, or without
        found = _ratio_results(values, units, layout if k % 2 else None, settings, common)
        expected = _merged_ratio_results(values, units, settings, common)
        pd.testing.assert_frame_equal(found, expected, check_exact=True)


@pytest.mark.parametrize("dtype", ["str", "string", object, "category"])
def test_level_texts_are_the_cells_as_text(dtype: object) -> None:
    """A factor's levels as ``astype(str)`` gives them, also with a missing cell."""
    from qpcr.groups import level_texts

    column = pd.Series(["hypoxia", None, "normoxia", "hypoxia"], dtype=dtype)
    expected = column.astype(str).tolist()
    found = level_texts(column)
    assert [type(v) for v in found] == [type(v) for v in expected]
    assert found[::2] == expected[::2] == ["hypoxia", "normoxia"]
    assert math.isnan(found[1])
    assert math.isnan(expected[1])


def test_kept_units_keys_equal_fresh_ones_and_new_keys_miss() -> None:
    """``biological_units`` keeps each key table's unit numbering: on 100 random designs the
    table made with the kept numbering (another plate's values under the same keys) equals
    the one made afresh, and keys that differ in one cell are numbered anew."""
    from qpcr import groups

    rng = np.random.default_rng(14)
    factors = ["oxygen", "drug"]
    for k in range(100):
        values = _random_values(rng)
        replicate = "donor" if k % 2 else None
        groups._UNITS.clear()
        fresh = groups.biological_units(values, "log2_rq", "target", factors, replicate)
        other = values.assign(log2_rq=rng.normal(size=len(values)))
        groups.biological_units(other, "log2_rq", "target", factors, replicate)  # kept
        assert len(groups._UNITS) == 1
        kept = groups.biological_units(values, "log2_rq", "target", factors, replicate)
        pd.testing.assert_frame_equal(kept, fresh, check_exact=True)
        if len(values):
            changed = values.copy()
            changed.loc[changed.index[-1], "target"] = "HIF1A"
            groups._UNITS.clear()
            expected = groups.biological_units(changed, "log2_rq", "target", factors, replicate)
            groups.biological_units(values, "log2_rq", "target", factors, replicate)
            got = groups.biological_units(changed, "log2_rq", "target", factors, replicate)
            assert len(groups._UNITS) == 2
            pd.testing.assert_frame_equal(got, expected, check_exact=True)


def _designs(rng: np.random.Generator) -> Iterator[tuple[pd.DataFrame, dict]]:
    """100 random 2 × 2 designs (:func:`_random_values`) with both factors' levels present,
    each with the arguments of ``compare_groups`` (donors as the replicate every other one)."""
    contrasts = [Contrast("hypoxia", {"oxygen": "hypoxia"}, {"oxygen": "normoxia"})]
    for k in range(100):
        values = _random_values(rng)
        if values["oxygen"].nunique() < 2 or values["drug"].nunique() < 2:
            continue
        yield values, dict(value="log2_rq", item="target", factors=["oxygen", "drug"],
                           control={"oxygen": "normoxia", "drug": "none"}, contrasts=contrasts,
                           replicate="donor" if k % 2 else None)  # fmt: skip


def test_kept_group_rows_give_the_comparisons_made_afresh() -> None:
    """The selector keeps each units table's key reading and group rows (:class:`_Keys`): on
    100 random designs the comparisons made after another plate's values under the same keys
    equal those made with nothing kept, and a changed level is read anew."""
    from qpcr import selection

    rng = np.random.default_rng(15)
    for values, common in _designs(rng):
        selection._KEYS.clear()
        fresh = compare_groups(values, **common)
        compare_groups(values.assign(log2_rq=rng.normal(size=len(values))), **common)
        assert len(selection._KEYS) == 1
        pd.testing.assert_frame_equal(compare_groups(values, **common), fresh, check_exact=True)
        changed = values.assign(drug=values["drug"].replace({"toci": "none", "none": "toci"}))
        selection._KEYS.clear()
        expected = compare_groups(changed, **common)
        compare_groups(values, **common)
        got = compare_groups(changed, **common)
        assert len(selection._KEYS) == 2
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def _afresh(table: pd.DataFrame, common: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``compare_groups`` and ``group_summary`` of ``table`` with nothing kept."""
    from qpcr import groups, selection

    groups._UNITS.clear()
    selection._KEYS.clear()
    public = {k: v for k, v in common.items() if k not in ("test", "alpha", "min_n", "where")}
    summary = group_summary(table, value="log2_rq", item="target", factors=common["factors"],
                            replicate=common["replicate"])  # fmt: skip
    return compare_groups(table, **public), summary


def _with_layout(table: pd.DataFrame, common: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What ``compare`` makes of ``table``: the units and their kept layout, then the
    comparisons and the summary read through it."""
    from qpcr.groups import _compared, _summary, _table, _units

    factors = common["factors"]
    units, layout = _units(table, "log2_rq", "target", factors, common["replicate"])
    summary = _summary(units, "log2_rq", "target", factors, 0.05, layout)
    return _table(_compared(table, units=units, layout=layout, **common)), pd.DataFrame(summary)


def test_kept_layout_gives_the_comparisons_and_summary_made_afresh() -> None:
    """``compare`` reads the units' keys and groups from the layout kept with the units
    (:class:`qpcr.selection._Layout`) instead of keying the units table again: on 100 random
    designs, after another plate's values under the same keys, its comparisons and group
    summary equal ``compare_groups`` and ``group_summary`` with nothing kept; a changed level
    makes a new layout, whose results equal fresh ones too."""
    from qpcr import groups

    rng = np.random.default_rng(16)
    for values, common in _designs(rng):
        common.update(test="auto", alpha=0.05, min_n=2, where=None)
        expected = _afresh(values, common)
        _with_layout(values.assign(log2_rq=rng.normal(size=len(values))), common)  # kept
        for got, want in zip(_with_layout(values, common), expected, strict=True):
            pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert len(groups._UNITS) == 1
        changed = values.assign(drug=values["drug"].replace({"toci": "none", "none": "toci"}))
        expected = _afresh(changed, common)
        _with_layout(values, common)
        for got, want in zip(_with_layout(changed, common), expected, strict=True):
            pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert len(groups._UNITS) == 2
