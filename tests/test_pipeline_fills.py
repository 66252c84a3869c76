"""The pipeline's checks and fills on column arrays held to the pandas formulations they
replace, on random wells tables (text and object columns, missing and blank names, unknowns
and controls)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qpcr.pipeline import _blank, _fill_samples, _names_as_text

_NAMES = np.array(["D1 NV", "", " ", "MYC", "nan", "  x "], dtype=object)


def _names(rng: np.random.Generator, n: int, kind: int) -> pd.Series:
    values = rng.choice(_NAMES, n)
    if kind % 4 == 1:  # missing cells
        values = np.where(rng.random(n) < 0.3, None, values)
    if kind % 4 == 2:  # numbers among objects
        values = np.where(rng.random(n) < 0.3, 1.5, values)
    dtype = "str" if kind % 2 == 0 and kind % 4 != 2 else object
    return pd.Series(pd.array(values, dtype=dtype) if dtype == "str" else values, dtype=dtype)


@pytest.mark.parametrize("seed", range(60))
def test_blank_is_the_stripped_text_test(seed: int) -> None:
    rng = np.random.default_rng(seed)
    column = _names(rng, int(rng.integers(0, 25)), seed)
    expected = column.fillna("").astype(str).str.strip().eq("")
    assert _blank(column).tolist() == expected.tolist()


def _fill_samples_with_pandas(wells: pd.DataFrame, factors: list[str], replicate: str | None):
    wells = wells.copy()
    if "sample" not in wells:
        wells["sample"] = ""
    wells["sample"] = wells["sample"].fillna("").astype(str)
    blank = wells["sample"].eq("") & wells["sample_type"].eq("unkn")
    if blank.any():
        parts = [*factors, *([replicate] if replicate else [])]
        wells.loc[blank, "sample"] = wells.loc[blank, parts].astype(str).agg(" ".join, axis=1)
    return wells


@pytest.mark.parametrize("seed", range(60))
def test_fill_samples_is_its_pandas_formulation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 20))
    wells = pd.DataFrame({
        "well": [f"A{i + 1}" for i in range(n)],
        "sample": _names(rng, n, seed),
        "sample_type": pd.array(rng.choice(["unkn", "ntc", "std"], n), dtype="str"),
        "oxygen": rng.choice(np.array(["normoxia", "hypoxia"], dtype=object), n),
        "donor": pd.array(rng.choice(["D1", "D2"], n), dtype="str"),
        "cq": rng.normal(25, 2, n),
    })  # fmt: skip
    if seed % 5 == 0:
        wells = wells.drop(columns="sample")
    before = wells.copy()
    replicate = "donor" if seed % 3 else None
    got = _fill_samples(wells, ["oxygen"], replicate)
    pd.testing.assert_frame_equal(got, _fill_samples_with_pandas(wells, ["oxygen"], replicate))
    pd.testing.assert_frame_equal(wells, before)  # the caller's table is untouched


@pytest.mark.parametrize("seed", range(24))
def test_names_as_text_are_the_column_cast_to_text(seed: int) -> None:
    """Text, object (missing cells, numbers among names) and number columns: the distinct
    cells of ``astype(str)``, whether or not the column is cast."""
    rng = np.random.default_rng(seed)
    column = _names(rng, int(rng.integers(0, 25)), seed)
    if seed % 6 == 4:  # text with missing cells
        names = np.where(rng.random(len(column)) < 0.3, None, rng.choice(_NAMES, len(column)))
        column = pd.Series(pd.array(names, dtype="str"))
    if seed % 6 == 5:
        column = pd.Series(rng.normal(25, 2, len(column)))
    assert _names_as_text(column) == set(column.astype(str).tolist())
