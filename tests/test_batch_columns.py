"""The batch's tables as columns (``result_columns``, ``conform_columns``) against the tables
they replace (``result_tables``, ``conform``), and the column order kept per distinct input."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr.config import load_config
from qpcr.pipeline import analyze
from qpcr.report.safe import csv_rows, safe_frame
from qpcr.report.tables import result_columns, result_tables
from qpcr.schema import TABLES, Column, conform, conform_columns
from qpcr.schema.conform import _declared

ROOT = Path(__file__).parents[1]
HYPOXIA = ROOT / "examples" / "hypoxia_tocilizumab"
TWO = ROOT / "examples" / "two_plates"


@pytest.fixture(scope="module")
def analyses() -> list:
    hypoxia = load_config(HYPOXIA / "analysis.toml").with_overrides(candidate_genes=("GAPDH",))
    two = load_config(TWO / "analysis.toml")
    return [
        analyze([HYPOXIA / "quantstudio_384_results.txt"], config=hypoxia,
                layout=HYPOXIA / "quantstudio_384_layout.csv"),
        analyze([TWO / "plate1.txt", TWO / "plate2.txt"], config=two,
                layout=[TWO / "plate1_layout.csv", TWO / "plate2_layout.csv"]),
    ]  # fmt: skip


def test_result_columns_are_the_columns_of_result_tables(analyses: list) -> None:
    for results in analyses:
        tables = result_tables(results)
        columns = result_columns(results)
        assert list(columns) == list(tables)
        for name, frame in tables.items():
            assert list(columns[name]) == frame.columns.tolist(), name
            assert pd.DataFrame(columns[name]).equals(frame), name
            assert [c.dtype for c in columns[name].values()] == frame.dtypes.tolist(), name
            # the batch's text of the table, as written before from the table
            text = safe_frame(frame).to_csv(index=False, header=False)
            assert csv_rows(columns[name])[1] == text, name
        assert "cq_used" in results.wells
        assert "cq_used" not in columns["wells"]
        rounded = columns["qc"]["observed"].dropna().tolist()
        assert rounded == [float(f"{v:.12g}") for v in results.qc["observed"].dropna()]


def test_the_declared_order_is_kept_per_distinct_input() -> None:
    _declared.cache_clear()
    present = ("target", "quantity", "plate", "sample", "cq_mean", "n", "upper_bound")
    first = _declared("quantities", present, (), None)
    assert _declared("quantities", present, (), None) == first  # a hit
    assert _declared.cache_info().hits == 1
    assert first == _declared.__wrapped__("quantities", present, (), None)  # a fresh one
    assert first[0] == ("plate", "sample", "target", "n", "cq_mean", "quantity", "upper_bound")
    # other labels, factors or replicate column: a miss, and their own order
    replicates = ("sample", "target", "n", "n_used", "cq_mean", "cq_sd", "cq_se", "cq_range")
    one = _declared("replicates", (*replicates, "oxygen"), ("oxygen",), None)
    two = _declared("replicates", (*replicates, "oxygen", "donor"), ("oxygen",), "donor")
    assert one[0][-1] == "oxygen"
    assert two[0][-2:] == ("oxygen", "donor")
    assert _declared.cache_info().misses == 3
    both = (*replicates, "oxygen", "treatment")  # the same labels, the factors in another order
    assert _declared("replicates", both, ("treatment", "oxygen"), None)[0][-2:] == (
        "treatment",
        "oxygen",
    )
    assert _declared("replicates", both, ("oxygen", "treatment"), None)[0][-2:] == (
        "oxygen",
        "treatment",
    )
    message = "table quantities: undeclared column(s) [], missing column(s) ['n']"
    for _ in range(2):  # a refusal is not kept: refused again
        with pytest.raises(ValueError, match=re.escape(message)):
            _declared("quantities", tuple(c for c in present if c != "n"), (), None)


_TABLE = st.sampled_from(sorted(n for n, t in TABLES.items() if any(
    isinstance(c, Column) for c in t.columns)))  # fmt: skip


@st.composite
def _built(draw: st.DrawFn) -> tuple[str, pd.DataFrame, tuple[str, ...], str | None]:
    """A table as a writer might build it: its declared columns (some optional ones left
    out, now and then a required one), its factors, extra layout columns, in any order, float
    columns now and then held as objects."""
    name = draw(_TABLE)
    factors = tuple(draw(st.lists(st.sampled_from(["oxygen", "treatment"]), unique=True)))
    replicate = draw(st.sampled_from([None, "donor"]))
    labels: list[str] = []
    for column in TABLES[name].columns:
        if isinstance(column, Column):
            keep = not column.optional or draw(st.booleans())
            if keep and draw(st.integers(0, 30)) > 0:  # rarely a required column missing
                labels.append(column.name)
        elif column.kind == "layout":
            labels += draw(st.lists(st.sampled_from(["extra", "irc"]), unique=True))
        else:
            design = [*factors, *([replicate] if column.kind == "design" and replicate else [])]
            labels += [c for c in design if c not in labels]
    labels = draw(st.permutations(labels))
    if draw(st.integers(0, 10)) == 0:
        labels.append("undeclared")
    declared = {c.name: c.dtype for c in TABLES[name].columns if isinstance(c, Column)}
    columns = {}
    for label in labels:
        if declared.get(label) == "float":
            values = pd.Series([1.5, np.nan, 1e-7])
            columns[label] = values.astype(object) if draw(st.booleans()) else values
        else:
            columns[label] = pd.Series(["a", "b", None], dtype="str")
    return name, pd.DataFrame(columns), factors, replicate


@settings(max_examples=300, deadline=None)
@given(_built())
def test_conform_columns_are_the_columns_of_conform(
    built: tuple[str, pd.DataFrame, tuple[str, ...], str | None],
) -> None:
    name, frame, factors, replicate = built
    try:
        expected = conform(name, frame, factors, replicate)
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            conform_columns(name, dict(frame.items()), factors, replicate)
        return
    columns = conform_columns(name, dict(frame.items()), factors, replicate)
    assert list(columns) == expected.columns.tolist()
    assert [c.dtype for c in columns.values()] == expected.dtypes.tolist()
    assert pd.DataFrame(columns).equals(expected)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6),
            st.none(), st.booleans(),
        ),
        min_size=1, max_size=12,
    ),
    st.booleans(),
)  # fmt: skip
def test_qc_rounding_skips_astype_only_where_it_changes_nothing(cells: list, typed: bool) -> None:
    from qpcr.report.tables import _rounded

    column = pd.Series(cells, dtype=object)
    if typed:  # a float64 column as well as one held as objects
        column = column.astype(float)
    expected = [float(f"{v:.12g}") for v in column.astype(float).tolist()]
    got = _rounded(column)
    assert [repr(v) for v in got] == [repr(v) for v in expected]
    assert [type(v) for v in got] == [float] * len(got)
