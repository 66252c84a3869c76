"""Work kept across calls (:mod:`qpcr.kept`): the bound, the keys, and keys that must differ."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from qpcr.kept import Kept, content_key


def test_at_most_size_results_are_kept_the_oldest_dropped_first() -> None:
    kept = Kept[str](size=2)
    made: list[int] = []
    for key in (1, 2, 1, 3, 1, 2):
        assert kept.get(key, lambda key=key: made.append(key) or f"v{key}") == f"v{key}"
    assert made == [1, 2, 3, 1, 2]  # a hit does not make 1 newer: 3 pushes it out
    assert list(kept) == [1, 2]


def test_no_key_is_never_kept_and_a_refusal_keeps_nothing() -> None:
    kept = Kept[int](size=4)
    assert kept.get(None, lambda: 1) == 1
    assert len(kept) == 0

    def refuse() -> int:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        kept.get("k", refuse)
    assert kept.get("k", lambda: 7) == 7
    assert list(kept) == ["k"]


def test_threads_sharing_one_instance_get_one_value_per_key() -> None:
    kept = Kept[int](size=8)
    seen: list[int] = []

    def work() -> None:
        for k in range(50):
            seen.append(kept.get(k % 5, lambda k=k: k % 5))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == sorted([k % 5 for k in range(50)] * 4)
    assert sorted(kept) == list(range(5))
    assert all(kept.get(k, lambda: -1) == k for k in range(5))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([0.0, 1.0], [-0.0, 1.0]),  # equal numbers, other bytes
        ([1, 2], [1.0, 2.0]),  # another dtype
        (["a", "b"], ["a", "c"]),
        (["a", None], ["a", ""]),
        ([True, False], [1, 0]),
    ],
)
def test_cells_that_read_differently_have_different_keys(a: list, b: list) -> None:
    key_a = content_key(pd.DataFrame({"x": a}), ["x"])
    key_b = content_key(pd.DataFrame({"x": b}), ["x"])
    assert key_a is not None
    assert key_b is not None
    assert key_a != key_b


@pytest.mark.parametrize("cells", [[1, "1"], [1.5, "a"], [pd.Timestamp("2026-01-01")], [object()]])
def test_cells_that_are_not_plain_numbers_or_text_have_no_key(cells: list) -> None:
    assert content_key(pd.DataFrame({"x": pd.Series(cells, dtype=object)}), ["x"]) is None


def test_equal_cells_give_equal_keys_whatever_the_table() -> None:
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"well": [f"A{i}" for i in range(1, 9)], "cq": rng.normal(25, 1, 8),
                          "text": pd.array(["a", None] * 4, dtype="str")})  # fmt: skip
    other = table.copy().assign(extra=1)
    assert content_key(table, ["well", "cq", "text"]) == content_key(other, ["well", "cq", "text"])
    assert content_key(table, ["well"]) != content_key(table.rename(columns={"well": "w"}), ["w"])


def _cells_key(table: pd.DataFrame, columns: list[str]) -> tuple | None:
    """The key by a tuple of each text column's cells (the formulation the joined text
    replaces): equal iff every column's name, dtype and cells are equal."""
    parts: list[tuple] = []
    for name in columns:
        values = table[name].to_numpy()
        if values.dtype.kind in "biufc":
            parts.append((name, str(table[name].dtype), values.tobytes()))
            continue
        parts.append((name, str(table[name].dtype), tuple(values.tolist())))
    return tuple(parts)


def test_text_keys_are_equal_exactly_when_the_cells_are() -> None:
    """Columns drawn from few texts, the separator, empty and missing cells: the joined key
    and the tuple of cells agree pair by pair, and a cell holding the separator or a missing
    cell still keys (by its cells)."""
    rng = np.random.default_rng(11)
    alphabet = ["", "a", "b", "a\x1fb", "\x1f", None, np.nan, "ab"]
    tables = []
    for _ in range(400):
        n = int(rng.integers(0, 4))
        cells = [alphabet[i] for i in rng.integers(0, len(alphabet), n)]
        if rng.random() < 0.5:  # text only, most often
            cells = [c if isinstance(c, str) else "a" for c in cells]
        dtype = "str" if rng.random() < 0.5 and all(isinstance(c, str) for c in cells) else object
        tables.append(pd.DataFrame({"x": pd.Series(cells, dtype=dtype), "y": np.arange(n)}))
    keys = [content_key(t, ["x", "y"]) for t in tables]
    cells = [_cells_key(t, ["x", "y"]) for t in tables]
    assert all(k is not None for k in keys)
    for i in range(len(tables)):
        for j in range(i + 1, len(tables)):
            assert (keys[i] == keys[j]) == (cells[i] == cells[j]), (tables[i], tables[j])


def test_categories_are_not_keyed_a_reordered_one_is_computed_afresh() -> None:
    """Two categorical columns with the same cells and other categories would share a key if
    the cells alone made it: the units would come back in the first one's order."""
    from qpcr import groups, selection
    from qpcr.groups import biological_units

    cells = ["hyp", "hyp", "ctrl", "ctrl"]
    first = pd.Categorical(cells, categories=["ctrl", "hyp"])
    second = pd.Categorical(cells, categories=["hyp", "ctrl", "other"])
    assert content_key(pd.DataFrame({"g": first}), ["g"]) is None
    samples = pd.DataFrame({"target": "MYC", "sample": ["s1", "s2", "s3", "s4"],
                            "log2_rq": [-5.0, -5.3, -4.8, -4.0]})  # fmt: skip
    biological_units(samples.assign(g=first), "log2_rq", "target", ["g"], None)
    again = biological_units(samples.assign(g=second), "log2_rq", "target", ["g"], None)
    groups._UNITS.clear()
    selection._KEYS.clear()
    fresh = biological_units(samples.assign(g=second), "log2_rq", "target", ["g"], None)
    pd.testing.assert_frame_equal(again, fresh)
    assert list(again["g"].cat.categories) == ["hyp", "ctrl", "other"]


def test_missing_text_cells_key_equal_whichever_nan_object_holds_them() -> None:
    """Two plates' NaN cells may be different objects, never equal to each other: keyed by the
    cells themselves, every plate missed the kept work. None and NaN stay apart."""

    def donors(*cells: object) -> pd.DataFrame:
        return pd.DataFrame({"donor": pd.Series(cells, dtype=object)})  # keeps each object

    first, second = donors("D1", float("nan"), None), donors("D1", float("nan"), None)
    assert first["donor"][1] is not second["donor"][1]
    assert content_key(first, ["donor"]) == content_key(second, ["donor"])
    assert hash(content_key(first, ["donor"])) == hash(content_key(second, ["donor"]))
    swapped = donors("D1", None, float("nan"))
    assert content_key(first, ["donor"]) != content_key(swapped, ["donor"])
