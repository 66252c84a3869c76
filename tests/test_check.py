"""Tests of qpcr.check: spec loading, rule evaluation, Westgard rules, history, JUnit/JSON."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from qpcr import check
from qpcr.check import (
    append_history,
    check_run,
    exit_code,
    init_spec,
    load_spec,
    parse_spec,
    read_history,
    to_json,
    to_junit,
    verdict,
    westgard,
)
from qpcr.errors import ConfigError, InputError

# --------------------------------------------------------------------------------------------
# A deterministic reference plate: replicate offsets -0.05/0/+0.05 keep every mean exact.

LEVEL = {"GAPDH": 18.0, "ACTB": 19.5, "MYC": 24.5}  # Cq of REF_A
REF_B = {"GAPDH": 18.1, "ACTB": 19.6, "MYC": 22.6}  # MYC ΔΔCq = -2 → 4-fold
OFFSETS = (-0.05, 0.0, 0.05)
QUANTITIES = (100.0, 10.0, 1.0, 0.1, 0.01)
SLOPE = -1 / np.log10(2)  # -3.321928: E = 2 exactly


def plate(
    shift: float = 0.0,
    slope: dict[str, float] | None = None,
    bend: dict[str, float] | None = None,
    ntc: dict[str, float] | None = None,
    outlier: tuple[str, str, float] | None = None,
) -> pd.DataFrame:
    """Wells table of the test plate; ``shift`` moves every Cq (run-to-run drift)."""
    rows = []
    for target in LEVEL:
        for sample, mean in (("REF_A", LEVEL[target]), ("REF_B", REF_B[target])):
            for i, off in enumerate(OFFSETS):
                extra = outlier[2] if outlier and outlier[:2] == (target, sample) and i == 2 else 0
                rows.append((sample, target, "unkn", mean + off + extra + shift, np.nan))
        b = (slope or {}).get(target, SLOPE)
        for k, quantity in enumerate(QUANTITIES):
            bent = (bend or {}).get(target, 0.0) if k == len(QUANTITIES) - 1 else 0.0
            mean = LEVEL[target] + b * (np.log10(quantity) - 1) + bent + shift
            for off in OFFSETS:
                rows.append((f"STD{k}", target, "std", mean + off, quantity))
        for i in range(2):
            cq = (ntc or {}).get(target, np.nan) if i == 0 else np.nan
            rows.append(("NTC", target, "ntc", cq, np.nan))
    wells = pd.DataFrame(rows, columns=["sample", "target", "sample_type", "cq", "quantity"])
    wells.insert(0, "well", [f"{'ABCDEFGH'[i // 12]}{i % 12 + 1}" for i in range(len(wells))])
    wells["cq_status"] = np.where(wells["cq"].notna(), "ok", "undetermined")
    return wells


SPEC = """\
[spec]
name = "test plate"

[[rule]]
id = "cq-GAPDH"
type = "cq"
target = "GAPDH"
sample = "REF_A"
expected = 18.0
tolerance = 0.5

[[rule]]
id = "cq-MYC"
type = "cq"
target = "MYC"
sample = "REF_A"
expected = 24.5
tolerance = 0.5

[[rule]]
id = "dcq-MYC-GAPDH"
type = "delta_cq"
target = "MYC"
reference_target = "GAPDH"
sample = "REF_A"
expected = 6.5
tolerance = 0.3

[[rule]]
id = "dcq-MYC-B-A"
type = "delta_cq"
target = "MYC"
sample = "REF_B"
reference_sample = "REF_A"
expected = -1.9
tolerance = 0.3
severity = "warn"

[[rule]]
id = "fc-MYC"
type = "fold_change"
target = "MYC"
reference = ["GAPDH", "ACTB"]
sample = "REF_B"
calibrator = "REF_A"
expected = 4.0
tolerance_log2 = 0.3

[[rule]]
id = "ntc"
type = "ntc"
min_cq = 35
margin = 5

[[rule]]
id = "rep-sd"
type = "replicate_sd"
max_sd = 0.2

[[rule]]
id = "eff"
type = "efficiency"
min_percent = 90
max_percent = 110

[[rule]]
id = "r2"
type = "r_squared"
min = 0.98
min_points = 15

[[rule]]
id = "valid"
type = "valid_wells"
min = 60
"""


@pytest.fixture
def spec() -> check.Spec:
    return parse_spec(SPEC, source="spec.toml")


def failed(results: pd.DataFrame) -> set[tuple[str, str]]:
    bad = results[results["status"].eq("fail")]
    return set(zip(bad["rule_id"], bad["target"], strict=True))


def row(
    results: pd.DataFrame, rule_id: str, target: str | None = None, sample: str | None = None
) -> pd.Series:
    sel = results["rule_id"].eq(rule_id)
    if target is not None:
        sel &= results["target"].eq(target)
    if sample is not None:
        sel &= results["sample"].eq(sample)
    assert sel.sum() == 1, results[sel]
    return results[sel].iloc[0]


# --------------------------------------------------------------------------------------------
# rules on single runs


def test_good_plate_passes_with_hand_computed_values(spec: check.Spec) -> None:
    results = check_run(plate(), spec, run="good")
    assert verdict(results) == "pass"
    assert exit_code(results) == 0
    assert list(results.columns) == list(check.RESULT_COLUMNS)
    assert row(results, "cq-GAPDH")["value"] == pytest.approx(18.0)
    assert row(results, "dcq-MYC-GAPDH")["value"] == pytest.approx(6.5)
    assert row(results, "dcq-MYC-B-A")["value"] == pytest.approx(-1.9)
    # ΔCq_B = 22.6 - (18.1 + 19.6)/2 = 3.75; ΔCq_A = 24.5 - 18.75 = 5.75; FC = 2^2
    assert row(results, "fc-MYC")["value"] == pytest.approx(4.0)
    # replicate SD of (-0.05, 0, 0.05) offsets is 0.05 in every group
    assert results.loc[results["rule_id"].eq("rep-sd"), "value"].to_numpy() == pytest.approx(0.05)
    for target in LEVEL:
        assert row(results, "eff", target)["value"] == pytest.approx(100.0, abs=1e-9)
        assert row(results, "ntc", target)["observed"] == "undetermined (2)"
    # 3 targets x (6 sample + 15 standard) wells; NTCs do not count
    assert row(results, "valid")["value"] == 63


def test_shifted_target_fails_the_right_rules(spec: check.Spec) -> None:
    wells = plate()
    myc_a = wells["target"].eq("MYC") & wells["sample"].eq("REF_A")
    wells.loc[myc_a, "cq"] += 1.0
    results = check_run(wells, spec)
    assert failed(results) == {
        ("cq-MYC", "MYC"),
        ("dcq-MYC-GAPDH", "MYC vs GAPDH"),
        ("fc-MYC", "MYC"),
    }
    assert row(results, "cq-MYC")["value"] == pytest.approx(25.5)
    assert row(results, "fc-MYC")["value"] == pytest.approx(8.0)  # ΔΔCq = -3
    assert row(results, "dcq-MYC-B-A")["status"] == "warn"  # -2.9 vs -1.9 ± 0.3, a warn rule
    assert exit_code(results) == 3


def test_contaminated_ntc_fails_for_its_target_only(spec: check.Spec) -> None:
    results = check_run(plate(ntc={"MYC": 31.0}), spec)
    assert failed(results) == {("ntc", "MYC")}
    # highest MYC sample Cq: lowest standard 24.5 + 3·3.321928 + 0.05 = 34.515784
    margin = 31.0 - (24.5 - 3 * SLOPE + 0.05)
    assert (
        row(results, "ntc", "MYC")["observed"]
        == f"1/2 amplified, min Cq 31.00, margin {margin:.2f}"
    )


def test_late_ntc_passes_absolute_and_margin_limits(spec: check.Spec) -> None:
    # GAPDH highest sample Cq 28.016; 39.5 clears both Cq >= 35 and a 5-cycle margin
    results = check_run(plate(ntc={"GAPDH": 39.5}), spec)
    assert row(results, "ntc", "GAPDH")["status"] == "pass"


def test_replicate_outlier_fails_replicate_rule(spec: check.Spec) -> None:
    results = check_run(plate(outlier=("GAPDH", "REF_B", 0.8)), spec)
    assert failed(results) == {("rep-sd", "GAPDH")}
    sd = np.std([18.05, 18.1, 18.95], ddof=1)
    got = row(results, "rep-sd", "GAPDH")
    assert got["value"] == pytest.approx(sd)
    assert got["sample"] == "REF_B"


def test_poor_standard_curve_fails_efficiency_and_r_squared(spec: check.Spec) -> None:
    wells = plate(slope={"MYC": -3.6}, bend={"MYC": 4.0})
    results = check_run(wells, spec)
    assert failed(results) == {("eff", "MYC"), ("r2", "MYC")}
    std = wells[wells["sample_type"].eq("std") & wells["target"].eq("MYC")]
    fit = stats.linregress(np.log10(std["quantity"]), std["cq"])
    expected = 100 * (10 ** (-1 / fit.slope) - 1)
    assert row(results, "eff", "MYC")["value"] == pytest.approx(expected)
    assert row(results, "r2", "MYC")["value"] == pytest.approx(fit.rvalue**2)
    assert fit.rvalue**2 < 0.98
    assert expected < 90


def test_omitted_and_failed_wells_reduce_valid_count(spec: check.Spec) -> None:
    wells = plate()
    wells["omitted"] = False
    wells.loc[:3, "omitted"] = True  # four GAPDH wells
    results = check_run(wells, spec)
    assert row(results, "valid")["value"] == 59
    assert row(results, "valid")["status"] == "fail"


def test_missing_target_fails_instead_of_passing(spec: check.Spec) -> None:
    wells = plate()
    results = check_run(wells[wells["target"] != "MYC"], spec)
    assert row(results, "cq-MYC")["observed"] == "no usable Cq"
    assert row(results, "cq-MYC")["status"] == "fail"


def test_reference_stability_matches_genorm_definition() -> None:
    rng = np.random.default_rng(7)
    samples = [f"S{i}" for i in range(5)]
    table = pd.DataFrame(
        rng.normal(0, 0.3, (5, 3)) + np.array([18.0, 19.5, 21.0]),
        index=samples,
        columns=["G1", "G2", "G3"],
    )
    wells = table.stack().rename("cq").reset_index()
    wells.columns = ["sample", "target", "cq"]
    wells = wells.assign(well=None, sample_type="unkn", cq_status="ok")
    # M_j = mean over k != j of SD(Cq_j - Cq_k) (Vandesompele 2002)
    m = {
        gene: np.mean([np.std(table[gene] - table[g], ddof=1) for g in table if g != gene])
        for gene in table
    }
    limit = float(np.median(list(m.values())))  # one gene above, two at or below
    spec = parse_spec(
        '[[rule]]\nid = "m"\ntype = "reference_stability"\ntargets = ["G1", "G2", "G3"]\n'
        f"max_m = {limit!r}\n"
    )
    results = check_run(wells, spec)
    for gene in table:
        got = row(results, "m", gene)
        assert got["value"] == pytest.approx(m[gene])
        assert got["status"] == ("pass" if m[gene] <= limit else "fail")
    assert sorted(results["status"]) == ["fail", "pass", "pass"]


def test_reference_stability_needs_three_samples() -> None:
    spec = parse_spec(
        '[[rule]]\nid = "m"\ntype = "reference_stability"\ntargets = ["GAPDH", "ACTB", "MYC"]\n'
        "max_m = 0.5\n"
    )
    results = check_run(plate(), spec)  # only REF_A and REF_B are measured samples
    assert list(results["status"]) == ["fail"]
    assert "2 sample(s); expected at least 3" in results["observed"].iloc[0]


# --------------------------------------------------------------------------------------------
# spec errors


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SPEC.replace("expected = 24.5", "expected = "), encoding="utf-8")
    line = SPEC.splitlines().index("expected = 24.5") + 1
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    assert f"bad.toml line {line}, column 12" in str(info.value)
    assert "not valid TOML" in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "needle", "hint"),
    [
        ("tolerance = 0.3\n", "tolerence = 0.3\n", "unknown key 'tolerence'", "'tolerance'"),
        ('type = "delta_cq"', 'type = "deltacq"', "unknown rule type", "'delta_cq'"),
        (
            'severity = "warn"\n\n[[rule]]\nid = "fc',
            'severity = "warning"\n\n[[rule]]\nid = "fc',
            "severity",
            "",
        ),
    ],
)
def test_spec_mistakes_name_line_and_suggest(old: str, new: str, needle: str, hint: str) -> None:
    text = SPEC.replace(old, new, 1)
    assert text != SPEC
    first_changed = new.splitlines()[0]
    line = text.splitlines().index(first_changed) + 1
    with pytest.raises(ConfigError) as info:
        parse_spec(text, source="s.toml")
    message = str(info.value)
    assert f"s.toml line {line}" in message
    assert needle in message
    assert hint in message


def test_spec_duplicate_id_missing_key_and_no_rules() -> None:
    with pytest.raises(ConfigError, match="duplicate rule id 'cq-GAPDH'"):
        parse_spec(SPEC.replace('id = "cq-MYC"', 'id = "cq-GAPDH"'))
    with pytest.raises(ConfigError, match="missing key"):
        parse_spec('[[rule]]\nid = "a"\ntype = "cq"\ntarget = "X"\nexpected = 1\n')
    with pytest.raises(ConfigError, match="no rules"):
        parse_spec('[spec]\nname = "x"\n')
    with pytest.raises(ConfigError, match="must be a number"):
        parse_spec(SPEC.replace("expected = 18.0", 'expected = "18"'))
    with pytest.raises(ConfigError, match=r"unknown table or key 'rules'.*Did you mean 'rule'"):
        parse_spec(SPEC.replace("[[rule]]", "[[rules]]", 1))
    with pytest.raises(ConfigError, match="at least three reference genes"):
        parse_spec(
            '[[rule]]\nid = "m"\ntype = "reference_stability"\ntargets = ["A", "B"]\nmax_m = 0.5\n'
        )
    with pytest.raises(ConfigError, match="unknown rules value '1-2s'"):
        parse_spec(SPEC + '[history]\nrules = ["1-2s"]\n')


def test_example_spec_and_runs() -> None:
    folder = Path(__file__).parents[1] / "examples" / "reference_plate"
    spec = load_spec(folder / "spec.toml")
    for run in sorted((folder / "runs").glob("*.csv")):
        assert verdict(check_run(run, spec)) == "pass", run
    bad = check_run(folder / "bad" / "refplate_ntc_contaminated.csv", spec)
    assert failed(bad) == {("ntc-clean", "MYC")}


# --------------------------------------------------------------------------------------------
# Westgard rules


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.5, 3.5, -0.2], [("1-3s", 1)]),
        ([0.5, -3.01], [("1-3s", 1)]),
        ([2.5, 2.1], [("2-2s", 1)]),
        ([2.5, -2.1], [("R-4s", 1)]),
        ([1.5, 1.2, 1.1, 1.9], [("4-1s", 3)]),
        ([-1.5, -1.2, -1.1, 0.2], []),
        ([0.3] * 10, [("10-x", 9)]),
        ([0.3] * 12, [("10-x", 9), ("10-x", 10), ("10-x", 11)]),
        ([0.3] * 9 + [-0.3], []),
        ([3.0, 2.0, 1.0, -1.0], []),  # limits are strict: exactly 3 SD or 2 SD is not beyond
    ],
)
def test_westgard_rules_on_hand_series(values: list[float], expected: list[tuple]) -> None:
    got = [(v.rule, v.index) for v in westgard(values, mean=0.0, sd=1.0)]
    assert sorted(got) == sorted(expected)


def test_westgard_scales_and_skips_missing_points() -> None:
    # mean 20, SD 0.2: 20.5 and 20.45 are both beyond +2 SD; the NaN run is skipped
    got = westgard([20.5, np.nan, 20.45], mean=20.0, sd=0.2, rules=["2-2s"])
    assert got == [check.Violation("2-2s", 2, (0, 2))]
    with pytest.raises(InputError, match="positive"):
        westgard([1.0], mean=0.0, sd=0.0)
    with pytest.raises(InputError, match="Did you mean '1-3s'"):
        westgard([1.0], mean=0.0, sd=1.0, rules=["1-3S"])


def _naive_westgard(z: list[float]) -> set[tuple[str, int]]:
    out = set()
    for i in range(len(z)):
        if abs(z[i]) > 3:
            out.add(("1-3s", i))
        if i >= 1:
            a, b = z[i - 1], z[i]
            if (a > 2 and b > 2) or (a < -2 and b < -2):
                out.add(("2-2s", i))
            if (a > 2 and b < -2) or (a < -2 and b > 2):
                out.add(("R-4s", i))
        if i >= 3 and (
            all(x > 1 for x in z[i - 3 : i + 1]) or all(x < -1 for x in z[i - 3 : i + 1])
        ):
            out.add(("4-1s", i))
        if i >= 9 and (
            all(x > 0 for x in z[i - 9 : i + 1]) or all(x < 0 for x in z[i - 9 : i + 1])
        ):
            out.add(("10-x", i))
    return out


@given(
    st.lists(st.floats(-4.5, 4.5, allow_nan=False), max_size=30),
    st.floats(0.05, 5),
    st.floats(-50, 50),
)
def test_westgard_matches_naive_loop(z: list[float], sd: float, mean: float) -> None:
    values = [mean + x * sd for x in z]
    zs = [(v - mean) / sd for v in values]  # the z the implementation sees
    got = {(v.rule, v.index) for v in westgard(values, mean, sd)}
    assert got == _naive_westgard(zs)


# --------------------------------------------------------------------------------------------
# history


HISTORY_SPEC = """\
[[rule]]
id = "valid"
type = "valid_wells"
min = 60

[history]
baseline_runs = 20
metrics = ["mean_cq"]
"""


def _run_history(tmp_path: Path, offsets: list[float]) -> list[pd.DataFrame]:
    spec = parse_spec(HISTORY_SPEC)
    history = tmp_path / "history.csv"
    return [
        check_run(plate(shift=off), spec, history=history, run=f"run{i + 1:02d}")
        for i, off in enumerate(offsets)
    ]


BASELINE = [0.1 if k % 2 == 0 else -0.1 for k in range(20)]  # runs 1..20 alternate ±0.1


def test_history_drift_triggers_expected_westgard_rules(tmp_path: Path) -> None:
    drift = [0.06 * k for k in range(1, 11)]  # runs 21..30 creep upwards
    runs = _run_history(tmp_path, BASELINE + drift)
    sd = np.std(BASELINE, ddof=1)  # 0.102598; baseline mean 0
    z = np.array(drift) / sd  # 0.58, 1.17, 1.75, 2.34, 2.92, 3.51, ...
    fired: dict[str, list[int]] = {}
    for number, results in enumerate(runs, start=1):
        trend = results[results["rule_id"].str.startswith("westgard")]
        gapdh = trend[trend["target"].eq("GAPDH") & trend["sample"].eq("REF_A")]
        assert len(gapdh) == 5
        if number <= 20:
            assert set(gapdh["status"]) == {"skip"}
        for rule_id in gapdh.loc[gapdh["status"].isin(["warn", "fail"]), "rule_id"]:
            fired.setdefault(rule_id, []).append(number)
    first = {rule: numbers[0] for rule, numbers in fired.items()}
    assert first == {
        "westgard-2-2s/mean_cq": 25,  # z 2.34 then 2.92
        "westgard-4-1s/mean_cq": 25,  # runs 22-25 above +1 SD
        "westgard-1-3s/mean_cq": 26,  # z 3.51
        "westgard-10-x/mean_cq": 30,  # runs 21-30 above the mean (run 20 was below)
    }
    assert z[2] < 2 < z[3]
    assert z[4] < 3 < z[5]
    last = runs[-1]
    assert row(last, "westgard-1-3s/mean_cq", "GAPDH", "REF_A")["status"] == "fail"
    assert row(last, "westgard-10-x/mean_cq", "MYC", "REF_B")["status"] == "warn"  # default
    assert exit_code(last) == 3
    assert len(read_history(tmp_path / "history.csv")["run"].unique()) == 30


def test_history_stable_triggers_nothing(tmp_path: Path) -> None:
    wobble = [0.08, -0.05, 0.12, -0.15, 0.02, -0.07, 0.1, -0.12, 0.05, -0.02]
    runs = _run_history(tmp_path, BASELINE + wobble)
    for results in runs[20:]:
        trend = results[results["rule_id"].str.startswith("westgard")]
        assert len(trend) == 6 * 5  # 3 targets x 2 samples x 5 rules
        assert set(trend["status"]) == {"pass"}
        assert verdict(results) == "pass"


def test_history_uses_fixed_limits_and_does_not_append_a_run_twice(tmp_path: Path) -> None:
    spec = parse_spec(
        HISTORY_SPEC
        + '[[history.limit]]\nmetric = "mean_cq"\ntarget = "GAPDH"\nsample = "REF_A"\n'
        + "mean = 17.5\nsd = 0.1\n"
    )
    history = tmp_path / "h.csv"
    first = check_run(plate(), spec, history=history, run="a")
    gapdh = row(first, "westgard-1-3s/mean_cq", "GAPDH", "REF_A")
    assert gapdh["status"] == "fail"  # z = +5
    assert "z +5.00" in gapdh["observed"]
    assert row(first, "westgard-1-3s/mean_cq", "GAPDH", "REF_B")["status"] == "skip"
    rows_before = len(read_history(history))
    again = check_run(plate(), spec, history=history, run="a")
    assert len(read_history(history)) == rows_before
    pd.testing.assert_frame_equal(first, again)


def test_history_values_are_the_run_key_values(tmp_path: Path, spec: check.Spec) -> None:
    history = tmp_path / "h.csv"
    check_run(plate(ntc={"MYC": 36.0}), spec, history=history, run="r1")
    table = read_history(history)
    assert list(table.columns) == list(check.HISTORY_COLUMNS)
    value = table.set_index(["metric", "target", "sample"])["value"]
    assert value[("mean_cq", "MYC", "REF_B")] == pytest.approx(22.6)
    assert value[("delta_cq", "MYC vs GAPDH", "REF_A")] == pytest.approx(6.5)
    assert value[("delta_cq", "MYC", "REF_B vs REF_A")] == pytest.approx(-1.9)
    assert value[("efficiency", "ACTB", "")] == pytest.approx(100.0)
    assert value[("ntc_detected", "MYC", "")] == 1
    assert value[("ntc_detected", "GAPDH", "")] == 0


def _history_rows(run: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": run,
            "digest": run * 4,
            "recorded_at": "2026-11-26T10:00:00+00:00",
            "metric": "mean_cq",
            "target": ["GAPDH", "ACTB"],
            "sample": "REF",
            "value": [18.0, 19.5],
        }
    )


@pytest.mark.parametrize("crash", ["replace", "write"])
def test_history_crash_leaves_earlier_runs_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash: str
) -> None:
    from qpcr import atomic

    path = tmp_path / "history.csv"
    append_history(path, _history_rows("r1"))
    append_history(path, _history_rows("r2"))
    before = path.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    if crash == "replace":
        monkeypatch.setattr(atomic.os, "replace", boom)
    else:
        real = os.fsync

        def half_written(fd: int) -> None:
            os.write(fd, b"r3,partial")
            real(fd)
            boom()

        monkeypatch.setattr(atomic.os, "fsync", half_written)
    with pytest.raises(InputError, match=r"history.csv: cannot write here \(disk full"):
        append_history(path, _history_rows("r3"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]  # no lock file left
    monkeypatch.undo()
    append_history(path, _history_rows("r3"))
    assert list(read_history(path)["run"]) == ["r1", "r1", "r2", "r2", "r3", "r3"]
    assert path.read_bytes().startswith(before)


def _append_many(path: str, prefix: str) -> None:
    for i in range(15):
        append_history(path, _history_rows(f"{prefix}{i}"))


def test_concurrent_appends_lose_nothing(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    path = str(tmp_path / "history.csv")
    with ProcessPoolExecutor(3) as pool:
        list(pool.map(_append_many, [path] * 3, ["a", "b", "c"]))
    runs = read_history(path)["run"]
    assert len(runs) == 3 * 15 * 2
    assert sorted(set(runs)) == sorted(f"{p}{i}" for p in "abc" for i in range(15))


def test_history_in_a_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder does not exist"):
        append_history(tmp_path / "nope" / "h.csv", _history_rows("r1"))


def test_history_with_wrong_columns_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        read_history(path)


# --------------------------------------------------------------------------------------------
# reports


ISO_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
#: Jenkins junit-10.xsd (xunit plugin): element -> (required, allowed) attributes
JUNIT_10 = {
    "testsuites": (set(), {"name", "time", "tests", "failures", "disabled", "errors"}),
    "testsuite": (
        {"name", "tests"},
        {"name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp",
         "hostname", "id", "package"},
    ),
    "testcase": ({"name"}, {"name", "assertions", "time", "classname", "status"}),
    "failure": (set(), {"type", "message"}),
    "skipped": (set(), {"message"}),
    "system-out": (set(), set()),
}  # fmt: skip
#: Ant / windyroad JUnit.xsd: attributes required of a testsuite inside testsuites, and of a
#: testcase
WINDYROAD_SUITE = {"name", "package", "id", "timestamp", "hostname", "tests", "failures", "errors",
                   "time"}  # fmt: skip
WINDYROAD_CASE = {"name", "classname", "time"}


def test_junit_follows_the_common_schemas(spec: check.Spec) -> None:
    results = pd.concat(
        [
            check_run(plate(), spec, run="good"),
            check_run(plate(ntc={"MYC": 30.0}), spec, run="bad"),
        ],
        ignore_index=True,
    )
    results.loc[0, "status"] = "skip"
    root = ET.fromstring(to_junit(results).split("\n", 1)[1])
    assert root.tag == "testsuites"
    for element in root.iter():
        required, allowed = JUNIT_10[element.tag]
        assert required <= set(element.attrib) <= allowed, element.tag
    children = {"testsuites": {"testsuite"}, "testsuite": {"testcase"}}
    children["testcase"] = {"failure", "skipped", "system-out"}
    for element in root.iter():
        assert {c.tag for c in element} <= children.get(element.tag, set()), element.tag
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["good", "bad"]
    for i, suite in enumerate(suites):
        assert set(suite.attrib) >= WINDYROAD_SUITE
        assert suite.get("id") == str(i)
        assert ISO_STAMP.match(suite.get("timestamp"))
        assert float(suite.get("time")) == 0.0
        cases = suite.findall("testcase")
        assert all(set(case.attrib) >= WINDYROAD_CASE for case in cases)
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(len(c.findall("failure")) for c in cases)
        assert int(suite.get("skipped")) == sum(len(c.findall("skipped")) for c in cases)
        assert int(suite.get("errors")) == 0
        for failure in suite.iter("failure"):
            assert failure.get("type")
            assert failure.get("message")
    bad_failures = [c for c in suites[1].findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in bad_failures] == ["ntc [MYC]"]
    assert "min Cq 30.00" in bad_failures[0].find("failure").get("message")
    assert int(root.get("tests")) == len(results)
    assert int(root.get("failures")) == 1
    assert suites[0].get("skipped") == "1"


def test_junit_warn_rows_pass_with_a_message(spec: check.Spec) -> None:
    wells = plate()
    wells.loc[wells["target"].eq("MYC") & wells["sample"].eq("REF_B"), "cq"] += 0.5
    results = check_run(wells, spec, run="w")
    assert row(results, "dcq-MYC-B-A")["status"] == "warn"
    root = ET.fromstring(to_junit(results).split("\n", 1)[1])
    case = next(c for c in root.iter("testcase") if c.get("name").startswith("dcq-MYC-B-A"))
    assert case.find("failure") is None
    assert case.find("system-out").text.startswith("WARNING: expected ΔCq -1.90 ± 0.3")


def test_json_report_reads_back(spec: check.Spec) -> None:
    results = check_run(plate(ntc={"GAPDH": 25.0}), spec, run="r")
    report = json.loads(to_json(results, spec))
    assert report["verdict"] == "fail"
    assert report["runs"] == {"r": "fail"}
    assert report["counts"]["fail"] == 1
    assert len(report["results"]) == len(results)
    assert report["results"][0]["rule_id"] == "cq-GAPDH"
    ntc_rows = [r for r in report["results"] if r["rule_id"] == "ntc" and r["target"] == "ACTB"]
    assert ntc_rows[0]["value"] is None  # NaN becomes null


# --------------------------------------------------------------------------------------------
# init-spec


def test_init_spec_round_trip() -> None:
    runs = [plate(shift=s) for s in (-0.1, 0.0, 0.1)]
    text = init_spec(runs, reference=["GAPDH"], name="from tests")
    spec = parse_spec(text, source="init.toml")
    rules = {r.id: r for r in spec.rules}
    cq = rules["cq-GAPDH-REF_A"].params
    assert cq["expected"] == pytest.approx(18.0)
    assert cq["tolerance"] == pytest.approx(1.0)  # the prediction limit is below 1 cycle
    assert rules["dcq-MYC-GAPDH-REF_A"].params["expected"] == pytest.approx(6.5)
    # ΔCq does not move between runs: the limit is the replicates' scatter on 6 df
    assert 0.5 < rules["dcq-MYC-GAPDH-REF_A"].params["tolerance"] < 0.7
    assert rules["valid-wells"].params["min"] == 56  # floor(0.9 x 63)
    assert {"ntc-clean", "replicate-sd-MYC-REF_A", "efficiency", "r-squared"} <= set(rules)
    assert verdict(check_run(plate(), spec)) == "pass"
    shifted = plate()
    shifted.loc[shifted["target"].eq("ACTB") & shifted["sample"].eq("REF_A"), "cq"] += 1.2
    assert ("cq-ACTB-REF_A", "ACTB") in failed(check_run(shifted, spec))


def test_init_spec_tolerance_follows_observed_spread() -> None:
    runs = [plate(shift=s) for s in (-0.5, 0.0, 0.5)]
    spec = parse_spec(init_spec(runs))
    rule = next(r for r in spec.rules if r.id == "cq-MYC-REF_A")
    # between-run SD 0.5 from only 3 runs: the prediction limit is far wider than 3 × 0.5
    assert 3.0 < rule.params["tolerance"] < 4.0
    assert all(verdict(check_run(run, spec)) == "pass" for run in runs)
    with pytest.raises(ConfigError, match=r"(?i)did you mean 'GAPDH'"):
        init_spec(runs, reference=["GAPHD"])


# --------------------------------------------------------------------------------------------
# chart


def test_control_chart_png(tmp_path: Path) -> None:
    values = [*(18.0 + np.array(BASELINE)), *(18.0 + 0.06 * np.arange(1, 11))]
    history = pd.DataFrame(
        {
            "run": [f"run{i:02d}" for i in range(1, 31)],
            "digest": "x",
            "recorded_at": "",
            "metric": "mean_cq",
            "target": "GAPDH",
            "sample": "REF_A",
            "value": values,
        }
    )
    out = check.plot_control_chart(history, parse_spec(HISTORY_SPEC), tmp_path / "chart.png")
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG")
    assert 10_000 < len(data) < 1_000_000
    with pytest.raises(InputError, match="no watched values"):
        check.plot_control_chart(history.iloc[:0], parse_spec(HISTORY_SPEC), tmp_path / "e.png")


def test_layout_supplies_samples_types_and_quantities(tmp_path: Path, spec: check.Spec) -> None:
    wells = plate()
    export, layout = tmp_path / "run.csv", tmp_path / "layout.csv"
    wells[["well", "target", "cq"]].assign(sample="").to_csv(export, index=False)
    wells[["well", "sample", "sample_type", "quantity"]].to_csv(layout, index=False)
    with_layout = check_run(export, spec, layout=layout)
    pd.testing.assert_frame_equal(
        with_layout.drop(columns="run"), check_run(wells, spec).drop(columns="run")
    )
    assert with_layout["run"].unique().tolist() == ["run"]
    without = check_run(export, spec)  # no sample names or standards: rules fail, not pass
    assert row(without, "cq-GAPDH")["status"] == "fail"
    assert row(without, "eff")["observed"] == "no standard curve (no std wells)"


def test_parquet_history_without_pyarrow_is_an_input_error(tmp_path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match="needs the pyarrow package"):
            append_history(tmp_path / "h.parquet", _history_rows("r1"))
        assert list(tmp_path.iterdir()) == []  # nothing left behind, not even the lock file
    else:
        append_history(tmp_path / "h.parquet", _history_rows("r1"))
        append_history(tmp_path / "h.parquet", _history_rows("r2"))
        assert list(read_history(tmp_path / "h.parquet")["run"]) == ["r1", "r1", "r2", "r2"]


def test_constant_baseline_gives_no_limits(tmp_path: Path) -> None:
    spec = parse_spec(HISTORY_SPEC.replace("baseline_runs = 20", "baseline_runs = 2"))
    history = tmp_path / "h.csv"
    runs = [check_run(plate(), spec, history=history, run=f"r{i}") for i in range(3)]
    third = row(runs[2], "westgard-1-3s/mean_cq", "GAPDH", "REF_A")
    assert third["status"] == "skip"
    assert third["expected"] == "baseline of 2 runs has SD 0: no limits"
    second = row(runs[1], "westgard-1-3s/mean_cq", "GAPDH", "REF_A")
    assert second["observed"] == "18.00 (2/2 baseline runs)"


def test_init_spec_notes_rules_the_given_runs_violate() -> None:
    text = init_spec([plate(ntc={"MYC": 31.0})])
    lines = text.splitlines()
    note = next(i for i, line in enumerate(lines) if line.startswith("# NOTE"))
    assert lines[note + 1] == "[[rule]]"
    assert lines[note + 2] == 'id = "ntc-clean"'
    assert "e.g. MYC: observed 1/2 amplified, min Cq 31.00" in lines[note]
    assert text.count("# NOTE") == 1
    parse_spec(text)


@pytest.mark.parametrize(
    ("name", "violated"),
    [
        ("thermo/thermo_classic_qs7_96_full.txt", set()),
        # synthetic multiplex plate with random Cq per well and some wells without a sample
        # name: the limits learned from it pass it
        ("biorad/biorad_cfx384_multiplex_synthetic.csv", set()),
    ],
)
def test_init_spec_from_instrument_exports(data_dir: Path, name: str, violated: set) -> None:
    from qpcr.io import read_run

    path = data_dir / "exports" / name
    text = init_spec([read_run(path).wells])
    results = check_run(path, parse_spec(text))
    assert set(results.loc[results["status"].eq("fail"), "rule_id"]) == violated
    assert text.count("# NOTE") == len(violated)
    assert 'sample = ""' in text or not violated
    assert results["run"].unique().tolist() == [path.stem]


def test_history_key_is_the_export_content_and_the_spec(tmp_path: Path) -> None:
    """The same export under two names is one run; under another spec it is another run."""
    export = tmp_path / "monday.csv"
    plate().drop(columns="cq_status").to_csv(export, index=False)
    copy = tmp_path / "monday-again.csv"
    copy.write_bytes(export.read_bytes())
    history = tmp_path / "history.csv"
    spec = parse_spec(HISTORY_SPEC)
    check_run(export, spec, history=history)
    rows = len(read_history(history))
    check_run(copy, spec, history=history)  # same bytes, another name: not appended
    check_run(export, spec, history=history, run="renamed")
    assert len(read_history(history)) == rows > 0
    stricter = parse_spec(HISTORY_SPEC.replace("min = 60", "min = 70"))
    check_run(export, stricter, history=history)  # another spec: another run
    table = read_history(history)
    assert len(table) == 2 * rows
    assert table["digest"].nunique() == 2
    assert list(table["run"].unique()) == ["monday"]
