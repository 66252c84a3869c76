"""``qpcr check --init-spec`` takes each target's single-copy Cq and the pipetting SD from the
analysis settings (``[assay_single_copy_cq]``, ``single_copy_cq``, ``pipetting_sd``; issue 13)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import special, stats

from qpcr.check import init_spec, parse_spec
from qpcr.config import AnalysisConfig
from qpcr.errors import ConfigError

#: Run-to-run shifts of five runs: the least scattered TGT group sits at Cq 30.00 exactly.
SHIFTS = (0.0, 0.02, 0.04, 0.01, 0.03)


def run(shift: float) -> pd.DataFrame:
    """GAPDH at Cq 18 and TGT at Cq 30 in REF, triplicates 0.01 cycles apart (SD 0.01: far
    below the sampling floor, which therefore sets the pooled SD)."""
    rows = [
        {"well": f"{target}{i}", "sample": "REF", "sample_type": "unkn", "cq_status": "ok",
         "target": target, "cq": level + shift + off}
        for target, level in (("GAPDH", 18.0), ("TGT", 30.0))
        for i, off in enumerate((-0.01, 0.0, 0.01))
    ]  # fmt: skip
    return pd.DataFrame(rows)


def sampling_sd_by_hand(cq: float, cq1: float, pipetting: float = 0.08) -> float:
    """√(pipetting² + Var log2 N), N ~ Poisson(λ = 2^(Cq₁ − Cq)) given N ≥ 1, summed term by
    term (above 2000 copies the delta method's Var = 1/(λ·ln²2))."""
    lam = 2.0 ** (cq1 - cq)
    if lam > 2000:
        return math.sqrt(pipetting**2 + 1.0 / (lam * math.log(2) ** 2))
    p = {k: math.exp(k * math.log(lam) - lam - math.lgamma(k + 1)) for k in range(1, 300)}
    total = sum(p.values())
    mean = sum(q * math.log2(k) for k, q in p.items()) / total
    var = sum(q * (math.log2(k) - mean) ** 2 for k, q in p.items()) / total
    return math.sqrt(pipetting**2 + var)


def rules(config: AnalysisConfig | None) -> tuple[str, dict[str, dict]]:
    text = init_spec([run(s) for s in SHIFTS], reference=["GAPDH"], config=config)
    return text, {rule.id: rule.params for rule in parse_spec(text).rules}


def up(x: float) -> float:
    """Rounded up to 0.01, as the spec writes limits."""
    return math.ceil(100.0 * x - 1e-9) / 100.0


def test_a_measured_single_copy_cq_sets_the_replicate_floor_by_hand() -> None:
    # 32 copies per well at Cq 30 with Cq₁ = 35; 8 copies with a Cq₁ measured 2 cycles earlier
    assumed, measured = sampling_sd_by_hand(30.0, 35.0), sampling_sd_by_hand(30.0, 33.0)
    assert (round(assumed, 4), round(measured, 4)) == (0.2734, 0.5781)
    # 5 judged values per run (2 cq, 1 delta_cq, 2 replicate groups) share the 1 % budget;
    # each rule pools 5 triplicates (10 df): max_sd = floor·√F_0.998(2, 10)
    f = math.sqrt(special.fdtri(2.0, 10.0, 1.0 - 0.01 / 5))
    text, default = rules(None)
    assert default["replicate-sd-TGT-REF"]["max_sd"] == up(assumed * f) == 0.96
    text33, declared = rules(AnalysisConfig(assay_single_copy_cq={"TGT": 33.0}))
    assert declared["replicate-sd-TGT-REF"]["max_sd"] == up(measured * f) == 2.03
    # GAPDH (about 2^17 copies: the pipetting floor) is not declared and does not move
    assert declared["replicate-sd-GAPDH-REF"] == default["replicate-sd-GAPDH-REF"]
    # each comment states the Cq₁ its floor assumed, measured or not
    assert "floor 0.273 at Cq 30.00 (single-copy Cq 35 cycles, assumed;" in text
    assert "floor 0.578 at Cq 30.00 (single-copy Cq 33 cycles, measured;" in text33
    assert "floor 0.080 at Cq 18.00 (single-copy Cq 35 cycles, assumed;" in text33


def test_the_floor_widens_the_cq_tolerance_by_hand() -> None:
    # the runs' shifts (variance 0.00025) are below every rule's within-run variance: τ² = 0,
    # so V = (s_p²/3)·(1 + 1/5) on 10 df, s_p the floor at the mean Cq over the runs (30.02),
    # and tolerance = max(1, t_0.999(10)·√V)
    t = stats.t.ppf(1.0 - 0.01 / 5 / 2, 10)
    assumed = t * math.sqrt(sampling_sd_by_hand(30.02, 35.0) ** 2 / 3 * 1.2)
    measured = t * math.sqrt(sampling_sd_by_hand(30.02, 33.0) ** 2 / 3 * 1.2)
    assert assumed < 1.0 < measured
    assert rules(None)[1]["cq-TGT-REF"]["tolerance"] == 1.0
    _, declared = rules(AnalysisConfig(assay_single_copy_cq={"TGT": 33.0}))
    assert declared["cq-TGT-REF"]["tolerance"] == up(measured) == 1.53


def test_single_copy_cq_and_pipetting_sd_come_from_the_settings() -> None:
    # every target's assumed Cq₁ moved 2 cycles earlier is the same as declaring each one
    earlier = rules(AnalysisConfig(single_copy_cq=33.0))[1]
    declared = rules(AnalysisConfig(assay_single_copy_cq={"TGT": 33.0, "GAPDH": 33.0}))[1]
    assert earlier == declared
    # at 2^17 copies GAPDH's floor is about the pipetting SD: √(0.2² + 0.004²)·√F_0.998(2, 10)
    f = math.sqrt(special.fdtri(2.0, 10.0, 1.0 - 0.01 / 5))
    wide = rules(AnalysisConfig(pipetting_sd=0.2))
    assert wide[1]["replicate-sd-GAPDH-REF"]["max_sd"] == up(
        sampling_sd_by_hand(18.0, 35.0, 0.2) * f
    )
    assert "(single-copy Cq 35 cycles, assumed;\n# pipetting SD 0.2)" in wide[0]


@pytest.mark.parametrize(
    ("config", "reference", "message"),
    [
        (AnalysisConfig(assay_single_copy_cq={"TGX": 33.0}), ["GAPDH"],
         r"settings \[assay_single_copy_cq\]: single-copy Cq of 'TGX' is not on the plate; "
         r"expected one of GAPDH, TGT\. Did you mean 'TGT'\?"),
        (AnalysisConfig(), ["auto"], r"reference genes 'auto' are chosen by an analysis"),
    ],
)  # fmt: skip
def test_a_name_the_plate_lacks_is_refused(
    config: AnalysisConfig, reference: list[str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        init_spec([run(0.0)], reference=reference, config=config)


def test_without_settings_the_spec_is_that_of_the_default_settings() -> None:
    runs = [run(s) for s in SHIFTS]
    assert init_spec(runs, ["GAPDH"]) == init_spec(runs, ["GAPDH"], config=AnalysisConfig())
