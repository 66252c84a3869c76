"""The bundled example recovers its stated true fold changes (within its noise), and its planted
QC cases (standard curves, an outlier well, a non-detect, an NTC hit) come out as its README
says."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from qpcr.config import load_config
from qpcr.pipeline import analyze

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "hypoxia_tocilizumab"
CODES = {("normoxia", "vehicle"): "NV", ("normoxia", "tocilizumab"): "NT",
         ("hypoxia", "vehicle"): "HV", ("hypoxia", "tocilizumab"): "HT"}  # fmt: skip
T_975_2 = 4.302653  # t(0.975, 2 df): three donors, paired


def _generator():
    spec = importlib.util.spec_from_file_location("generate", EXAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def _run(**overrides):
    config = load_config(EXAMPLE / "analysis.toml").with_overrides(**overrides)
    return analyze(
        [EXAMPLE / "quantstudio_384_results.txt"],
        layout=EXAMPLE / "quantstudio_384_layout.csv",
        config=config,
    )


@pytest.fixture(scope="module")
def results():
    return _run()


@pytest.fixture(scope="module")
def results_nd_excluded():
    return _run(nondetect_policy="exclude")


def _well(sample: str, target: str, rep: int) -> str:
    """Plate position of replicate ``rep`` (0-based) of ``sample`` × ``target``."""
    hits = [w for w, s, t in GEN.wells_384() if (s, t) == (sample, target)]
    return hits[rep]


def test_files_are_what_the_generator_writes() -> None:
    for size in (384, 96):
        files = GEN.files(size)
        assert len(files) == 4
        for name, data in files.items():
            assert (ROOT / name).read_bytes() == data, name


def test_every_well_is_accounted_for(results) -> None:
    wells = results.wells
    assert len(wells) == 378  # 7 genes × (12 samples + NTC) × 3 + 7 genes × 5 standards × 3
    reasons = wells.loc[wells["excluded"], "exclude_reason"]
    reasons = reasons.str.replace(r" \(.*", "", regex=True)
    assert reasons.value_counts().to_dict() == {
        "standard": 105,
        "control well": 21,
        "replicate outlier": 1,
        "isolated non-detect": 1,
    }
    used = wells[~wells["excluded"]]
    assert len(used) == 250
    assert used["sample_type"].eq("unkn").all()


def test_outlier_well_is_excluded_with_its_reason(results) -> None:
    sample, target, rep, shift = GEN.OUTLIER
    well = _well(sample, target, rep)
    wells = results.wells.set_index("well")
    group = wells[(wells["sample"] == sample) & (wells["target"] == target)]
    others = group["cq"].drop(well)
    # modified z of the shifted well: 0.6745·(x − median)/MAD with MAD = median |x − median|
    median = group["cq"].median()
    mad = (group["cq"] - median).abs().median()
    z = 0.6745 * (group.loc[well, "cq"] - median) / mad
    assert group.loc[well, "cq"] - others.mean() > shift - 0.5  # the planted +1.5 cycles
    assert group.loc[well, "exclude_reason"] == f"replicate outlier (modified z {z:.2f} > 3.5)"
    assert z > 3.5
    assert not others.index.isin(wells.index[wells["excluded"]]).any()
    event = results.qc[(results.qc["rule"] == "replicate-spread") & (results.qc["well"] == well)]
    assert len(event) == 1
    assert event["value"].iloc[0] == pytest.approx(group["cq"].max() - group["cq"].min())
    assert f"well {well} excluded" in event["message"].iloc[0]
    rep_row = results.replicates.set_index(["sample", "target"]).loc[(sample, target)]
    assert rep_row["n_used"] == 2
    assert rep_row["cq_mean"] == pytest.approx(others.mean())


def test_ntc_hit_is_in_qc(results) -> None:
    target, rep, cq = GEN.NTC_HIT
    well = _well("NTC", target, rep)
    wells = results.wells
    top = wells.loc[(wells["target"] == target) & (wells["sample_type"] == "unkn"), "cq"].max()
    qc = results.qc[results.qc["rule"] == "ntc-amplification"]
    assert qc[["well", "target"]].values.tolist() == [[well, target]]  # the other NTCs pass
    assert qc["value"].iloc[0] == pytest.approx(cq)
    assert cq - top < 5  # the qbase+ margin (methods.md §2.9)
    assert (
        f"only {cq - top:.2f} cycles above the highest sample Cq {top:.2f}"
        in (qc["message"].iloc[0])
    )


def test_standard_curve_gives_bmp2_efficiency(results) -> None:
    from scipy import stats

    curves = results.tables["standard_curves"].set_index("target")
    assert len(curves) == 7
    assert curves["n_points"].eq(15).all()
    bmp2 = curves.loc["BMP2"]
    assert bmp2["efficiency_ci_low"] < GEN.EFFICIENCY["BMP2"] < bmp2["efficiency_ci_high"]
    assert bmp2["efficiency_ci_high"] < 2.0  # the 6 % lower efficiency is resolved
    # independent fit: Cq = a + b·log10(quantity), E = 10^(−1/b)
    std = results.wells[(results.wells["sample_type"] == "std")
                        & (results.wells["target"] == "BMP2")]  # fmt: skip
    fit = stats.linregress(np.log10(std["quantity"].astype(float)), std["cq"].astype(float))
    assert bmp2["slope"] == pytest.approx(fit.slope, rel=1e-9)
    assert bmp2["efficiency"] == pytest.approx(10 ** (-1 / fit.slope), rel=1e-9)
    # used automatically, since analysis.toml gives no efficiency
    assert results.efficiency["BMP2"] == pytest.approx(bmp2["efficiency"])
    assert set(results.efficiency) == set(curves.index)
    assert f"efficiency of BMP2 from its standard curve: E = {bmp2['efficiency']:.3f}" in "\n".join(
        results.notes
    )


def _noise(genes_per_sample: float, technical: int = 3) -> float:
    """SD of a paired group difference of per-sample log2 values under the generator's model:
    biological and mean technical noise (``technical`` replicates) of ``genes_per_sample``
    gene-equivalents per sample, two samples per difference, averaged over the donors (donor
    effects cancel)."""
    per_gene = GEN.BIO_SD**2 + GEN.TECH_SD**2 / technical
    return math.sqrt(2 * genes_per_sample * per_gene / len(GEN.DONORS))


def _expected(row: dict, efficiency: dict[str, float]) -> float:
    """True log2 fold change as the analysis estimates it: the generator moves Cq by
    d / log2 E for a log2 quantity change d, the analysis multiplies Cq by log2 Ê."""
    truth = GEN.TRUE_LOG2_FC[row["target"]]
    if row["contrast"].endswith("vs control"):
        d = truth[CODES[(row["oxygen"], row["treatment"])]] - truth["NV"]
    else:  # tocilizumab under hypoxia: HT vs HV
        d = truth["HT"] - truth["HV"]
    true_e = GEN.EFFICIENCY.get(row["target"], 2.0)
    return d * math.log2(efficiency[row["target"]]) / math.log2(true_e)


def test_true_fold_changes_are_recovered(results_nd_excluded) -> None:
    """With the isolated non-detect dropped, each estimate lies within 3.5 SD (from the
    generator's noise model) of the truth."""
    sd = _noise(1 + 1 / 2)  # the target plus the mean of two reference genes
    fold = results_nd_excluded.fold_changes
    assert len(fold) == 20
    assert fold["bound"].eq("").all()
    for row in fold.to_dict("records"):
        expected = _expected(row, results_nd_excluded.efficiency)
        assert abs(row["log2_fold_change"] - expected) < 3.5 * sd, row


def test_isolated_nondetect_is_excluded_as_a_failed_well(results, results_nd_excluded) -> None:
    """The undetermined well sits beside replicates that amplified ~7 cycles before the limit:
    it is a failed reaction, excluded with a warning, not censored at 40 (which would drag the
    sample's mean by ~2 cycles and report a bound below the truth)."""
    sample, target, rep = GEN.NONDETECT
    well = _well(sample, target, rep)
    wells = results.wells.set_index("well")
    assert wells.loc[well, "cq_status"] == "undetermined"
    assert wells.loc[well, "exclude_reason"].startswith("isolated non-detect (replicates")
    assert not bool(wells.loc[well, "censored"])
    event = results.qc[results.qc["rule"] == "isolated-non-detect"]
    assert event[["well", "sample", "target", "severity"]].values.tolist() == [
        [well, sample, target, "warn"]
    ]
    group = wells[(wells["sample"] == sample) & (wells["target"] == target)]
    a, b = group["cq"].dropna()
    rep_row = results.replicates.set_index(["sample", "target"]).loc[(sample, target)]
    assert rep_row["cq_mean"] == pytest.approx((a + b) / 2)
    # identical to dropping non-detects altogether, and no fold change is a bound
    assert (results.fold_changes["bound"] == "").all()
    np.testing.assert_allclose(
        results.fold_changes["log2_fold_change"],
        results_nd_excluded.fold_changes["log2_fold_change"], atol=1e-12,
    )  # fmt: skip


def test_rankl_opg_ratio_is_recovered(results_nd_excluded) -> None:
    truth = GEN.TRUE_LOG2_FC

    def log2_ratio(code: str) -> float:
        return truth["TNFSF11"][code] - truth["TNFRSF11B"][code]

    ratios = results_nd_excluded.ratios
    key = ratios[ratios["contrast"] == "tocilizumab under hypoxia"].iloc[0]
    true = log2_ratio("HT") - log2_ratio("HV")
    se = (math.log2(key["fc_ci_high"]) - math.log2(key["fc_ci_low"])) / (2 * T_975_2)
    assert abs(math.log2(key["fold_change"]) - true) < 3 * se
    assert key["fold_change"] < 1  # tocilizumab lowers RANKL/OPG under hypoxia


def test_96_well_variant() -> None:
    out = analyze(
        [EXAMPLE / "quantstudio_96_results.txt"],
        layout=EXAMPLE / "quantstudio_96_layout.csv",
        config=load_config(EXAMPLE / "analysis_96.toml"),
    )
    assert len(out.wells) == 78
    assert set(out.fold_changes["target"]) == {"BMP2"}
    assert out.efficiency["BMP2"] == pytest.approx(1.948)
    assert out.qc["rule"].tolist() == ["ntc-amplification"]
    sd = _noise(1 + 1 / 2, technical=2)
    for row in out.fold_changes.to_dict("records"):
        assert abs(row["log2_fold_change"] - _expected(row, out.efficiency)) < 3.5 * sd
