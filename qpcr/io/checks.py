"""Checks of a reader's wells table that hold for every format."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Iterable

import pandas as pd

from ..errors import ExportParseError, FormatWarning, listed

__all__ = ["check_unique_wells", "sample_types"]


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
    if "well" not in wells or _distinct_text_wells(wells):
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
        found = [f"{name(k)} ({n}×)" for k, n in counts.items()]
        raise ExportParseError(
            f"{len(found)} well × target pair(s) occur more than once: {listed(found, 8)}; "
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
        found = [
            f"{name(k)} ({' / '.join(map(str, v))})"
            for k, v in mixed.groupby(keys, sort=False)["sample"]
        ]
        raise ExportParseError(
            f"{len(found)} well(s) hold two or more samples: {listed(found, 8)}; expected "
            "one sample per well",
            where=where,
            hint="Correct the sample names or well positions of these rows",
        )


def _distinct_text_wells(wells: pd.DataFrame) -> bool:
    """Whether every well (with its plate) is text and occurs once: nothing can repeat."""
    keys = [wells[c].to_numpy(dtype=object) for c in ("plate", "well") if c in wells]
    if not all(type(v) is str for column in keys for v in column):
        return False
    return len(set(zip(*keys, strict=True))) == len(wells)


def sample_types(
    labels: Iterable[str], known: Callable[[str], str | None], where: str, column: str
) -> list[str]:
    """The ``sample_type`` of each task/content label; a label ``known`` does not map is kept
    verbatim as its own sample type, with one :class:`~qpcr.errors.FormatWarning` per label.

    An unknown label never refuses the run: its wells are read, shown by ``qpcr inspect`` and
    left out of the quantification (exclusion code ``other_type``).

    Parameters
    ----------
    labels
        The label of each row, as text.
    known
        Maps a label to a sample type of :data:`qpcr.schema.SAMPLE_TYPES`, None when unknown.
    where
        The file (and section or sheet), for the warning.
    column
        The column holding the labels, for the warning.

    Returns
    -------
    list of str
        One sample type per label.

    Examples
    --------
    >>> import warnings
    >>> from qpcr.schema import normalise_sample_type
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     sample_types(["UNKNOWN", "PC_ALLELE_1", "NTC", "PC_ALLELE_1"],
    ...                  normalise_sample_type, "run.txt [Results]", "Task")
    ['unkn', 'PC_ALLELE_1', 'ntc', 'PC_ALLELE_1']
    >>> print(caught[0].message)
    run.txt [Results]: Task 'PC_ALLELE_1' (2 rows) is not a sample type qpcr knows; kept as the ...
    """
    labels = [label.strip() for label in labels]
    mapped = {label: known(label) for label in dict.fromkeys(labels)}
    for label, found in mapped.items():
        if found is None:
            rows = labels.count(label)
            warnings.warn(
                FormatWarning(
                    f"{where}: {column} '{label}' ({rows} row{'s' if rows > 1 else ''}) is not a "
                    "sample type qpcr knows; kept as the sample_type of those wells, which "
                    "are shown but not quantified"
                ),
                stacklevel=3,
            )
    return [mapped[label] or label for label in labels]
