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

from .columns import Column, Table

__all__ = ["CURVES", "CURVE_CALLS", "CURVE_KINDS", "tidy_curves"]

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

#: ``curves.csv``: what :func:`qpcr.calling.call_cq` finds per amplification curve.
CURVE_CALLS: Final = Table(
    file="curves.csv",
    rows="amplification curve (plate × well × target): Cq, efficiency and N0 called from the "
    "raw fluorescence",
    when="by qpcr curves",
    columns=(
        Column("plate", "text", "text", "plate: the export's run id, else its file stem"),
        Column("well", "text", "text", "well position (A1, B12, ...)"),
        Column("sample", "text", "text", "sample name; '' when the export names none"),
        Column("target", "text", "text", "target (gene) name; the reporter when the export "
               "names no target"),
        Column("cq", "float", "Cq", "Cq called from the curve (method linreg: where it crosses "
               "the amplicon's threshold; cpd2: its second-derivative maximum); empty when the "
               "curve did not amplify", "cycles"),
        Column("efficiency", "float", "efficiency", "the reaction's own efficiency: 10^slope "
               "of log10 fluorescence over the steepest six cycles of its window of linearity"),
        Column("amplicon_efficiency", "float", "efficiency", "mean efficiency of the "
               "amplicon's (plate × target's) reactions, outliers left out"),
        Column("amplicon_efficiency_se", "float", "efficiency",
               "standard error of amplicon_efficiency"),
        Column("n0", "float", "statistic", "starting fluorescence threshold / "
               "amplicon_efficiency^cq (linreg; empty for cpd2)", "fluorescence units"),
        Column("baseline", "float", "statistic", "the constant subtracted from the raw "
               "fluorescence", "fluorescence units"),
        Column("window_start", "float", "Cq", "first cycle the efficiency was fitted on (the "
               "steepest run of the window of linearity)", "cycles"),
        Column("window_end", "float", "Cq", "last cycle the efficiency was fitted on",
               "cycles"),
        Column("threshold", "float", "statistic", "the amplicon's common threshold in "
               "baseline-corrected fluorescence units (linreg; empty for cpd2)"),
        Column("r_squared", "float", "statistic", "R² of log10 fluorescence on cycle over "
               "window_start to window_end"),
        Column("qc", "text", "text", "the curve's QC codes (curve_* codes of qc.csv), "
               "separated by ';'; '' when none"),
    ),
)  # fmt: skip


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
