"""The biological units of a group, per item (:class:`_Selector`), and what they depend on
besides the values (:class:`_Layout`): the units' numbering, key cells and group rows, kept
across calls by the content of the key columns (the plates of a batch share their layout).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from .grouped import group_codes, level_texts, sorted_codes
from .kept import Kept, content_key


class _Layout:
    """What the units of a values table depend on besides the values: each row's unit number
    (by first appearance), the units' key cells (the last key named ``unit``) and, made on
    first use from the units table they key, its :class:`_Keys` and its groups' numbering."""

    def __init__(self, values: pd.DataFrame, keys: list[str]) -> None:
        columns = [values[k] for k in keys]
        self.code = group_codes(columns, len(values))
        first = np.unique(self.code, return_index=True)[1]  # a row of each unit, in table order
        self.code.setflags(write=False)
        self.keyed = _taken(["unit" if k == keys[-1] else k for k in keys], columns, first)
        self._keys: _Keys | None = None
        self._groups: tuple[np.ndarray, dict] | None = None

    def keys(self, units: pd.DataFrame, factors: Sequence[str], item: str) -> _Keys:
        """The :class:`_Keys` of ``units`` (the table made with this layout)."""
        if self._keys is None:
            self._keys = _Keys(units, list(factors), item)
        return self._keys

    def groups(self, units: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, dict]:
        """:func:`_group_keys` of ``units`` (the table made with this layout)."""
        if self._groups is None:
            self._groups = _group_keys(units, keys)
        return self._groups


#: The :class:`_Layout` of a values table by its key columns' content.
_UNITS = Kept[_Layout](size=16)


def _taken(labels: Sequence[str], columns: Sequence[pd.Series], rows: np.ndarray) -> dict:
    """The cells of ``columns`` at the positions ``rows``, each keeping its dtype, by label (a
    table built from them is ``table[columns].iloc[rows]`` with a fresh index)."""
    return {label: column.array.take(rows) for label, column in zip(labels, columns, strict=True)}


class _Units(NamedTuple):
    """One item's biological units within one group, in sorted unit order: each unit's mean
    value and bound flags (``nd``: every sample of the unit not detected)."""

    units: tuple
    value: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    nd: np.ndarray


_NO_UNITS = _Units((), np.empty(0), *(np.empty(0, dtype=bool) for _ in range(3)))


class _Selector:
    """Selects the units of a group from ``units`` (:func:`biological_units`), per item; what
    depends on the key columns only is kept by their content (:class:`_Keys`)."""

    def __init__(
        self, units: pd.DataFrame, factors: Sequence[str], value: str, item: str,
        layout: _Layout | None = None,
    ) -> None:  # fmt: skip
        self.units, self.factors, self.value, self.item = units, list(factors), value, item
        if layout is not None:  # the layout ``units`` was made with
            self.keys = layout.keys(units, factors, item)
        else:
            key = content_key(units, [item, "unit", *self.factors])
            self.keys = _KEYS.get(key, lambda: _Keys(units, self.factors, item))
        self.values = units[value].to_numpy(float)
        self.upper, self.lower, self.nd = (units[f].to_numpy(bool) for f in (
            "upper_bound", "lower_bound", "not_detected"))  # fmt: skip

    def select(self, spec: Mapping[str, str]) -> dict[object, _Units]:
        """Per item, each biological unit's mean value (and bound flags) within the group
        ``spec`` (a partial spec pools the other factors within each unit)."""
        if set(spec) >= set(self.factors):  # one row per item × unit: nothing to average
            found = self.keys.group(spec)
            columns: tuple[np.ndarray, ...] = (self.values, self.upper, self.lower, self.nd)
        else:
            agg = {"value": (self.value, "mean"), "upper": ("upper_bound", "any"),
                   "lower": ("lower_bound", "any"), "nd": ("not_detected", "all")}  # fmt: skip
            chosen = self.units[self.keys.mask(spec)].groupby(
                [self.item, "unit"], sort=True, observed=True).agg(**agg).reset_index()  # fmt: skip
            found = _positions(chosen[self.item].tolist(), chosen["unit"].tolist(),
                               range(len(chosen)))  # fmt: skip
            columns = (chosen["value"].to_numpy(float),
                       *(chosen[f].to_numpy(bool) for f in ("upper", "lower", "nd")))  # fmt: skip
        return {name: _Units(names, *(c[rows] for c in columns)) for name, rows, names in found}


#: Per item of a group: the item, its rows of the units table and their units' names.
_Rows = list[tuple[object, np.ndarray, tuple]]


class _Keys:
    """The units' key columns as :class:`_Selector` reads them, each full group's rows made once."""

    def __init__(self, units: pd.DataFrame, factors: list[str], item: str):
        self.texts = {f: level_texts(units[f]) for f in factors}
        self.levels = {f: np.array(text, dtype=object) for f, text in self.texts.items()}
        keys = [units[item], units["unit"]]
        rank = sorted_codes(keys).astype(float)
        self.rank = np.where(rank < 0, np.nan, rank)  # NaN where a key is missing
        self.items, self.unit_names = (key.tolist() for key in keys)
        self.groups: dict[tuple, _Rows] = {}

    def mask(self, spec: Mapping[str, str]) -> np.ndarray:  # the group's rows with both keys
        mask = ~np.isnan(self.rank)
        for factor, level in spec.items():
            mask &= self.levels[factor] == level
        return mask

    def group(self, spec: Mapping[str, str]) -> _Rows:
        """The full group ``spec``'s (item, rows, unit names) in sorted item × unit order."""
        key = tuple(sorted(spec.items()))
        if key not in self.groups:  # as many as the data's groups: no bound needed
            rows = np.flatnonzero(self.mask(spec))
            rows = rows[np.argsort(self.rank[rows], kind="stable")]
            self.groups[key] = _positions(self.items, self.unit_names, rows.tolist())
        return self.groups[key]


#: :class:`_Keys` by the content of the units' key columns.
_KEYS = Kept[_Keys](size=16)


def _positions(items: list, names: list, rows: Iterable[int]) -> _Rows:
    """Per item of ``rows`` (in sorted item × unit order): the item, its rows, their units."""
    positions: dict[object, list[int]] = {}
    for i in rows:
        positions.setdefault(items[i], []).append(i)
    return [(name, np.array(at, dtype=np.intp), tuple(names[i] for i in at))
            for name, at in positions.items()]  # fmt: skip


def _group_keys(units: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, dict]:
    """Each unit's group number (sorted by ``keys``, −1: a key missing) and the groups' key
    cells, by key."""
    columns = [units[k] for k in keys]
    ids = sorted_codes(columns)
    first = np.unique(ids, return_index=True)[1][1 if (ids < 0).any() else 0 :]
    ids.setflags(write=False)
    return ids, _taken(keys, columns, first)
