"""Several plates: layout pairing, inter-run calibration (methods.md §2.6, T09), per-plate
control calibration, the strategy choice and the two-plate example."""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qpcr.config import AnalysisConfig, load_config
from qpcr.errors import (
    AnalysisError,
    ConfigError,
    DesignError,
    LayoutMismatchError,
    MissingControlError,
)
from qpcr.io import read_run
from qpcr.layout import join_layout, load_layout
from qpcr.plates import (
    inter_run_calibration,
    irc_sample_names,
    match_layouts,
    per_plate_calibration,
    plate_strategy,
    stack_layouts,
)
from qpcr.quant import normalise, summarise_replicates

EXAMPLE = Path(__file__).parents[1] / "examples" / "two_plates"
CONTROL = {"oxygen": "normoxia", "treatment": "vehicle"}


def _t09(se: bool = False) -> pd.DataFrame:
    """methods.md T09: run 1 IRC NRQs 1.20/0.80; run 2 1.50/1.00 and a sample at 2.0."""
    frame = pd.DataFrame(
        {
            "plate": ["run1", "run1", "run2", "run2", "run2"],
            "sample": ["IRC1", "IRC2", "IRC1", "IRC2", "S1"],
            "target": "G",
            "log2_rq": np.log2([1.20, 0.80, 1.50, 1.00, 2.0]),
        }
    )
    frame["se_log2_rq"] = [0.10, 0.08, 0.12, 0.06, 0.05] if se else np.nan
    return frame


# --- T09 and the qBase error propagation ---------------------------------------------------


def test_t09_calibration_factors_and_cnrq() -> None:
    out, cf = inter_run_calibration(_t09(), irc_samples=["IRC1", "IRC2"])
    factors = cf.set_index("plate")
    assert factors.loc["run1", "cf"] == pytest.approx(0.979796, abs=1e-6)
    assert factors.loc["run2", "cf"] == pytest.approx(1.224745, abs=1e-6)
    assert factors["n_irc"].tolist() == [2, 2]
    assert factors.loc["run2", "log2_cf"] == pytest.approx(0.5 * math.log2(1.5), abs=1e-12)
    cnrq = 2.0 ** out.set_index(["plate", "sample"])["log2_rq_calibrated"]
    assert cnrq[("run2", "S1")] == pytest.approx(1.632993, abs=1e-6)
    # the T09 identity: IRC1 calibrated is 1.224745 in both runs (scaling: IRC geometric mean 1)
    assert cnrq[("run1", "IRC1")] == pytest.approx(1.224745, abs=1e-6)
    assert cnrq[("run2", "IRC1")] == pytest.approx(1.224745, abs=1e-6)
    assert cnrq[("run1", "IRC2")] == pytest.approx(cnrq[("run2", "IRC2")], abs=1e-12)
    assert out["irc"].tolist() == [True, True, True, True, False]
    # input columns untouched
    pd.testing.assert_series_equal(out["log2_rq"], _t09()["log2_rq"])


def test_se_follows_qbase_linear_formula() -> None:
    """SE(log2 CNRQ) equals qBase's linear SE_CNRQ / (CNRQ ln 2), with SE_CF of the geometric
    mean obtained independently by numerical first-order propagation."""
    samples = _t09(se=True)
    out, cf = inter_run_calibration(samples, irc_samples=["IRC1", "IRC2"])
    # hand values: SE(log2 CF run2) = sqrt(0.12² + 0.06²)/2; sample: sqrt(0.05² + that²)
    se_cf2 = math.sqrt(0.12**2 + 0.06**2) / 2
    assert cf.set_index("plate").loc["run2", "se_log2_cf"] == pytest.approx(se_cf2, abs=1e-12)
    row = out.set_index("sample").loc["S1"]
    assert row["se_log2_rq_calibrated"] == pytest.approx(math.hypot(0.05, se_cf2), abs=1e-12)
    assert row["se_log2_rq_calibrated"] == pytest.approx(0.0836660, abs=1e-7)

    nrq = np.array([2.0, 1.50, 1.00])  # sample, IRC1, IRC2 of run 2
    se_lin = nrq * math.log(2) * np.array([0.05, 0.12, 0.06])  # SE of NRQ from SE of log2 NRQ

    def cnrq(x: np.ndarray) -> float:
        return x[0] / math.sqrt(x[1] * x[2])

    grad = np.array(
        [(cnrq(nrq + h) - cnrq(nrq - h)) / (2 * 1e-6) for h in np.eye(3) * 1e-6]
    )  # central differences
    se_cnrq = math.sqrt(np.sum((grad * se_lin) ** 2))
    cf2 = math.sqrt(1.5)
    se_cf_lin = cf2 * math.sqrt((se_lin[1] / nrq[1]) ** 2 + (se_lin[2] / nrq[2]) ** 2) / 2
    qbase = cnrq(nrq) * math.sqrt((se_lin[0] / nrq[0]) ** 2 + (se_cf_lin / cf2) ** 2)
    assert se_cnrq == pytest.approx(qbase, rel=1e-6)
    assert row["se_log2_rq_calibrated"] == pytest.approx(qbase / (cnrq(nrq) * math.log(2)), 1e-6)


def test_one_unknown_se_makes_the_cf_se_unknown() -> None:
    frame = _t09(se=True)
    frame.loc[3, "se_log2_rq"] = np.nan  # IRC2 of run 2 from a single well
    out, cf = inter_run_calibration(frame, irc_samples=["IRC1", "IRC2"])
    se_cf = cf.set_index("plate")["se_log2_cf"]
    assert se_cf["run1"] == pytest.approx(math.hypot(0.10, 0.08) / 2)
    assert np.isnan(se_cf["run2"])
    assert np.isnan(out.set_index("sample").loc["S1", "se_log2_rq_calibrated"])


def test_without_se_column() -> None:
    frame = _t09().drop(columns="se_log2_rq")
    out, cf = inter_run_calibration(frame, irc_samples=["IRC1", "IRC2"], se=None)
    assert "se_log2_rq_calibrated" not in out
    assert cf["se_log2_cf"].isna().all()
    assert 2.0 ** out["log2_rq_calibrated"].iloc[-1] == pytest.approx(1.632993, abs=1e-6)


# --- properties -------------------------------------------------------------------------------

_cq = st.floats(15.0, 35.0, allow_nan=False)


@st.composite
def _two_plate_replicates(draw: st.DrawFn) -> pd.DataFrame:
    """Mean Cq of IRC1, IRC2, S1, S2 × GOI1, GOI2, REF1, REF2 on plates P1 and P2."""
    rows = []
    for plate in ("P1", "P2"):
        for sample in ("IRC1", "IRC2", "S1", "S2"):
            for target in ("GOI1", "GOI2", "REF1", "REF2"):
                rows.append(
                    {
                        "plate": plate,
                        "sample": sample,
                        "target": target,
                        "cq_mean": draw(_cq),
                        "cq_se": draw(st.floats(0.0, 0.3)),
                    }
                )
    return pd.DataFrame(rows)


def _normalised(replicates: pd.DataFrame, efficiency: dict[str, float]) -> pd.DataFrame:
    return pd.concat(
        [normalise(g, ["REF1", "REF2"], efficiency) for _, g in replicates.groupby("plate")],
        ignore_index=True,
    )


@given(
    _two_plate_replicates(),
    st.sampled_from(["P1", "P2"]),
    st.sampled_from(["GOI1", "GOI2", "REF1", "REF2"]),
    st.floats(-5.0, 5.0),
    st.fixed_dictionaries({t: st.floats(1.8, 2.1) for t in ("GOI1", "GOI2", "REF1", "REF2")}),
)
def test_plate_target_shift_changes_no_calibrated_value(
    replicates: pd.DataFrame, plate: str, target: str, shift: float, efficiency: dict
) -> None:
    """A constant added to every Cq of one plate's target (a reference gene included) is a run
    effect: it changes no IRC-calibrated value, nor any SE (efficiency SE is 0 here)."""
    before, _ = inter_run_calibration(
        _normalised(replicates, efficiency), irc_samples=["IRC1", "IRC2"]
    )
    moved = replicates.copy()
    hit = moved["plate"].eq(plate) & moved["target"].eq(target)
    moved.loc[hit, "cq_mean"] += shift
    after, _ = inter_run_calibration(_normalised(moved, efficiency), irc_samples=["IRC1", "IRC2"])
    np.testing.assert_allclose(after["log2_rq_calibrated"], before["log2_rq_calibrated"], atol=1e-9)
    np.testing.assert_allclose(after["se_log2_rq_calibrated"], before["se_log2_rq_calibrated"])
    # ... while the uncalibrated values of that plate move (by shift · log2 E, halved for a
    # reference gene of two)
    on_plate = after["plate"].eq(plate).to_numpy()
    moved_by = (after["log2_rq"] - before["log2_rq"]).to_numpy()[on_plate]
    assert np.abs(moved_by).max() >= 0.4 * abs(shift) - 1e-9


@given(
    st.lists(st.floats(-8, 8), min_size=3, max_size=3),
    st.floats(-4, 4),
)
def test_irc_calibrated_values_agree_between_plates(log2_irc: list, shift: float) -> None:
    """Generalised T09 identity: when plate 2 is plate 1 shifted by a constant, every IRC (and a
    sample measured on both) has the same calibrated value on both plates."""
    names = ["IRC1", "IRC2", "IRC3"]
    frame = pd.DataFrame(
        {
            "plate": ["A"] * 4 + ["B"] * 4,
            "sample": [*names, "S"] * 2,
            "target": "G",
            "log2_rq": [*log2_irc, 1.5, *(v + shift for v in log2_irc), 1.5 + shift],
            "se_log2_rq": 0.1,
        }
    )
    out, cf = inter_run_calibration(frame, irc_samples=names)
    a, b = (out[out["plate"].eq(p)]["log2_rq_calibrated"].to_numpy() for p in "AB")
    np.testing.assert_allclose(a, b, atol=1e-9)
    assert cf["log2_cf"].diff().iloc[1] == pytest.approx(shift, abs=1e-9)
    assert np.mean(a[:3]) == pytest.approx(0.0, abs=1e-9)  # IRC geometric mean is 1


@given(_two_plate_replicates(), st.sampled_from(["P1", "P2"]), st.floats(-5.0, 5.0))
def test_per_plate_calibration_removes_a_plate_target_shift(
    replicates: pd.DataFrame, plate: str, shift: float
) -> None:
    samples = _normalised(replicates, {}).assign(
        oxygen=lambda t: np.where(t["sample"].isin(["IRC1", "S1"]), "normoxia", "hypoxia"),
        treatment="vehicle",
    )
    before, _ = per_plate_calibration(samples, control=CONTROL)
    moved = samples.copy()
    moved.loc[moved["plate"].eq(plate) & moved["target"].eq("GOI1"), "log2_rq"] += shift
    after, _ = per_plate_calibration(moved, control=CONTROL)
    np.testing.assert_allclose(after["log2_rq_calibrated"], before["log2_rq_calibrated"], atol=1e-9)


# --- per-plate control calibration -----------------------------------------------------------


def _control_plates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "plate": ["p1"] * 3 + ["p2"] * 3,
            "sample": ["c1", "c2", "t1", "c3", "c4", "t2"],
            "target": "G",
            "oxygen": ["normoxia", "normoxia", "hypoxia"] * 2,
            "treatment": "vehicle",
            "log2_rq": [1.0, 3.0, 4.0, -1.0, 0.0, 2.5],
            "se_log2_rq": [0.3, 0.4, 0.1, 0.2, 0.2, 0.1],
        }
    )


def test_per_plate_calibration_is_ddcq_within_each_plate() -> None:
    out, cf = per_plate_calibration(_control_plates(), control=CONTROL)
    factors = cf.set_index("plate")
    assert factors["log2_cf"].to_dict() == {"p1": 2.0, "p2": -0.5}
    assert factors["n_control"].tolist() == [2, 2]
    assert factors.loc["p1", "cf"] == pytest.approx(4.0)
    assert factors.loc["p1", "se_log2_cf"] == pytest.approx(0.25)  # sqrt(0.09 + 0.16)/2
    calibrated = out.set_index("sample")["log2_rq_calibrated"]
    assert calibrated.to_dict() == {"c1": -1.0, "c2": 1.0, "t1": 2.0, "c3": -0.5, "c4": 0.5,
                                    "t2": 3.0}  # fmt: skip
    se = out.set_index("sample")["se_log2_rq_calibrated"]
    assert se["t1"] == pytest.approx(math.hypot(0.1, 0.25))
    assert "irc" not in out


def test_per_plate_calibration_needs_the_control_group_on_every_plate() -> None:
    frame = _control_plates()
    frame.loc[frame["sample"].isin(["c3", "c4"]), "oxygen"] = "hypoxia"
    with pytest.raises(MissingControlError) as err:
        per_plate_calibration(frame, control=CONTROL)
    text = str(err.value)
    assert "plate 'p2' target 'G'" in text
    assert "oxygen=normoxia, treatment=vehicle" in text
    assert "p1" not in err.value.message
    with pytest.raises(ConfigError, match=r"control factor.*donor"):
        per_plate_calibration(frame, control={"donor": "D1"})
    with pytest.raises(MissingControlError, match="no control group"):
        per_plate_calibration(frame, control={})


# --- errors of inter-run calibration ---------------------------------------------------------


def test_missing_irc_names_plate_and_target() -> None:
    frame = _t09()
    frame = frame[~(frame["plate"].eq("run2") & frame["sample"].eq("IRC2"))]
    with pytest.raises(AnalysisError) as err:
        inter_run_calibration(frame, irc_samples=["IRC1", "IRC2"])
    assert err.value.where == "inter-run calibration, plate 'run2', target 'G'"
    assert "plate 'run2' target 'G': IRC 'IRC2' not measured" in err.value.message
    assert "run1" not in err.value.message.split(";")[0]
    assert "expected every IRC (IRC1, IRC2)" in err.value.message
    assert err.value.hint


def test_undetermined_irc_is_an_error_with_its_note() -> None:
    frame = _t09().assign(note="")
    frame.loc[0, ["log2_rq", "note"]] = [np.nan, "no usable target Cq"]
    with pytest.raises(AnalysisError, match=r"plate 'run1' target 'G': IRC 'IRC1' no value "
                       r"\(no usable target Cq\)"):  # fmt: skip
        inter_run_calibration(frame, irc_samples=["IRC1", "IRC2"])
    with pytest.raises(AnalysisError, match="IRC 'IRC1' no value"):
        inter_run_calibration(frame.drop(columns="note"), irc_samples=["IRC1", "IRC2"])


def test_irc_missing_for_one_target_only() -> None:
    two = pd.concat([_t09(), _t09().assign(target="H")], ignore_index=True)
    two = two[~(two["target"].eq("H") & two["plate"].eq("run1") & two["sample"].eq("IRC1"))]
    with pytest.raises(AnalysisError) as err:
        inter_run_calibration(two, irc_samples=["IRC1", "IRC2"])
    assert "target 'H'" in err.value.where
    assert "target 'G'" not in err.value.message


def test_bad_tables_and_settings() -> None:
    with pytest.raises(ConfigError, match="no inter-run calibrator"):
        inter_run_calibration(_t09(), irc_samples=[])
    with pytest.raises(AnalysisError, match=r"lacks column.*plate"):
        inter_run_calibration(_t09().drop(columns="plate"), irc_samples=["IRC1"])
    doubled = pd.concat([_t09(), _t09().iloc[[4]]], ignore_index=True)
    with pytest.raises(AnalysisError, match=r"more than one row.*run2 / S1 / G"):
        inter_run_calibration(doubled, irc_samples=["IRC1", "IRC2"])


def test_irc_sample_names_from_layout_column_and_settings() -> None:
    frame = _t09().assign(irc=["yes", "TRUE", "1", "", ""])
    assert irc_sample_names(frame) == ["IRC1", "IRC2"]
    assert irc_sample_names(frame, ["S1"]) == ["S1", "IRC1", "IRC2"]
    assert irc_sample_names(_t09(), ["IRC2"]) == ["IRC2"]
    with pytest.raises(ConfigError, match="IRC3 are not sample names") as err:
        irc_sample_names(_t09(), ["IRC3"])
    assert re.search(r"did you mean 'IRC[12]'\?", str(err.value))


# --- layouts per plate -----------------------------------------------------------------------


def test_match_layouts_by_stem_in_any_order() -> None:
    exports = [Path("run/plate1.txt"), Path("run/Plate2_results.txt")]
    layouts = [Path("lay/plate2_layout.csv"), Path("lay/plate1.csv")]
    assert match_layouts(exports, layouts) == [(exports[0], layouts[1]), (exports[1], layouts[0])]


def test_match_layouts_in_order_when_stems_differ() -> None:
    exports = ["a.txt", "b.txt"]
    layouts = ["first.csv", "second.csv"]
    assert match_layouts(exports, layouts) == [
        (Path("a.txt"), Path("first.csv")),
        (Path("b.txt"), Path("second.csv")),
    ]
    # a partial stem match that agrees with the order is fine
    pairs = match_layouts(["a.txt", "b.txt"], ["a.csv", "x.csv"])
    assert pairs[1] == (Path("b.txt"), Path("x.csv"))


def test_match_layouts_lists_unmatched_files() -> None:
    with pytest.raises(LayoutMismatchError) as err:
        match_layouts(["p1.txt", "p2.txt", "p3.txt"], ["p1_layout.csv", "p9_layout.csv"])
    text = str(err.value)
    assert "3 export(s) and 2 layout(s)" in text
    assert "no layout named like p2.txt, p3.txt" in text
    assert "no export named like p9_layout.csv" in text
    assert err.value.where == "layouts"
    # equal counts, but the stems contradict the order given
    with pytest.raises(LayoutMismatchError, match=r"no layout named like b\.txt"):
        match_layouts(["a.txt", "b.txt"], ["x.csv", "a.csv"])


def test_stack_layouts_adds_the_plate() -> None:
    one = pd.DataFrame({"well": ["A1", "A2"], "sample": ["s1", "s2"]})
    stacked = stack_layouts({"plate1": one, "plate2": one.assign(plate="plate2")})
    assert stacked.columns[0] == "plate"
    assert stacked["plate"].tolist() == ["plate1", "plate1", "plate2", "plate2"]
    with pytest.raises(LayoutMismatchError, match="names plate\\(s\\) other"):
        stack_layouts({"plate1": one.assign(plate=["plate1", "other"])})
    with pytest.raises(LayoutMismatchError, match="no layout given"):
        stack_layouts({})


# --- strategy --------------------------------------------------------------------------------


def _design(plates: list[str], oxygen: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "plate": plates,
            "sample": [f"s{i}" for i in range(len(plates))],
            "target": "G",
            "oxygen": oxygen,
            "treatment": "vehicle",
            "log2_rq": 0.0,
        }
    )


def test_plate_strategy_choices() -> None:
    config = AnalysisConfig(control=CONTROL)
    one = _design(["p1"] * 3, ["normoxia", "hypoxia", "hypoxia"])
    assert plate_strategy(one, config) == "single"
    assert plate_strategy(one.drop(columns="plate"), config) == "single"
    # sample maximisation: each target on its own plate
    split = pd.concat([one, one.assign(plate="p2", target="H")], ignore_index=True)
    assert plate_strategy(split, config) == "single"
    both = _design(["p1", "p1", "p2", "p2"], ["normoxia", "hypoxia"] * 2)
    assert plate_strategy(both, config) == "control-per-plate"
    lopsided = _design(["p1", "p1", "p2", "p2"], ["normoxia", "normoxia", "hypoxia", "hypoxia"])
    assert plate_strategy(lopsided, config, irc_samples=["s0"]) == "irc"
    assert plate_strategy(lopsided.assign(irc=["", "", "", "yes"]), config) == "irc"


def test_plate_strategy_refuses_an_uncalibratable_design() -> None:
    lopsided = _design(["p1", "p1", "p2", "p2"], ["normoxia", "normoxia", "hypoxia", "hypoxia"])
    with pytest.raises(DesignError) as err:
        plate_strategy(lopsided, AnalysisConfig(control=CONTROL))
    text = str(err.value)
    assert "'G' on plates p1, p2 (no control sample on p2)" in text
    assert "oxygen=normoxia, treatment=vehicle" in text
    assert "irc" in err.value.hint
    # a control sample without a value does not count
    gap = _design(["p1", "p1", "p2", "p2"], ["normoxia", "hypoxia"] * 2)
    gap.loc[2, "log2_rq"] = np.nan
    with pytest.raises(DesignError, match="no control sample on p2"):
        plate_strategy(gap, AnalysisConfig(control=CONTROL))
    with pytest.raises(DesignError, match=r"control group \(not set\)"):
        plate_strategy(gap, AnalysisConfig())


# --- the two-plate example -------------------------------------------------------------------


def _generator():
    spec = importlib.util.spec_from_file_location("two_plates_generate", EXAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_files_are_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["generate.py", "--out", str(tmp_path)])
    _generator().main()
    for name in ("plate1.txt", "plate2.txt", "plate1_layout.csv", "plate2_layout.csv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name


@pytest.fixture(scope="module")
def example_replicates() -> pd.DataFrame:
    """Replicates of the example keyed by (plate, sample, target), with the layout columns."""
    pairs = match_layouts(
        [EXAMPLE / "plate2.txt", EXAMPLE / "plate1.txt"],
        [EXAMPLE / "plate1_layout.csv", EXAMPLE / "plate2_layout.csv"],
    )
    wells = pd.concat(
        [read_run(export).wells.assign(plate=export.stem) for export, _ in pairs],
        ignore_index=True,
    )
    layout = stack_layouts({export.stem: load_layout(lay) for export, lay in pairs})
    wells, messages = join_layout(wells, layout)
    assert messages == []
    unkn = wells[wells["sample_type"].eq("unkn")]
    assert len(unkn) == 2 * 64
    replicates = summarise_replicates(unkn, keys=("plate", "sample", "target"), value="cq")
    attrs = unkn[["sample", "oxygen", "treatment", "donor", "irc"]].drop_duplicates()
    replicates = replicates.merge(attrs, on="sample", how="left", validate="many_to_one")
    return replicates


@pytest.fixture(scope="module")
def example(example_replicates: pd.DataFrame) -> pd.DataFrame:
    """Samples table of the example: ΔCq within each plate."""
    config = load_config(EXAMPLE / "analysis.toml")
    return pd.concat(
        [
            normalise(g, config.reference_genes, config.efficiency)
            for _, g in example_replicates.groupby("plate")
        ],
        ignore_index=True,
    )


def _group_effects(samples: pd.DataFrame, value: str) -> pd.DataFrame:
    """Mean log2 value of each group minus normoxia + vehicle, per target (codes NV..HT)."""
    study = samples[samples["oxygen"].ne("")]
    code = study["sample"].str.split().str[1]
    means = study.groupby(["target", code])[value].mean().unstack()
    return means.sub(means["NV"], axis=0)


def _noise(gen) -> tuple[float, float]:
    """SD of a group difference (3 donors, donor effects cancel) and of a difference of two
    plates' log2 CF (2 IRCs, duplicates) under the generator's model: a target's ΔCq carries
    one target and two half-weighted reference genes."""
    h = gen.HYPOXIA
    gene_equiv = 1 + 2 * 0.25
    per_sample = gene_equiv * (h.BIO_SD**2 + h.TECH_SD**2 / 2)
    group = math.sqrt(2 * per_sample / len(h.DONORS))
    cf = math.sqrt(2 * gene_equiv * h.TECH_SD**2 / 2 / len(gen.IRCS))
    return group, cf


def test_example_irc_calibration_recovers_the_truth(example: pd.DataFrame) -> None:
    gen = _generator()
    group_sd, cf_sd = _noise(gen)
    assert plate_strategy(example, AnalysisConfig(control=CONTROL)) == "irc"
    ircs = irc_sample_names(example)
    assert ircs == ["IRC1", "IRC2"]
    out, cf = inter_run_calibration(example, irc_samples=ircs)
    # the plate-2 calibration factor estimates the run effect on the weighted log2 RQ
    log2_cf = cf.pivot(index="target", columns="plate", values="log2_cf")
    for target, shift in gen.LOG2_RQ_SHIFT.items():
        step = log2_cf.loc[target, "plate2"] - log2_cf.loc[target, "plate1"]
        assert step == pytest.approx(shift, abs=3 * cf_sd), target
    # (1.4 cycles · log2 1.94 − 0.4 cycles of the references; −0.8 + 0.4 − 0.4)
    assert pytest.approx({"BMP2": -0.938479, "VEGFA": 0.8}) == gen.LOG2_RQ_SHIFT
    calibrated = _group_effects(out, "log2_rq_calibrated")
    ignored = _group_effects(out, "log2_rq")
    tolerance = 3 * math.hypot(group_sd, cf_sd)
    for target in gen.LOG2_RQ_SHIFT:
        for code in ("NT", "HV", "HT"):
            truth = gen.HYPOXIA.TRUE_LOG2_FC[target][code]
            assert calibrated.loc[target, code] == pytest.approx(truth, abs=tolerance)
            if code != "NT":  # plate 2: ignoring the plates misses by about the run effect
                miss = ignored.loc[target, code] - truth
                assert abs(miss) > tolerance, (target, code)
                assert miss == pytest.approx(gen.LOG2_RQ_SHIFT[target], abs=2 * tolerance)
            else:  # NT and NV share plate 1: its calibration factor cancels
                assert ignored.loc[target, code] == pytest.approx(calibrated.loc[target, code])
    # the values stated in the README
    assert calibrated.loc["BMP2", "HV"] == pytest.approx(-1.025, abs=5e-4)
    assert ignored.loc["BMP2", "HV"] == pytest.approx(-1.955, abs=5e-4)
    assert calibrated.loc["VEGFA", "HT"] == pytest.approx(1.940, abs=5e-4)
    assert ignored.loc["VEGFA", "HT"] == pytest.approx(2.774, abs=5e-4)


def test_example_strategy_from_replicates_before_normalising(
    example_replicates: pd.DataFrame,
) -> None:
    """The replicates table (reference genes included) gives the same decision."""
    replicates = example_replicates
    assert {"TBP", "RPL13A"} <= set(replicates["target"])
    assert plate_strategy(replicates, AnalysisConfig(control=CONTROL), value="cq_mean") == "irc"
    study = replicates[replicates["oxygen"].ne("")].drop(columns="irc")
    with pytest.raises(DesignError, match="no control sample on plate2"):
        plate_strategy(study, AnalysisConfig(control=CONTROL), value="cq_mean")


def test_example_without_ircs_is_refused(example: pd.DataFrame) -> None:
    study = example[example["oxygen"].ne("")].drop(columns="irc")
    with pytest.raises(DesignError) as err:
        plate_strategy(study, AnalysisConfig(control=CONTROL))
    assert "'BMP2' on plates plate1, plate2 (no control sample on plate2)" in str(err.value)
    with pytest.raises(MissingControlError, match="plate 'plate2' target 'BMP2'"):
        per_plate_calibration(study, control=CONTROL)


def test_example_readme_command_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import shlex

    from click.testing import CliRunner

    from qpcr.cli import app

    monkeypatch.chdir(EXAMPLE.parents[1])
    block = (EXAMPLE / "README.md").read_text().split("```bash\n")[1].split("```")[0]
    words = shlex.split(block.replace("\\\n", " "))
    assert words[:2] == ["qpcr", "analyze"]
    out = words.index("--out")
    words[out + 1] = str(tmp_path / "results")
    result = CliRunner().invoke(app, words[1:])
    assert result.exit_code == 0, result.output
    factors = pd.read_csv(tmp_path / "results" / "plate_calibration.csv")
    assert len(factors) == 4
    assert factors["n_irc"].eq(2).all()
    step = factors.set_index(["target", "plate"])["log2_cf"]
    assert step["BMP2", "plate2"] - step["BMP2", "plate1"] == pytest.approx(-0.930, abs=5e-4)
    assert step["VEGFA", "plate2"] - step["VEGFA", "plate1"] == pytest.approx(0.834, abs=5e-4)


def test_example_matches_a_linear_qbase_implementation(
    example_replicates: pd.DataFrame, example: pd.DataFrame
) -> None:
    """Hellemans 2007 on the linear scale, per plate: RQ = E^(Cq̄_g − Cq) with Cq̄_g the run
    mean, NF = geometric mean of the references' RQ, NRQ = RQ / NF, CF = geometric mean of the
    IRCs' NRQ, CNRQ = NRQ / CF. The run means cancel, so log2 CNRQ equals the calibrated −ΔCq."""
    config = load_config(EXAMPLE / "analysis.toml")
    refs = list(config.reference_genes)
    cq = example_replicates.pivot_table(
        index=["plate", "sample"], columns="target", values="cq_mean"
    )
    e = np.array([config.efficiency.get(t, 2.0) for t in cq.columns])
    rq = e ** (cq.groupby(level="plate").transform("mean") - cq)
    nf = np.exp(np.log(rq[refs]).mean(axis=1))
    nrq = rq.drop(columns=refs).div(nf, axis=0)
    is_irc = nrq.index.get_level_values("sample").str.startswith("IRC")
    cf = np.exp(np.log(nrq[is_irc]).groupby(level="plate").mean())
    cnrq = nrq.div(cf.reindex(nrq.index.get_level_values("plate")).to_numpy())
    qbase = np.log2(cnrq).stack().rename("qbase").reset_index()

    out, factors = inter_run_calibration(example, irc_samples=["IRC1", "IRC2"])
    both = out.merge(qbase, on=["plate", "sample", "target"], validate="one_to_one")
    assert len(both) == len(out) == 2 * 8 * 2
    np.testing.assert_allclose(both["log2_rq_calibrated"], both["qbase"], atol=1e-12)
    # qBase's log2 CF exceeds ours by the run-mean term log2 E_g·Cq̄_g − mean_r log2 E_r·Cq̄_r
    weighted = cq.groupby(level="plate").mean() * np.log2(e)
    offset = weighted.drop(columns=refs).sub(weighted[refs].mean(axis=1), axis=0)
    theirs = np.log2(cf) - offset
    ours = factors.pivot(index="plate", columns="target", values="log2_cf")
    np.testing.assert_allclose(ours.loc[theirs.index, theirs.columns], theirs, atol=1e-12)
