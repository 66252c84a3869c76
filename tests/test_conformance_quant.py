"""Conformance of the quantification engine with published relative-quantification results.

Each test reproduces a published table through :func:`qpcr.pipeline.analyze` on a tidy CSV
written from the reference data (fixtures and the published numbers:
``tests/data/reference/<case>/PROVENANCE.md``):

* Livak & Schmittgen 2001 / ABI User Bulletin #2, c-myc vs GAPDH (separate and same tube);
* NormqPCR vignette (Perkins et al. 2012), rat TaqMan card, 1 and 3 reference genes;
* NormqPCR ``ComputeNRQs`` on the ReadqPCR example (qBase NRQ with per-gene efficiencies);
* REST 2008 manual example (Pfaffl efficiency-corrected ratio);
* Yuan et al. 2006 ΔΔCt estimate.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qpcr.config import AnalysisConfig
from qpcr.pipeline import Results, analyze

REF = Path(__file__).parent / "data" / "reference"
LIVAK = REF / "livak2001_abi_cmyc_gapdh"
TAQMAN = REF / "normqpcr_taqman_multiref"
NRQ = REF / "readqpcr_nrq_example"


def _analyze(rows: pd.DataFrame, folder: Path, name: str, **settings: object) -> Results:
    path = folder / f"{name}.csv"
    rows.to_csv(path, index=False)
    return analyze([path], config=AnalysisConfig(**settings))


def _one(table: pd.DataFrame, **match: object) -> pd.Series:
    rows = table
    for key, value in match.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, match
    return rows.iloc[0]


# --- Livak & Schmittgen 2001 / ABI User Bulletin #2 ------------------------------------------

TISSUE = ["brain"] * 6 + ["kidney"] * 6
LIVAK_SETTINGS = dict(reference_genes=("GAPDH",), control={"tissue": "brain"})


def _livak_long(ct: pd.DataFrame, same_tube: bool) -> pd.DataFrame:
    """Separate tubes: the six wells of a tissue are replicates of one sample. Same tube: every
    tube is its own sample (ΔCt is taken per tube, as the bulletin does)."""
    frames = []
    for gene, target in (("c_myc", "c-myc"), ("GAPDH", "GAPDH")):
        sample = [f"{t}-{i % 6 + 1}" if same_tube else t for i, t in enumerate(TISSUE)]
        frames.append(pd.DataFrame({"sample": sample, "target": target, "cq": ct[gene],
                                    "tissue": TISSUE}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def separate(tmp_path_factory: pytest.TempPathFactory) -> Results:
    rows = _livak_long(pd.read_csv(LIVAK / "ct1.csv"), same_tube=False)
    return _analyze(rows, tmp_path_factory.mktemp("livak"), "ct1", **LIVAK_SETTINGS)


@pytest.fixture(scope="module")
def same_tube(tmp_path_factory: pytest.TempPathFactory) -> Results:
    rows = _livak_long(pd.read_csv(LIVAK / "ct2.csv"), same_tube=True)
    return _analyze(rows, tmp_path_factory.mktemp("livak"), "ct2", **LIVAK_SETTINGS)


@pytest.mark.parametrize(
    ("tissue", "cmyc", "gapdh", "dct", "ddct", "fold", "low", "high"),
    [("brain", (30.49, 0.15), (23.63, 0.09), (6.86, 0.17), 0.00, 1.0, 0.9, 1.1),
     ("kidney", (27.03, 0.06), (22.66, 0.08), (4.37, 0.10), -2.50, 5.6, 5.3, 6.0)],
)  # fmt: skip
def test_livak_separate_tubes(separate: Results, tissue, cmyc, gapdh, dct, ddct, fold, low, high):
    """User Bulletin #2 / Livak 2001, separate tubes: mean ± SD Ct, ΔCt ± sqrt(SD²+SD²),
    ΔΔCt and 2^−ΔΔCt with the range 2^−(ΔΔCt ± SD), each within one unit of the last printed
    digit (the bulletin rounds −2.495 to −2.50)."""
    rep = separate.replicates
    target = _one(rep, sample=tissue, target="c-myc")
    ref = _one(rep, sample=tissue, target="GAPDH")
    assert (target["cq_mean"], target["cq_sd"]) == pytest.approx(cmyc, abs=0.005)
    assert (ref["cq_mean"], ref["cq_sd"]) == pytest.approx(gapdh, abs=0.005)
    row = _one(separate.samples, sample=tissue)
    sd = math.hypot(target["cq_sd"], ref["cq_sd"])
    assert (row["delta_cq"], sd) == pytest.approx(dct, abs=0.005)
    ddcq = row["delta_cq"] - _one(separate.samples, sample="brain")["delta_cq"]
    assert ddcq == pytest.approx(ddct, abs=0.01)
    assert 2**-ddcq == pytest.approx(fold, abs=0.05)
    assert (2 ** -(ddcq + sd), 2 ** -(ddcq - sd)) == pytest.approx((low, high), abs=0.05)


def test_livak_separate_tubes_engine_fold_change(separate: Results) -> None:
    """The engine's own fold change: one sample per tissue, so no test, FC = 2^2.495."""
    row = _one(separate.fold_changes, target="c-myc")
    assert row["log2_fold_change"] == pytest.approx(30.485 - 23.625 - (27.025 - 22.66), abs=1e-9)
    assert row["fold_change"] == pytest.approx(5.637283, abs=1e-6)  # published 5.6
    assert (row["n"], row["n_ref"]) == (1, 1)
    assert np.isnan(row["p_value"])


@pytest.mark.parametrize(
    ("tissue", "dct", "ddct", "fold", "low", "high"),
    [("brain", (6.99, 0.21), 0.00, 1.0, 0.86, 1.15),
     ("kidney", (4.47, 0.14), -2.53, 5.77, 5.23, 6.37)],
)  # fmt: skip
def test_livak_same_tube(same_tube: Results, tissue, dct, ddct, fold, low, high) -> None:
    """Same tube (multiplex): ΔCt per tube, mean ± SD per tissue; range 2^−(ΔΔCt ± SD).
    The printed values are truncated rather than rounded (6.9967 → 6.99, 5.7757 → 5.77), so
    they are checked within one unit of the last digit; the kidney range computed from the
    data is 5.252–6.364 against the printed 5.23–6.37, hence 0.03 on the range ends."""
    s = same_tube.samples
    mine = s[s["tissue"] == tissue]["delta_cq"]
    brain = s[s["tissue"] == "brain"]["delta_cq"]
    assert len(mine) == 6
    assert (mine.mean(), mine.std()) == pytest.approx(dct, abs=0.01)
    ddcq = mine.mean() - brain.mean()
    assert ddcq == pytest.approx(ddct, abs=0.01)
    assert 2**-ddcq == pytest.approx(fold, abs=0.01)
    sd = mine.std()
    assert (2 ** -(ddcq + sd), 2 ** -(ddcq - sd)) == pytest.approx((low, high), abs=0.03)


def test_livak_same_tube_engine_fold_change(same_tube: Results) -> None:
    """Engine: kidney vs brain, n = 6 tubes each, Welch t on ΔCt; checked against scipy."""
    from scipy import stats

    row = _one(same_tube.fold_changes, target="c-myc")
    assert (row["n"], row["n_ref"]) == (6, 6)
    assert row["log2_fold_change"] == pytest.approx(2.53, abs=1e-9)  # 6.996667 − 4.466667
    assert row["fold_change"] == pytest.approx(5.775717, abs=1e-6)  # published 5.77
    s = same_tube.samples
    kidney = -s[s["tissue"] == "kidney"]["delta_cq"]
    brain = -s[s["tissue"] == "brain"]["delta_cq"]
    ref = stats.ttest_ind(kidney, brain, equal_var=False)
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    ci = ref.confidence_interval(0.95)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((2**ci.low, 2**ci.high), rel=1e-9)


def _livak_multiplex(ct: pd.DataFrame) -> pd.DataFrame:
    """Same tube, as an instrument exports it: one sample per tissue, six wells each, and in
    every well two rows (c-myc and GAPDH, two reporters) under the same well name."""
    wells = [f"A{i + 1}" if i < 6 else f"B{i - 5}" for i in range(12)]
    frames = [pd.DataFrame({"well": wells, "sample": TISSUE, "target": target, "cq": ct[gene],
                            "tissue": TISSUE})
              for gene, target in (("c_myc", "c-myc"), ("GAPDH", "GAPDH"))]  # fmt: skip
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def multiplex(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Results]:
    rows = _livak_multiplex(pd.read_csv(LIVAK / "ct2.csv"))
    folder = tmp_path_factory.mktemp("livak")
    return {pairing: _analyze(rows, folder, f"ct2_{pairing}", pairing=pairing, **LIVAK_SETTINGS)
            for pairing in ("well", "auto", "sample")}  # fmt: skip


@pytest.mark.parametrize(("tissue", "dct"), [("brain", (6.99, 0.21)), ("kidney", (4.47, 0.14))])
def test_livak_same_tube_pairing_well(multiplex: dict[str, Results], tissue, dct) -> None:
    """Same tube, pairing = "well": ΔCt per well, then mean ± SD over the six wells of the
    tissue's one sample, as the bulletin prints them (truncated: 6.9967 → 6.99; SD 0.2103 and
    0.1425, computed here from the table); "auto" finds the multiplex wells by itself."""
    ct = pd.read_csv(LIVAK / "ct2.csv")
    part = ct[np.array(TISSUE) == tissue]
    per_well = part["c_myc"] - part["GAPDH"]
    for pairing in ("well", "auto"):
        row = _one(multiplex[pairing].samples, sample=tissue, target="c-myc")
        assert row["delta_cq"] == pytest.approx(dct[0], abs=0.01)
        assert row["delta_cq_sd"] == pytest.approx(dct[1], abs=0.005)
        assert row["delta_cq_sd"] == pytest.approx(per_well.std(), rel=1e-12)
        assert row["se_log2_rq"] == pytest.approx(per_well.std() / math.sqrt(6), rel=1e-12)
        assert row["n_used"] == 6
    assert any("per well" in note for note in multiplex["auto"].notes)
    from qpcr.report.summary import methods_text

    assert "taken per well (target and reference" in methods_text(multiplex["well"])


def test_livak_same_tube_pairing_sample(multiplex: dict[str, Results]) -> None:
    """pairing = "sample" ignores the wells: the same mean ΔCt, but the SE comes from the two
    genes' replicate SDs (√(SD_myc² + SD_GAPDH²)/√6), which ignores the per-tube pairing."""
    ct = pd.read_csv(LIVAK / "ct2.csv")
    brain = ct[np.array(TISSUE) == "brain"]
    row = _one(multiplex["sample"].samples, sample="brain", target="c-myc")
    assert row["delta_cq"] == pytest.approx((brain["c_myc"] - brain["GAPDH"]).mean(), rel=1e-12)
    se = math.hypot(brain["c_myc"].std(), brain["GAPDH"].std()) / math.sqrt(6)
    assert row["se_log2_rq"] == pytest.approx(se, rel=1e-12)
    assert "delta_cq_sd" not in multiplex["sample"].samples
    from qpcr.report.summary import methods_text

    # "per well" alone also appears in the default poisson rule's sentence (1-10 copies per well)
    assert "taken per well" not in methods_text(multiplex["sample"])


def test_pairing_well_refused_for_separate_tubes(tmp_path: Path) -> None:
    """Separate tubes hold no reference in the target's wells: "well" is refused with a hint,
    "auto" falls back to per-sample ΔCq."""
    from qpcr.errors import QpcrError

    rows = _livak_long(pd.read_csv(LIVAK / "ct1.csv"), same_tube=False)
    rows["well"] = [f"{r}{i + 1}" for r in "AB" for i in range(12)]
    with pytest.raises(QpcrError, match="pairing = 'well'") as info:
        _analyze(rows, tmp_path, "ct1", pairing="well", **LIVAK_SETTINGS)
    assert 'pairing = "sample"' in info.value.hint
    auto = _analyze(rows, tmp_path, "ct1_auto", **LIVAK_SETTINGS)
    assert "delta_cq_sd" not in auto.samples


# --- NormqPCR TaqMan card (Perkins et al. 2012; NormqPCR vignette 5.1-5.4) -------------------

ACTB, B2M, GAPDH = "Actb.Rn00667869_m1", "B2m.Rn00560865_m1", "Gapdh.Rn99999916_s1"
ADIPOQ, ADRBK1 = "Adipoq.Rn00595250_m1", "Adrbk1.Rn00562822_m1"
AGTRL1, ALPL = "Agtrl1.Rn00580252_s1", "Alpl.Rn00564931_m1"
CARD_SAMPLES = ["fp1.day3.v", "fp2.day3.v", "fp5.day3.mia", "fp6.day3.mia", "fp.3.day.3.v",
                "fp.4.day.3.v", "fp.7.day.3.mia", "fp.8.day.3.mia"]  # fmt: skip
NA = float("nan")
# vignette 5.1, deltaCq(hkgs = Actb): per sample, in CARD_SAMPLES order
DCQ_ACTB = {
    ADIPOQ: [0.016052, -0.116520, 2.933523, 2.540987, -0.178971, -0.563263, 2.458509, 2.736475],
    ADRBK1: [NA, NA, 6.566628, 6.642561, NA, NA, 3.737100, 6.873568],
    AGTRL1: [4.899380, 5.035841, 6.397364, 5.680837, 5.220796, 4.425364, 4.794776, 5.345202],
    ALPL: [12.531942, 11.808657, 13.035166, 12.239549, 12.394802, 11.772896, 12.110000,
           12.255186],
    B2M: [0.741558, 0.890717, 2.040470, 2.234605, 0.505516, 0.877598, 1.927563, 1.903269],
}  # fmt: skip
# vignette 5.2, deltaCq(hkgs = Actb, B2m, Gapdh, calc = "arith")
DCQ_THREE = {
    ADIPOQ: [-1.2838397, -1.3982163, 1.553227, 1.0303673, -1.3434327, -1.7346857, 1.134797,
             1.450198],
    ADRBK1: [NA, NA, 5.186332, 5.1319413, NA, NA, 2.413388, 5.587291],
    AGTRL1: [3.5994883, 3.7541447, 5.017068, 4.1702173, 4.0563343, 3.2539413, 3.471064,
             4.058925],
    ALPL: [11.2320503, 10.5269607, 11.654870, 10.7289293, 11.2303403, 10.6014733, 10.786288,
           10.968909],
}  # fmt: skip


@pytest.fixture(scope="module")
def card_rows() -> pd.DataFrame:
    matrix = pd.read_csv(TAQMAN / "taqman_example_ct_matrix.csv", index_col="detector")
    groups = pd.read_csv(TAQMAN / "sample_groups.csv").set_index("sample")["group"]
    assert list(matrix.columns) == CARD_SAMPLES
    rows = matrix.melt(ignore_index=False, var_name="sample", value_name="cq").reset_index()
    rows = rows.rename(columns={"detector": "target"})
    rows["cq"] = rows["cq"].astype(object).where(rows["cq"].notna(), "Undetermined")
    rows["group"] = rows["sample"].map(groups)
    return rows


@pytest.fixture(scope="module")
def card(card_rows: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("taqman")
    common = dict(control={"group": "control"}, test="welch")
    return {
        1: _analyze(card_rows, folder, "one", reference_genes=(ACTB,), **common),
        3: _analyze(card_rows, folder, "three", reference_genes=(ACTB, B2M, GAPDH), **common),
    }


def _dcq(results: Results) -> pd.DataFrame:
    s = results.samples
    wide = s.pivot(index="target", columns="sample", values="delta_cq")[CARD_SAMPLES]
    censored = s.pivot(index="target", columns="sample", values="censored")[CARD_SAMPLES]
    return wide.where(~censored.astype(bool))


@pytest.mark.parametrize(("n_refs", "published"), [(1, DCQ_ACTB), (3, DCQ_THREE)])
def test_normqpcr_delta_cq(card: dict, n_refs: int, published: dict) -> None:
    """NormqPCR vignette 5.1 (Actb) and 5.2 (mean of Actb, B2m, Gapdh): per-sample ΔCq to the
    printed 6-7 digits; 'Undetermined' (NA in NormqPCR) stays a censored non-detect here."""
    dcq = _dcq(card[n_refs])
    for target, values in published.items():
        np.testing.assert_allclose(dcq.loc[target], values, atol=1e-6, err_msg=target)
    assert len(dcq) == 96 - n_refs


def test_normqpcr_three_references_fold_change(card: dict) -> None:
    """Vignette 5.4: deltaDeltaCq(hkgs = 3 genes, statCalc = "arith", paired): 2^−ΔΔCq and
    its min/max 2^−(ΔΔCq ± SD of the case ΔCq); group 2^−ΔCq and SDs from the samples table."""
    published = {  # target: 2^-ddCt, min, max, case 2^-dCt, control 2^-dCt, case SD, control SD
        ADIPOQ: (0.150497255530234, 0.1266, 0.178884, 0.4083, 2.713, 0.24929, 0.201905),
        AGTRL1: (0.700597907024805, 0.4505, 1.089636, 0.05520, 0.07878, 0.63719, 0.333840),
        ALPL: (0.909381199520663, 0.6769, 1.221662, 4.767e-4, 5.242e-4, 0.42589, 0.386280),
    }
    res = card[3]
    s = res.samples
    for target, (fc, low, high, case, ctrl, sd_case, sd_ctrl) in published.items():
        row = _one(res.fold_changes, target=target)
        assert row["fold_change"] == pytest.approx(fc, rel=1e-9)
        dcq = s[s["target"] == target].set_index("group")["delta_cq"]
        assert 2 ** -dcq["case"].mean() == pytest.approx(case, rel=5e-4)
        assert 2 ** -dcq["control"].mean() == pytest.approx(ctrl, rel=5e-4)
        assert dcq["case"].std() == pytest.approx(sd_case, abs=5e-6)
        assert dcq["control"].std() == pytest.approx(sd_ctrl, abs=5e-7)
        ddcq = -row["log2_fold_change"]
        sd = dcq["case"].std()
        assert 2 ** -(ddcq + sd) == pytest.approx(low, abs=5e-5)
        assert 2 ** -(ddcq - sd) == pytest.approx(high, abs=5e-7)


def test_normqpcr_three_references_separate_wells_spread(card: dict) -> None:
    """Vignette 5.4, ``paired = FALSE`` (Livak's separate-wells SD): case SD = sqrt(SD(Cq of the
    detector)² + SD(mean reference Cq)²) over the case samples, from the engine's ``cq_mean``
    and ``ref_cq``; range 2^−(ΔΔCq ± that SD). The 2^−ΔΔCq itself is the paired one above."""
    published = {  # target: case SD, control SD, min, max
        ADIPOQ: (0.4822, 0.2495, 0.1077, 0.210221),
        AGTRL1: (0.6905, 0.2813, 0.4341, 1.130625),
        ALPL: (0.5846, 0.3689, 0.6064, 1.363762),
    }
    res = card[3]
    s = res.samples
    for target, (sd_case, sd_ctrl, low, high) in published.items():
        rows = s[s["target"] == target]
        sd = {
            g: math.hypot(r["cq_mean"].std(), r["ref_cq"].std()) for g, r in rows.groupby("group")
        }
        assert (sd["case"], sd["control"]) == pytest.approx((sd_case, sd_ctrl), abs=5e-5)
        ddcq = -_one(res.fold_changes, target=target)["log2_fold_change"]
        assert 2 ** -(ddcq + sd["case"]) == pytest.approx(low, abs=5e-5)
        assert 2 ** -(ddcq - sd["case"]) == pytest.approx(high, abs=5e-7)


def test_normqpcr_fold_change_matches_their_formula_on_every_complete_detector(
    card: dict,
) -> None:
    """Independent re-implementation of NormqPCR's ``statCalc = "arith"`` ΔΔCq (mean Cq of the
    detector minus mean of the per-sample reference mean, case − control) over all 70-odd
    detectors with no undetermined well: the engine's log2 FC equals −ΔΔCq."""
    matrix = pd.read_csv(TAQMAN / "taqman_example_ct_matrix.csv", index_col="detector")
    case = [c for c in CARD_SAMPLES if "mia" in c]
    ctrl = [c for c in CARD_SAMPLES if c not in case]
    hkg = matrix.loc[[ACTB, B2M, GAPDH]].mean()
    complete = matrix.drop(index=[ACTB, B2M, GAPDH]).dropna()
    ddcq = (complete[case].mean(axis=1) - hkg[case].mean()) - (
        complete[ctrl].mean(axis=1) - hkg[ctrl].mean()
    )
    fold = card[3].fold_changes.set_index("target")["log2_fold_change"]
    assert len(complete) > 60
    np.testing.assert_allclose(fold[complete.index], -ddcq, atol=1e-9)


def test_normqpcr_single_reference_geom_statistic(card: dict) -> None:
    """Vignette 5.3 (Actb, statCalc = "geom"): NormqPCR's 2^−ΔΔCq is the ratio of the
    ARITHMETIC group means of 2^−ΔCq; recomputed from the engine's ``rel_quantity`` it matches
    to 1e-9. The engine's own fold change is the ratio of GEOMETRIC means (methods.md §2.2,
    T23), which for Adipoq is 0.136026, not 0.135542."""
    published = {ADIPOQ: 0.135541545192243, AGTRL1: 0.669721905042939,
                 ALPL: 0.823327272466571, B2M: 0.413128242070071}  # fmt: skip
    res = card[1]
    s = res.samples
    for target, value in published.items():
        rq = s[s["target"] == target].groupby("group")["rel_quantity"]
        assert rq.mean()["case"] / rq.mean()["control"] == pytest.approx(value, rel=1e-9)
        log2 = np.log2(s[s["target"] == target].groupby("group")["rel_quantity"].apply(
            lambda v: np.exp(np.log(v).mean())))  # fmt: skip
        row = _one(res.fold_changes, target=target)
        assert row["log2_fold_change"] == pytest.approx(log2["case"] - log2["control"], abs=1e-12)
    assert _one(res.fold_changes, target=ADIPOQ)["fold_change"] == pytest.approx(0.136026, abs=1e-6)


def test_normqpcr_undetected_in_controls_is_not_a_number(card: dict) -> None:
    """Adrbk1 is undetermined in all four controls; NormqPCR prints '+' (up, no ratio). The
    engine gives no fold change and says why."""
    for res in card.values():
        row = _one(res.fold_changes, target=ADRBK1)
        assert np.isnan(row["fold_change"])
        assert row["note"] == "not detected in the control group"


def test_normqpcr_raw_sds_export_reads_as_readqpcr_does() -> None:
    """The original SDS 2.1 export (the vignette's input) read by the instrument reader gives
    the Ct matrix ReadqPCR::read.taqman produced: 96 detectors × 8 samples, 99 Undetermined."""
    from qpcr.io import read_run

    matrix = pd.read_csv(TAQMAN / "taqman_example_ct_matrix.csv", index_col="detector")
    wells = read_run(TAQMAN / "taqman_sds21_example.txt").wells
    assert len(wells) == 96 * 8
    assert wells["cq_status"].eq("undetermined").sum() == 99
    # R's make.names: '-' and ' ' become '.', a leading digit gets an 'X'
    target = wells["target"].str.replace("-", ".", regex=False)
    target = target.where(~target.str[0].str.isdigit(), "X" + target)
    wells = wells.assign(target=target, sample=wells["sample"].str.replace(" ", ".", regex=False))
    got = wells.pivot(index="target", columns="sample", values="cq")
    np.testing.assert_allclose(got.loc[matrix.index, CARD_SAMPLES], matrix, atol=1e-6)


# --- ReadqPCR example, NormqPCR ComputeNRQs (qBase model, Hellemans 2007) ---------------------


@pytest.fixture(scope="module")
def nrq(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, pd.DataFrame, pd.Series]:
    raw = pd.read_csv(NRQ / "qPCR.example.txt", sep=r"\s+")
    eff = pd.read_csv(NRQ / "efficiencies_by_gene.csv").set_index("gene")["efficiency"]
    raw_eff = pd.read_csv(NRQ / "Efficiencies.txt", sep=r"\s+")["efficiency"]
    np.testing.assert_array_equal(eff.to_numpy(), raw_eff.to_numpy())
    assert list(eff.index) == sorted(eff.index)
    rows = pd.DataFrame({"sample": raw["Sample"], "target": raw["Detector"], "cq": raw["Cq"],
                         "group": raw["Sample"].str[:-1]})  # fmt: skip
    res = _analyze(rows, tmp_path_factory.mktemp("nrq"), "nrq",
                   reference_genes=("gene_az", "gene_gx"), control={"group": "control"},
                   efficiency=eff.to_dict(), outlier_rule="none")  # fmt: skip
    return res, raw, eff


# NormqPCR vignette 5.5, exprs(ComputeNRQs(...)); the two reference genes left out
PUBLISHED_NRQ = pd.read_csv(
    io.StringIO("""gene caseA caseB controlA controlB
gene_ai 1.9253072 1.3586729 0.6479659 0.8749479
gene_bc 1.1024935 0.7193500 0.7030487 1.2140836
gene_by 1.5102316 0.9573047 0.7527082 1.6008850
gene_dh 1.2982037 1.0722522 0.9623335 0.9392871
gene_dm 0.6590246 1.1690720 1.2475372 0.9366210
gene_dq 0.7541955 0.7036408 0.8327917 1.6165326
gene_dr 2.2192305 1.0581211 0.7026411 0.6900584
gene_eg 0.9366671 0.5800339 0.8313720 1.1848856
gene_er 0.5269062 0.9375427 0.6953326 2.3195978
gene_ev 1.4622280 2.3457021 0.9038912 1.1454535
gene_fr 1.4954763 1.6200792 0.9641192 0.7295680
gene_fw 0.6944248 0.8051075 1.5698382 0.7978611
gene_hl 1.0009372 1.4015267 0.7683665 0.7713712
gene_il 1.4632019 1.2595559 0.7216891 0.9318860
gene_iv 1.7263335 1.2275001 1.5464212 0.8881605
gene_jr 0.8984351 0.9834026 0.8754813 0.6637941
gene_jw 1.4655948 0.9340184 1.0505200 1.5504136
gene_qs 0.6730225 0.7610418 1.0665938 3.5329891
gene_qy 0.5287127 1.5722670 1.0615326 3.3252907
gene_rz 0.8690600 1.5588299 0.7287288 1.4812753
gene_sw 0.5975288 1.2406438 0.6982954 1.6007333
gene_vx 0.6942254 0.7168408 2.0253177 1.3190943
gene_xz 0.7668030 1.0218209 0.6136038 1.6729352
"""),
    sep=" ",
    index_col="gene",
)


def test_qbase_nrq_against_computenrqs(nrq: tuple[Results, pd.DataFrame, pd.Series]) -> None:
    """What is compared: NRQ(g, s) / NRQ(g, controlA), i.e. calibrated to sample controlA, which
    removes every per-gene constant (qBase's Cq̄_g, the engine's lack of it). ComputeNRQs
    centres each Cq on the mean Cq of its SAMPLE over all 25 genes (``colMeans``) instead of the
    gene's mean, which adds m_s·(log2 E_g − mean_r log2 E_r) to log2 NRQ (see PROVENANCE.md);
    that term is added to the engine's ``log2_rq`` before comparing. Agreement is to the
    published 8 digits for all 23 genes × 4 samples."""
    res, raw, eff = nrq
    log2_rq = res.samples.pivot(index="target", columns="sample", values="log2_rq")
    log2_rq = log2_rq.loc[PUBLISHED_NRQ.index, PUBLISHED_NRQ.columns]
    m = raw.groupby(["Detector", "Sample"])["Cq"].mean().unstack().mean()  # per-sample mean Cq
    log2e = np.log2(eff)
    shift = np.outer(log2e[PUBLISHED_NRQ.index] - log2e[["gene_az", "gene_gx"]].mean(), m[
        PUBLISHED_NRQ.columns])  # fmt: skip
    ours = log2_rq + shift
    ours = 2.0 ** ours.sub(ours["controlA"], axis=0)
    theirs = PUBLISHED_NRQ.div(PUBLISHED_NRQ["controlA"], axis=0)
    np.testing.assert_allclose(ours, theirs, rtol=2e-7)
    # without ComputeNRQs' per-sample term the two disagree by up to 0.8 %
    plain = 2.0 ** log2_rq.sub(log2_rq["controlA"], axis=0)
    assert np.abs(plain / theirs - 1).to_numpy().max() > 0.005


def test_qbase_nrq_is_efficiency_weighted(nrq: tuple[Results, pd.DataFrame, pd.Series]) -> None:
    """The engine's log2 RQ equals the qBase log2 NRQ computed from the replicate means with
    per-gene Cq̄_g (Hellemans 2007, methods.md §2.6) up to one constant per gene."""
    res, raw, eff = nrq
    cq = raw.groupby(["Detector", "Sample"])["Cq"].mean().unstack()
    log2_rq_qbase = cq.rsub(cq.mean(axis=1), axis=0).mul(np.log2(eff), axis=0)
    nf = log2_rq_qbase.loc[["gene_az", "gene_gx"]].mean()
    qbase = (log2_rq_qbase - nf).loc[PUBLISHED_NRQ.index]
    ours = res.samples.pivot(index="target", columns="sample", values="log2_rq")
    diff = (ours.loc[qbase.index, qbase.columns] - qbase).to_numpy()
    np.testing.assert_allclose(diff - diff[:, :1], 0.0, atol=1e-9)
    assert np.ptp(diff[:, 0]) > 1  # the per-gene constants really differ


# --- REST 2008 manual example (Pfaffl 2001 ratio) --------------------------------------------


def test_rest_pfaffl_ratio(tmp_path: Path) -> None:
    """REST 2008 manual example: ratio = E_TAR^ΔCP_TAR / E_REF^ΔCP_REF, ΔCP = mean control −
    mean sample, E_TAR = 2.01, E_REF = 1.97 (Pfaffl 2001 eq. 1; Pfaffl et al. 2002). By hand:
    ΔCP_TAR = 2.8475, ΔCP_REF = 0.3075, 2.01^2.8475 / 1.97^0.3075 = 7.300469 / 1.231823
    = 5.926556. Replicate i of REF and TAR form a sample (REST does not pair them; the group
    means, and hence the ratio, do not depend on the pairing)."""
    d = pd.read_csv(REF / "rest2008" / "rest_example_cq.csv")
    sample = d["condition"] + "-" + d["replicate"].astype(str)
    rows = pd.DataFrame({"sample": sample, "target": d["gene"], "cq": d["cq"],
                         "condition": d["condition"]})  # fmt: skip
    eff = d.groupby("gene")["efficiency_factor"].first().to_dict()
    res = _analyze(rows, tmp_path, "rest", reference_genes=("REF",),
                   control={"condition": "control"}, efficiency=eff)  # fmt: skip
    row = _one(res.fold_changes, target="TAR")
    assert (row["n"], row["n_ref"]) == (10, 8)
    assert row["fold_change"] == pytest.approx(5.926556, abs=1e-6)
    assert row["fold_change"] == pytest.approx(2.01**2.8475 / 1.97**0.3075, rel=1e-12)
    plain = _analyze(rows, tmp_path, "rest_e2", reference_genes=("REF",),
                     control={"condition": "control"})  # fmt: skip
    assert _one(plain.fold_changes, target="TAR")["fold_change"] == pytest.approx(
        2 ** (2.8475 - 0.3075), rel=1e-12
    )


# --- Yuan et al. 2006 ------------------------------------------------------------------------


def test_yuan_ddct_estimate(tmp_path: Path) -> None:
    """Yuan 2006 (pcr vignette Table 6): ΔΔCt = −0.6848 (treatment − control, ΔCt = MT7 −
    ubiquitin per row), t-test CI (−0.955, −0.4147); the engine reports log2 FC = −ΔΔCt and,
    with test = "student", the same interval negated."""
    d = pd.read_csv(REF / "yuan2006" / "ct4.csv")
    group = np.repeat(["control", "treatment"], 12)
    sample = [f"{g}-{i % 12 + 1}" for i, g in enumerate(group)]
    rows = pd.concat([pd.DataFrame({"sample": sample, "target": "MT7", "cq": d["target"],
                                    "group": group}),
                      pd.DataFrame({"sample": sample, "target": "UBQ", "cq": d["ref"],
                                    "group": group})])  # fmt: skip
    res = _analyze(rows, tmp_path, "yuan", reference_genes=("UBQ",),
                   control={"group": "control"}, test="student")  # fmt: skip
    row = _one(res.fold_changes, target="MT7")
    assert row["log2_fold_change"] == pytest.approx(0.6848, abs=5e-5)
    ci = (math.log2(row["ci_low"]), math.log2(row["ci_high"]))
    assert ci == pytest.approx((0.4147, 0.955), abs=5e-5)
    assert row["p_value"] < 1e-4
