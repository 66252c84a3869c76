"""The reference-gene check (methods.md §4.4) on hand-made designs: confounded factors and a
factor named like the stability table's label column, checked against statsmodels' fits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qpcr.config import AnalysisConfig
from qpcr.pipeline import analyze
from qpcr.stability import reference_gene_warnings
from qpcr.stability.warnings import _factor_effects

#: Eight samples: every hypoxia sample is also treated (oxygen and drug confounded), the batch
#: crosses both. TBP rises by about one cycle under hypoxia + drug; RPL13A does not move.
TBP = [20.0, 20.2, 20.1, 19.9, 21.0, 21.3, 21.1, 20.8]
RPL13A = [18.0, 18.1, 17.9, 18.0, 18.1, 17.9, 18.0, 18.1]
DESIGN = pd.DataFrame({
    "sample": [f"s{i}" for i in range(8)],
    "oxygen": ["normoxia"] * 4 + ["hypoxia"] * 4,
    "drug": ["none"] * 4 + ["drug"] * 4,
    "batch": ["b1", "b2"] * 4,
})  # fmt: skip


def _long(design: pd.DataFrame, cq: dict[str, list[float]]) -> pd.DataFrame:
    """The per-sample long table: one row per sample × target."""
    parts = [design.assign(target=t, cq_mean=v) for t, v in cq.items()]
    return pd.concat(parts, ignore_index=True)


def _type2(y: list[float], design: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """The type II ANOVA of statsmodels (an independent fit) of ``y ~ Σ C(term)``."""
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    data = design.assign(y=y)
    fit = ols("y ~ " + " + ".join(f"C({t})" for t in terms), data=data).fit()
    return anova_lm(fit, typ=2)


def test_confounded_factors_are_tested_jointly_not_divided_by_zero() -> None:
    samples = _long(DESIGN, {"TBP": TBP, "RPL13A": RPL13A})
    effects = _factor_effects(samples, ["TBP"], ["oxygen", "drug", "batch"])["TBP"]
    # drug is oxygen under another name here: the estimable model is y ~ oxygen + batch
    expected = _type2(TBP, DESIGN, ["oxygen", "batch"])
    for factor in ("oxygen", "drug"):
        assert effects[factor].p == pytest.approx(expected.loc["C(oxygen)", "PR(>F)"], rel=1e-9)
        assert effects[factor].effect == pytest.approx(21.05 - 20.05, abs=1e-12)
    assert effects["oxygen"].confounded == ("drug",)
    assert effects["drug"].confounded == ("oxygen",)
    assert effects["batch"].confounded == ()
    assert effects["batch"].p == pytest.approx(expected.loc["C(batch)", "PR(>F)"], rel=1e-9)
    # by hand: batch means 20.55 (b1: 20.0, 20.1, 21.0, 21.1) and 20.55 (b2: 20.2, 19.9, 21.3, 20.8)
    assert effects["batch"].effect == pytest.approx(0.0, abs=1e-12)
    assert effects["batch"].p == pytest.approx(1.0, abs=1e-9)


def test_confounded_factors_give_one_warning_naming_them() -> None:
    samples = _long(DESIGN, {"TBP": TBP, "RPL13A": RPL13A})
    levels = {f: list(dict.fromkeys(DESIGN[f])) for f in ("oxygen", "drug", "batch")}
    found = reference_gene_warnings(samples, ["TBP", "RPL13A"], levels)
    assert [(w["rule"], w["target"]) for w in found] == [("reference_depends_on_factor", "TBP")]
    p = _type2(TBP, DESIGN, ["oxygen", "batch"]).loc["C(oxygen)", "PR(>F)"]
    assert p == pytest.approx(6.8576e-4, rel=1e-4)
    message = found[0]["message"]
    assert "changes with oxygen, which varies together with drug in its samples" in message
    assert "confounded factors: their effects cannot be separated" in message
    assert "largest difference between oxygen level means 1.00 cycles" in message
    assert f"joint ANOVA p = {p:.3g})" in message


def test_a_nested_factor_is_tested_with_the_factor_that_determines_it() -> None:
    # four cell lines, each wholly normoxic or hypoxic: oxygen is determined by the line
    design = pd.DataFrame({
        "sample": [f"s{i}" for i in range(8)],
        "line": ["A", "A", "B", "B", "C", "C", "D", "D"],
        "oxygen": ["normoxia"] * 4 + ["hypoxia"] * 4,
    })  # fmt: skip
    y = [20.0, 20.3, 20.6, 20.5, 21.4, 21.0, 21.9, 21.8]
    effects = _factor_effects(_long(design, {"TBP": y}), ["TBP"], ["line", "oxygen"])["TBP"]
    assert effects["oxygen"].confounded == ("line",)
    assert effects["line"].confounded == ()
    expected = _type2(y, design, ["line"])  # oxygen adds nothing to the line
    assert effects["oxygen"].p == pytest.approx(expected.loc["C(line)", "PR(>F)"], rel=1e-9)
    # line keeps 2 of its 3 degrees of freedom beside oxygen (the lines within each oxygen
    # level): the F test of y ~ line against y ~ oxygen
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    data = design.assign(y=y)
    nested = anova_lm(ols("y ~ C(oxygen)", data).fit(), ols("y ~ C(line)", data).fit())
    assert nested.loc[1, "df_diff"] == 2
    assert effects["line"].p == pytest.approx(nested.loc[1, "Pr(>F)"], rel=1e-9)


def _write_run(folder: Path, design: pd.DataFrame, cq: dict[str, list[float]]) -> Path:
    """A tidy table of the design with two technical replicates per sample × target."""
    long = _long(design, cq).rename(columns={"cq_mean": "cq"})
    path = folder / "cq.csv"
    pd.concat([long, long], ignore_index=True).to_csv(path, index=False)
    return path


def test_an_analysis_with_confounded_factors_goes_on_and_warns(tmp_path: Path) -> None:
    design = DESIGN.drop(columns="batch")
    goi = list(np.array(RPL13A) + 6.0)
    path = _write_run(tmp_path, design, {"TBP": TBP, "RPL13A": RPL13A, "GOI": goi})
    config = AnalysisConfig(
        reference_genes=("TBP", "RPL13A"), control={"oxygen": "normoxia", "drug": "none"}
    )
    out = analyze([path], config=config)
    rows = out.qc[out.qc["rule"] == "reference-depends-on-factor"]
    assert list(rows["target"]) == ["TBP"]
    p = _type2(TBP, design, ["oxygen"]).loc["C(oxygen)", "PR(>F)"]
    assert f"joint ANOVA p = {p:.3g})" in rows["message"].iloc[0]
    assert len(out.fold_changes) > 0


def test_a_factor_named_group_is_read_as_itself(tmp_path: Path) -> None:
    # a 2 × 2 design crossing the user's factor "group" with oxygen, three samples per cell;
    # TBP is one cycle higher in group b (cell means 26.0/26.0 and 27.0/27.0), the other
    # candidates do not move (every cell holds the same three values)
    design = pd.DataFrame({
        "sample": [f"s{i}" for i in range(12)],
        "group": ["a"] * 6 + ["b"] * 6,
        "oxygen": (["normoxia"] * 3 + ["hypoxia"] * 3) * 2,
    })  # fmt: skip
    tbp = [26.0, 26.2, 25.9, 26.1, 25.8, 26.0, 27.0, 27.1, 26.9, 26.8, 27.2, 27.0]
    rpl13a = [20.0, 20.1, 19.9, 20.1, 19.9, 20.0, 19.9, 20.0, 20.1, 20.0, 20.1, 19.9]
    b2m = [c + 2.0 for c in reversed(rpl13a)]
    goi = [25.0 + 0.5 * (o == "hypoxia") for o in design["oxygen"]]
    path = _write_run(tmp_path, design, {"TBP": tbp, "RPL13A": rpl13a, "B2M": b2m, "GOI": goi})
    config = AnalysisConfig(
        reference_genes=("TBP", "RPL13A"),
        candidate_genes=("TBP", "RPL13A", "B2M"),
        control={"group": "a", "oxygen": "normoxia"},
    )
    out = analyze([path], config=config)
    expected = _type2(tbp, design, ["group", "oxygen"])
    p_group, p_oxygen = expected.loc[["C(group)", "C(oxygen)"], "PR(>F)"]
    assert p_oxygen > 0.05  # TBP does not move with oxygen: no warning about it
    # by hand (balanced, so type II = sequential): SS group 12 × 0.5² = 3.0, SS oxygen
    # 12 × (1/60)² = 0.00333, residual 3.2 − 3.0 − 0.00333 = 0.19667 on 9 df: F = 137.29
    assert p_group == pytest.approx(9.4332e-7, rel=1e-4)
    rows = out.qc[out.qc["rule"] == "reference-depends-on-factor"]
    assert list(rows["message"]) == [
        "the Cq of reference gene TBP changes with group (largest difference between level "
        f"means 1.00 cycles, ANOVA p = {p_group:.3g}); a reference must not respond to the "
        "treatment. Consider the measured candidates that did not vary: RPL13A, B2M."
    ]
    genes = out.tables["reference_genes"].set_index("target")
    assert genes.loc["TBP", "warning"] == rows["message"].iloc[0]
    assert (genes.loc[["RPL13A", "B2M"], "warning"] == "").all()


def _plain_factor_effects(
    samples: pd.DataFrame, targets: list[str], factors: list[str]
) -> dict[str, dict[str, tuple[float, float, tuple[str, ...]]]]:
    """The formulation the kept designs replaced: every model built and fitted afresh, each
    factor's reduced model refitted until it has degrees of freedom of its own."""
    from qpcr.grouped import moments
    from qpcr.stability.warnings import _determining
    from qpcr.stats.dist import f_sf

    target = samples["target"].astype(str).to_numpy()
    cq = samples["cq_mean"].to_numpy(dtype=float, na_value=np.nan)
    complete = ~np.isnan(cq)
    raw, text = {}, {}
    for f in factors:
        raw[f], values = pd.factorize(samples[f].to_numpy())
        rank = np.unique(np.array([str(v) for v in values], dtype=object), return_inverse=True)[1]
        text[f] = np.append(rank, -1)[raw[f]]
        complete &= raw[f] >= 0
    out: dict[str, dict[str, tuple[float, float, tuple[str, ...]]]] = {}
    for name in targets:
        at = np.flatnonzero(complete & (target == name))
        usable = [f for f in factors if len(np.unique(raw[f][at])) > 1]
        out[name] = {}
        if not usable or len(at) < 3:
            continue
        levels = {f: np.unique(text[f][at], return_inverse=True)[1] for f in usable}
        y = cq[at]
        blocks = {f: (code[:, None] == np.arange(1, int(code.max()) + 1)).astype(float)
                  for f, code in levels.items()}  # fmt: skip

        def fit(left_out: set[str], y: np.ndarray = y, blocks: dict = blocks) -> tuple[float, int]:
            x = np.hstack(
                [np.ones((len(y), 1)), *(b for g, b in blocks.items() if g not in left_out)]
            )
            beta, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
            return float(np.sum((y - x @ beta) ** 2)), len(y) - int(rank)

        ssr, df_resid = fit(set())
        noise = len(y) * (1e3 * np.finfo(float).eps * float(np.abs(y).max())) ** 2
        testable = df_resid > 0 and ssr > noise
        for f in levels:
            partners: tuple[str, ...] = ()
            ssr_r, df_r = fit({f})
            if df_r == df_resid and blocks[f].size:
                partners = _determining(f, blocks)
                ssr_r, df_r = fit({f, *partners})
                if df_r == df_resid:
                    partners = tuple(g for g in levels if g != f)
                    ssr_r, df_r = fit(set(levels))
            p = float("nan")
            if testable and df_r > df_resid:
                df_f = df_r - df_resid
                p = f_sf((ssr_r - ssr) / df_f / (ssr / df_resid), df_f, df_resid)
            means = moments(y, levels[f])[0]
            out[name][f] = (p, float(means.max() - means.min()), partners)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_kept_designs_equal_the_models_fitted_afresh(seed: int) -> None:
    """The models kept by content give each target's p, effect and confounded factors to the
    last bit of the models built afresh (confounded, aliased and one-level designs, missing
    Cq and factor cells); a second table with other Cq reuses the designs and still agrees,
    and other factor cells or another set of missing Cq make new ones."""
    from qpcr.stability.warnings import _DESIGNS

    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 14))
    oxygen = rng.choice(["normoxia", "hypoxia"], n)
    design = pd.DataFrame({
        "sample": [f"s{i}" for i in range(n)],
        "oxygen": oxygen,
        # confounded with oxygen in some seeds, crossing it in others
        "drug": np.where(oxygen == "hypoxia", "drug", "none") if seed % 3 == 0
        else rng.choice(["none", "drug", "high"], n),
        "batch": rng.choice(["b1", "b2", "b3"][: 1 + seed % 3], n),
    })  # fmt: skip
    factors = ["oxygen", "drug", "batch"]

    def table() -> pd.DataFrame:
        data = _long(design, {g: list(rng.normal(20, 1, n).round(2)) for g in ("TBP", "B2M")})
        data.loc[rng.random(len(data)) < 0.1, "cq_mean"] = np.nan
        return data

    def agree(data: pd.DataFrame) -> None:
        found = _factor_effects(data, ["TBP", "B2M"], factors)
        want = _plain_factor_effects(data, ["TBP", "B2M"], factors)
        assert list(found) == list(want)
        for name, effects in want.items():
            assert list(found[name]) == list(effects)
            for f, (p, effect, partners) in effects.items():
                got = found[name][f]
                assert got.p == p or (np.isnan(got.p) and np.isnan(p))
                assert got.effect == effect
                assert got.confounded == partners

    _DESIGNS.clear()
    first = table()
    agree(first)
    assert len(_DESIGNS) == 1
    agree(first.assign(cq_mean=first["cq_mean"] + rng.normal(0, 1, len(first)).round(2)))
    assert len(_DESIGNS) == 1  # the same factors and missing Cq: the designs kept
    holes = first.assign(cq_mean=first["cq_mean"].where(np.arange(len(first)) != 0))
    agree(holes)
    assert len(_DESIGNS) == 1 + bool(first["cq_mean"].notna().iloc[0])
    other = first.assign(batch=first["batch"].where(np.arange(len(first)) != 1, "b9"))
    agree(other)
    assert len(_DESIGNS) == 2 + bool(first["cq_mean"].notna().iloc[0])
