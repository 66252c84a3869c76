"""The Poisson replicate QC and ``check --init-spec`` with each target's amplification factor
(settings ``[efficiency]``, else E = 2): SD(Cq) = SD(ln N)/ln E and λ = E^(Cq₁ − Cq)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special

from qpcr.check import init_spec, parse_spec
from qpcr.config import AnalysisConfig
from qpcr.outliers import (
    expected_replicate_sd,
    flag_groups,
    implied_copies,
    normal_range_quantile,
    poisson_cq_sd,
    poisson_range_limit,
)
from qpcr.qc import apply_qc
from qpcr.qc_wells import amplification_factors


def sd_by_hand(cq: float, cq1: float = 35.0, e: float = 2.0, pipetting: float = 0.08) -> float:
    """√(pipetting² + Var log_E N), N ~ Poisson(λ = E^(Cq₁ − Cq), at least 1) given N ≥ 1,
    summed term by term."""
    lam = max(e ** (cq1 - cq), 1.0)
    p = {k: math.exp(k * math.log(lam) - lam - math.lgamma(k + 1)) for k in range(1, 400)}
    total = sum(p.values())
    mean = sum(q * math.log(k, e) for k, q in p.items()) / total
    var = sum(q * (math.log(k, e) - mean) ** 2 for k, q in p.items()) / total
    return math.sqrt(pipetting**2 + var)


def plate(myc: list[float], other: list[float] | None = None) -> pd.DataFrame:
    """A plate of MYC triplicates in s1 (and the same Cq of TGT, when given) and GAPDH at 20."""
    rows = [("MYC", cq) for cq in myc] + [("TGT", cq) for cq in other or []]
    rows += [("GAPDH", cq) for cq in (20.0, 20.1, 20.05)]
    return pd.DataFrame({
        "plate": "p1", "well": [f"W{i}" for i in range(len(rows))], "sample": "s1",
        "target": [t for t, _ in rows], "sample_type": "unkn", "cq": [c for _, c in rows],
        "cq_status": "ok",
    })  # fmt: skip


def test_the_sampling_model_at_a_given_efficiency_by_hand() -> None:
    # 1.85^4 = 11.7135 copies at 4 cycles before Cq₁ (16 at E = 2)
    assert implied_copies(31.0, 35.0, 1.85) == pytest.approx(1.85**4, rel=1e-14)
    assert implied_copies(np.array([31.0, 31.0]), 35.0, np.array([2.0, 1.85])).tolist() == [
        16.0, pytest.approx(11.71350625, rel=1e-14)]  # fmt: skip
    # E = 1.85 at Cq 31: 0.518931 cycles, against 0.388626 at E = 2
    assert expected_replicate_sd(31.0, 35.0, 0.08, 1.85) == pytest.approx(0.518931, abs=1e-6)
    assert expected_replicate_sd(31.0, 35.0, 0.08, 1.85) == pytest.approx(
        sd_by_hand(31.0, e=1.85), rel=1e-12
    )
    assert expected_replicate_sd(31.0) == pytest.approx(sd_by_hand(31.0), rel=1e-12)
    # far above single-copy level the SD is 1/(ln E·√λ): 1/ln 1.9 ÷ 1/ln 2 = 1.0799 larger
    ratio = poisson_cq_sd(1e6, 1.9) / poisson_cq_sd(1e6)
    assert ratio == pytest.approx(math.log(2) / math.log(1.9), rel=1e-12)
    assert round(ratio, 4) == 1.0799


def test_an_efficiency_per_element_equals_one_call_per_element() -> None:
    # the vectorised form (distinct λ × E pairs summed once) against the scalar formulation
    rng = np.random.default_rng(11)
    copies = np.concatenate([rng.uniform(0.5, 30.0, 40), [6.0, 6.0, 2500.0, 2500.0, np.nan]])
    factor = rng.choice([1.8, 1.85, 1.9, 2.0], len(copies))
    factor[-5:] = [2.0, 1.85, 2.0, 1.85, 1.9]
    got = poisson_cq_sd(copies, factor)
    one_by_one = [poisson_cq_sd(c, e) for c, e in zip(copies, factor, strict=True)]
    np.testing.assert_array_equal(got, one_by_one)
    assert got[-5] != got[-4]
    assert got[-3] != got[-2]
    assert np.isnan(got[-1])
    # a scalar E is that E for every element; E = 2 by default
    np.testing.assert_array_equal(poisson_cq_sd(copies, 2.0), poisson_cq_sd(copies))
    median, n = np.array([31.0, 31.0, 32.4]), np.array([3, 3, 2])
    limits = poisson_range_limit(median, n, 0.5, (35.0, 0.08, np.array([2.0, 1.85, 1.9])))
    assert limits.tolist() == [
        poisson_range_limit(m, k, 0.5, (35.0, 0.08, e))
        for m, k, e in zip(median, n, (2.0, 1.85, 1.9), strict=True)
    ]
    np.testing.assert_array_equal(
        poisson_range_limit(median, n), poisson_range_limit(median, n, 0.5, (35.0, 0.08, 2.0))
    )


def test_flag_groups_takes_each_wells_efficiency_to_its_group() -> None:
    # two triplicates at median Cq 31, range 2.3: the E = 2 one exceeds 1.968, the other not
    cq = np.array([31.0, 31.0, 33.3, 31.0, 31.0, 33.3])
    code = np.array([0, 0, 0, 1, 1, 1])
    factor = np.array([2.0] * 3 + [1.85] * 3)
    found = flag_groups(cq, code, "poisson", 0.5, sampling=(35.0, 0.08, factor))
    assert found["group_flagged"].tolist() == [True] * 3 + [False] * 3
    assert found["outlier"].tolist() == [False, False, True] + [False] * 3
    q = normal_range_quantile(3)
    assert found["threshold"][0] == pytest.approx(q * sd_by_hand(31.0), rel=1e-12)
    assert found["threshold"][3] == pytest.approx(q * sd_by_hand(31.0, e=1.85), rel=1e-12)


def test_a_low_copy_triplicate_within_expectation_at_its_efficiency_is_kept() -> None:
    # median 31.0, range 2.3 (MAD 0: the range fallback names W2). At E = 2 (16 copies) the
    # limit is 5.0635 × 0.388626 = 1.968: W2 excluded; at MYC's E = 1.85 (11.7 copies) it is
    # 5.0635 × 0.518931 = 2.628: nothing flagged. TGT, the same Cq at E = 2, still is.
    q = normal_range_quantile(3)
    assert (round(q * sd_by_hand(31.0), 3), round(q * sd_by_hand(31.0, e=1.85), 3)) == (
        1.968, 2.628)  # fmt: skip
    cqs = [31.0, 31.0, 33.3]
    wells, events = apply_qc(plate(cqs, cqs), AnalysisConfig(outlier_rule="poisson"))
    assert wells.loc[wells["excluded"], "well"].tolist() == ["W2", "W5"]
    assert events["threshold"].tolist() == pytest.approx([q * sd_by_hand(31.0)] * 2, rel=1e-12)
    config = AnalysisConfig(outlier_rule="poisson", efficiency={"MYC": 1.85})
    wells, events = apply_qc(plate(cqs, cqs), config)
    assert wells.loc[wells["excluded"], "well"].tolist() == ["W5"]
    assert events[["target", "code"]].values.tolist() == [["TGT", "replicate_spread"]]


def test_the_flagged_groups_event_states_the_limit_at_its_efficiency() -> None:
    # range 3.0 > 2.628 at E = 1.85: flagged with the limit the rule used, W2 excluded
    config = AnalysisConfig(outlier_rule="poisson", efficiency={"MYC": 1.85})
    wells, events = apply_qc(plate([31.0, 31.0, 34.0]), config)
    assert wells.loc[wells["excluded"], "well"].tolist() == ["W2"]
    (event,) = events.to_dict("records")
    limit = normal_range_quantile(3) * sd_by_hand(31.0, e=1.85)
    assert event["threshold"] == pytest.approx(limit, rel=1e-12)
    assert event["message"] == (
        "MYC in s1: technical replicates span 3.00 cycles (> 2.63); well W2 excluded"
    )


def test_low_copy_notes_and_zero_copy_wells_count_copies_at_the_efficiency() -> None:
    # median Cq 32: 8 copies at E = 2, 1.85^3 = 6.33 at E = 1.85, expected SD 0.7414 there
    config = AnalysisConfig(outlier_rule="poisson", efficiency={"MYC": 1.85})
    _, events = apply_qc(plate([32.0, 32.0, 32.2]), config)
    (note,) = events.to_dict("records")
    assert note["code"] == "low_copy"
    assert note["value"] == pytest.approx(1.85**3, rel=1e-14)
    assert round(2 * sd_by_hand(32.0, e=1.85), 1) == 1.5  # ±1.2 at E = 2
    assert "(≈ 6.3 copies per well): expect ±1.5 cycles" in note["message"]
    # 9.85 copies at E = 2 (Cq 31.7): one non-detect left out as a zero-copy well; at
    # E = 1.85 the same Cq implies 1.85^3.3 = 7.61 copies (100·e^-7.6 = 0.050 % empty wells,
    # against 0.0055 % at 9.8 copies)
    wells = plate([31.7, 31.7, np.nan]).assign(
        cq_status=["ok", "ok", "undetermined", "ok", "ok", "ok"]
    )
    _, events = apply_qc(wells, config)
    zero = events[events["code"] == "zero_copy"].to_dict("records")
    assert round(1.85**3.3, 2) == 7.61
    assert [z["value"] for z in zero] == [7.6]  # the event's copies to one decimal
    assert "at ≈ 7.6 copies per well, where 0.1 % of wells hold no copy" in zero[0]["message"]


def test_the_factors_are_the_settings_efficiency_else_two() -> None:
    config = AnalysisConfig(efficiency={"MYC": 1.85, "TGT": 1.9})
    assert amplification_factors(["GAPDH", "MYC", "TGT"], config).tolist() == [2.0, 1.85, 1.9]
    assert amplification_factors([], config).tolist() == []


def test_init_spec_floors_use_the_targets_efficiency_by_hand() -> None:
    # TGT at Cq 30 with Cq₁ 35: 32 copies at E = 2 (floor 0.2734), 1.85^5 = 21.67 copies at
    # E = 1.85 (floor 0.3713); max_sd = floor·√F_0.998(2, 10) over 5 triplicates (10 df)
    def run(shift: float) -> pd.DataFrame:
        rows = [(t, level + shift + off) for t, level in (("GAPDH", 18.0), ("TGT", 30.0))
                for off in (-0.01, 0.0, 0.01)]  # fmt: skip
        return pd.DataFrame({
            "well": [f"W{i}" for i in range(len(rows))], "sample": "REF", "sample_type": "unkn",
            "cq_status": "ok", "target": [t for t, _ in rows], "cq": [c for _, c in rows],
        })  # fmt: skip

    runs = [run(s) for s in (0.0, 0.02, 0.04, 0.01, 0.03)]
    f = math.sqrt(special.fdtri(2.0, 10.0, 1.0 - 0.01 / 5))
    floor2, floor185 = sd_by_hand(30.0), sd_by_hand(30.0, e=1.85)
    assert (round(floor2, 4), round(floor185, 4)) == (0.2734, 0.3713)
    text = init_spec(runs, reference=["GAPDH"])
    config = AnalysisConfig(efficiency={"TGT": 1.85})
    given = init_spec(runs, reference=["GAPDH"], config=config)
    default = {r.id: r.params for r in parse_spec(text).rules}
    declared = {r.id: r.params for r in parse_spec(given).rules}
    assert default["replicate-sd-TGT-REF"]["max_sd"] == math.ceil(100 * floor2 * f) / 100
    assert declared["replicate-sd-TGT-REF"]["max_sd"] == math.ceil(100 * floor185 * f) / 100
    assert declared["replicate-sd-TGT-REF"]["max_sd"] == 1.31
    assert declared["replicate-sd-GAPDH-REF"] == default["replicate-sd-GAPDH-REF"]
    assert "floor 0.371 at Cq 30.00 (single-copy Cq 35 cycles, assumed; amplification " \
        "factor 1.85;" in given.replace("\n# ", " ")  # fmt: skip
    assert "amplification factor" not in text


def test_a_target_low_copy_only_at_its_efficiency_is_estimated_from_its_copies() -> None:
    # median Cq 31.5: 2^3.5 = 11.3 copies (> 10: keeps its mean Cq) at E = 2, 1.85^3.5 = 8.61
    # at E = 1.85: estimated, λ̂ = (Σ 1.85^(35 − Cq) + ½)/3 and Cq̂ = 35 − log_1.85 λ̂
    from qpcr.lowcopy import low_copy_replicates
    from qpcr.quant import summarise_replicates

    cq = [31.5, 31.5, 31.8]
    wells = pd.DataFrame({"sample": "s1", "target": "LOW", "cq_used": cq, "censored": False,
                          "excluded": False, "exclude_code": ""})  # fmt: skip
    reps = summarise_replicates(wells)
    config = AnalysisConfig(outlier_rule="poisson", low_copy_estimate="poisson")
    assert (round(2**3.5, 1), round(1.85**3.5, 2)) == (11.3, 8.61)
    kept = low_copy_replicates(reps, wells, config, {"LOW": 2.0})
    assert kept["cq_mean"].tolist() == pytest.approx([31.6], rel=1e-12)
    lam = (sum(1.85 ** (35.0 - c) for c in cq) + 0.5) / 3
    estimated = low_copy_replicates(reps, wells, config, {"LOW": 1.85})
    assert estimated["cq_mean"].tolist() == pytest.approx([35.0 - math.log(lam, 1.85)], rel=1e-12)
