"""The tidy wells table: its columns, vocabularies and checks.

The wells table has one row per reaction × target (multiplex wells give several rows).
Required columns: ``well``, ``sample``, ``target``, ``sample_type``, ``cq``, ``cq_status``.
Optional columns any reader may add: ``plate``, ``reporter``, ``quantity``, ``tm``, ``source``,
``omitted`` (bool, the instrument's omit flag), ``call`` (the instrument's presence/absence or
genotype call), plus any design-factor columns.

``sample_type`` is one of :data:`SAMPLE_TYPES`, or an instrument label no alias knows, kept
verbatim (a reader warns once per such label; the analysis does not quantify those wells).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = [
    "CQ_STATUSES",
    "NON_DETECT_TOKENS",
    "REQUIRED_COLUMNS",
    "SAMPLE_TYPES",
    "SAMPLE_TYPE_ALIASES",
    "check_wells",
    "normalise_sample_type",
    "text_cells",
    "unknown_rows",
]

#: RDML sample types (unknown, no-template control, no-amplification control, no-RT control,
#: no-template-positive, standard, positive control, optical calibrator), and ``ipc``: an
#: internal positive control (Thermo tasks ``IPC`` and ``BlockedIPC`` of presence/absence runs).
SAMPLE_TYPES: Final = ("unkn", "ntc", "nac", "nrt", "ntp", "std", "pos", "opt", "ipc")

#: ``cq_status`` values: ``ok`` has a Cq; the others have ``cq`` NaN.
CQ_STATUSES: Final = ("ok", "undetermined", "omitted", "missing", "invalid")

REQUIRED_COLUMNS: Final = ("well", "sample", "target", "sample_type", "cq", "cq_status")

#: Instrument task / content names mapped onto RDML sample types.
SAMPLE_TYPE_ALIASES: Final[dict[str, str]] = {
    "unknown": "unkn",
    "unkn": "unkn",
    "sample": "unkn",
    "": "unkn",
    "ntc": "ntc",
    "negative": "ntc",
    "neg": "ntc",
    "negative control": "ntc",
    "no template control": "ntc",
    "nac": "nac",
    "no amplification control": "nac",
    "nrt": "nrt",
    "no rt": "nrt",
    "no-rt": "nrt",
    "minus rt": "nrt",
    "-rt": "nrt",
    "ntp": "ntp",
    "std": "std",
    "standard": "std",
    "pos": "pos",
    "positive": "pos",
    "positive control": "pos",
    "pos ctrl": "pos",
    "ipc": "ipc",
    "blocked ipc": "ipc",
    "blockedipc": "ipc",
    "internal positive control": "ipc",
    "opt": "opt",
}

#: Per-well QC flags the instrument software writes (wells ``flags``, ';'-joined): the
#: Design & Analysis / QuantStudio flag columns (``Y``/``N``), export-formats.md §1.3.
VENDOR_FLAGS: Final[dict[str, str]] = {
    "AMPNC": "amplification in a negative control",
    "AMPSCORE": "low amplification score",
    "BADROX": "bad passive reference (ROX) signal",
    "BLFAIL": "baseline algorithm failed",
    "CQCONF": "low Cq confidence",
    "CTFAIL": "Ct algorithm failed",
    "DRNMIN": "delta Rn below the minimum",
    "EXPFAIL": "exponential phase not found",
    "HIGHSD": "high standard deviation in the replicate group",
    "MTP": "multiple melting temperature peaks",
    "NOAMP": "no amplification",
    "NOISE": "noise higher than the other wells",
    "NOSIGNAL": "no signal",
    "OFFSCALE": "fluorescence off scale",
    "OUTLIERRG": "outlier in the replicate group",
    "PRFDROP": "passive reference fluorescence drops",
    "PRFLOW": "passive reference fluorescence low",
    "SPIKE": "noise spikes",
    "THOLDFAIL": "threshold algorithm failed",
}

#: Tokens that mean "no amplification" in any export (compared case-insensitively).
NON_DETECT_TOKENS: Final = frozenset(
    {"undetermined", "no ct", "no cq", "no cp", "n/a", "nan", "na", "no_amp", "-", "none", ">40"}
)


def normalise_sample_type(value: object) -> str | None:
    """Map an instrument's task/content text to an RDML sample type.

    Bio-Rad contents carry a replicate suffix (``Unkn-01``, ``Std-03``); it is ignored.

    Parameters
    ----------
    value
        A task or content cell; None and NaN mean an unknown sample.

    Returns
    -------
    str or None
        A value of :data:`SAMPLE_TYPES`, or None when the text is not known.

    Examples
    --------
    >>> [normalise_sample_type(v) for v in ("Unkn-01", "NTC", "Std-03", None, "calibrator")]
    ['unkn', 'ntc', 'std', 'unkn', None]
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "unkn"
    text = str(value).strip().lower()
    if text in SAMPLE_TYPE_ALIASES:
        return SAMPLE_TYPE_ALIASES[text]
    head = text.split("-")[0].strip() if "-" in text[1:] else text
    return SAMPLE_TYPE_ALIASES.get(head)


def text_cells(column: pd.Series) -> np.ndarray | None:
    """A column's cells as an object array when every cell is text (none missing), so that
    comparing, stripping or deduplicating them needs no pandas call; None otherwise.

    Parameters
    ----------
    column
        A table's column.

    Returns
    -------
    numpy.ndarray or None
        The cells, or None when one is missing or is not text.

    Examples
    --------
    >>> text_cells(pd.Series(["ok", "undetermined"], dtype="str"))
    array(['ok', 'undetermined'], dtype=object)
    >>> text_cells(pd.Series(["ok", None])) is None, text_cells(pd.Series([1.5])) is None
    (True, True)
    """
    cells = column.to_numpy()
    if cells.dtype == object and pd.api.types.infer_dtype(cells, skipna=False) == "string":
        return cells
    return None


def unknown_rows(wells: pd.DataFrame) -> np.ndarray | None:
    """The rows of unknowns (``sample_type`` ``unkn``; a missing one is not) as a mask.

    Parameters
    ----------
    wells
        A wells table.

    Returns
    -------
    numpy.ndarray or None
        The mask; None (every row) without a ``sample_type`` column.

    Examples
    --------
    >>> unknown_rows(pd.DataFrame({"sample_type": ["unkn", "ntc", None]}))
    array([ True, False, False])
    """
    if "sample_type" not in wells:
        return None
    cells = text_cells(wells["sample_type"])
    if cells is not None:
        return np.asarray(cells == "unkn", dtype=bool)
    return wells["sample_type"].eq("unkn").to_numpy(dtype=bool, na_value=False)


#: Columns that hold text (the last three never missing) and that hold numbers, when present.
_TEXT_COLUMNS: Final = ("well", "sample", "target", "sample_type", "cq_status")
_NUMBER_COLUMNS: Final = ("cq", "quantity", "tm")


def check_wells(df: pd.DataFrame) -> list[str]:
    """Return the problems of a wells table (empty list when it is valid).

    Checked: the required columns; text in ``well``, ``sample``, ``target``, ``sample_type``
    and ``cq_status``, the last three with no missing value (a table may have no well names,
    or no sample names); real numbers in ``cq`` (and ``quantity``, ``tm`` when present); the
    ``cq_status`` vocabulary; no empty ``sample_type`` (one outside :data:`SAMPLE_TYPES` is an
    instrument label kept verbatim); a Cq exactly on the rows whose ``cq_status`` is ``ok``.

    Parameters
    ----------
    df
        A wells table.

    Returns
    -------
    list of str
        One sentence per problem.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({"well": ["A1", "A2"], "sample": ["s1", "s1"],
    ...                       "target": ["GAPDH", "MYC"], "sample_type": ["unkn", "unkn"],
    ...                       "cq": [18.1, None], "cq_status": ["ok", "undetermined"]})
    >>> check_wells(wells)
    []
    >>> for problem in check_wells(wells.assign(sample_type=["unkn", ""], cq_status="done")):
    ...     print(problem)
    empty sample_type on 1 row(s); expected a sample type or the instrument's label
    unknown cq_status values ['done']; expected one of ('ok', 'undetermined', ...)
    rows with a Cq value but cq_status other than 'ok'
    """
    problems = [f"missing column '{c}'" for c in REQUIRED_COLUMNS if c not in df.columns]
    if problems:
        return problems
    text = {}  # the columns of text only, without a missing value: nothing to report
    for column in _TEXT_COLUMNS:
        values = df[column]
        cells = text_cells(values)
        if cells is not None:
            text[column] = cells
            continue
        if column in _TEXT_COLUMNS[2:] and values.hasnans:
            problems.append(f"{int(values.isna().sum())} missing value(s) in column '{column}'")
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind not in ("string", "empty") and values.notna().any():
            problems.append(f"column '{column}' holds non-text values; expected text")
    for column in _NUMBER_COLUMNS:
        dtype = df[column].dtype if column in df.columns else np.dtype(float)
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            problems.append(f"column '{column}' has dtype {dtype}; expected numbers")
    if "sample_type" in text:
        empty = sum(1 for value in text["sample_type"] if not value.strip())
    else:
        empty = int(df["sample_type"].astype(str).str.strip().eq("").sum())
    if empty:
        problems.append(
            f"empty sample_type on {empty} row(s); expected a sample type or the instrument's label"
        )
    statuses = text.get("cq_status")
    found = set(statuses.tolist()) if statuses is not None else set(df["cq_status"].unique())
    unknown = sorted((v for v in found - set(CQ_STATUSES) if not pd.isna(v)), key=str)
    if unknown:
        problems.append(f"unknown cq_status values {unknown}; expected one of {CQ_STATUSES}")
    ok = df["cq_status"].to_numpy() == "ok"
    has_cq = ~pd.isna(df["cq"].to_numpy())
    if (ok & ~has_cq).any():
        problems.append("rows with cq_status 'ok' but no Cq value")
    if (~ok & has_cq).any():
        problems.append("rows with a Cq value but cq_status other than 'ok'")
    return problems
