"""Replicate means per sample × target with each sample's design values, for the
quantification step (:func:`qpcr.stages.quantify.quantify`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..config import AnalysisConfig
from ..errors import InputError
from ..grouped import group_codes
from ..groups import group_label
from ..kept import Kept, content_key
from ..plates import plate_strategy
from ..quant import replicate_columns


def _replicates(
    wells: pd.DataFrame, settings: AnalysisConfig, factors: list[str], absolute: bool
) -> tuple[pd.DataFrame, str, list[str], list[str]]:
    """Replicate means per sample × target (per plate too when the plates are calibrated),
    the plate strategy (``single``, ``irc`` or per-plate), the inter-run calibrators and
    notes."""
    replicate = settings.replicate
    ircs = _irc_samples(wells, settings)
    attrs = _sample_attributes(wells[~wells["sample"].isin(ircs)] if ircs else wells, factors,
                               replicate)  # fmt: skip
    used = np.flatnonzero(~wells["excluded"].to_numpy(bool))
    plates = wells["plate"].to_numpy()[used]
    if not ircs and pd.notna(plates).all() and len(set(plates.tolist())) <= 1:
        # one plate needs no calibration, and its groups and their order are those without the
        # plate
        return _with_attributes(replicate_columns(wells, rows=used), attrs), "single", ircs, []
    keys = ("plate", "sample", "target")
    by_plate = _with_attributes(replicate_columns(wells, keys, rows=used), attrs)
    strategy = "single" if absolute else plate_strategy(by_plate, settings, ircs, value="cq_mean")
    if strategy != "single":
        return by_plate, strategy, ircs, []
    notes = []
    if ircs:  # one plate needs no inter-run calibration
        used = used[~wells["sample"].isin(ircs).to_numpy()[used]]
        notes.append(f"inter-run calibrator(s) {', '.join(ircs)} not used: one plate")
    return _with_attributes(replicate_columns(wells, rows=used), attrs), strategy, ircs, notes


def _with_attributes(columns: dict[str, Any], attrs: pd.DataFrame) -> pd.DataFrame:
    """The replicates table of ``columns`` (:func:`qpcr.quant.replicate_columns`) with each
    sample's attributes (``attrs``, :func:`_sample_attributes`): their left merge on
    ``sample``, each row's attributes taken by position."""
    names = [name for name in attrs.columns if name != "sample"]
    if set(names) & set(columns):  # a clash of names: the merge's suffixes
        return pd.DataFrame(columns, copy=False).merge(attrs, on="sample", how="left")
    sample = pd.Index(columns["sample"])
    at = pd.Index(attrs["sample"]).get_indexer(sample)  # -1: no attributes (NaN, as merged)
    index = pd.RangeIndex(len(sample))
    for name in names:
        column = attrs[name]
        values = column.array.take(at, allow_fill=True)
        if isinstance(column.dtype, np.dtype):  # a table would read objects as text
            values = pd.Series(values, index=index, dtype=column.dtype, copy=False)
        columns[name] = values
    return pd.DataFrame(columns, copy=False)


def _at(column: pd.Series, rows: np.ndarray) -> Any:
    """``column.iloc[rows].reset_index(drop=True)`` without the Series when the column is of an
    extension dtype (its array's rows keep it); a numpy column as a Series of its dtype (a
    table would read objects as text)."""
    values = column.array[rows]
    if isinstance(column.dtype, np.dtype):
        return pd.Series(values, dtype=column.dtype, copy=False)
    return values


def _irc_samples(wells: pd.DataFrame, config: AnalysisConfig) -> list[str]:
    """Inter-run calibrators: ``irc_samples`` of the settings plus samples marked in an
    ``irc`` layout column."""
    if not config.irc_samples and "irc" not in wells:
        return []
    from ..plates import irc_sample_names

    return irc_sample_names(wells[wells["sample_type"].eq("unkn")], config.irc_samples)


#: Sample attributes by the content they are read from (a batch's plates share their layout).
#: Only read, never changed.
_ATTRIBUTES = Kept[pd.DataFrame](size=8)


def _sample_attributes(
    wells: pd.DataFrame, factors: list[str], replicate: str | None
) -> pd.DataFrame:
    """Each unknown sample's design values (the factors and the replicate, as text), once
    (:func:`_attributes`), kept by the content of the columns they are read from."""
    cols = [*factors, *([replicate] if replicate else [])]
    key = content_key(wells, ["sample", "sample_type", "exclude_code", *cols])
    # a shallow copy (copy on write): a caller's change never reaches the next plate's table
    return _ATTRIBUTES.get(key, lambda: _attributes(wells, cols)).copy(deep=False)


def _attributes(wells: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Each unknown sample's values of ``cols`` as text, one row per sample; refused when a
    sample has two, or none."""
    unkn = wells["sample_type"].eq("unkn") & wells["exclude_code"].ne("not_in_layout")
    rows = np.flatnonzero(unkn.to_numpy())
    columns = {"sample": wells["sample"], **{c: wells[c].astype(str) for c in cols}}
    code = group_codes([column.array[rows] for column in columns.values()], len(rows))
    first = rows[np.unique(code, return_index=True)[1]]  # each distinct row once, in order
    attrs = pd.DataFrame({c: _at(column, first) for c, column in columns.items()})
    clash = attrs[attrs["sample"].duplicated(keep=False).to_numpy()]
    if not clash.empty:
        name = clash["sample"].iloc[0]
        found = "; ".join(
            group_label(r) for r in clash[clash["sample"] == name][cols].to_dict("records")
        )
        raise InputError(
            f"sample '{name}' has different design values in different wells ({found})",
            where="layout",
            hint="A sample name must stand for one biological sample in one condition",
        )
    empty = np.zeros(len(first), dtype=bool)
    for c in cols:  # text or NaN (astype(str)): isin(["", "nan"]) cell by cell
        values = columns[c].to_numpy(dtype=object)[first]
        empty |= (values == "") | (values == "nan")
    if empty.any():
        raise InputError(
            f"sample(s) {', '.join(attrs.loc[empty, 'sample'].head(8))} have no value for "
            f"{', '.join(cols)}",
            where="layout",
            hint="Fill every design factor and the replicate for every sample well",
        )
    return attrs
