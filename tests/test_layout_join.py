"""The layout join without merges (:mod:`qpcr.layout_join`) held to its pandas formulation:
random wells tables and layouts (shuffled, with wells on one side only, multiplex wells,
missing and blank names, text and object columns) joined both ways must be equal, dtypes
included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import qpcr.layout_join as lj
from qpcr.errors import LayoutMismatchError
from qpcr.kept import Kept
from qpcr.layout import check_layout, join_layout

WELLS = [f"{r}{c}" for r in "ABCD" for c in range(1, 7)]
TARGETS = ["GAPDH", "MYC", "myc ", "IL6"]


def _tables(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A wells table and a layout that agree on their shared wells' names (or not)."""
    rng = np.random.default_rng(seed)
    multiplex = seed % 3 == 0
    plates = ["p1", "p2"] if seed % 4 == 0 else ["p1"]
    slots = [(p, w, t) for p in plates for w in WELLS for t in (TARGETS[:2] if multiplex
             else [TARGETS[int(rng.integers(0, 4))]])]  # fmt: skip
    order = rng.permutation(len(slots))
    kept = [slots[i] for i in order if rng.random() < 0.8]
    samples = rng.choice(np.array(["s1", "S1", "s2", "", None], dtype=object), len(kept))
    wells = pd.DataFrame({
        "plate": pd.array([p for p, _, _ in kept], dtype="str"),
        "well": pd.array([w for _, w, _ in kept], dtype="str"),
        "target": pd.array([t for _, _, t in kept], dtype="str"),
        "sample": samples,
        "cq": rng.normal(25, 2, len(kept)),
        "omitted": rng.random(len(kept)) < 0.1,
    })  # fmt: skip
    wells.index = rng.permutation(len(wells)) + 100  # an index that is not a range
    if seed % 2:
        wells = wells.drop(columns="plate")
    chosen = [slots[i] for i in rng.permutation(len(slots)) if rng.random() < 0.8]
    layout = pd.DataFrame({
        "plate": [p for p, _, _ in chosen],
        "well": pd.array([w for _, w, _ in chosen], dtype="str"),
        "target": [t.strip().upper() if rng.random() < 0.9 else "" for _, _, t in chosen],
        "sample": rng.choice(np.array(["s1", "s2", "s3", ""], dtype=object), len(chosen)),
        "sample_type": pd.array(rng.choice(["unkn", "ntc"], len(chosen)), dtype="str"),
        "group": rng.choice(np.array(["dmso", "drug"], dtype=object), len(chosen)),
        "quantity": rng.choice([np.nan, 10.0, 100.0], len(chosen)),
        "count": rng.integers(0, 5, len(chosen)),
    })  # fmt: skip
    if seed % 5 == 0:
        layout = layout.drop(columns="plate")
    return wells, layout


def _keys(wells: pd.DataFrame, layout: pd.DataFrame) -> list[str]:
    keys = ["plate", "well"] if "plate" in wells and "plate" in layout else ["well"]
    return [*keys, "target"] if layout.duplicated(keys).any() else keys


@pytest.mark.parametrize("seed", range(120))
def test_the_join_is_the_left_merge(seed: int) -> None:
    wells, layout = _tables(seed)
    keys = _keys(wells, layout)
    right = layout.drop_duplicates(keys).assign(in_layout=True)
    left = wells.drop(columns=[c for c in ("sample", "target") if c not in keys])
    merged = left.merge(right, on=keys, how="left", validate="many_to_one")
    pd.testing.assert_frame_equal(lj._left_join(left, right, keys)[0], merged)
    assert lj._positions(left, right, keys) is not None  # the take, not the merge, was tested


@pytest.mark.parametrize("seed", range(120))
def test_the_names_compared_are_those_of_the_inner_merge(seed: int, monkeypatch) -> None:
    wells, layout = _tables(seed)
    keys = _keys(wells, layout)
    layout = layout.drop_duplicates(keys)
    for samples in (True, False):
        fast = lj._differences(wells, layout, keys, samples)
        with monkeypatch.context() as patch:
            patch.setattr(lj, "_positions", lambda *args: None)
            assert lj._differences(wells, layout, keys, samples) == fast


def _outcome(wells: pd.DataFrame, layout: pd.DataFrame, sample_names: str) -> object:
    try:
        return join_layout(wells, layout, "layout.csv", sample_names)
    except LayoutMismatchError as exc:
        return str(exc)


@pytest.mark.parametrize("seed", range(60))
def test_join_layout_is_what_it_was_with_merges(seed: int, monkeypatch) -> None:
    wells, layout = _tables(seed)
    layout = layout.drop_duplicates(_keys(wells, layout)).drop(columns="count")
    for sample_names in ("check", "layout", "export"):
        fast = _outcome(wells, layout, sample_names)
        with monkeypatch.context() as patch:
            patch.setattr(lj, "_positions", lambda *args: None)
            merged = _outcome(wells, layout, sample_names)
        if isinstance(merged, str):
            assert fast == merged
        else:
            assert isinstance(fast, tuple)
            pd.testing.assert_frame_equal(fast[0], merged[0])
            assert fast[1] == merged[1]  # the same warnings


def test_keys_that_are_not_text_or_repeat_are_merged_by_pandas() -> None:
    wells = pd.DataFrame({"well": ["A1", "A2"], "target": ["MYC", "MYC"], "cq": [20.0, 21.0]})
    layout = pd.DataFrame({"well": ["A1", "A2"], "group": ["a", "b"]})
    assert lj._positions(wells, layout, ["well"]).tolist() == [0, 1]
    assert lj._positions(wells.assign(well=[1, 2]), layout, ["well"]) is None
    assert lj._positions(wells, layout.assign(well=["A1", np.nan]), ["well"]) is None
    twice = pd.DataFrame({"well": ["A1", "A1"], "group": ["a", "b"]})
    assert lj._positions(wells, twice, ["well"]) is None
    with pytest.raises(pd.errors.MergeError):  # as before: the merge's own check
        lj._left_join(wells, twice, ["well"])


def test_a_disagreement_names_each_well_once_in_the_exports_order() -> None:
    wells = pd.DataFrame({"well": ["B1", "A1", "A1", "C1"], "sample": ["x", "y", "y", "z"],
                          "target": ["MYC", "MYC", "TBP", "MYC"]})  # fmt: skip
    layout = pd.DataFrame({"well": ["A1", "A1", "B1", "C1"], "sample": ["s", "s", "t", "z"],
                           "target": ["MYC", "TBP", "MYC", "MYC"]})  # fmt: skip
    with pytest.raises(LayoutMismatchError) as raised:
        check_layout(wells, layout, where="layout.csv")
    assert "in 2 well(s): B1: export 'x' vs layout 't', A1: export 'y' vs layout 's'" in str(
        raised.value
    )
    joined, messages = join_layout(wells, layout, sample_names="layout")
    assert joined["sample"].tolist() == ["t", "s", "s", "z"]
    assert joined["sample_export"].tolist() == ["x", "y", "y", ""]
    assert messages == []


def _texts(wells: pd.DataFrame, layout: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables with text names only (missing names as ''), the joins the cache keeps."""
    return wells.assign(sample=wells["sample"].fillna("")), layout.drop(columns="count")


@pytest.mark.parametrize("seed", range(40))
def test_a_join_from_the_cache_is_the_join_made_afresh(seed: int, monkeypatch) -> None:
    monkeypatch.setattr(lj, "_JOINED", Kept(8))
    wells, layout = _texts(*_tables(seed))
    layout = layout.drop_duplicates(_keys(wells, layout))
    rng = np.random.default_rng(seed)
    for sample_names in ("check", "layout", "export"):
        for turn in range(3):  # a miss, then hits with other Cq values in the same wells
            wells = wells.assign(cq=rng.normal(25, 2, len(wells)), extra=turn)
            got = _outcome(wells, layout, sample_names)
            if isinstance(got, str):  # refused as afresh, and not kept
                with pytest.raises(LayoutMismatchError) as raised:
                    lj._join(wells, layout, "layout.csv", sample_names)
                assert str(raised.value) == got
                assert not lj._JOINED
                continue
            fresh = lj._join(wells, layout, "layout.csv", sample_names)
            assert isinstance(got, tuple)
            pd.testing.assert_frame_equal(got[0], fresh[0], check_exact=True)
            assert got[1] == fresh[1]
            assert len(lj._JOINED) == 1
        monkeypatch.setattr(lj, "_JOINED", Kept(8))


def test_changed_content_misses_the_cached_join(monkeypatch) -> None:
    monkeypatch.setattr(lj, "_JOINED", Kept(8))
    layout = pd.DataFrame({"well": ["A1", "A2", "A3"], "sample": ["s1", "s2", "s3"],
                           "group": ["a", "b", "b"], "quantity": [1.0, 0.0, np.nan]})  # fmt: skip
    wells = pd.DataFrame({"well": pd.array(["A1", "A2"], dtype="str"), "sample": ["s1", ""],
                          "target": ["MYC", "MYC"], "cq": [20.0, 21.0]})  # fmt: skip
    first, messages = join_layout(wells, layout)
    assert first["sample"].tolist() == ["s1", "s2"]
    assert len(lj._JOINED) == 1
    assert messages == ["1 layout well(s) have no data in the export: A3"]
    first.loc[0, "group"] = "changed"  # the caller's copy, not the cache's
    again, _ = join_layout(wells.assign(cq=[22.0, 23.0]), layout)
    assert again["group"].tolist() == ["a", "b"]
    assert again["cq"].tolist() == [22.0, 23.0]
    assert len(lj._JOINED) == 1  # a hit
    changes = [
        (wells, layout.assign(group=["a", "b", "a"])),  # a layout cell
        (wells, layout.assign(quantity=[1.0, -0.0, np.nan])),  # -0.0 is not 0.0
        (wells.assign(sample=["s1", "s2"]), layout),  # an export cell the join reads
        (wells.assign(sample_type="unkn"), layout),  # a column it reads
        (wells[["cq", "well", "sample", "target"]], layout),  # the columns' order
    ]
    for n, (ours, theirs) in enumerate(changes, start=2):
        got = join_layout(ours, theirs)
        assert len(lj._JOINED) == n
        pd.testing.assert_frame_equal(got[0], lj._join(ours, theirs, "layout", "check")[0])
    assert join_layout(wells, layout.assign(group=[1, "b", "b"]))[0]["group"].tolist()[0] == 1
    assert len(lj._JOINED) == len(changes) + 1  # objects other than text: not kept
    for n in range(2 * lj._JOINED.size):  # bounded
        join_layout(wells, layout.assign(group=[f"g{n}", "b", "b"]))
    assert len(lj._JOINED) == lj._JOINED.size
