"""Grouped statistics in one numpy pass: the replicate groups of a wells table numbered once,
then every group's count, extremes and median from one sort.

The engine's per-group steps (outlier rules, non-detect rules) work on these numbers instead of
a pandas ``groupby`` per statistic. The results equal pandas' ``groupby(...).transform`` with
``dropna=False`` (a missing key is a group like any other) and NaN values skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["group_codes", "level_texts", "moments", "order_stats", "records", "sorted_codes"]


def group_codes(keys: Sequence[pd.Series], length: int) -> npt.NDArray[np.intp]:
    """Number the groups of rows that share every key: 0, 1, … in order of first appearance.

    Parameters
    ----------
    keys
        Key columns of equal length (a missing value is a key like any other).
    length
        The number of rows (used when ``keys`` is empty: one group).

    Returns
    -------
    numpy.ndarray
        The group number of each row.

    Examples
    --------
    >>> import pandas as pd
    >>> group_codes([pd.Series(["a", "a", "b", None]), pd.Series([1, 2, 1, 1])], 4)
    array([0, 1, 2, 3])
    >>> group_codes([pd.Series(["s2", "s1", "s2"])], 3)
    array([0, 1, 0])
    """
    code = np.zeros(length, dtype=np.intp)
    for key in keys:
        part, size = _factorized(key, sort=False, missing=True)
        code = pd.factorize(code * size + part)[0]
    return code


def _factorized(key: pd.Series, *, sort: bool, missing: bool) -> tuple[npt.NDArray[np.intp], int]:
    """Each cell's code as ``pd.factorize(key, sort=sort)`` gives it (−1 where missing; with
    ``missing``, a code of its own instead, as with ``use_na_sentinel=False``) and the number
    of codes. A column of pandas' ``str`` (text, NaN where missing) is coded by a dict over its
    cells, a fraction of ``pd.factorize``'s cost; its missing cells' own code comes last."""
    if not (isinstance(key.dtype, pd.StringDtype) and key.dtype.na_value is not pd.NA):
        part, uniques = pd.factorize(key, sort=sort, use_na_sentinel=not missing)
        return part, len(uniques)
    cells = key.tolist()
    found = dict.fromkeys(c for c in cells if isinstance(c, str))
    number = {text: i for i, text in enumerate(sorted(found) if sort else found)}
    part = np.array([number.get(c, -1) for c in cells], dtype=np.intp)
    if missing and (part < 0).any():  # NaN: one more code, in its place of first appearance
        return np.where(part < 0, len(number), part), len(number) + 1
    return part, len(number)


def sorted_codes(keys: Sequence[pd.Series]) -> npt.NDArray[np.intp]:
    """Number the groups of rows that share every key in sorted key order, as a sorted
    ``groupby(...).ngroup()`` numbers them; −1 for a row missing a key (a groupby drops it).

    Parameters
    ----------
    keys
        Key columns of equal length (at least one).

    Returns
    -------
    numpy.ndarray
        The group number of each row (0, 1, … in sorted order of the keys), −1 where a key is
        missing.

    Examples
    --------
    >>> import pandas as pd
    >>> sorted_codes([pd.Series(["b", "a", "b", None]), pd.Series(["x", "y", "x", "x"])])
    array([ 1,  0,  1, -1])
    """
    combined = np.zeros(len(keys[0]), dtype=np.intp)
    keyed = np.ones(len(keys[0]), dtype=bool)
    for key in keys:
        part, size = _factorized(key, sort=True, missing=False)  # −1 where the key is missing
        keyed &= part >= 0
        combined = combined * size + part
    code = np.full(len(combined), -1, dtype=np.intp)
    code[keyed] = np.unique(combined[keyed], return_inverse=True)[1].reshape(-1)
    return code


def order_stats(
    values: npt.NDArray[np.floating], code: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.intp]]:
    """Each group's minimum, maximum, median and count of its non-NaN values.

    Parameters
    ----------
    values
        One value per row (NaN: skipped).
    code
        The group number of each row (:func:`group_codes`).

    Returns
    -------
    tuple of numpy.ndarray
        ``(minimum, maximum, median, count)``, one entry per group; NaN where a group has no
        value. The median of an even count is the mean of the two middle values.

    Examples
    --------
    >>> import numpy as np
    >>> low, high, median, count = order_stats(
    ...     np.array([24.0, 25.3, 24.1, np.nan, 18.0, 18.2]), np.array([0, 0, 0, 1, 2, 2]))
    >>> low, high, median, count
    (array([24., nan, 18.]), array([25.3, nan, 18.2]), array([24.1, nan, 18.1]), array([3, 0, 2]))
    """
    groups = int(code.max()) + 1 if len(code) else 0
    order = np.lexsort((values, code))  # by group, NaN last within each
    ranked = np.append(values[order], np.nan)
    count = np.bincount(code[~np.isnan(values)], minlength=groups)
    start = np.searchsorted(code[order], np.arange(groups))
    empty = count == 0
    last = np.where(empty, len(values), start + count - 1)
    low = np.where(empty, np.nan, ranked[np.where(empty, len(values), start)])
    middle = (ranked[start + np.maximum(count - 1, 0) // 2] + ranked[start + count // 2]) / 2
    return low, ranked[last], np.where(empty, np.nan, middle), count


def moments(
    values: npt.NDArray[np.floating], code: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.intp]]:
    """Each group's mean, standard deviation (n − 1) and count of its non-NaN values.

    The sums run as pandas' ``groupby`` runs them, so the results are pandas' to the last bit:
    over each group's rows in table order, a compensated sum for the mean and Welford's update
    for the variance, one step per row position for all groups at once; when the group numbers
    never decrease down the table (left-out rows first) and no value is NaN, the mean's sums
    are numpy's ``add.reduceat``.

    Parameters
    ----------
    values
        One value per row (NaN: skipped).
    code
        The group number of each row (:func:`group_codes`); −1 leaves the row out, as a
        ``groupby`` leaves out a row with a missing key.

    Returns
    -------
    tuple of numpy.ndarray
        ``(mean, sd, count)``, one entry per group; the mean is NaN without a value, the SD
        without two.

    Examples
    --------
    >>> import numpy as np
    >>> mean, sd, count = moments(np.array([18.0, 18.2, 24.0, 24.4, np.nan]),
    ...                           np.array([0, 0, 1, 1, 2]))
    >>> mean, sd.round(6), count
    (array([18.1, 24.2,  nan]), array([0.141421, 0.282843,      nan]), array([2, 2, 0]))
    """
    groups = int(code.max()) + 1 if len(code) else 0
    # pandas adds groups numbered in table order, without NaN, with numpy's reduceat
    pairwise = bool(len(code)) and (np.diff(code) >= 0).all() and not np.isnan(values).any()
    if (code < 0).any():
        values, code = values[code >= 0], code[code >= 0]
    small = len(code) <= _FEW  # a step per row in Python costs less than a step per position
    # ±inf gives NaN and overflows quietly, as in pandas and in Python's floats (the row steps)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        total, m2, count = (_row_steps if small else _position_steps)(values, code, groups)
        if pairwise and len(code):
            total = np.add.reduceat(values, np.searchsorted(code, np.arange(groups)))
        average = np.where(count > 0, total / count, np.nan)
        sd = np.sqrt(np.where(count > 1, m2 / (count - 1), np.nan))
    return average, sd, count


#: The rows up to which :func:`moments` steps row by row (in Python) instead of by position.
_FEW = 100


def _row_steps(
    values: npt.NDArray[np.floating], code: npt.NDArray[np.intp], groups: int
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.intp]]:
    """:func:`moments`' compensated sums, sums of squares and counts, a row at a time in table
    order (Python's float operations are numpy's, to the last bit)."""
    total, carry, mean, m2 = ([0.0] * groups for _ in range(4))
    count = [0] * groups
    for g, v in zip(code.tolist(), values.tolist(), strict=True):
        if v != v:  # NaN: skipped
            continue
        y = v - carry[g]
        t = total[g] + y
        carry[g] = (t - total[g]) - y
        total[g] = t
        count[g] = n = count[g] + 1
        old = mean[g]
        mean[g] = new = old + (v - old) / n
        m2[g] += (v - new) * (v - old)
    return np.array(total, dtype=float), np.array(m2, dtype=float), np.array(count, dtype=np.intp)


def _position_steps(
    values: npt.NDArray[np.floating], code: npt.NDArray[np.intp], groups: int
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.intp]]:
    """:func:`_row_steps` one row position at a time for all groups at once (numpy)."""
    order = np.argsort(code, kind="stable")
    grouped, ordered = code[order], values[order]
    position = np.arange(len(code)) - np.searchsorted(grouped, np.arange(groups))[grouped]
    total, carry, mean, m2 = (np.zeros(groups) for _ in range(4))
    count = np.zeros(groups, dtype=np.intp)
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
    return total, m2, count


def records(
    table: pd.DataFrame,
    columns: Sequence[Any] | None = None,
    rows: Sequence[int] | npt.NDArray[np.intp] | None = None,
) -> list[dict[Any, Any]]:
    """The rows of ``table`` as ``table.to_dict("records")`` gives them, a column at a time
    instead of a tuple per row.

    Parameters
    ----------
    table
        Any table with distinct column labels.
    columns
        The columns to take, of those the table has, in this order (None: all).
    rows
        The positions of the rows to take, in this order (None: all): the records of
        ``table.iloc[rows]`` without building that table.

    Returns
    -------
    list of dict
        One dict per row, column label → value; numpy numbers become Python numbers and
        ``pd.NA`` in a text column becomes None, as in ``to_dict``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"target": ["MYC", "TBP"], "cq": [24.5, 18.0]})
    >>> records(table)
    [{'target': 'MYC', 'cq': 24.5}, {'target': 'TBP', 'cq': 18.0}]
    >>> records(table, ["cq", "well"])
    [{'cq': 24.5}, {'cq': 18.0}]
    >>> records(table, rows=[1])
    [{'target': 'TBP', 'cq': 18.0}]
    """
    if columns is None:
        taken = list(table.items())
    else:
        taken = [(c, table[c]) for c in dict.fromkeys(columns) if c in table]
    if not taken:
        return [{} for _ in range(len(table) if rows is None else len(rows))]
    lists = []
    for _, column in taken:
        values, dtype = column.tolist(), column.dtype
        if rows is not None:
            values = [values[i] for i in rows]
        if _boxed(dtype):
            values = [_native(v) for v in values]
        lists.append(values)
    labels = [label for label, _ in taken]
    return [dict(zip(labels, row, strict=True)) for row in zip(*lists, strict=True)]


def _boxed(dtype: Any) -> bool:
    """Whether ``tolist()`` of a column of this dtype may hold numpy scalars or ``pd.NA``: object
    and extension dtypes, but not pandas' ``str`` (Python strings, NaN where missing)."""
    if isinstance(dtype, pd.StringDtype):
        return dtype.na_value is pd.NA
    return dtype == np.dtype(object) or isinstance(dtype, pd.api.extensions.ExtensionDtype)


def _native(value: Any) -> Any:
    """A numpy scalar as the Python number it holds, ``pd.NA`` as None (pandas'
    ``maybe_box_native`` for the values a table of ours holds)."""
    if isinstance(value, np.floating | np.integer | np.bool_):
        return value.item()
    return None if value is pd.NA else value


def level_texts(column: pd.Series | pd.api.extensions.ExtensionArray) -> list:
    """A factor's levels as text, cell by cell: ``column.astype(str).tolist()``, without the
    conversion when the column already holds pandas' ``str`` (a missing cell stays NaN).

    Parameters
    ----------
    column
        A factor column (or its array).

    Returns
    -------
    list
        One text per cell.

    Examples
    --------
    >>> import pandas as pd
    >>> level_texts(pd.Series(["hypoxia", "normoxia"])), level_texts(pd.Series([1, 2]))
    (['hypoxia', 'normoxia'], ['1', '2'])
    """
    plain = isinstance(column.dtype, pd.StringDtype) and column.dtype.na_value is not pd.NA
    return (column if plain else column.astype(str)).tolist()
