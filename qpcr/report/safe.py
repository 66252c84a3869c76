"""Spreadsheet-safe cell values (formula / DDE injection).

Excel and LibreOffice treat text starting with ``=``, ``+``, ``-``, ``@``, TAB or CR as a
formula when a CSV is opened or a cell is edited, so a sample named
``=HYPERLINK("http://x","y")`` would become a live link. Such text gets a leading apostrophe
(OWASP "CSV injection" advice). Numbers, booleans, missing values and text that is a plain
number (``-1.5``, ``+3``) are left as they are.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pandas as pd

__all__ = ["escape_cell", "safe_frame"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


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


@functools.lru_cache(maxsize=64)
def _textual(dtype: Any) -> bool:
    """Whether a column of this dtype may hold text (object or string dtypes)."""
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


#: A trigger at the start of a text, in the distinct texts of a column joined by _SEPARATOR.
_SEPARATOR = "\x1f"
_STARTS = re.compile(f"(?:^|{_SEPARATOR})[{re.escape(''.join(_TRIGGERS))}]")


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
