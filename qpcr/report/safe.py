"""Spreadsheet-safe cell values (formula / DDE injection), and HTML-safe text.

Excel and LibreOffice treat text starting with ``=``, ``+``, ``-``, ``@``, TAB or CR as a
formula when a CSV is opened or a cell is edited, so a sample named
``=HYPERLINK("http://x","y")`` would become a live link. Such text gets a leading apostrophe
(OWASP "CSV injection" advice). Numbers, booleans, missing values and text that is a plain
number (``-1.5``, ``+3``) are left as they are.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..regex import lazy_pattern

__all__ = ["csv_rows", "csv_text", "escape_cell", "escape_html", "safe_frame"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = lazy_pattern(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def escape_cell(value: Any) -> Any:
    """``value`` made inert for a spreadsheet.

    Parameters
    ----------
    value
        A cell value of any type.

    Returns
    -------
    object
        Text that a spreadsheet would read as a formula, with a leading apostrophe; anything
        that is not text, and text that is a plain number such as ``"-1.5"``, unchanged.

    Examples
    --------
    >>> escape_cell("=1+1"), escape_cell("-1.5"), escape_cell(3)
    ("'=1+1", '-1.5', 3)
    """
    if isinstance(value, str) and value.startswith(_TRIGGERS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def escape_html(text: str) -> str:
    """``text`` fit for HTML: ``&``, ``<``, ``>``, ``"`` and ``'`` as character references, as
    :func:`html.escape` writes them (whose module loads a table of 2,000 named entities a page
    does not need).

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        The text, safe inside an element or a quoted attribute.

    Examples
    --------
    >>> print(escape_html('<a href="x">Tom & Jerry' + "'s</a>"))
    &lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#x27;s&lt;/a&gt;
    """
    text = text.replace("&", "&amp;")  # first: the references below hold one
    text = text.replace("<", "&lt;")
    text = text.replace(">", "&gt;")
    text = text.replace('"', "&quot;")
    return text.replace("'", "&#x27;")


@functools.lru_cache(maxsize=64)
def _textual(dtype: Any) -> bool:
    """Whether a column of this dtype may hold text (object or string dtypes, or categories
    of them)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return _textual(dtype.categories.dtype)
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


#: A trigger at the start of a text, in the distinct texts of a column joined by _SEPARATOR.
_SEPARATOR = "\x1f"
_STARTS = lazy_pattern(f"(?:^|{_SEPARATOR})[{re.escape(''.join(_TRIGGERS))}]")


def _may_trigger(column: pd.Series) -> bool:
    """Whether a text of ``column`` may start with a trigger: one scan of its distinct texts
    joined (a separator inside a text can only say yes, which :func:`escape_cell` settles)."""
    texts = [v for v in set(column.to_numpy(dtype=object)) if isinstance(v, str)]
    return _STARTS.search(_SEPARATOR.join(texts)) is not None


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column labels went through :func:`escape_cell`.

    Parameters
    ----------
    df
        Any table; numeric columns are not touched.

    Returns
    -------
    pandas.DataFrame
        The escaped copy, ready for ``to_csv``.

    Examples
    --------
    >>> import pandas as pd
    >>> safe_frame(pd.DataFrame({"sample": ['=HYPERLINK("x")', "ctrl"], "cq": [-1.0, 2.0]}))
                 sample   cq
    0  '=HYPERLINK("x") -1.0
    1              ctrl  2.0
    """
    out = df.copy(deep=False)  # copy-on-write: the columns replaced below are new arrays
    columns = df.columns.tolist()
    for name, dtype in zip(columns, df.dtypes, strict=True):
        if not _textual(dtype):
            continue
        column = df[name]
        # each distinct value looked at once, and only in a column that may need it
        if _may_trigger(column) and any(escape_cell(v) is not v for v in column.unique()):
            out[name] = column.map(escape_cell, na_action="ignore")
    labels = [escape_cell(c) for c in columns]
    if any(label is not c for label, c in zip(labels, columns, strict=True)):
        out.columns = labels
    return out


class _Unusual(Exception):
    """A column :func:`csv_rows` leaves to pandas (a cell type it does not format itself)."""


#: A character that makes the csv module quote a cell (pandas writes rows with os.linesep).
_QUOTING = (",", '"', "\r", "\n", os.linesep)
_QUOTE = re.compile(f"[{re.escape(''.join(_QUOTING))}]")


@functools.lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    """``text`` as the csv module writes it in a row of several cells (quoted when needed)."""
    if _QUOTE.search(text) is None:
        return text
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=os.linesep).writerow((text, ""))
    return buffer.getvalue()[: -len(os.linesep) - 1]


@functools.lru_cache(maxsize=4096)
def _text(text: str) -> str:
    """``text`` escaped (:func:`escape_cell`) and quoted (:func:`_quoted`): a batch's plates
    repeat their sample, target and well names."""
    return _quoted(escape_cell(text))


def _text_cell(value: Any) -> str:
    """A cell of a text column as ``safe_frame`` then ``to_csv`` write it."""
    if type(value) is str:
        return _text(value)
    if value is None or value is pd.NA or (type(value) is float and value != value):
        return ""
    raise _Unusual


#: Distinct texts beyond which one scan of them joined costs less than one look-up each.
_MANY = 64
#: ``str`` of False and True, by the bool.
_BOOLS = ("False", "True")


def _plain(texts: list[Any]) -> bool:
    """Whether ``texts`` are all text that needs neither escaping nor quoting: one scan of
    them joined (a separator inside a text can only say no, which the cell by cell path
    settles)."""
    if set(map(type, texts)) != {str}:
        return False
    joined = _SEPARATOR + _SEPARATOR.join(texts)
    starts = (_SEPARATOR + trigger for trigger in _TRIGGERS)
    return not any(map(joined.__contains__, (*starts, *_QUOTING)))


def _cells(column: pd.Series) -> list[str]:
    """The cells of ``column`` as ``to_csv`` writes them after :func:`safe_frame`."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fbiu":
        numbers = column.to_numpy()
        if dtype.kind == "b":  # str of a bool by indexing, at half the cost of a call
            return list(map(_BOOLS.__getitem__, numbers.tolist()))
        if dtype.kind in "iu":
            return list(map(str, numbers.tolist()))
        if dtype == np.float64:  # Python's repr is numpy's str of a float64, at half the cost
            texts = list(map(repr, numbers.tolist()))
        else:
            texts = numbers.astype(str).tolist()
        for position in np.flatnonzero(np.isnan(numbers)).tolist():
            texts[position] = ""
        return texts
    if isinstance(dtype, pd.StringDtype) or dtype == np.dtype(object):
        values: list[Any] = column.to_numpy(dtype=object).tolist()
        distinct = list(dict.fromkeys(values))
        if len(distinct) > _MANY and _plain(distinct):  # many names: wells, samples
            return values
        # each distinct text formatted once; only text and missing values are keys (1, 1.0
        # and True would be one key)
        known = {value: _text_cell(value) for value in distinct}
        if all(type(value) is str and cell == value for value, cell in known.items()):
            return values  # text that needs neither escaping nor quoting, nothing missing
        return list(map(known.__getitem__, values))
    raise _Unusual


def csv_rows(
    table: pd.DataFrame | Mapping[Hashable, pd.Series], lead: Sequence[tuple[str, str]] = ()
) -> tuple[tuple[Any, ...], str]:
    """The rows of ``table`` as spreadsheet-safe CSV text without a header, each led by the
    cells of ``lead``, and the labels of its columns: the bytes of :func:`safe_frame`, the
    ``lead`` columns inserted first (label and value through :func:`escape_cell`), then
    ``to_csv(index=False, header=False)``, written from the column arrays in one pass.

    Parameters
    ----------
    table
        Any table, or its columns (label → column, one index); a column of a type other
        than numbers, booleans and text (with missing values) makes the whole table go
        through pandas.
    lead
        (label, text) of constant columns to put first.

    Returns
    -------
    tuple of labels, str
        The escaped column labels (``lead``'s first) and the CSV rows.

    Examples
    --------
    >>> frame = pd.DataFrame({"sample": ["=1+1", "a,b"], "cq": [20.5, float("nan")]})
    >>> labels, text = csv_rows(frame, [("export", "run1")])
    >>> labels
    ('export', 'sample', 'cq')
    >>> print(text, end="")
    run1,'=1+1,20.5
    run1,"a,b",
    """
    names = table.columns.tolist() if isinstance(table, pd.DataFrame) else list(table)
    first = [escape_cell(label) for label, _ in lead]
    labels = (*first, *(escape_cell(name) for name in names))
    # pandas refuses a lead label already taken; a row of one cell has its own quoting
    if len(labels) > 1 and names and len(set(labels)) == len(labels):
        try:
            cells = [_cells(column) for _, column in table.items()]
        except (_Unusual, TypeError):  # TypeError: an unhashable cell
            pass
        else:
            rows = len(cells[0])
            if lead:  # the lead's cells as one constant first cell
                start = ",".join(_quoted(escape_cell(value)) for _, value in lead)
                cells.insert(0, [start] * rows)
            end = os.linesep
            text = end.join(map(",".join, zip(*cells, strict=True)))
            return labels, text + end if rows else ""
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(dict(table))
    safe = safe_frame(frame)
    for position, (label, value) in enumerate(lead):
        safe.insert(position, escape_cell(label), escape_cell(value))
    return tuple(safe.columns), safe.to_csv(index=False, header=False)


def csv_text(table: pd.DataFrame | Mapping[Hashable, pd.Series]) -> str:
    """``table`` as spreadsheet-safe CSV text with its header: the bytes of
    ``safe_frame(frame).to_csv(index=False)``, the rows from :func:`csv_rows`.

    Parameters
    ----------
    table
        Any table, or its columns (label → column, one index).

    Returns
    -------
    str
        The header line and the rows.

    Examples
    --------
    >>> print(csv_text(pd.DataFrame({"-d": ["+x"], "n": [2]})), end="")
    '-d,n
    '+x,2
    """
    labels, rows = csv_rows(table)
    if len(labels) > 1 and all(type(label) is str for label in labels):
        return ",".join(map(_quoted, labels)) + os.linesep + rows
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(dict(table))
    return safe_frame(frame).to_csv(index=False)
