"""Cq called from the curves, in the wells table of an analysis.

``qpcr analyze`` on an export with raw amplification curves (``cq_source``): the wells are the
export's own when its reader reads them (RDML, Thermo), else one per curve
(:func:`curve_wells`); the layout names their samples and targets; :func:`call_wells` then
calls Cq from the curves relabelled with those names (so that an amplicon is one target of
the layout, not the export's dye) and writes it into the wells, with ``cq_source`` saying
which wells took which Cq.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from ..errors import InputError
from . import CurveCalls, call_cq

__all__ = ["call_wells", "curve_wells", "named_curves", "target_efficiencies"]

#: The columns naming one curve in the tidy curves table.
_NAMES = ["plate", "well", "target", "sample", "reporter"]


def curve_wells(curves: pd.DataFrame) -> pd.DataFrame:
    """One well row per amplification curve, without Cq (the curves will give it).

    Parameters
    ----------
    curves
        A tidy curves table (:func:`qpcr.read_curves`).

    Returns
    -------
    pandas.DataFrame
        ``plate``, ``well``, ``target``, ``sample``, ``reporter`` of each curve,
        ``sample_type`` ``unkn`` (the layout says otherwise), ``cq`` NaN and ``cq_status``
        ``missing``.

    Examples
    --------
    >>> curves = pd.DataFrame({"plate": "p1", "well": ["A1", "A1", "A2"], "target": "",
    ...     "sample": "", "reporter": "SYBR", "cycle": [1.0, 2.0, 1.0],
    ...     "kind": "amplification"})
    >>> curve_wells(curves)
      plate well target sample reporter sample_type  cq cq_status
    0    p1   A1                   SYBR        unkn NaN   missing
    1    p1   A2                   SYBR        unkn NaN   missing
    """
    amplification = curves[curves["kind"].eq("amplification")]
    wells = amplification[_NAMES].drop_duplicates(ignore_index=True)
    return wells.assign(sample_type="unkn", cq=np.nan, cq_status="missing")


def call_wells(
    wells: pd.DataFrame, curves: pd.DataFrame, method: str, plates: Collection[str]
) -> tuple[pd.DataFrame, CurveCalls]:
    """Call Cq from the curves and put it in the wells of ``plates``.

    Parameters
    ----------
    wells
        The wells table after the layout join (its ``target`` and ``sample`` name the curves;
        a curve whose export names no target takes its well's).
    curves
        The tidy curves table of the exports, named by the wells (:func:`named_curves`).
    method
        ``linreg`` or ``cpd2`` (:func:`qpcr.call_cq`).
    plates
        The plates whose Cq is the curves'; the other wells keep the instrument's Cq (the
        curves then give efficiencies only).

    Returns
    -------
    wells : pandas.DataFrame
        ``cq`` and ``cq_status`` replaced on ``plates`` (``ok``; ``undetermined`` for a
        curve that did not amplify; ``missing`` for a well without a curve);
        ``cq_source``: ``linreg``, ``cpd2`` or ``instrument`` per well.
    calls : CurveCalls
        The calls, with the wells' samples and targets.

    Examples
    --------
    Two wells of one amplicon, ten-fold apart (efficiency 1.9):

    >>> cycles = np.arange(1, 41.0)
    >>> def curve(well, n0):
    ...     signal = n0 * 1.9**cycles
    ...     return pd.DataFrame({"plate": "p1", "well": well, "target": "", "sample": "",
    ...         "reporter": "SYBR", "cycle": cycles, "kind": "amplification",
    ...         "fluorescence": 100 + signal / (1 + (signal / 5) ** 4) ** 0.25})
    >>> curves = pd.concat([curve("A1", 1e-5), curve("A2", 1e-6)])
    >>> wells = curve_wells(curves).assign(target="MYC", sample=["s1", "s2"])
    >>> called, calls = call_wells(wells, named_curves(curves, wells), "linreg", {"p1"})
    >>> called[["well", "sample", "target", "cq", "cq_status", "cq_source"]].round(3)
      well sample target      cq cq_status cq_source
    0   A1     s1    MYC  13.706        ok    linreg
    1   A2     s2    MYC  17.294        ok    linreg
    >>> calls.amplicons[["target", "efficiency", "n"]].round(3)
      target  efficiency  n
    0    MYC         1.9  2
    """
    calls = call_cq(curves, method)
    keys = ["plate", "well", "target"]
    found = calls.table[[*keys, "cq"]].rename(columns={"cq": "cq_called"})
    wells = wells.assign(plate=wells["plate"].astype(str))
    merged = wells.merge(found, on=keys, how="left", validate="many_to_one", indicator=True)
    mine = merged["plate"].isin([str(p) for p in plates])
    called = merged["cq_called"]
    merged["cq"] = merged["cq"].where(~mine, called)
    status = np.select([called.notna(), merged["_merge"].eq("both")], ["ok", "undetermined"],
                       "missing")  # fmt: skip
    merged["cq_status"] = merged["cq_status"].where(~mine, status)
    merged["cq_source"] = np.where(mine, method, "instrument")
    return merged.drop(columns=["cq_called", "_merge"]), calls


def named_curves(curves: pd.DataFrame, wells: pd.DataFrame) -> pd.DataFrame:
    """The curves with their wells' sample and target (the layout's names, so that an
    amplicon is a target of the layout, not the export's dye).

    Parameters
    ----------
    curves
        A tidy curves table (targets after the aliases).
    wells
        The wells table after the layout join.

    Returns
    -------
    pandas.DataFrame
        ``curves`` with ``sample`` and ``target`` of their well: matched by plate × well ×
        target where the export names the target, by plate × well where it names none.

    Raises
    ------
    InputError
        A curve whose export names no target lies in a well holding several targets.

    Examples
    --------
    >>> curves = pd.DataFrame({"plate": "p1", "well": ["A1", "A1"], "target": "",
    ...     "sample": "", "reporter": "SYBR", "cycle": [1.0, np.nan],
    ...     "temperature": [np.nan, 80.0], "kind": ["amplification", "melt"]})
    >>> wells = pd.DataFrame({"plate": ["p1"], "well": ["A1"], "target": ["MYC"],
    ...                       "sample": ["s1"]})
    >>> named_curves(curves, wells)[["well", "target", "sample", "kind"]]
      well target sample           kind
    0   A1    MYC     s1  amplification
    1   A1    MYC     s1           melt
    """
    curves = curves.assign(plate=curves["plate"].astype(str))
    names = wells[["plate", "well", "target", "sample"]].astype(str).drop_duplicates()
    named = curves[curves["target"].ne("")].drop(columns="sample")
    named = named.merge(names, on=["plate", "well", "target"], how="left")
    bare = curves[curves["target"].eq("")].drop(columns=["target", "sample"])
    per_well = names.drop_duplicates(["plate", "well", "target"])
    crowded = per_well[per_well.duplicated(["plate", "well"], keep=False)]
    clash = bare.merge(crowded, on=["plate", "well"])
    if not clash.empty:
        well = clash.iloc[0]
        raise InputError(
            f"the curves of well {well['well']} (plate {well['plate']}) name no target, and the "
            "layout gives the well several; expected one target per well",
            where=str(well["plate"]),
            hint="Give the export with target names (the Cq results file beside the curves), "
            "or one target per well in the layout",
        )
    bare = bare.merge(per_well, on=["plate", "well"], how="left")
    out = pd.concat([named, bare], ignore_index=True)
    return out.assign(sample=out["sample"].fillna(""), target=out["target"].fillna(""))


def target_efficiencies(amplicons: pd.DataFrame) -> pd.DataFrame:
    """Each target's efficiency from its amplicons (``efficiency_source = "curves"``): over
    several plates the plates' means weighted by their reactions ``n``, with SE
    sqrt(Σ (n·SE)²) / Σ n.

    Parameters
    ----------
    amplicons
        Per plate × target: ``efficiency``, ``efficiency_se``, ``n``
        (:attr:`qpcr.calling.CurveCalls.amplicons`); amplicons without an efficiency are
        left out.

    Returns
    -------
    pandas.DataFrame
        ``target``, ``efficiency``, ``efficiency_se``, ``n`` (reactions) and ``plates``.

    Examples
    --------
    >>> amplicons = pd.DataFrame({"plate": ["p1", "p2"], "target": "MYC",
    ...     "efficiency": [1.90, 1.96], "efficiency_se": [0.01, 0.02], "n": [10, 30]})
    >>> target_efficiencies(amplicons).round(4)
      target  efficiency  efficiency_se   n  plates
    0    MYC       1.945          0.0152  40       2
    """
    usable = amplicons[amplicons["efficiency"].notna() & amplicons["n"].gt(0)]
    n = usable["n"].astype(float)
    parts = usable.assign(
        weighted=n * usable["efficiency"], spread=(n * usable["efficiency_se"]) ** 2
    )
    out = parts.groupby("target", sort=False, as_index=False).agg(
        weighted=("weighted", "sum"), spread=("spread", "sum"), n=("n", "sum"),
        plates=("plate", "nunique"),
    )  # fmt: skip
    return pd.DataFrame({
        "target": out["target"], "efficiency": out["weighted"] / out["n"],
        "efficiency_se": np.sqrt(out["spread"]) / out["n"], "n": out["n"],
        "plates": out["plates"],
    })  # fmt: skip
