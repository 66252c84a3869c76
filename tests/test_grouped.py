"""The grouped numpy statistics equal pandas' groupby, bit for bit (the engine's outputs must not
change when a groupby is replaced by them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qpcr.grouped import _FEW, group_codes, moments, order_stats, records, sorted_codes

#: The pandas whose groupby summation :func:`qpcr.grouped.moments` follows step by step; another
#: pandas may sum in another order, so there the mean and SD are held to 1e-14 relative.
BIT_EXACT = pd.__version__.startswith("3.1.")


def _same(a: np.ndarray, b: np.ndarray, rtol: float = 0.0) -> bool:
    """Equal (to ``rtol`` relative; 0: to the last bit), NaN where the other is NaN."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    close = np.isclose(a, b, rtol=rtol, atol=0.0) if rtol else a == b
    return a.shape == b.shape and bool(np.all(close | (np.isnan(a) & np.isnan(b))))


def _table(rng: np.random.Generator, contiguous: bool) -> pd.DataFrame:
    """Replicate groups of 1-6 Cq values (some NaN), keys with missing values, rows shuffled
    unless ``contiguous``."""
    n = int(rng.integers(1, 120))
    sample = rng.choice(np.array(["s1", "s2", "s3", None], dtype=object), n)
    target = rng.choice(["GAPDH", "MYC", "TBP"], n)
    cq = np.round(rng.normal(rng.uniform(18, 34), rng.uniform(0.05, 3.0), n), rng.integers(1, 5))
    cq[rng.random(n) < 0.1] = np.nan
    table = pd.DataFrame({"sample": sample, "target": target, "cq": cq})
    if contiguous:
        table = table.sort_values(["target"], kind="stable").reset_index(drop=True)
        table["sample"] = "s1"
    return table


@pytest.mark.parametrize("contiguous", [False, True])
def test_grouped_statistics_equal_pandas_groupby(contiguous: bool) -> None:
    """Group numbers, count, minimum, maximum, median, mean and SD of 300 random tables equal
    pandas' ``groupby(..., dropna=False, sort=False)`` exactly (contiguous groups without NaN
    take pandas' other summation); the mean and SD to the last bit on pandas 3.1, whose summation
    order they follow, and to 1e-14 on another pandas."""
    rng = np.random.default_rng(14)
    for _ in range(300):
        table = _table(rng, contiguous)
        if contiguous and rng.random() < 0.5:
            table["cq"] = table["cq"].fillna(30.0)
        keys = [table["sample"], table["target"]]
        code = group_codes(keys, len(table))
        grouped = table.groupby(["sample", "target"], dropna=False, sort=False)["cq"]
        assert np.array_equal(code, grouped.ngroup().to_numpy())
        values = table["cq"].to_numpy()
        low, high, median, count = order_stats(values, code)
        mean, sd, count2 = moments(values, code)
        assert np.array_equal(count, grouped.count().to_numpy())
        assert np.array_equal(count2, count)
        assert _same(low, grouped.min().to_numpy())
        assert _same(high, grouped.max().to_numpy())
        assert _same(median, grouped.median().to_numpy())
        rtol = 0.0 if BIT_EXACT else 1e-14
        assert _same(mean, grouped.mean().to_numpy(), rtol)
        assert _same(sd, grouped.std().to_numpy(), rtol)


@pytest.mark.parametrize("contiguous", [False, True])
def test_sorted_codes_number_groups_as_a_sorted_groupby(contiguous: bool) -> None:
    rng = np.random.default_rng(11)
    for _ in range(100):
        table = _table(rng, contiguous).astype({"sample": "str"})
        keys = [table["target"], table["sample"]]
        expected = table.groupby(["target", "sample"], sort=True).ngroup()
        assert _same(np.where(sorted_codes(keys) < 0, np.nan, sorted_codes(keys)), expected)


def test_group_codes_without_keys_is_one_group() -> None:
    assert group_codes([], 3).tolist() == [0, 0, 0]
    low, high, median, count = order_stats(np.array([1.0, 3.0, 2.0]), group_codes([], 3))
    assert (low[0], high[0], median[0], count[0]) == (1.0, 3.0, 2.0, 3)


def _samples(rng: np.random.Generator) -> pd.DataFrame:
    """Samples of 1-3 targets, two factors and donors (some keys missing), 1-3 samples per
    donor and group, log2 values (some NaN) and bound flags (some missing), rows shuffled."""
    n = int(rng.integers(1, 80))
    table = pd.DataFrame({
        "target": rng.choice(np.array(["MYC", "IL6", None], dtype=object), n, p=[0.5, 0.45, 0.05]),
        "oxygen": rng.choice(["normoxia", "hypoxia"], n),
        "drug": rng.choice(np.array(["none", "toci", None], dtype=object), n, p=[0.5, 0.45, 0.05]),
        "donor": rng.choice(["d1", "d2", "d3"], n),
        "log2_rq": np.round(rng.normal(-5, 2, n), int(rng.integers(1, 6))),
        "upper_bound": rng.choice(np.array([False, True, None], dtype=object), n),
        "not_detected": rng.choice(np.array([False, True, None], dtype=object), n),
    })  # fmt: skip
    table.loc[rng.random(n) < 0.1, "log2_rq"] = np.nan
    table["sample"] = [f"s{i}" for i in rng.integers(0, n, n)]
    return table


def test_units_and_group_summary_equal_pandas_groupby() -> None:
    """``biological_units`` and ``group_summary`` (grouped numpy) give what their pandas
    ``groupby`` formulation gave on 200 random tables (rows shuffled, or sorted either way so
    that the groups are contiguous): the same rows, order, keys, counts and flags, the means and
    SDs to the last bit on pandas 3.1."""
    from qpcr.groups import biological_units, group_summary

    rng = np.random.default_rng(1414)
    rtol = 0.0 if BIT_EXACT else 1e-14
    for _ in range(200):
        table = _samples(rng)
        order = rng.integers(3)  # shuffled, or sorted up or down: contiguous groups
        if order:
            table = table.dropna(subset=["log2_rq"]).sort_values(
                ["target", "oxygen", "drug", "donor"], ascending=bool(order == 1), kind="stable"
            )
        replicate = "donor" if rng.random() < 0.7 else None
        keys = ["target", "oxygen", "drug", replicate or "sample"]
        units = biological_units(table, "log2_rq", "target", ["oxygen", "drug"], replicate)
        frame = table.assign(lower_bound=False)
        grouped = frame.groupby(keys, observed=True, sort=False, dropna=False)
        expected = grouped["log2_rq"].mean().reset_index()
        assert units[["target", "oxygen", "drug", "unit"]].astype(str).values.tolist() == \
            expected[keys].astype(str).values.tolist()  # fmt: skip
        assert _same(units["log2_rq"], expected["log2_rq"], rtol)
        assert units["n_samples"].tolist() == grouped.size().tolist()
        assert units["upper_bound"].tolist() == grouped["upper_bound"].any().tolist()
        assert units["not_detected"].tolist() == grouped["not_detected"].all().tolist()
        assert not units["lower_bound"].any()
        summary = group_summary(table, value="log2_rq", item="target",
                                factors=["oxygen", "drug"], units=units)  # fmt: skip
        by_group = units.groupby(["target", "oxygen", "drug"], observed=True, sort=True)
        reference = by_group["log2_rq"].agg(n="count", mean="mean", sd="std").reset_index()
        assert summary[["target", "oxygen", "drug"]].values.tolist() == \
            reference[["target", "oxygen", "drug"]].values.tolist()  # fmt: skip
        assert summary["n"].tolist() == reference["n"].tolist()
        assert _same(summary["mean_log2"], reference["mean"], rtol)
        assert _same(summary["sd_log2"], reference["sd"], rtol)


def _same_cell(a: object, b: object) -> bool:
    """The same type and value (NaN equal to NaN)."""
    nan = isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b)
    return type(a) is type(b) and (nan or a is b or a == b)


@pytest.mark.parametrize("seed", range(20))
def test_records_equal_to_dict_records(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 30))
    text = rng.choice(np.array(["MYC", "=x", None], dtype=object), n)
    table = pd.DataFrame(
        {
            "target": pd.array(text, dtype="string"),
            "sample": pd.array(text, dtype="str"),  # missing: NaN, not pd.NA
            "cq": np.where(rng.random(n) < 0.2, np.nan, rng.normal(25, 3, n)),
            "n": rng.integers(0, 5, n),
            "excluded": rng.random(n) < 0.5,
            "mixed": pd.Series(
                rng.choice(
                    np.array([np.float64(1.5), np.int64(2), "a", pd.NA, None], dtype=object), n
                ),
                dtype=object,
            ),
            "count": pd.array(
                np.where(rng.random(n) < 0.3, None, rng.integers(0, 9, n)), dtype="Int64"
            ),
        },
        index=rng.permutation(n) + 100,
    )
    expected, got = table.to_dict("records"), records(table)
    assert [list(r) for r in got] == [list(r) for r in expected]
    assert all(
        _same_cell(got[i][k], expected[i][k]) for i in range(len(expected)) for k in expected[i]
    )
    rows = rng.integers(0, n, int(rng.integers(0, 10))) if n else np.array([], dtype=int)
    expected, got = table.iloc[rows].to_dict("records"), records(table, ["cq", "target"], rows)
    assert [list(r) for r in got] == [["cq", "target"]] * len(rows)
    assert all(_same_cell(got[i][k], expected[i][k]) for i in range(len(rows)) for k in got[i])


def test_records_of_a_table_without_columns_has_one_empty_row_per_row() -> None:
    assert records(pd.DataFrame(index=range(2))) == [{}, {}]


def test_text_keys_are_coded_as_pandas_codes_them() -> None:
    """Keys of pandas' ``str`` (coded by a dict over their cells) get ``pd.factorize``'s codes,
    sorted or not, and the groups of ``group_codes`` and ``sorted_codes`` are a groupby's, with
    missing keys, on 200 random tables."""
    from qpcr.grouped import _factorized

    rng = np.random.default_rng(606)
    for _ in range(200):
        n = int(rng.integers(0, 40))
        cells = rng.choice(np.array(["MYC", "IL6", "b", "B", "é", None], dtype=object), n)
        table = pd.DataFrame({"a": pd.array(cells, dtype="str"),
                              "b": pd.array(rng.choice(["x", "y"], n), dtype="str")})  # fmt: skip
        for sort in (False, True):
            codes, uniques = pd.factorize(table["a"], sort=sort)
            part, size = _factorized(table["a"], sort=sort, missing=False)
            assert part.tolist() == codes.tolist()
            assert size == len(uniques)
        grouped = table.groupby(["a", "b"], dropna=False, sort=False)
        assert group_codes([table["a"], table["b"]], n).tolist() == grouped.ngroup().tolist()
        expected = table.groupby(["b", "a"], sort=True).ngroup().fillna(-1).astype(int)
        assert sorted_codes([table["b"], table["a"]]).tolist() == expected.tolist()


def _moments_by_rows(values: np.ndarray, code: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`moments` as it was written before its Python path: each step updates the groups
    holding a value at that row position by fancy indexing."""
    groups = int(code.max()) + 1 if len(code) else 0
    pairwise = bool(len(code)) and (np.diff(code) >= 0).all() and not np.isnan(values).any()
    if (code < 0).any():
        values, code = values[code >= 0], code[code >= 0]
    order = np.argsort(code, kind="stable")
    grouped, ordered = code[order], values[order]
    position = np.arange(len(code)) - np.searchsorted(grouped, np.arange(groups))[grouped]
    total, carry, mean, m2 = (np.zeros(groups) for _ in range(4))
    count = np.zeros(groups, dtype=np.intp)
    with np.errstate(invalid="ignore"):
        for k in range(int(position.max()) + 1 if len(code) else 0):
            at = (position == k) & ~np.isnan(ordered)
            g, v = grouped[at], ordered[at]
            y = v - carry[g]
            t = total[g] + y
            carry[g] = (t - total[g]) - y
            total[g] = t
            count[g] += 1
            old = mean[g]
            mean[g] = old + (v - old) / count[g]
            m2[g] += (v - mean[g]) * (v - old)
    if pairwise and len(code):
        total = np.add.reduceat(values, np.searchsorted(code, np.arange(groups)))
    with np.errstate(invalid="ignore", divide="ignore"):
        average = np.where(count > 0, total / count, np.nan)
        sd = np.sqrt(np.where(count > 1, m2 / (count - 1), np.nan))
    return average, sd, count


def test_moments_equal_their_row_by_row_formulation_bit_for_bit() -> None:
    """Both ways of stepping (a row at a time in Python for few rows, a row position at a time
    in numpy) give the fancy-indexed steps' means, SDs and counts to the last bit, signs of zero
    included, on 2000 random inputs of 0-199 rows (some NaN, ±0.0, ±inf, huge and tiny), rows
    left out (−1), sorted or not."""
    rng = np.random.default_rng(140)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e-300, 5e-324])
    for _ in range(2000):
        n = int(rng.integers(0, 2 * _FEW))  # row by row up to _FEW rows, by position above
        code = rng.integers(-1 if rng.random() < 0.3 else 0, int(rng.integers(1, 30)), n)
        if rng.random() < 0.3:
            code = np.sort(code)
        values = np.round(rng.normal(rng.uniform(-30, 30), rng.uniform(0.01, 5), n), 3)
        odd = rng.random(n) < rng.choice([0.0, 0.1, 0.5])
        values[odd] = rng.choice(special, int(odd.sum()))
        with np.errstate(invalid="ignore", over="ignore"):  # ±inf: NaN, quietly
            want_all = _moments_by_rows(values, code)
        for got, want in zip(moments(values, code), want_all, strict=True):
            assert got.dtype == want.dtype
            assert np.array_equal(got, want, equal_nan=True)
            assert np.array_equal(np.signbit(got), np.signbit(want))
