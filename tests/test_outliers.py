"""Technical-replicate outliers (methods §2.8: T01, T13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qpcr.errors import AssumptionWarning, ConfigError, InputError
from qpcr.outliers import flag_replicate_outliers, grubbs_critical

T13 = [25.0, 25.1, 26.4]


def _one_group(values: list[float]) -> tuple[pd.Series, pd.Series]:
    return pd.Series(values, dtype=float), pd.Series(["g"] * len(values))


def test_t13_range_rule_flags_group_and_modified_z_picks_the_well() -> None:
    cq, groups = _one_group(T13)
    out = flag_replicate_outliers(cq, groups)
    assert out["group_flagged"].all()
    assert out["range"].tolist() == pytest.approx([1.4] * 3)
    assert out["outlier"].tolist() == [False, False, True]
    assert out["rule"].tolist() == ["modified_z"] * 3
    assert out["value"].tolist() == pytest.approx([0.6745, 0.0, 8.7685], abs=1e-4)
    assert out["threshold"].tolist() == [3.5] * 3


def test_modified_z_matches_scipy_mad() -> None:
    from scipy import stats

    values = np.array([31.2, 31.3, 31.25, 33.0])
    cq, groups = _one_group(values.tolist())
    out = flag_replicate_outliers(cq, groups, method="mad")
    mad = stats.median_abs_deviation(values, scale=1.0)
    expected = 0.6745 * np.abs(values - np.median(values)) / mad
    assert out["value"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert out["outlier"].tolist() == [False, False, False, True]


def test_t13_grubbs_cannot_flag_the_triplicate_and_warns() -> None:
    cq, groups = _one_group(T13)
    with pytest.warns(AssumptionWarning, match=r"1\.154701"):
        out = flag_replicate_outliers(cq, groups, method="grubbs")
    assert out["value"].max() == pytest.approx(1.152332, abs=1e-6)
    assert out["threshold"].iloc[0] == pytest.approx(1.154305, abs=1e-6)
    assert not out["outlier"].any()
    assert not out["group_flagged"].any()


def test_grubbs_critical_values() -> None:
    assert grubbs_critical(3) == pytest.approx(1.154305, abs=1e-6)
    assert grubbs_critical(4) == pytest.approx(1.481250, abs=1e-6)
    assert grubbs_critical(6) == pytest.approx(1.887145, abs=1e-6)
    # one-sided at alpha 0.05 is the two-sided formula at alpha 0.10
    assert grubbs_critical(3, alpha=0.10) == pytest.approx(1.153118, abs=1e-6)
    assert np.isnan(grubbs_critical(2))


def test_grubbs_flags_with_six_replicates() -> None:
    values = [25.0, 25.1, 24.9, 25.05, 24.95, 26.5]
    cq, groups = _one_group(values)
    out = flag_replicate_outliers(cq, groups, method="grubbs")
    mean, sd = np.mean(values), np.std(values, ddof=1)
    assert out["value"].iloc[5] == pytest.approx((26.5 - mean) / sd, rel=1e-12)
    assert out["outlier"].tolist() == [False] * 5 + [True]


def test_t01_triplicate_passes_range_rule() -> None:
    cq, groups = _one_group([24.9, 25.1, 25.3])
    out = flag_replicate_outliers(cq, groups)
    assert not out["group_flagged"].any()
    assert not out["outlier"].any()
    assert out["value"].tolist() == pytest.approx([0.4] * 3)
    assert out["rule"].tolist() == ["range"] * 3


def test_mad_zero_falls_back_to_range_rule() -> None:
    cq, groups = _one_group([25.0, 25.0, 26.4])
    out = flag_replicate_outliers(cq, groups)
    assert out["rule"].tolist() == ["range_fallback"] * 3
    assert out["value"].tolist() == pytest.approx([0.0, 0.0, 1.4])
    assert out["outlier"].tolist() == [False, False, True]


def test_mad_zero_but_others_disagree_is_unresolved() -> None:
    cq, groups = _one_group([25.0, 25.0, 25.0, 25.9, 26.6])
    out = flag_replicate_outliers(cq, groups)
    assert out["group_flagged"].all()
    assert not out["outlier"].any()


def test_duplicates_are_flagged_not_resolved() -> None:
    cq, groups = _one_group([30.0, 30.8])
    out = flag_replicate_outliers(cq, groups)
    assert out["group_flagged"].all()
    assert not out["outlier"].any()
    assert out["rule"].tolist() == ["range", "range"]
    assert out["n"].tolist() == [2, 2]


def test_flagged_triplicate_without_clear_outlier_is_unresolved() -> None:
    cq, groups = _one_group([25.0, 25.3, 25.8])
    out = flag_replicate_outliers(cq, groups)
    assert out["group_flagged"].all()
    assert not out["outlier"].any()
    assert out["value"].tolist() == pytest.approx([0.6745, 0.0, 0.6745 * 5 / 3], abs=1e-9)


def test_several_groups_multiple_keys_and_nan_wells() -> None:
    df = pd.DataFrame(
        {
            "sample": ["s1"] * 3 + ["s2"] * 3 + ["s1"] * 3,
            "target": ["A"] * 6 + ["B"] * 3,
            "cq": [25.0, 25.1, 26.4, 20.0, np.nan, 20.2, 30.0, 30.1, 30.05],
        },
        index=[10, 11, 12, 20, 21, 22, 30, 31, 32],
    )
    out = flag_replicate_outliers(df["cq"], [df["sample"], df["target"]])
    assert out.index.equals(df.index)
    assert out.loc[12, "outlier"]
    assert out["outlier"].sum() == 1
    assert out.loc[[20, 21, 22], "n"].tolist() == [2, 2, 2]
    assert not out.loc[21, "outlier"]
    assert out.loc[[30, 31, 32], "range"].tolist() == pytest.approx([0.1] * 3)
    same = flag_replicate_outliers(df["cq"], df[["sample", "target"]])
    pd.testing.assert_frame_equal(out, same)


def test_groups_as_index_levels_or_arrays() -> None:
    index = pd.MultiIndex.from_tuples(
        [("s1", "A", w) for w in ("A1", "A2", "A3")] + [("s2", "A", w) for w in ("B1", "B2")],
        names=["sample", "target", "well"],
    )
    cq = pd.Series([25.0, 25.1, 26.4, 20.0, 20.1], index=index)
    by_level = flag_replicate_outliers(cq, ["sample", "target"])
    assert by_level["outlier"].tolist() == [False, False, True, False, False]
    by_array = flag_replicate_outliers(cq, [np.array(["s1"] * 3 + ["s2"] * 2)])
    pd.testing.assert_frame_equal(by_level, by_array)
    with pytest.raises(InputError, match="index level"):
        flag_replicate_outliers(cq, ["donor"])
    with pytest.raises(InputError, match="line up"):
        flag_replicate_outliers(cq, [["s1", "s2"]])


def test_method_none_flags_nothing() -> None:
    cq, groups = _one_group(T13)
    out = flag_replicate_outliers(cq, groups, method="none")
    assert not out["outlier"].any()
    assert out["rule"].tolist() == ["none"] * 3


def test_custom_range_threshold() -> None:
    cq, groups = _one_group(T13)
    out = flag_replicate_outliers(cq, groups, threshold=1.5)
    assert not out["group_flagged"].any()


@pytest.mark.parametrize(("method", "threshold"), [("iqr", None), ("range", -1.0)])
def test_bad_settings_raise_config_error(method: str, threshold: float | None) -> None:
    cq, groups = _one_group(T13)
    with pytest.raises(ConfigError):
        flag_replicate_outliers(cq, groups, method=method, threshold=threshold)  # type: ignore[arg-type]


def test_misaligned_groups_raise_input_error() -> None:
    cq = pd.Series(T13)
    with pytest.raises(InputError) as info:
        flag_replicate_outliers(cq, pd.Series(["a", "a"]))
    assert info.value.where == "outlier detection"


cq_values = st.floats(min_value=15, max_value=38, allow_nan=False)


@given(st.lists(cq_values, min_size=3, max_size=3), st.floats(min_value=0.1, max_value=2.0))
def test_triplicate_properties(values: list[float], threshold: float) -> None:
    cq, groups = _one_group(values)
    out = flag_replicate_outliers(cq, groups, threshold=threshold)
    spread = max(values) - min(values)
    assert out["group_flagged"].all() == (spread > threshold)
    assert out["outlier"].sum() <= 1
    if out["outlier"].any():
        assert out["group_flagged"].all()
        median = float(np.median(values))
        far = np.abs(np.array(values) - median)
        assert far[out["outlier"].to_numpy()][0] == far.max()


@given(st.lists(cq_values, min_size=2, max_size=6), st.permutations(range(6)))
def test_result_does_not_depend_on_well_order(values: list[float], order: list[int]) -> None:
    cq, groups = _one_group(values)
    perm = [i for i in order if i < len(values)]
    out = flag_replicate_outliers(cq, groups, method="mad")
    shuffled = flag_replicate_outliers(cq.iloc[perm], groups.iloc[perm], method="mad")
    pd.testing.assert_series_equal(out["outlier"], shuffled["outlier"].loc[out.index])


def test_the_kept_range_quantiles_are_what_the_bisection_gives(monkeypatch) -> None:
    """The table of the common replicate counts holds the computed values to the bit."""
    from qpcr import outliers

    kept = dict(outliers._RANGE_QUANTILES)
    monkeypatch.setattr(outliers, "_RANGE_QUANTILES", {})
    outliers.normal_range_quantile.cache_clear()
    try:
        assert {n: outliers.normal_range_quantile(n) for n in kept} == kept
    finally:
        outliers.normal_range_quantile.cache_clear()
