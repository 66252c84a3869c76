"""``qpcr check --init-spec`` learns its limits from good runs (issue 13, item 2)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from qpcr.check import check_run, init_spec, parse_spec
from qpcr.check.learn import predict_tolerance, replicate_limit

#: Target → mean template copies per well of the reference material (Cq₁ = 35 cycles).
COPIES = {"GAPDH": 2.0**17, "TBP": 2.0**11, "MYC": 2.0**9, "RANKL": 6.0}
REFERENCE = ["GAPDH", "TBP"]


def good_run(rng: np.random.Generator, shift: dict[str, float] | None = None) -> pd.DataFrame:
    """One run of the reference material: triplicates of each target drawn from Poisson copies
    (Cq = 35 − log2 N + pipetting noise 0.08), a cDNA load shared by the targets (SD 0.15
    cycles) and a per-target run effect (SD 0.05); one NTC per target, undetermined. ``shift``
    adds cycles to a target's wells (a drifted assay)."""
    load = rng.normal(0.0, 0.15)
    rows = []
    for target, copies in COPIES.items():
        n = rng.poisson(copies, 3)
        effect = load + rng.normal(0.0, 0.05) + (shift or {}).get(target, 0.0)
        cq = 35.0 - np.log2(np.maximum(n, 1)) + effect + rng.normal(0.0, 0.08, 3)
        for i in range(3):
            ok = n[i] > 0
            rows.append({"well": f"{target}{i}", "sample": "REF", "sample_type": "unkn",
                         "target": target, "cq": cq[i] if ok else np.nan,
                         "cq_status": "ok" if ok else "undetermined"})  # fmt: skip
        rows.append({"well": f"{target}-ntc", "sample": "NTC", "sample_type": "ntc",
                     "target": target, "cq": np.nan, "cq_status": "undetermined"})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def learned() -> tuple[list[pd.DataFrame], str]:
    rng = np.random.default_rng(2026)
    runs = [good_run(rng) for _ in range(5)]
    return runs, init_spec(runs, reference=REFERENCE)


def _fails(run: pd.DataFrame, spec_text: str) -> set[str]:
    results = check_run(run, parse_spec(spec_text))
    return set(results.loc[results["status"].eq("fail"), "rule_id"])


def test_spec_from_five_good_runs_passes_them_and_states_its_false_alarms(learned) -> None:
    runs, text = learned
    assert "# NOTE" not in text
    for run in runs:
        assert _fails(run, text) == set()
    rate = re.search(r"estimated probability\s+of ([0-9.]+) %", text)
    assert rate is not None
    assert float(rate.group(1)) <= 1.0
    ids = {rule.id for rule in parse_spec(text).rules}
    # per target × sample replicate limits, and the second reference gene against the first
    assert {"replicate-sd-RANKL-REF", "replicate-sd-GAPDH-REF", "dcq-TBP-GAPDH-REF"} <= ids


def test_spec_passes_at_least_99_of_100_further_good_runs(learned) -> None:
    _, text = learned
    rng = np.random.default_rng(99)
    failed = [r for r in range(100) if _fails(good_run(rng), text)]
    assert len(failed) <= 1, failed


@pytest.mark.parametrize(("target", "cycles"), [("GAPDH", 1.0), ("TBP", 1.0), ("MYC", 3.0),
                                                ("RANKL", 3.0)])  # fmt: skip
def test_spec_fails_a_shifted_reference_gene_or_target(learned, target: str, cycles: float) -> None:
    _, text = learned
    rng = np.random.default_rng(7)
    for _ in range(5):
        assert _fails(good_run(rng, {target: cycles}), text), target


def test_low_copy_target_gets_its_own_wider_replicate_limit(learned) -> None:
    _, text = learned
    rules = {rule.id: rule.params for rule in parse_spec(text).rules}
    assert rules["replicate-sd-RANKL-REF"]["max_sd"] > 3 * rules["replicate-sd-MYC-REF"]["max_sd"]


def test_prediction_tolerance_by_hand() -> None:
    # one rule, 4 runs; its between-run variance exceeds the replicates' part, so τ² plus
    # the within-run variance is that between-run variance
    values = pd.DataFrame({"x": [10.0, 10.5, 10.1, 10.2]})
    var = float(values["x"].var(ddof=1))  # 0.046667
    within = 0.01
    got = predict_tolerance(values, pd.Series({"x": within}), pd.Series({"x": 8.0}), 0.01)["x"]
    sd = math.sqrt(var * (1 + 1 / 4))  # τ² + within = the between-run variance
    assert got.sd == pytest.approx(sd)
    assert got.df == 3.0  # min(τ² df 3, within df 8)
    # t_0.995(3) = 5.840909; the limit is rounded up to the spec's 0.01
    assert got.limit == math.ceil(100 * 5.840909 * sd) / 100
    assert 0.0095 < got.false_alarm < 0.01


def test_replicate_limit_by_hand_and_never_below_the_runs() -> None:
    got = replicate_limit(pd.Series([0.04, 0.01]), pd.Series([3, 3]), 0.05)
    # pooled variance 0.025 on 4 df; F_0.95(2, 4) = 6.944272
    assert got.limit == math.ceil(100 * math.sqrt(0.025 * 6.944272)) / 100
    assert got.df == 4.0
    wide = replicate_limit(pd.Series([1.0, 0.0001, 0.0001]), pd.Series([3, 3, 3]), 0.5)
    assert wide.limit == 1.0  # the largest SD of the runs
