"""Each sample's design values (:func:`qpcr.stages.replicates._attributes`) taken from the
columns' arrays, held to the Series formulation they replace."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr.errors import InputError
from qpcr.grouped import group_codes
from qpcr.groups import group_label
from qpcr.stages.replicates import _attributes


def _attributes_before(wells: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    unkn = wells["sample_type"].eq("unkn") & wells["exclude_code"].ne("not_in_layout")
    rows = np.flatnonzero(unkn.to_numpy())
    columns = {"sample": wells["sample"], **{c: wells[c].astype(str) for c in cols}}
    code = group_codes([column.array[rows] for column in columns.values()], len(rows))
    first = rows[np.unique(code, return_index=True)[1]]
    attrs = pd.DataFrame(
        {c: column.iloc[first].reset_index(drop=True) for c, column in columns.items()}
    )
    clash = attrs[attrs["sample"].duplicated(keep=False).to_numpy()]
    if not clash.empty:
        name = clash["sample"].iloc[0]
        found = "; ".join(
            group_label(r) for r in clash[clash["sample"] == name][cols].to_dict("records")
        )
        raise InputError(f"sample '{name}' has different design values in wells ({found})")
    empty = np.logical_or.reduce(
        [attrs[c].isin(["", "nan"]).to_numpy() for c in cols], initial=False
    )
    if empty.any():
        raise InputError(f"sample(s) {', '.join(attrs.loc[empty, 'sample'].head(8))} empty")
    return attrs


def _outcome(attributes: Any, wells: pd.DataFrame, cols: list[str]) -> Any:
    try:
        return attributes(wells, cols)
    except InputError as exc:
        return exc.message.split(" in ")[0].split(" have")[0].split(" empty")[0]


_ROWS = st.tuples(
    st.sampled_from(["s1", "s2", "s3"]),
    st.sampled_from(["unkn", "unkn", "ntc", None]),
    st.sampled_from(["", "", "not_in_layout", None]),
    st.sampled_from(["hyp", "norm", "", None, np.nan, 1, 2.5]),
    st.sampled_from(["d1", "d2", "nan", None]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ROWS, max_size=10), st.sampled_from(["str", object]), st.booleans())
def test_attributes_are_the_series_formulation(
    rows: list[tuple[Any, ...]], text: Any, replicate: bool
) -> None:
    sample, stype, code, oxygen, donor = (
        [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(5)]
    )
    wells = pd.DataFrame(
        {
            "sample": pd.Series(sample, dtype=text),
            "sample_type": pd.Series(stype, dtype="str"),
            "exclude_code": pd.Series(code, dtype=object),
            "oxygen": pd.Series(oxygen, dtype=object),
            "donor": pd.Series(donor, dtype=text),
        }
    )
    cols = ["oxygen", "donor"] if replicate else ["oxygen"]
    mine, theirs = _outcome(_attributes, wells, cols), _outcome(_attributes_before, wells, cols)
    if isinstance(theirs, pd.DataFrame):
        assert isinstance(mine, pd.DataFrame)
        pd.testing.assert_frame_equal(mine, theirs)
    else:
        assert mine == theirs


def test_attributes_are_each_samples_values_once() -> None:
    wells = pd.DataFrame(
        {
            "sample": ["a", "a", "b", "n"],
            "sample_type": ["unkn", "unkn", "unkn", "ntc"],
            "exclude_code": ["", "", "", ""],
            "oxygen": ["hyp", "hyp", "norm", ""],
        }
    )
    attrs = _attributes(wells, ["oxygen"])
    assert attrs.to_dict("list") == {"sample": ["a", "b"], "oxygen": ["hyp", "norm"]}
    wells.loc[2, "oxygen"] = ""
    with pytest.raises(InputError, match=r"sample\(s\) b have no value for oxygen"):
        _attributes(wells, ["oxygen"])
