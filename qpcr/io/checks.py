"""Checks of a reader's wells table that hold for every format."""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from ..errors import ExportParseError

__all__ = ["check_unique_wells"]

_LISTED = 8


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_LISTED])
    return shown + (f" ... and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def check_unique_wells(wells: pd.DataFrame, where: str) -> None:
    """Refuse a wells table where a well × target occurs twice, or a well holds two samples.

    Several targets in one well (multiplex) are fine; rows without a well (tidy tables
    without a ``well`` column) are not compared. ``plate`` is part of the well's name.

    Parameters
    ----------
    wells
        A reader's wells table.
    where
        The file, for the error message.

    Raises
    ------
    ExportParseError
        A well × target pair occurs twice, or a well holds two samples.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({"well": ["A1", "A1", "A2"], "sample": ["s1", "s1", "s2"],
    ...                       "target": ["GAPDH", "MYC", "GAPDH"]})
    >>> check_unique_wells(wells, "run.csv")  # a multiplex well: fine
    >>> check_unique_wells(pd.concat([wells, wells.iloc[:1]]), "run.csv")
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: run.csv: 1 well × target pair(s) occur more than once: A1 ...
    """
    if "well" not in wells:
        return
    columns = [c for c in ("plate", "well", "target", "sample") if c in wells]
    named = wells.loc[wells["well"].notna() & wells["well"].astype(str).ne(""), columns]
    keys = ["plate", "well"] if "plate" in named else ["well"]
    if not named.duplicated(keys).any():  # every well once: nothing can repeat
        return

    def name(key: Hashable) -> str:  # a groupby key: a tuple of the key columns' values
        parts = key if isinstance(key, tuple) else (key,)
        return " ".join(str(v) for v in parts if str(v))

    repeated = named[named.duplicated([*keys, "target"], keep=False)]
    if not repeated.empty:
        counts = repeated.groupby([*keys, "target"], sort=False).size()
        listed = [f"{name(k)} ({n}×)" for k, n in counts.items()]
        raise ExportParseError(
            f"{len(listed)} well × target pair(s) occur more than once: {_listing(listed)}; "
            "expected one row per well and target",
            where=where,
            hint="Remove the repeated rows (a row pasted twice counts as one more reaction), "
            "or export the run again",
        )
    if "sample" not in named:
        return
    pairs = named[[*keys, "sample"]].drop_duplicates()
    mixed = pairs[pairs.duplicated(keys, keep=False)]
    if not mixed.empty:
        listed = [
            f"{name(k)} ({' / '.join(map(str, v))})"
            for k, v in mixed.groupby(keys, sort=False)["sample"]
        ]
        raise ExportParseError(
            f"{len(listed)} well(s) hold two or more samples: {_listing(listed)}; expected "
            "one sample per well",
            where=where,
            hint="Correct the sample names or well positions of these rows",
        )
