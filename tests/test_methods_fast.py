"""The methods text's tests and primary results read from column lists, against the
concatenated Series they replace, on random comparison tables."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from qpcr.report.methods import _FACTORIAL_TEXT, _USED_TEST_TEXT, _primary, _tests
from qpcr.settings import AnalysisConfig
from qpcr.stats import TEST_METHODS_TEXT
from qpcr.stats.linear import MIXED_TEST


def _old_names(results: SimpleNamespace) -> list[str]:
    used = pd.concat([results.fold_changes.get("test", pd.Series(dtype=object)),
                      results.ratios.get("test", pd.Series(dtype=object))])  # fmt: skip
    return [str(t) for t in dict.fromkeys(used.dropna()) if str(t)]


def _old_counts(results: SimpleNamespace) -> tuple[int, int]:
    roles = pd.concat([results.fold_changes.get("p_role", pd.Series(dtype=object)),
                       results.ratios.get("p_role", pd.Series(dtype=object))])  # fmt: skip
    return int((roles == "sensitivity").sum()), int(roles.isin(["primary", "sensitivity"]).sum())


def _table(rng: np.random.Generator, dtype: str) -> pd.DataFrame:
    n = int(rng.integers(0, 8))
    columns = {}
    if rng.random() < 0.8:
        tests = ["welch", "paired t", "", None, "mann-whitney", MIXED_TEST]
        columns["test"] = pd.Series([tests[i] for i in rng.integers(0, 6, n)], dtype=dtype)
    if rng.random() < 0.8:
        roles = ["primary", "sensitivity", None, ""]
        columns["p_role"] = pd.Series([roles[i] for i in rng.integers(0, 4, n)], dtype=dtype)
    return pd.DataFrame(columns, index=range(n))


@pytest.mark.parametrize("seed", range(40))
def test_names_and_counts_match_the_concatenation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    dtype = ["object", "str"][seed % 2]
    mixed = [MIXED_TEST, "paired t"][int(rng.integers(0, 2))]
    contrasts = pd.DataFrame({"test": [mixed]}) if seed % 3 else pd.DataFrame()
    config = AnalysisConfig(test=["auto", "welch"][seed % 2], replicate="donor")  # type: ignore[arg-type]
    results = SimpleNamespace(fold_changes=_table(rng, dtype), ratios=_table(rng, dtype),
                              config=config, tables={"contrasts": contrasts},
                              factors=["oxygen", "treatment"])  # fmt: skip
    second, total = _old_counts(results)
    primary = _primary(results)  # type: ignore[arg-type]
    if second:
        assert f"except for {second} of the {total} results" in primary
    else:
        assert "except" not in primary
    text = _tests(results)  # type: ignore[arg-type]
    names = _old_names(results)
    tests = " or ".join(_USED_TEST_TEXT.get(t, t) for t in names) or TEST_METHODS_TEXT[config.test]
    assert text.startswith(f"Each group was compared with the control group with {tests}")
    assert ("pairs the groups when both hold" in text) == (
        config.test == "auto" and "paired t" in names
    )
    if not contrasts.empty:
        assert _FACTORIAL_TEXT[config.factorial_method].split("{")[0] in text
        assert ("linear mixed model" in text) == (mixed == MIXED_TEST)


def _old_exclusion_counts(wells: pd.DataFrame) -> pd.Series:
    return wells.loc[wells["excluded"], "exclude_code"].fillna("").value_counts()


def _old_low_copy(qc: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(qc.loc[qc["code"].eq("low_copy"), "target"].astype(str)))


@pytest.mark.parametrize("seed", range(30))
def test_exclusions_and_low_copy_read_as_the_selections_they_replace(seed: int) -> None:
    """Excluded wells counted by code, and the low-copy targets, from column lists, as from the
    selected, filled and counted Series (random codes, missing ones, none excluded)."""
    from qpcr.report import methods

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    codes = ["outlier_grubbs", "outlier_dixon", "zero_copy", "isolated_nondetect", "omitted",
             "", None, float("nan"), "low_copy"]  # fmt: skip
    dtype = ["object", "string", "str"][seed % 3]
    wells = pd.DataFrame({
        "excluded": rng.random(n) < 0.6,
        "exclude_code": pd.Series([codes[i] for i in rng.integers(0, len(codes), n)],
                                  dtype=dtype),
    })  # fmt: skip
    counts = methods._exclusion_counts(wells)
    assert dict(counts) == {k: int(v) for k, v in _old_exclusion_counts(wells).items()}
    assert all(type(k) is str for k in counts)
    qc = pd.DataFrame({
        "code": pd.Series([codes[i] for i in rng.integers(0, len(codes), n)], dtype=object),
        "target": [["MYC", "TBP", "B2M"][i] for i in rng.integers(0, 3, n)],
    })  # fmt: skip
    seen: list[list[str]] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(methods, "low_copy_methods_text", lambda low, config: seen.append(low) or "")
        methods._low_copy(SimpleNamespace(qc=qc, config=AnalysisConfig()))  # type: ignore[arg-type]
    assert seen == ([_old_low_copy(qc)] if _old_low_copy(qc) else [])
