""":func:`qpcr.schema.check_wells` on column arrays held to its pandas formulation, on random
wells tables with every kind of problem (missing and non-text cells, blank sample types,
unknown statuses, Cq values against their status)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qpcr.schema import CQ_STATUSES, REQUIRED_COLUMNS, check_wells
from qpcr.schema.wells import _NUMBER_COLUMNS, _TEXT_COLUMNS


def _check_wells_with_pandas(df: pd.DataFrame) -> list[str]:
    problems = [f"missing column '{c}'" for c in REQUIRED_COLUMNS if c not in df.columns]
    if problems:
        return problems
    for column in _TEXT_COLUMNS:
        values = df[column]
        if column in _TEXT_COLUMNS[2:] and values.hasnans:
            problems.append(f"{int(values.isna().sum())} missing value(s) in column '{column}'")
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind not in ("string", "empty") and values.notna().any():
            problems.append(f"column '{column}' holds non-text values; expected text")
    for column in _NUMBER_COLUMNS:
        dtype = df[column].dtype if column in df.columns else np.dtype(float)
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            problems.append(f"column '{column}' has dtype {dtype}; expected numbers")
    empty = int(df["sample_type"].astype(str).str.strip().eq("").sum())
    if empty:
        problems.append(
            f"empty sample_type on {empty} row(s); expected a sample type or the instrument's label"
        )
    unknown = sorted(
        (v for v in set(df["cq_status"].unique()) - set(CQ_STATUSES) if not pd.isna(v)), key=str
    )
    if unknown:
        problems.append(f"unknown cq_status values {unknown}; expected one of {CQ_STATUSES}")
    ok = df["cq_status"].to_numpy() == "ok"
    has_cq = df["cq"].notna().to_numpy()
    if (ok & ~has_cq).any():
        problems.append("rows with cq_status 'ok' but no Cq value")
    if (~ok & has_cq).any():
        problems.append("rows with a Cq value but cq_status other than 'ok'")
    return problems


def _column(rng: np.random.Generator, choices: list[str], n: int, spoil: bool) -> pd.Series:
    values = rng.choice(np.array(choices, dtype=object), n)
    if not spoil:
        return pd.Series(pd.array(values, dtype="str") if rng.random() < 0.5 else values)
    values[rng.random(n) < 0.2] = [None, np.nan, 3, 2.5][int(rng.integers(0, 4))]
    return pd.Series(values, dtype=object if rng.random() < 0.7 else "str")


@pytest.mark.parametrize("seed", range(150))
def test_check_wells_is_its_pandas_formulation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 12))
    spoiled = set(rng.choice(list(_TEXT_COLUMNS), int(rng.integers(0, 3)), replace=False))
    statuses = list(CQ_STATUSES[:3]) + (["done", ""] if seed % 4 == 0 else [])
    table = pd.DataFrame({
        "well": _column(rng, ["A1", "B2", ""], n, "well" in spoiled),
        "sample": _column(rng, ["s1", "", " s2"], n, "sample" in spoiled),
        "target": _column(rng, ["MYC", "GAPDH"], n, "target" in spoiled),
        "sample_type": _column(rng, ["unkn", "ntc", "", "  ", "PC_ALLELE_1"], n,
                               "sample_type" in spoiled),
        "cq_status": _column(rng, statuses, n, "cq_status" in spoiled),
        "cq": np.where(rng.random(n) < 0.3, np.nan, rng.normal(25, 2, n)),
    })  # fmt: skip
    if seed % 7 == 0:
        table = table.drop(columns=str(rng.choice(list(REQUIRED_COLUMNS))))
    if seed % 5 == 0:
        table["quantity"] = pd.Series(["1"] * n, dtype=object)
    assert check_wells(table) == _check_wells_with_pandas(table)
