"""Spreadsheet-safe cell values (formula / DDE injection).

Excel and LibreOffice treat text starting with ``=``, ``+``, ``-``, ``@``, TAB or CR as a
formula when a CSV is opened or a cell is edited, so a sample named
``=HYPERLINK("http://x","y")`` would become a live link. Such text gets a leading apostrophe
(OWASP "CSV injection" advice). Numbers, booleans, missing values and text that is a plain
number (``-1.5``, ``+3``) are left as they are.
"""

from __future__ import annotations

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
    for name, dtype in df.dtypes.items():
        if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
            continue
        column = df[name]
        # each distinct value looked at once: a few names over many rows is cheap
        if any(escape_cell(v) is not v for v in column.unique()):
            out[name] = column.map(escape_cell, na_action="ignore")
    labels = [escape_cell(c) for c in df.columns]
    if any(label is not c for label, c in zip(labels, df.columns, strict=True)):
        out.columns = labels
    return out
