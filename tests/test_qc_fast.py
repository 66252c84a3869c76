"""The QC stage's fast paths held to the formulations they replace (issue 14): each test
computes the plain formulation here and asks for equality to the last bit."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr.outliers import (
    MOD_Z_FACTOR,
    _exact_cq_sd,
    flag_groups,
    flag_replicate_outliers,
    grubbs_critical,
    poisson_range_limit,
)


def _plain_cq_sd(copies: float, log_e: float) -> float:
    """The SD of log_E N over N ~ Poisson(λ) given N ≥ 1, summed over freshly made terms."""
    from scipy import special

    k = np.arange(1.0, math.ceil(copies + 12.0 * math.sqrt(copies) + 30.0))
    p = np.exp(k * math.log(copies) - copies - special.gammaln(k + 1.0))
    p /= p.sum()
    x = np.log(k) / log_e
    mean = float(p @ x)
    return math.sqrt(float(p @ (x - mean) ** 2))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.floats(1e-6, 2000.0), st.integers(1, 2000).map(float)),
    st.sampled_from([2.0, 1.9, 1.75]),
)
def test_exact_cq_sd_from_shared_terms_equals_fresh_sum(copies: float, efficiency: float) -> None:
    log_e = math.log(efficiency)
    assert _exact_cq_sd.__wrapped__(copies, log_e) == _plain_cq_sd(copies, log_e)


def _plain_flags(cq: pd.Series, keys: list[pd.Series], method: str, limit: float) -> pd.DataFrame:
    """flag_replicate_outliers as pandas groupbys (range, poisson at Cq₁ 35, mad, grubbs)."""
    x = cq.astype(float)
    by = [*keys]
    grouped = x.groupby(by, dropna=False, sort=False)
    n = grouped.transform("count").to_numpy()
    spread = (grouped.transform("max") - grouped.transform("min")).to_numpy()
    out = pd.DataFrame({"outlier": False, "group_flagged": False, "rule": method,
                        "value": np.nan, "threshold": limit, "range": spread, "n": n.astype(int)},
                       index=x.index)  # fmt: skip
    if method == "grubbs":
        mean, sd = grouped.transform("mean"), grouped.transform("std")
        g = (x - mean).abs() / sd
        critical = pd.Series(grubbs_critical(n, limit), index=x.index)
        is_max = (g == g.groupby(by, dropna=False, sort=False).transform("max")) & g.notna()
        first_max = is_max & ~is_max.groupby(by, dropna=False, sort=False).cumsum().gt(1)
        out["rule"] = np.where(n >= 3, "grubbs", "grubbs (n<3, not tested)")
        out["value"] = g.where(n >= 3)
        out["threshold"] = critical
        out["outlier"] = (first_max & (n >= 3) & (g > critical)).to_numpy()
        out["group_flagged"] = out["outlier"].groupby(by, dropna=False, sort=False).transform("any")
        return out
    median = grouped.transform("median").to_numpy()
    if method == "poisson":
        range_cut = poisson_range_limit(median, n, limit, (35.0, 0.08))
    else:
        range_cut = np.full(len(x), limit if method == "range" else 0.5)
    z_cut = limit if method == "mad" else 3.5
    range_flag = spread > range_cut
    candidates = n >= 3 if method == "mad" else range_flag & (n >= 3)
    dev = (x - median).abs()
    mad = dev.groupby(by, dropna=False, sort=False).transform("median").to_numpy()
    z = MOD_Z_FACTOR * dev.to_numpy() / mad
    use_z = candidates & (mad > 0)
    out["rule"] = np.where(use_z, "modified_z", "range")
    out["value"] = np.where(use_z, z, spread)
    out["threshold"] = np.where(use_z, z_cut, range_cut)
    out["group_flagged"] = range_flag
    out["outlier"] = use_z & (z > z_cut)
    rows = pd.Series(candidates & (mad == 0), index=x.index)
    if rows.any():
        cut = pd.Series(range_cut, index=x.index)[rows]
        sub_keys = [k[rows] for k in by]
        far = dev[rows]
        candidate = far.groupby(sub_keys, dropna=False, sort=False).transform("idxmax")
        is_candidate = pd.Series(far.index == candidate.to_numpy(), index=far.index)
        others = x[rows].where(~is_candidate).groupby(sub_keys, dropna=False, sort=False)
        others_range = others.transform("max") - others.transform("min")
        out.loc[far.index, "rule"] = "range_fallback"
        out.loc[far.index, "value"] = far
        out.loc[far.index, "threshold"] = cut
        out.loc[far.index, "outlier"] = (
            is_candidate & (far > cut) & (others_range <= cut)
        ).to_numpy()
    if method == "mad":
        out["group_flagged"] = out["outlier"].groupby(by, dropna=False, sort=False).transform(
            "any"
        ).to_numpy() | ((n < 3) & range_flag)
    return out


_OFFSETS = [0.0, 0.0, 0.0, 0.05, 0.1, 0.5, 0.6, 2.5, np.nan]
_GROUP = st.tuples(
    st.sampled_from(["s1", "s2", "s3", None]),
    st.sampled_from(["T1", "T2"]),
    st.sampled_from([18.0, 24.0, 31.5, 34.0]),
    st.lists(st.sampled_from(_OFFSETS), min_size=1, max_size=7),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_GROUP, max_size=6),
    st.sampled_from(["range", "poisson", "mad", "grubbs"]),
    st.randoms(use_true_random=False),
)
def test_flag_replicate_outliers_equals_pandas_groupbys(groups, method, random) -> None:
    """Replicate groups with ties (MAD = 0), outliers and missing keys, in shuffled order."""
    rows = [(sample, target, cq + d) for sample, target, cq, ds in groups for d in ds]
    random.shuffle(rows)
    frame = pd.DataFrame(rows, columns=["sample", "target", "cq"]).astype({"cq": float})
    frame.index = pd.Index(np.arange(len(frame))[::-1] * 3 + 7)
    keys = [frame["sample"], frame["target"]]
    limit = {"range": 0.5, "poisson": 0.5, "mad": 3.5, "grubbs": 0.05}[method]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = flag_replicate_outliers(frame["cq"], keys, method=method)
        want = _plain_flags(frame["cq"], keys, method, limit)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


@settings(max_examples=300, deadline=None)
@given(st.lists(_GROUP, max_size=6), st.sampled_from([0.3, 0.5, 1.0]))
def test_poisson_limits_of_groups_the_floor_clears_left_out_change_nothing_else(
    groups, floor
) -> None:
    """flag_groups(every_limit=False) under poisson: the same flags, rules, values and the
    limits of every group whose range exceeds the floor; NaN limits only for the others."""
    cq = np.array([cq + d for _, _, cq, ds in groups for d in ds], dtype=float)
    code = np.repeat(np.arange(len(groups)), [len(ds) for *_, ds in groups])
    sampling = (np.where(cq > 30, 33.0, 35.0), 0.08)
    every = flag_groups(cq, code, "poisson", floor, sampling=sampling)
    needed = flag_groups(cq, code, "poisson", floor, sampling=sampling, every_limit=False)
    for column in ("outlier", "group_flagged", "rule", "value", "range", "n"):
        assert np.array_equal(every[column], needed[column], equal_nan=column in ("value", "range"))
    cleared = ~(every["range"] > floor)
    assert np.isnan(needed["threshold"][cleared]).all()
    assert needed["threshold"][~cleared].tolist() == every["threshold"][~cleared].tolist()


_WELL = st.tuples(
    st.sampled_from(["p1", "p2"]),
    st.sampled_from(["s1", "s2", None]),
    st.sampled_from(["MYC", "TBP", None]),
    st.sampled_from(["unkn", "unkn", "unkn", "ntc", None]),
    st.sampled_from([18.0, 18.1, 18.2, 24.0, 24.6, 26.5, 31.0, 33.9, 35.2, np.nan]),
)


def _wells(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["plate", "sample", "target", "sample_type", "cq"])
    return frame.assign(
        well=[f"A{i + 1}" for i in range(len(frame))],
        cq=frame["cq"].astype(float),
        cq_status=np.where(frame["cq"].isna(), "undetermined", "ok"),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(_WELL, max_size=40), st.sampled_from(["range", "poisson", "mad", "grubbs"]))
def test_apply_qc_outliers_equal_flag_replicate_outliers_on_the_used_wells(rows, rule) -> None:
    """The wells the QC stage flags (its groups numbered once for every rule) are those
    flag_replicate_outliers flags among the wells no other rule excluded, grouped by their
    plate, sample and target columns."""
    from qpcr.config import AnalysisConfig
    from qpcr.lowcopy import single_copy_cqs
    from qpcr.qc import apply_qc

    config = AnalysisConfig(outlier_rule=rule, keep_outliers=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        checked, _ = apply_qc(_wells(rows), config)
        used = (~checked["excluded"] & ~checked["censored"]).to_numpy()
        kept = checked[used]
        want = flag_replicate_outliers(
            kept["cq_used"], [kept["plate"], kept["sample"], kept["target"]], method=rule,
            threshold=0.5 if rule in ("range", "poisson") else None,
            sampling=(single_copy_cqs(kept["target"], config), config.pipetting_sd),
        )  # fmt: skip
    assert checked["outlier"].to_numpy()[used].tolist() == want["outlier"].tolist()
    assert not checked["outlier"].to_numpy()[~used].any()


@settings(max_examples=150, deadline=None)
@given(st.lists(_WELL, max_size=40), st.data())
def test_groups_of_a_subset_equal_group_codes_of_its_keys(rows, data) -> None:
    from qpcr.config import AnalysisConfig
    from qpcr.grouped import group_codes
    from qpcr.qc_wells import _Plate

    wells = _wells(rows)
    state = (
        np.zeros(len(wells), dtype=bool),
        np.full(len(wells), np.nan),
        np.zeros(len(wells), dtype=bool),
    )
    plate = _Plate.of(wells, state, AnalysisConfig())
    at = np.flatnonzero(
        data.draw(st.lists(st.booleans(), min_size=len(wells), max_size=len(wells)))
    )
    keys = [wells[k].iloc[at] for k in ("plate", "sample", "target")]
    assert plate.groups(at).tolist() == group_codes(keys, len(at)).tolist()
    assert (
        plate.keyed[at].tolist()
        == np.logical_and.reduce([k.notna().to_numpy() for k in keys], initial=True).tolist()
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(_WELL, max_size=40))
def test_ntc_events_hold_ntc_wells_to_the_highest_sample_cq_of_their_target(rows) -> None:
    from qpcr.config import AnalysisConfig
    from qpcr.qc import apply_qc

    wells = _wells(rows)
    checked, events = apply_qc(wells, AnalysisConfig(ntc_margin=5.0, outlier_rule="none"))
    samples = checked[
        checked["sample_type"].eq("unkn") & checked["cq"].notna() & ~checked["excluded"]
    ]
    top = samples.groupby("target")["cq"].max()
    ntc = checked[checked["sample_type"].eq("ntc") & checked["cq"].notna()]
    want = [well for well, target, cq in zip(ntc["well"], ntc["target"], ntc["cq"], strict=True)
            if not cq - top.get(target, np.nan) >= 5.0]  # fmt: skip
    assert events.loc[events["code"].eq("ntc_amplification"), "well"].tolist() == want


@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30),
    st.sampled_from([1, 2]),
)
def test_detail_text_equals_pandas_round_as_text(values, decimals) -> None:
    from qpcr.qc import _detail

    array = np.array(values, dtype=float)
    hit = np.arange(len(array)) % 2 == 0
    want = pd.Series(array[hit]).round(decimals).astype(str).tolist()
    got = _detail(array, hit, decimals)[hit].tolist()
    assert [v if isinstance(v, str) else "NaN" for v in got] == [
        v if isinstance(v, str) else "NaN" for v in want
    ]
    assert all(isinstance(v, float) and np.isnan(v) for v in _detail(array, hit, decimals)[~hit])


_CELL = st.sampled_from(["A1", "", np.nan, None, 1.5, np.float64(2.5), 3, np.int64(4), True, pd.NA])
_NUMBERS = ("observed", "value", "threshold")
_EVENT_KEYS = ("plate", "well", "sample", "target", "severity", *_NUMBERS, "message")


def _events(cell) -> st.SearchStrategy:
    """Lists of event dicts: a code and some of the other columns, each cell from ``cell``."""
    code = st.sampled_from(["nondetect", "isolated_nondetect", "low_copy"])
    optional = {c: cell(c) for c in _EVENT_KEYS}
    return st.lists(st.fixed_dictionaries({"code": code}, optional=optional), max_size=6)


def _plain_cell(column: str) -> st.SearchStrategy:
    if column in _NUMBERS:
        return st.sampled_from([1.5, np.float64(2.5), np.nan, 2.0])
    return st.sampled_from(["A1", "MYC", "", np.nan, None])


@settings(max_examples=300, deadline=None)
@given(st.one_of(_events(_plain_cell), _events(lambda c: st.one_of(_plain_cell(c), _CELL))))
def test_event_table_equals_the_table_pandas_reads_from_the_rows(rows) -> None:
    from qpcr.qc import _RULE_SPELLING, EVENT_COLUMNS, event_table

    with warnings.catch_warnings():  # exotic cells: pandas warns of its own reading
        warnings.simplefilter("ignore")
        frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
        observed = frame["observed"].fillna(frame["value"])
        want = frame.assign(
            rule=[_RULE_SPELLING.get(c, c.replace("_", "-")) for c in frame["code"]],
            observed=observed,
            value=observed,
        )
        got = event_table(rows)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for column in want:
        assert [type(v) for v in got[column]] == [type(v) for v in want[column]], column


def _plain_nondetect_state(
    wells: pd.DataFrame, policy: str, limit: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`qpcr.censoring.nondetect_state` as pandas calls on the columns."""
    cq = pd.to_numeric(wells["cq"], errors="coerce").astype(float).to_numpy()
    status = wells["cq_status"]
    ok = status.eq("ok").to_numpy(dtype=bool, na_value=False) & ~np.isnan(cq)
    beyond = ok & (cq >= limit)
    nondetect = status.eq("undetermined").to_numpy(dtype=bool, na_value=False) | beyond
    cq_used = np.where(ok & ~beyond, cq, np.nan)
    if policy != "exclude":
        cq_used = np.where(nondetect, float(limit), cq_used)
    return nondetect, cq_used, nondetect & (policy == "censor")


_CQ_CELL = st.one_of(st.floats(0.0, 50.0), st.just(float("nan")), st.none(), st.just("31.5"),
                     st.just("x"), st.integers(0, 45))  # fmt: skip
_STATUS_CELL = st.one_of(st.sampled_from(["ok", "undetermined", "missing", "invalid", ""]),
                         st.none(), st.just(float("nan")), st.just(3))  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_CQ_CELL, _STATUS_CELL), min_size=0, max_size=12),
    st.sampled_from(["censor", "substitute", "exclude"]),
    st.sampled_from([35.0, 40.0]),
    st.sampled_from([None, "str", object]),
)
def test_nondetect_state_equals_pandas_calls(
    cells: list[tuple[object, object]], policy: str, limit: float, status_dtype: object
) -> None:
    """The statuses compared as cells (and float Cq read as they are) give the arrays that the
    pandas calls give, for Cq of any dtype and statuses as text, objects or missing."""
    from qpcr.censoring import nondetect_state

    cq = [c for c, _ in cells]
    status = [s for _, s in cells]
    typed = pd.Series(status, dtype=status_dtype) if status_dtype != "str" else None
    if status_dtype == "str":
        typed = pd.Series([s if isinstance(s, str) else None for s in status], dtype="str")
    numbers = all(isinstance(c, float) for c in cq)
    for column in ([pd.Series(cq, dtype=float)] if numbers else []) + [pd.Series(cq, dtype=object)]:
        wells = pd.DataFrame({"cq": column, "cq_status": typed})
        got = nondetect_state(wells, policy, limit)  # type: ignore[arg-type]
        want = _plain_nondetect_state(wells, policy, limit)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
            assert g.dtype == w.dtype


def test_no_event_table_is_the_framed_one_and_a_copy() -> None:
    """The empty event table made once equals the one pandas frames from no rows (dtypes
    included), and each caller gets its own copy."""
    from qpcr.qc import EVENT_COLUMNS, _framed, event_table

    fresh = _framed([], [])
    first = event_table([])
    pd.testing.assert_frame_equal(first, fresh)
    assert list(first.columns) == list(EVENT_COLUMNS)
    assert first.dtypes.to_dict() == fresh.dtypes.to_dict()
    assert first.index.equals(fresh.index)
    first["message"] = pd.Series([], dtype=float)  # a caller changes its table
    first.loc[0] = np.nan
    second = event_table(iter([]))
    pd.testing.assert_frame_equal(second, fresh)
    assert event_table([]) is not event_table([])
