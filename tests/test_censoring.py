"""Non-detects: the policies and the cycle limit (methods §2.9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qpcr.censoring import POLICIES, POLICY_LABELS, POLICY_METHODS_TEXT, apply_nondetect_policy
from qpcr.errors import ConfigError, InputError


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


def test_every_policy_has_a_label_and_a_methods_sentence() -> None:
    assert POLICIES == ("censor", "exclude", "substitute")
    assert set(POLICY_LABELS) == set(POLICY_METHODS_TEXT) == set(POLICIES)
    assert POLICY_METHODS_TEXT["censor"].format(limit=38.0).startswith("set to the cycle limit 38 ")


def test_tobit_is_not_a_policy() -> None:
    with pytest.raises(ConfigError, match="expected one of censor, exclude, substitute"):
        apply_nondetect_policy(_wells(), "tobit")  # type: ignore[arg-type]
