"""The factorial tables fit each design once and share it between the targets and ratios that
have it: every item's rows must equal the ANOVA and contrasts of that item alone."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from qpcr import factorial
from qpcr.config import from_mapping
from qpcr.factorial import factorial_tables
from qpcr.groups import biological_units, compare_groups, group_summary
from qpcr.kept import Kept
from qpcr.schema import columns_of
from qpcr.stats import adjust_pvalues, factorial_anova, factorial_contrasts

FACTORS = ["oxygen", "drug"]
CONTROL = {"oxygen": "normoxia", "drug": "vehicle"}
CELLS = [("normoxia", "vehicle"), ("normoxia", "drug"), ("hypoxia", "vehicle"), ("hypoxia", "drug")]
# T17 in methods.md (BMP2 ΔCq, donors D1-D3 × the four cells)
DELTA_CQ = [4.15, 3.95, 4.79, 3.495, 4.54, 4.75, 5.34, 3.785, 4.015, 3.57, 4.715, 3.30]


def _samples(missing: dict[str, int]) -> pd.DataFrame:
    """Four targets on the T17 design, shifted and scaled apart; ``missing`` blanks one sample
    of a target (a design of its own: an incomplete donor)."""
    rows = []
    for t, target in enumerate(["BMP2", "VEGFA", "MMP13", "GAPDH"]):
        for i, ((oxygen, drug), donor) in enumerate(
            (cell, donor) for donor in ("D1", "D2", "D3") for cell in CELLS
        ):
            value = -(DELTA_CQ[i] * (1 + 0.1 * t) + t)
            if missing.get(target) == i:
                value = np.nan
            rows.append({"sample": f"{donor} {oxygen} {drug}", "target": target,
                         "oxygen": oxygen, "drug": drug, "donor": donor,
                         "log2_rq": value})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("method", ["rcbd", "paired", "welch"])
@pytest.mark.parametrize("missing", [{}, {"MMP13": 5}, {"VEGFA": 0, "MMP13": 5}])
def test_each_item_equals_its_own_model(method: str, missing: dict[str, int]) -> None:
    samples = _samples(missing)
    config = from_mapping({"reference_genes": ["GAPDH"], "control": CONTROL,
                           "replicate": "donor", "factorial_method": method})  # fmt: skip
    tables = factorial_tables(samples, pd.DataFrame(), FACTORS, "donor", config)
    units = biological_units(samples, "log2_rq", "target", FACTORS, "donor")
    for target in ["BMP2", "VEGFA", "MMP13"]:
        mine = units[units["target"] == target].dropna(subset=["log2_rq"]).reset_index(drop=True)
        anova = factorial_anova(mine, "log2_rq", FACTORS, block="unit")
        anova["term"] = anova["term"].replace("unit", "donor")
        contrasts = factorial_contrasts(mine, "log2_rq", FACTORS, "unit", control=CONTROL,
                                        method=method)  # fmt: skip
        got = tables["anova"][tables["anova"]["name"] == target]
        pdt.assert_frame_equal(got[list(anova)].reset_index(drop=True), anova, check_exact=True)
        got = tables["contrasts"][tables["contrasts"]["name"] == target]
        columns = ["contrast", "estimate_log2", "se", "df", "p_value", "fold_change", "test", "n"]
        pdt.assert_frame_equal(got[columns].reset_index(drop=True), contrasts[columns],
                               check_exact=True, check_dtype=False)  # fmt: skip
    # the incomplete donor goes to the mixed model only in the targets that miss a sample
    mixed = tables["anova"]["ss_type"].str.contains("mixed")
    assert set(tables["anova"].loc[mixed, "name"]) == set(missing)


def test_given_units_change_nothing() -> None:
    samples = _samples({"MMP13": 5})
    units = biological_units(samples, "log2_rq", "target", FACTORS, "donor")
    common = dict(value="log2_rq", item="target", factors=FACTORS, replicate="donor")
    pdt.assert_frame_equal(compare_groups(samples, control=CONTROL, units=units, **common),
                           compare_groups(samples, control=CONTROL, **common))  # fmt: skip
    pdt.assert_frame_equal(group_summary(samples, units=units, **common),
                           group_summary(samples, **common))  # fmt: skip
    config = from_mapping({"reference_genes": ["GAPDH"], "control": CONTROL, "replicate": "donor"})
    given = factorial_tables(samples, pd.DataFrame(), FACTORS, "donor", config,
                             units=(units, pd.DataFrame()))  # fmt: skip
    alone = factorial_tables(samples, pd.DataFrame(), FACTORS, "donor", config)
    for name in ("anova", "contrasts"):
        pdt.assert_frame_equal(given[name], alone[name])
    assert sorted(set(alone["anova"]["name"])) == ["BMP2", "MMP13", "VEGFA"]  # GAPDH: reference


def _tables(samples: pd.DataFrame, **settings: object) -> dict[str, pd.DataFrame]:
    config = from_mapping({"reference_genes": ["GAPDH"], "control": CONTROL,
                           "replicate": "donor", **settings})  # fmt: skip
    return factorial_tables(samples, pd.DataFrame(), FACTORS, "donor", config)


def _categorical(samples: pd.DataFrame) -> pd.DataFrame:
    return samples.astype({"drug": pd.CategoricalDtype(["drug", "vehicle"])})


@pytest.mark.parametrize(
    ("change", "settings", "hit"),
    [
        (lambda s: s.assign(log2_rq=s["log2_rq"] * 1.3 + 0.2), {}, True),  # other numbers
        (lambda s: s.assign(oxygen=s["oxygen"].replace("hypoxia", "anoxia")), {}, False),
        (lambda s: s.assign(donor=s["donor"].replace("D3", "D4")), {}, False),
        (lambda s: s.assign(log2_rq=s["log2_rq"].mask(s.index == 29)), {}, False),  # MMP13, D2
        (_categorical, {}, False),
        (lambda s: s, {"factorial_method": "welch"}, False),
        (lambda s: s, {"alpha": 0.01}, False),
    ],
)
def test_kept_plans_equal_fresh_ones(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[pd.DataFrame], pd.DataFrame],
    settings: dict[str, object], hit: bool,
) -> None:  # fmt: skip
    """The plans of a call are kept for the next (a batch's plates share designs): a design
    whose content or settings changed is planned anew, and every kept plan gives what a fresh
    one gives."""
    monkeypatch.setattr(factorial, "_PLANS", Kept(64))
    _tables(_samples({}))
    kept = list(factorial._PLANS)
    assert len(kept) == 1  # the three targets share one design
    changed = change(_samples({}))
    got = _tables(changed, **settings)
    assert (kept == list(factorial._PLANS)) == hit
    monkeypatch.setattr(factorial, "_PLANS", Kept(64))
    fresh = _tables(changed, **settings)
    for name in ("anova", "contrasts"):
        pdt.assert_frame_equal(got[name], fresh[name], check_exact=True)


def test_designs_with_cells_not_text_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factorial, "_PLANS", Kept(64))
    samples = _samples({}).assign(donor=lambda s: s["donor"].str[1:].astype(int))
    tables = _tables(samples)
    assert not factorial._PLANS
    assert set(tables["anova"]["term"]) == {"oxygen", "drug", "donor", "oxygen × drug", "Residual"}


def test_items_in_the_order_groupby_gives() -> None:
    """The items are the targets but the references in order of first row, a missing name left
    out, as ``groupby(sort=False)`` of those rows gives them."""
    samples = _samples({}).iloc[::-1].reset_index(drop=True)
    samples.loc[samples["target"] == "VEGFA", "target"] = np.nan
    samples = pd.concat([samples, _samples({}).query("target == 'VEGFA'")], ignore_index=True)
    got = _tables(samples)["anova"]["name"].drop_duplicates().tolist()
    kept = samples[samples["target"] != "GAPDH"]
    assert got == list(kept.groupby("target", sort=False).groups) == ["MMP13", "BMP2", "VEGFA"]


def _frames(
    anova_rows: list[dict[str, object]], contrast_rows: list[dict[str, object]], adjust: str
) -> dict[str, pd.DataFrame]:
    """The tables as ``pd.DataFrame`` of the rows, renamed, reindexed and adjusted gave them."""

    def declared(frame: pd.DataFrame, name: str) -> pd.DataFrame:
        return frame.reindex(columns=list(dict.fromkeys([*columns_of(name), *frame.columns])))

    rows = pd.DataFrame(contrast_rows).rename(
        columns={"ci_low": "ci_low_log2", "ci_high": "ci_high_log2"}
    )
    rows = rows.assign(ci_low=rows.get("fc_ci_low", float("nan")),
                       ci_high=rows.get("fc_ci_high", float("nan")))  # fmt: skip
    contrasts = declared(rows, "contrasts")
    if len(contrasts):
        p, adjusted = contrasts["p_value"].to_numpy(float), np.full(len(contrasts), np.nan)
        for at in contrasts.groupby("contrast", sort=False).indices.values():
            adjusted[at] = adjust_pvalues(p[at], adjust)
        contrasts["p_adj"] = adjusted
    contrasts["adjust"] = adjust
    return {"anova": declared(pd.DataFrame(anova_rows), "anova"), "contrasts": contrasts}


@pytest.mark.parametrize(
    ("targets", "missing", "failed"),
    [
        (["BMP2", "VEGFA", "MMP13"], {}, {}),
        (["BMP2", "VEGFA", "MMP13"], {"MMP13": 5}, {("target", "VEGFA"): "NTC amplified"}),
        (["BMP2"], {"BMP2": 5}, {("target", "BMP2"): "NTC amplified"}),  # den_df, all withheld
        (["BMP2", "VEGFA"], {"VEGFA": 0}, {}),
        ([], {}, {}),  # only the reference gene: no rows
    ],
)
def test_tables_built_from_columns_equal_frames_of_the_rows(
    monkeypatch: pytest.MonkeyPatch, targets: list[str], missing: dict[str, int],
    failed: dict[tuple[str, str], str],
) -> None:  # fmt: skip
    """The tables are built from their columns at once: as the frames of the rows were, to the
    dtypes and the types of the cells."""
    rows: list[list[dict[str, object]]] = []
    declared = factorial._declared

    def keep(parts: list[dict[str, list[object]]], *args: object) -> dict[str, list[object]]:
        rows.append([dict(zip(part, row, strict=True)) for part in parts
                     for row in zip(*part.values(), strict=True)])  # fmt: skip
        return declared(parts, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(factorial, "_declared", keep)
    samples = _samples(missing)
    samples = samples[samples["target"].isin([*targets, "GAPDH"])]
    config = from_mapping({"reference_genes": ["GAPDH"], "control": CONTROL,
                           "replicate": "donor", "adjust": "bh"})  # fmt: skip
    tables = factorial_tables(samples, pd.DataFrame(), FACTORS, "donor", config, failed)
    expected = _frames(rows[0], rows[1], "bh")
    for name in ("anova", "contrasts"):
        pdt.assert_frame_equal(tables[name], expected[name], check_exact=True)
        for column in tables[name]:
            assert list(map(type, tables[name][column].tolist())) == list(
                map(type, expected[name][column].tolist())
            )


def test_kept_plans_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most ``size`` designs are kept, the oldest going first."""
    monkeypatch.setattr(factorial, "_PLANS", Kept(2))
    for k in range(4):  # four designs: a donor renamed each time
        _tables(_samples({}).assign(donor=lambda s, k=k: s["donor"].replace("D3", f"E{k}")))
    units = [key[1][-1] for key in factorial._PLANS]
    assert [{u for u in unit if u.startswith("E")} for unit in units] == [{"E2"}, {"E3"}]
