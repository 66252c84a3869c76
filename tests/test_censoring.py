"""Non-detects, Tobit fit, detection probability, NTC and NRT checks (methods §2.9: T14-T16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qpcr.censoring import (
    apply_nondetect_policy,
    censored_group_means,
    nondetect_summary,
    nrt_fraction,
    ntc_margin,
    poisson_detection_probability,
    tobit_fit,
)
from qpcr.errors import AnalysisError, ConfigError, InputError

T14_OBSERVED = [36.5, 37.8, 38.9, 39.4]


def test_t14_tobit_beats_ad_hoc_handling() -> None:
    mu, sigma = tobit_fit(T14_OBSERVED, 2, 40.0)
    assert mu == pytest.approx(39.1437, abs=1e-3)
    assert sigma == pytest.approx(1.7552, abs=1e-3)
    substituted = np.array([*T14_OBSERVED, 40.0, 40.0])
    assert substituted.mean() == pytest.approx(38.766667, abs=1e-6)
    assert substituted.std(ddof=1) == pytest.approx(1.380821, abs=1e-6)
    assert np.mean(T14_OBSERVED) == pytest.approx(38.15)
    assert mu > substituted.mean() > np.mean(T14_OBSERVED)


def _negloglik_scipy(theta: np.ndarray, x: np.ndarray, k: int, limit: float) -> float:
    from scipy import stats

    mu, sigma = theta
    if sigma <= 0:
        return np.inf
    return -(stats.norm.logpdf(x, mu, sigma).sum() + k * stats.norm.logsf(limit, mu, sigma))


@pytest.mark.parametrize(
    ("observed", "k", "limit"),
    [
        (T14_OBSERVED, 2, 40.0),
        ([30.1, 31.0, 31.4, 32.2, 33.0, 34.5], 1, 35.0),
        ([33.0, 34.2], 4, 35.0),
    ],
)
def test_tobit_matches_independent_nelder_mead(observed: list[float], k: int, limit: float) -> None:
    from scipy import optimize

    x = np.array(observed)
    start = [x.mean(), x.std(ddof=1)]
    ref = optimize.minimize(
        _negloglik_scipy,
        start,
        args=(x, k, limit),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    assert tobit_fit(x, k, limit) == pytest.approx(tuple(ref.x), abs=1e-5)


def test_tobit_without_nondetects_is_the_normal_mle() -> None:
    mu, sigma = tobit_fit(T14_OBSERVED, 0, 40.0)
    assert mu == pytest.approx(38.15)
    assert sigma == pytest.approx(np.std(T14_OBSERVED, ddof=0))


def test_tobit_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(11)
    cq = rng.normal(38.0, 1.5, 4000)
    limit = 39.0
    mu, sigma = tobit_fit(cq[cq < limit], int((cq >= limit).sum()), limit)
    assert mu == pytest.approx(38.0, abs=0.08)
    assert sigma == pytest.approx(1.5, abs=0.08)


@pytest.mark.parametrize(
    ("observed", "k", "error"),
    [
        ([36.0, 41.0], 1, InputError),
        ([36.0, np.nan], 1, InputError),
        ([36.0, 37.0], -1, InputError),
        ([37.0], 3, AnalysisError),
        ([37.0, 37.0], 3, AnalysisError),
        ([], 5, AnalysisError),
    ],
)
def test_tobit_rejects(observed: list[float], k: int, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        tobit_fit(observed, k, 40.0)
    assert info.value.where == "Tobit fit"


def _wells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "well": ["A1", "A2", "A3", "A4", "A5"],
            "sample": ["s"] * 5,
            "target": ["T"] * 5,
            "sample_type": ["unkn"] * 5,
            "cq": [30.0, np.nan, 41.0, np.nan, 39.9],
            "cq_status": ["ok", "undetermined", "ok", "missing", "ok"],
        }
    )


@pytest.mark.parametrize(
    ("policy", "cq_used", "censored", "label"),
    [
        ("censor", [30.0, 40.0, 40.0, np.nan, 39.9], [0, 1, 1, 0, 0], "censor"),
        ("tobit", [30.0, 40.0, 40.0, np.nan, 39.9], [0, 1, 1, 0, 0], "tobit"),
        (
            "substitute",
            [30.0, 40.0, 40.0, np.nan, 39.9],
            [0, 0, 0, 0, 0],
            "substitute (sensitivity analysis)",
        ),
        ("exclude", [30.0, np.nan, np.nan, np.nan, 39.9], [0, 0, 0, 0, 0], "exclude"),
    ],
)
def test_nondetect_policies(policy: str, cq_used: list, censored: list, label: str) -> None:
    wells = _wells()
    out = apply_nondetect_policy(wells, policy)  # type: ignore[arg-type]
    assert out["nondetect"].tolist() == [False, True, True, False, False]
    np.testing.assert_array_equal(out["cq_used"].to_numpy(), np.array(cq_used))
    assert out["censored"].tolist() == [bool(c) for c in censored]
    assert (out["nd_policy"] == label).all()
    pd.testing.assert_frame_equal(out[wells.columns], wells)
    assert "cq_used" not in wells.columns


def test_nondetect_limit_is_configurable() -> None:
    out = apply_nondetect_policy(_wells(), "censor", limit=35.0)
    assert out["nondetect"].tolist() == [False, True, True, False, True]
    assert out["cq_used"].tolist()[:3] == [30.0, 35.0, 35.0]


@pytest.mark.parametrize(("policy", "limit"), [("impute", 40.0), ("censor", 0.0)])
def test_nondetect_bad_settings(policy: str, limit: float) -> None:
    with pytest.raises(ConfigError):
        apply_nondetect_policy(_wells(), policy, limit)  # type: ignore[arg-type]


def test_nondetect_needs_cq_status() -> None:
    with pytest.raises(InputError, match="cq_status"):
        apply_nondetect_policy(_wells().drop(columns="cq_status"))


def test_censored_group_means_choose_the_estimator() -> None:
    wells = pd.DataFrame(
        {
            "target": ["A"] * 6 + ["B"] * 3 + ["C"] * 2 + ["D"] * 3,
            "group": ["g"] * 14,
            "cq": [
                *T14_OBSERVED,
                *[np.nan] * 2,
                25.0,
                25.2,
                25.1,
                *[np.nan] * 2,
                38.0,
                *[np.nan] * 2,
            ],
            "cq_status": ["ok"] * 4
            + ["undetermined"] * 2
            + ["ok"] * 3
            + ["undetermined"] * 2
            + ["ok", "undetermined", "missing"],
        }
    )
    out = censored_group_means(apply_nondetect_policy(wells, "tobit"), ["target", "group"])
    assert out["method"].tolist() == ["tobit", "mean", "not detected", "bound"]
    assert out["n"].tolist() == [6, 3, 2, 2]
    assert out["n_censored"].tolist() == [2, 0, 2, 1]
    assert out["mean"].iloc[0] == pytest.approx(39.1437, abs=1e-3)  # T14
    assert out["sd"].iloc[0] == pytest.approx(1.7552, abs=1e-3)
    assert out["mean"].iloc[1] == pytest.approx(25.1)
    assert out["sd"].iloc[1] == pytest.approx(0.1)
    assert np.isnan(out["mean"].iloc[2])
    assert out["mean"].iloc[3] == pytest.approx(39.0)
    substituted = censored_group_means(apply_nondetect_policy(wells, "substitute"), ["target"])
    assert substituted["method"].tolist() == ["mean"] * 4
    assert substituted["mean"].iloc[0] == pytest.approx(38.766667, abs=1e-6)  # T14 substitution
    with pytest.raises(InputError, match="apply_nondetect_policy"):
        censored_group_means(wells, ["target"])


def test_nondetect_summary_counts_per_group() -> None:
    wells = pd.DataFrame(
        {
            "target": ["A", "A", "A", "A", "B", "B"],
            "group": ["ctrl", "ctrl", "ctrl", "trt", "ctrl", "ctrl"],
            "cq": [30.0, np.nan, np.nan, np.nan, np.nan, 41.0],
            "cq_status": ["ok", "undetermined", "missing", "undetermined", "undetermined", "ok"],
        }
    )
    out = nondetect_summary(wells, ("target", "group"))
    assert out.to_dict("list") == {
        "target": ["A", "A", "B"],
        "group": ["ctrl", "trt", "ctrl"],
        "n_wells": [2, 1, 2],
        "n_nondetect": [1, 1, 2],
        "all_nondetect": [False, True, True],
    }
    with pytest.raises(InputError):
        nondetect_summary(wells, ("condition",))


def test_t15_poisson_detection_probability() -> None:
    p = poisson_detection_probability([1, 2, 3, 5])
    assert p == pytest.approx([0.632121, 0.864665, 0.950213, 0.993262], abs=1e-6)
    assert poisson_detection_probability(3) == pytest.approx(0.950213, abs=1e-6)
    assert poisson_detection_probability(0) == 0.0
    with pytest.raises(InputError):
        poisson_detection_probability(-1)


def test_t16_ntc_margin() -> None:
    result = ntc_margin([38.5, 39.2], [30.0, 33.2, 31.0])
    assert result["margin"] == pytest.approx(5.3)
    assert result["passed"] is True
    assert ntc_margin([37.0], [33.2])["passed"] is False
    no_amp = ntc_margin([np.nan, np.nan], [33.2])
    assert no_amp["passed"] is True
    assert no_amp["margin"] == np.inf
    with pytest.raises(AnalysisError):
        ntc_margin([38.0], [np.nan])


def test_t16_nrt_fraction() -> None:
    assert nrt_fraction([3, 5, 10]) == pytest.approx([0.125, 0.03125, 0.000977], abs=1e-6)
    assert nrt_fraction(5) == 0.03125
    assert nrt_fraction(5, efficiency=1.9) == pytest.approx(1.9**-5)
    assert nrt_fraction(np.inf) == 0.0


@given(
    st.lists(st.floats(min_value=30, max_value=39.5), min_size=3, max_size=10, unique=True),
    st.integers(min_value=1, max_value=5),
    st.floats(min_value=-5, max_value=5),
)
def test_tobit_is_shift_equivariant(observed: list[float], k: int, shift: float) -> None:
    mu, sigma = tobit_fit(observed, k, 40.0)
    mu2, sigma2 = tobit_fit(np.array(observed) + shift, k, 40.0 + shift)
    assert mu2 == pytest.approx(mu + shift, abs=1e-5)
    assert sigma2 == pytest.approx(sigma, abs=1e-5)
    assert mu >= np.mean(observed)
