"""Properties of the quantification engine (hypothesis): what Livak/Pfaffl/qBase must satisfy
whatever the Cq values (methods.md §2.2-2.7).

Designs are small random experiments (2-3 groups × 2-4 biological samples, 1-2 reference
genes, 1-2 targets, 1-3 technical replicates), run end to end through
:func:`qpcr.pipeline.analyze` on a tidy CSV, or through :func:`qpcr.quant.summarise_replicates`
and :func:`qpcr.quant.normalise` for the standard-error properties.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr.config import AnalysisConfig, Contrast
from qpcr.pipeline import Results, analyze
from qpcr.quant import normalise, summarise_replicates

_FILES = itertools.count()
CQ = st.floats(15.0, 35.0, allow_nan=False).map(lambda v: round(v, 3))
EFF = st.floats(1.8, 2.1, allow_nan=False).map(lambda v: round(v, 4))
SHIFT = st.floats(-5.0, 5.0, allow_nan=False).map(lambda v: round(v, 3))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


@st.composite
def designs(draw: st.DrawFn, min_tech: int = 1) -> dict:
    """Wells of a random design: ``rows`` (sample, target, cq, group), ``refs``, ``gois``."""
    n_groups = draw(st.integers(2, 3))
    n_bio = draw(st.integers(2, 4))
    refs = [f"REF{i}" for i in range(draw(st.integers(1, 2)))]
    gois = [f"GOI{i}" for i in range(draw(st.integers(1, 2)))]
    n_tech = draw(st.integers(min_tech, 3))
    keys = [(f"G{g}", f"G{g}-{b}", t) for g in range(n_groups) for b in range(n_bio)
            for t in refs + gois for _ in range(n_tech)]  # fmt: skip
    cq = draw(st.lists(CQ, min_size=len(keys), max_size=len(keys)))
    rows = pd.DataFrame(keys, columns=["group", "sample", "target"]).assign(cq=cq)
    return {"rows": rows, "refs": tuple(refs), "gois": tuple(gois)}


def _run(rows: pd.DataFrame, folder: Path, refs: tuple[str, ...], **settings: object) -> Results:
    path = folder / f"design_{next(_FILES)}.csv"
    rows.to_csv(path, index=False)
    config = AnalysisConfig(reference_genes=refs, control={"group": "G0"}, test="welch",
                            outlier_rule="none", **settings)  # fmt: skip
    return analyze([path], config=config)


def _fold(results: Results) -> pd.DataFrame:
    return results.fold_changes.set_index(["contrast", "target"]).sort_index()


def _same_fold_changes(a: Results, b: Results) -> None:
    fa, fb = _fold(a), _fold(b)
    assert list(fa.index) == list(fb.index)
    for col in ("log2_fold_change", "p_value", "ci_low", "ci_high"):
        np.testing.assert_allclose(fa[col], fb[col], rtol=1e-9, atol=1e-9, err_msg=col)


def _delta_cq(results: Results) -> pd.Series:
    return results.samples.set_index(["sample", "target"])["delta_cq"].sort_index()


@settings(max_examples=5)
@given(design=designs())
def test_efficiency_two_everywhere_is_livak(folder: Path, design: dict) -> None:
    """E = 2 for every gene, given explicitly, is Livak's 2^−ΔΔCq exactly; and the log2 fold
    change equals −(mean ΔCq of the group − mean ΔCq of G0), ΔCq computed here by hand from the
    technical-replicate means (methods.md §2.1-2.3)."""
    rows, refs = design["rows"], design["refs"]
    plain = _run(rows, folder, refs)
    genes = refs + design["gois"]
    explicit = _run(rows, folder, refs, efficiency=dict.fromkeys(genes, 2.0))
    pd.testing.assert_series_equal(_delta_cq(plain), _delta_cq(explicit))
    _same_fold_changes(plain, explicit)

    means = rows.groupby(["group", "sample", "target"])["cq"].mean().unstack()
    dcq = means[list(design["gois"])].sub(means[list(refs)].mean(axis=1), axis=0)
    group_mean = dcq.groupby(level="group").mean()
    for (label, target), row in _fold(plain).iterrows():
        group = label.removeprefix("group=").removesuffix(" vs control")
        expected = -(group_mean.loc[group, target] - group_mean.loc["G0", target])
        assert row["log2_fold_change"] == pytest.approx(expected, abs=1e-9)


@settings(max_examples=8)
@given(design=designs(), eff=st.lists(EFF, min_size=4, max_size=4))
def test_fold_change_is_pfaffl_ratio_with_efficiencies(folder: Path, design: dict, eff: list):
    """Any efficiencies: FC(g) = E_g^ΔCq_g / (Π_r E_r^ΔCq_r)^(1/f), ΔCq = mean Cq of the control
    group − mean Cq of the group (Pfaffl 2001 eq. 1; geometric mean over several references as
    in qBase, methods.md §2.4), from technical-replicate means computed here."""
    rows, refs, gois = design["rows"], design["refs"], design["gois"]
    efficiency = dict(zip(refs + gois, eff, strict=False))
    res = _run(rows, folder, refs, efficiency=efficiency)
    sample_means = rows.groupby(["group", "sample", "target"])["cq"].mean()
    cq = sample_means.groupby(["group", "target"]).mean().unstack()
    delta = cq.loc["G0"] - cq  # control − group, per group × gene
    e = pd.Series(efficiency)
    norm = np.prod([e[r] ** delta[r] for r in refs], axis=0) ** (1 / len(refs))
    for (label, target), row in _fold(res).iterrows():
        group = label.removeprefix("group=").removesuffix(" vs control")
        expected = e[target] ** delta.loc[group, target] / norm[cq.index.get_loc(group)]
        assert row["fold_change"] == pytest.approx(expected, rel=1e-9)


@settings(max_examples=5)
@given(design=designs(), eff=st.lists(EFF, min_size=4, max_size=4))
def test_duplicated_references_change_nothing(folder: Path, design: dict, eff: list) -> None:
    """Every reference gene entered twice under another name (same Cq, same E): the mean
    reference Cq, every ΔCq and every fold change and test stay the same. (The qBase SE does
    change: it treats the copies as independent measurements.)"""
    rows, refs = design["rows"], design["refs"]
    efficiency = dict(zip(refs + design["gois"], eff, strict=False))
    copies = rows[rows["target"].isin(refs)].assign(target=lambda r: r["target"] + "_copy")
    doubled_refs = refs + tuple(f"{r}_copy" for r in refs)
    efficiency2 = {**efficiency, **{f"{r}_copy": efficiency[r] for r in refs}}
    base = _run(rows, folder, refs, efficiency=efficiency)
    doubled = _run(pd.concat([rows, copies]), folder, doubled_refs, efficiency=efficiency2)
    pd.testing.assert_series_equal(_delta_cq(base), _delta_cq(doubled), rtol=1e-12, atol=1e-12)
    _same_fold_changes(base, doubled)


@settings(max_examples=5)
@given(design=designs(), shift=SHIFT, which=st.integers(0, 3), eff=EFF)
def test_shifting_one_gene_in_every_sample_leaves_fold_changes(
    folder: Path, design: dict, shift: float, which: int, eff: float
) -> None:
    """Adding a constant to one gene's Cq in every sample (a target's or a reference's: a
    different amount of template or a different threshold) leaves every fold change, interval
    and p-value unchanged, also with an efficiency ≠ 2 for that gene."""
    rows, refs = design["rows"], design["refs"]
    genes = refs + design["gois"]
    gene = genes[which % len(genes)]
    moved = rows.assign(cq=rows["cq"].where(rows["target"] != gene, rows["cq"] + shift))
    base = _run(rows, folder, refs, efficiency={gene: eff})
    other = _run(moved, folder, refs, efficiency={gene: eff})
    _same_fold_changes(base, other)


@settings(max_examples=5)
@given(design=designs(), shift=SHIFT, which=st.integers(0, 11), eff=st.none() | EFF)
def test_more_input_in_one_sample_changes_no_delta_cq(
    folder: Path, design: dict, shift: float, which: int, eff: float | None
) -> None:
    """Adding a constant to every Cq of one sample (more or less input) changes none of its ΔCq
    when all genes share one efficiency (E = 2, or a common E drawn here); the shift moves that
    sample's reference Cq by exactly the (efficiency-weighted) shift."""
    rows, refs = design["rows"], design["refs"]
    samples = list(dict.fromkeys(rows["sample"]))
    sample = samples[which % len(samples)]
    moved = rows.assign(cq=rows["cq"].where(rows["sample"] != sample, rows["cq"] + shift))
    efficiency = dict.fromkeys(refs + design["gois"], eff) if eff else {}
    base = _run(rows, folder, refs, efficiency=efficiency)
    other = _run(moved, folder, refs, efficiency=efficiency)
    pd.testing.assert_series_equal(_delta_cq(base), _delta_cq(other), rtol=0, atol=1e-9)
    ref_a = base.samples.set_index(["sample", "target"])["ref_cq"]
    ref_b = other.samples.set_index(["sample", "target"])["ref_cq"]
    step = (ref_b - ref_a).xs(sample, level="sample")
    np.testing.assert_allclose(step, shift * np.log2(eff or 2.0), atol=1e-9)
    assert (ref_b - ref_a).drop(index=sample, level="sample").abs().max() < 1e-9


@settings(max_examples=8)
@given(design=designs(), eff=st.lists(EFF, min_size=4, max_size=4))
def test_calibrator_group_mean_ddcq_is_zero(folder: Path, design: dict, eff: list) -> None:
    """The control group calibrated to itself has ΔΔCq 0 (log2 FC 0, FC 1), and every group's
    log2 FC is the mean of its samples' −ΔΔCq, ΔΔCq = ΔCq − mean ΔCq(G0) from the samples
    table; so the calibrator's own mean ΔΔCq is 0 for every target."""
    rows, refs = design["rows"], design["refs"]
    efficiency = dict(zip(refs + design["gois"], eff, strict=False))
    self_contrast = Contrast("G0 vs G0", {"group": "G0"}, {"group": "G0"})
    res = _run(rows, folder, refs, efficiency=efficiency, contrasts=(self_contrast,))
    fold = _fold(res)
    itself = fold.xs("G0 vs G0", level="contrast")
    assert (itself["log2_fold_change"] == 0).all()
    assert (itself["fold_change"] == 1).all()
    s = res.samples
    calibrator = s[s["group"] == "G0"].groupby("target")["delta_cq"].mean()
    ddcq = s["delta_cq"] - s["target"].map(calibrator)
    mean_ddcq = ddcq.groupby([s["group"], s["target"]]).mean()
    np.testing.assert_allclose(mean_ddcq.loc["G0"], 0.0, atol=1e-9)
    for (label, target), row in fold.drop(index="G0 vs G0", level="contrast").iterrows():
        group = label.removeprefix("group=").removesuffix(" vs control")
        assert row["log2_fold_change"] == pytest.approx(-mean_ddcq[group, target], abs=1e-9)


@settings(max_examples=5)
@given(design=designs())
def test_swapping_two_groups_negates_log2_fold_change(folder: Path, design: dict) -> None:
    """G1 vs G0 and G0 vs G1 (control swapped): log2 FC negated, same Welch p, the fold-change
    interval inverted (ci_low ↔ 1/ci_high)."""
    rows, refs = design["rows"], design["refs"]
    rows = rows[rows["group"].isin(["G0", "G1"])]
    a = _fold(_run(rows, folder, refs)).xs("group=G1 vs control", level="contrast")
    path = folder / f"design_{next(_FILES)}.csv"
    rows.to_csv(path, index=False)
    config = AnalysisConfig(reference_genes=refs, control={"group": "G1"}, test="welch",
                            outlier_rule="none")  # fmt: skip
    b = _fold(analyze([path], config=config)).xs("group=G0 vs control", level="contrast")
    np.testing.assert_allclose(b["log2_fold_change"], -a["log2_fold_change"], atol=1e-12)
    np.testing.assert_allclose(b["p_value"], a["p_value"], rtol=1e-9)
    np.testing.assert_allclose(b["ci_low"], 1 / a["ci_high"], rtol=1e-9)
    np.testing.assert_allclose(b["ci_high"], 1 / a["ci_low"], rtol=1e-9)


# --- qBase standard error (methods.md §2.6: Var(log2 NRQ) = Var(log2 RQ_g) + Var(log2 NF)) ---


def _se(rows: pd.DataFrame, refs: tuple[str, ...], efficiency: dict) -> pd.Series:
    reps = summarise_replicates(rows, value="cq")
    out = normalise(reps, refs, efficiency)
    return out.set_index(["sample", "target"])["se_log2_rq"].sort_index()


@settings(max_examples=15)
@given(design=designs(min_tech=2), eff=st.lists(EFF, min_size=4, max_size=4))
def test_qbase_se_is_zero_without_technical_spread(design: dict, eff: list) -> None:
    """Identical technical replicates (SE_Cq = 0) and no efficiency SE: se_log2_rq = 0."""
    rows, refs = design["rows"], design["refs"]
    flat = rows.assign(cq=rows.groupby(["sample", "target"])["cq"].transform("first"))
    efficiency = dict(zip(refs + design["gois"], eff, strict=False))
    se = _se(flat, refs, efficiency)
    assert len(se) > 0
    assert (se == 0).all()


@settings(max_examples=15)
@given(
    design=designs(min_tech=2),
    eff=st.lists(EFF, min_size=4, max_size=4),
    scales=st.lists(st.floats(0.0, 3.0, allow_nan=False), min_size=2, max_size=2, unique=True),
)
def test_qbase_se_grows_with_technical_sd(design: dict, eff: list, scales: list) -> None:
    """Technical replicates spread s times as far from their mean: se_log2_rq is s times the
    s = 1 value, hence grows monotonically with the technical SD, and equals the first-order
    formula sqrt((log2 E_g·SE_g)² + Σ_r (log2 E_r·SE_r)²/f²), SE = SD/√n, computed here."""
    rows, refs = design["rows"], design["refs"]
    gois = design["gois"]
    efficiency = dict(zip(refs + gois, eff, strict=False))
    mean = rows.groupby(["sample", "target"])["cq"].transform("mean")
    unit = _se(rows, refs, efficiency)
    small, large = sorted(scales)
    se_small = _se(rows.assign(cq=mean + small * (rows["cq"] - mean)), refs, efficiency)
    se_large = _se(rows.assign(cq=mean + large * (rows["cq"] - mean)), refs, efficiency)
    np.testing.assert_allclose(se_small, small * unit, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(se_large, large * unit, rtol=1e-6, atol=1e-9)
    assert (se_large >= se_small).all()

    g = rows.groupby(["sample", "target"])["cq"]
    tech_se = (g.std() / np.sqrt(g.count())).unstack()
    var = (tech_se * np.log2(pd.Series(efficiency)))[list(refs + gois)] ** 2
    var_nf = var[list(refs)].sum(axis=1) / len(refs) ** 2
    expected = np.sqrt(var[list(gois)].add(var_nf, axis=0)).stack()
    np.testing.assert_allclose(unit, expected.sort_index().reindex(unit.index), rtol=1e-9)
