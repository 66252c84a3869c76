"""A table as built, fitted to its declaration in :data:`qpcr.schema.TABLES`: the required
columns (:func:`columns_of`), and the columns in their declared order and dtypes
(:func:`conform` for a table, :func:`conform_columns` for its columns alone)."""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from .columns import Column
from .tables import TABLES

__all__ = ["columns_of", "conform", "conform_columns"]


def columns_of(name: str, factors: Sequence[str] = (), replicate: str | None = None) -> list[str]:
    """The required columns of table ``name`` in order.

    Parameters
    ----------
    name
        A key of :data:`TABLES`.
    factors
        The design factors, for a ``factors`` or ``design`` slot.
    replicate
        The biological-replicate column, for a ``design`` slot (a ``layout`` slot stays
        empty).

    Returns
    -------
    list of str
        The column names, optional columns left out.

    Examples
    --------
    >>> columns_of("quantities")
    ['plate', 'sample', 'target', 'n', 'cq_mean', 'quantity', 'upper_bound']
    >>> columns_of("replicates", ["oxygen"], "donor")[-4:]
    ['cq_se', 'cq_range', 'oxygen', 'donor']
    """
    out: list[str] = []
    for column in TABLES[name].columns:
        if isinstance(column, Column):
            out += [] if column.optional else [column.name]
        elif column.kind != "layout":
            design = [*factors, *([replicate] if column.kind == "design" and replicate else [])]
            out += [c for c in design if c not in out]
    return out


def conform(
    name: str, frame: pd.DataFrame, factors: Sequence[str] = (), replicate: str | None = None
) -> pd.DataFrame:
    """``frame`` with the columns of table ``name`` in their declared order.

    Parameters
    ----------
    name
        A key of :data:`TABLES`.
    frame
        The table as built.
    factors
        The design factors (the design slot's columns).
    replicate
        The biological-replicate column (for a ``design`` slot).

    Returns
    -------
    pandas.DataFrame
        The columns in order: the design slot takes ``factors`` (and ``replicate`` for a
        ``design`` slot); a ``layout`` slot takes every undeclared column in its present order.
        A table without rows gets the required columns it lacks; a ``float`` column held as
        objects (after a concatenation) becomes float.

    Raises
    ------
    ValueError
        A required column is missing or an undeclared one is present (a writer's mistake, not
        the user's).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"target": ["MYC"], "quantity": [1200.0], "plate": ["p1"],
    ...                       "sample": ["s1"], "cq_mean": [24.1], "n": [3],
    ...                       "upper_bound": [False]})
    >>> conform("quantities", frame)
      plate sample target  n  cq_mean  quantity  upper_bound
    0    p1     s1    MYC  3     24.1    1200.0        False
    >>> conform("quantities", frame.drop(columns="n"))
    Traceback (most recent call last):
    ...
    ValueError: table quantities: undeclared column(s) [], missing column(s) ['n']
    """
    if frame.empty:
        required = columns_of(name, factors, replicate)
        frame = frame.reindex(columns=[*frame.columns, *(c for c in required if c not in frame)])
    present = frame.columns.tolist()
    order, floats = _declared(name, tuple(present), tuple(factors), replicate)
    # in order already (the usual case): a shallow copy, which copy-on-write keeps apart
    ordered = frame.copy(deep=False) if present == list(order) else frame[list(order)]
    loose = [c for c, held in ordered.dtypes.items() if c in floats and held == np.dtype(object)]
    if loose:  # column by column: astype with a mapping concatenates every column anew
        ordered = ordered.copy(deep=False)
        for c in loose:
            ordered[c] = ordered[c].astype(float)
    return ordered


def conform_columns(
    name: str,
    columns: Mapping[Hashable, pd.Series],
    factors: Sequence[str] = (),
    replicate: str | None = None,
) -> dict[Hashable, pd.Series]:
    """The columns of a table with rows, in the order and dtypes :func:`conform` gives them,
    without building a table (what ``qpcr batch`` writes).

    Parameters
    ----------
    name
        A key of :data:`TABLES`.
    columns
        The table's columns as built (label → column), at least one row.
    factors, replicate
        As for :func:`conform`.

    Returns
    -------
    dict
        The columns in the declared order; a ``float`` column held as objects as float.

    Raises
    ------
    ValueError
        As :func:`conform`.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"target": ["MYC"], "quantity": [1200.0], "plate": ["p1"],
    ...                       "sample": ["s1"], "cq_mean": [24.1], "n": [3],
    ...                       "upper_bound": [False]})
    >>> list(conform_columns("quantities", dict(frame.items())))
    ['plate', 'sample', 'target', 'n', 'cq_mean', 'quantity', 'upper_bound']
    """
    order, floats = _declared(name, tuple(columns), tuple(factors), replicate)
    loose = np.dtype(object)
    return {
        c: columns[c].astype(float) if c in floats and columns[c].dtype == loose else columns[c]
        for c in order
    }


@functools.lru_cache(maxsize=256)
def _declared(
    name: str, present: tuple[Hashable, ...], factors: tuple[str, ...], replicate: str | None
) -> tuple[tuple[Hashable, ...], frozenset[str]]:
    """The columns of table ``name`` in their declared order, given those ``present`` (see
    :func:`conform`), and its ``float`` columns: the same for every plate of a batch, so
    kept by the labels, factors and replicate column that decide it."""
    table = TABLES[name]
    declared = set(table.names())
    order: list[Hashable] = []
    for column in table.columns:
        if isinstance(column, Column):
            if column.name in present or not column.optional:
                order.append(column.name)
        elif column.kind == "layout":
            order += [c for c in present if c not in declared]
        else:
            design = [*factors, *([replicate] if column.kind == "design" and replicate else [])]
            order += [c for c in design if c not in order]
    extra = [c for c in present if c not in order]
    missing = [c for c in order if c not in present]
    if extra or missing:
        raise ValueError(f"table {name}: undeclared column(s) {extra}, missing column(s) {missing}")
    floats = {c.name for c in table.columns if isinstance(c, Column) and c.dtype == "float"}
    return tuple(order), frozenset(floats)
