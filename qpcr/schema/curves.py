"""The tidy curves table: one row per reading of an amplification or melt curve, whatever the
export it came from (:func:`qpcr.io.curves.read_curves`).

Text columns hold ``""`` where the export does not say (a Bio-Rad curve file without its Cq
Results file beside it names no target or sample). ``cycle`` is NaN on melt rows and
``temperature`` on amplification rows. ``fluorescence`` is the raw or normalised reading (Rn on
Thermo exports, RFU on Bio-Rad, ``<fluor>`` in RDML); ``derivative`` is −dF/dT where the
instrument exported it (NaN otherwise).
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from .tables import Column, Table

__all__ = ["CURVES", "CURVE_KINDS", "tidy_curves"]

#: ``kind`` values: a curve read per cycle or per temperature.
CURVE_KINDS: Final = ("amplification", "melt")

CURVES: Final = Table(
    file=None,
    rows="one reading: plate × well × target × cycle (amplification) or temperature (melt)",
    when="returned by qpcr.read_curves",
    columns=(
        Column("plate", "text", "text", "plate: the export's run id, else its file stem"),
        Column("well", "text", "text", "well position (A1, B12, ...)"),
        Column("target", "text", "text", "target (gene) name; '' when the export names none"),
        Column("sample", "text", "text", "sample name; '' when the export names none"),
        Column("reporter", "text", "text", "reporter dye; '' when the export names none"),
        Column("cycle", "float", "Cq", "cycle of an amplification reading", "cycles"),
        Column("temperature", "float", "statistic", "temperature of a melt reading", "°C"),
        Column("fluorescence", "float", "statistic", "the reading (RFU, Rn or RDML fluor)"),
        Column("derivative", "float", "statistic", "−dF/dT as the instrument exported it"),
        Column("kind", "text", "text", "amplification or melt"),
    ),
)


def tidy_curves(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack curve tables into the columns of :data:`CURVES`, in order.

    Parameters
    ----------
    frames
        Tables holding ``well``, ``kind`` and ``cycle`` or ``temperature``; a missing text
        column becomes ``""``, a missing number column NaN. Other columns are dropped.

    Returns
    -------
    pandas.DataFrame
        The declared columns, text as ``str`` and numbers as ``float``.

    Examples
    --------
    >>> import pandas as pd
    >>> part = pd.DataFrame({"well": ["A1"], "cycle": [1], "fluorescence": [0.5],
    ...                      "kind": ["amplification"]})
    >>> tidy_curves([part]).iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'plate': '', 'well': 'A1', 'target': '', 'sample': '', 'reporter': '', 'cycle': 1.0,
     'temperature': nan, 'fluorescence': 0.5, 'derivative': nan, 'kind': 'amplification'}
    """
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    out: dict[str, object] = {}
    for column in CURVES.columns:
        if not isinstance(column, Column):  # pragma: no cover - CURVES declares no slot
            continue
        if column.name not in table:
            out[column.name] = "" if column.dtype == "text" else float("nan")
        elif column.dtype == "text":
            out[column.name] = table[column.name].fillna("").astype(str).astype(object)
        else:
            out[column.name] = pd.to_numeric(table[column.name]).astype(float)
    return pd.DataFrame(out, index=pd.RangeIndex(len(table)))
