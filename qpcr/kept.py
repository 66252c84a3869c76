"""Work kept across calls by the content it is computed from.

The plates of a ``qpcr batch`` usually share one layout and one set of settings, so much of a
plate's work (the parsed layout, the join, the sample attributes, the factorial plans) is the
same from plate to plate. :class:`Kept` holds the last few results of one such step, keyed by
what decides them; :func:`content_key` makes that key from a table's columns. A key must hold
everything a result depends on: a hit is the result a fresh computation would give.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

__all__ = ["Kept", "content_key"]

V = TypeVar("V")

_SEPARATOR = "\x1f"  # the unit separator: rare in text (a column holding it is keyed by cells)


class Kept(Generic[V]):
    """At most ``size`` results by key, the oldest dropped first; safe to share between threads
    (analyses in threads of one process share the module-level instances).

    Examples
    --------
    >>> made = []
    >>> def tenfold(k):
    ...     made.append(k)
    ...     return k * 10
    >>> kept = Kept[int](size=2)
    >>> [kept.get(k, lambda k=k: tenfold(k)) for k in (1, 1, 2, 3, 1)]
    [10, 10, 20, 30, 10]
    >>> made  # 1 is made again once 3 has pushed it out
    [1, 2, 3, 1]
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: dict[Hashable, V] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable | None, make: Callable[[], V]) -> V:
        """The result kept for ``key``, else ``make()`` (kept unless ``key`` is None: a step
        whose input cannot be keyed exactly computes afresh every time)."""
        if key is None:
            return make()
        with self._lock:
            if key in self._values:
                return self._values[key]
        value = make()  # outside the lock: a refusal raises and keeps nothing
        with self._lock:
            while len(self._values) >= self.size:
                del self._values[next(iter(self._values))]
            self._values[key] = value
        return value

    def clear(self) -> None:
        """Forget every result (tests)."""
        with self._lock:
            self._values.clear()

    def __iter__(self) -> Iterator[Hashable]:
        """The keys kept, the oldest first (tests)."""
        with self._lock:
            return iter(list(self._values))

    def __len__(self) -> int:
        return len(self._values)


def content_key(table: pd.DataFrame, columns: list[str]) -> tuple[Any, ...] | None:
    """A key for the cells of ``columns``: each column's name, dtype and cells, such that equal
    keys hold the same cells; None when a column holds anything else than numbers, booleans or
    text with missing cells (objects can compare equal and read differently: ``1 == 1.0 ==
    True``; categories, dates).

    Numbers and booleans are keyed by their bytes (``0.0`` and ``-0.0`` differ); a column of
    text only by its cells joined with a separator no cell holds (one string hashes and
    compares faster than a tuple of cells); text with missing cells by its values (every NaN
    as one marker: two NaN objects never compare equal; None as itself).

    Examples
    --------
    >>> a = pd.DataFrame({"well": ["A1", "A2"], "cq": [20.0, 21.0]})
    >>> content_key(a, ["well"]) == content_key(a.copy(), ["well"])
    True
    >>> content_key(a, ["cq"]) == content_key(a.assign(cq=[20.0, 21.5]), ["cq"])
    False
    >>> b = pd.DataFrame({"donor": ["D1", float("nan")]})
    >>> content_key(b, ["donor"]) == content_key(b.assign(donor=["D1", float("nan")]), ["donor"])
    True
    >>> print(content_key(pd.DataFrame({"x": [1, "1"]}), ["x"]))
    None
    >>> print(content_key(pd.DataFrame({"x": pd.Categorical(["a"], ["b", "a"])}), ["x"]))
    None
    """
    parts: list[Any] = []
    for name in columns:
        column = table[name]
        if not isinstance(column.dtype, (np.dtype, pd.StringDtype)):  # categories, nullable
            return None  # numbers, dates: their order and meaning lie outside the cells
        values = column.to_numpy()
        if values.dtype.kind in "biufc":
            parts.append((name, str(column.dtype), values.tobytes()))
            continue
        cells = values.tolist()
        if set(map(type, cells)) == {str}:
            joined = _SEPARATOR.join(cells)
            if joined.count(_SEPARATOR) == len(cells) - 1:  # no cell holds the separator
                parts.append((name, str(column.dtype), joined))
                continue
        if not _texts(cells):
            return None
        # a NaN never equals another NaN object: each is keyed as one marker, so equal cells hit
        parts.append((name, str(column.dtype), tuple(_NAN if c != c else c for c in cells)))
    return tuple(parts)


#: A missing (NaN) cell of a text column in :func:`content_key` (None stays None).
_NAN = ("NaN",)


def _texts(values: list[Any]) -> bool:
    """Whether ``values`` are text or missing (None, NaN) only."""
    kinds = set(map(type, values))
    if float in kinds and any(v == v for v in values if type(v) is float):  # a number
        return False
    return kinds <= {str, float, type(None)}
