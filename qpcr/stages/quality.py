"""The quality step of an analysis (:func:`quality`): exclusion rules, QC events and the
standard curves' acceptance checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..config import AnalysisConfig
from ..layout import renamed_samples
from ..qc import apply_qc, event_table

__all__ = ["Checked", "quality"]


@dataclass(frozen=True)
class Checked:
    """What :func:`quality` returns: the wells with their exclusions, the QC events, the
    standard curves (empty without standards) and notes (samples renamed)."""

    wells: pd.DataFrame
    qc: pd.DataFrame
    curves: pd.DataFrame
    notes: tuple[str, ...] = ()


def quality(
    wells: pd.DataFrame,
    settings: AnalysisConfig,
    targets: Sequence[str] | None = None,
    melt: pd.DataFrame | None = None,
) -> Checked:
    """Apply the QC rules to the wells and fit the standard curves.

    Wraps :func:`qpcr.qc.apply_qc` (exclusion rules and their events, in order), notes
    samples renamed by the layout join, and fits a standard curve per plate × target from the
    standard wells (methods.md §2.5), whose acceptance warnings become QC events
    ``standard_curve_<rule>``. With a melt table, the NTC rule's melt half
    (:func:`qpcr.melt.ntc_melt_events`) adds its events: an NTC melting at its target's
    product Tm is contamination (``ntc_melt_product``), one melting only at primer-dimer Tm
    is not (``ntc_primer_dimer``).

    Parameters
    ----------
    wells
        A wells table (:func:`qpcr.pipeline.read_wells`), one row per well with ``sample``,
        ``target``, ``sample_type``, ``cq``, ``cq_status``.
    settings
        The QC settings: ``nondetect_policy``, ``nondetect_limit``, ``outlier_rule``,
        ``ntc_margin``, …
    targets
        Only these targets are analysed; the others' wells are excluded (default: all).
    melt
        The melt table of the wells' melt curves (:func:`qpcr.melt.melt_peaks`,
        ``tables["melt"]``); None (or empty) without melt curves.

    Returns
    -------
    Checked
        ``wells`` gains ``excluded``, ``exclude_code``, ``exclude_reason`` (the first rule
        that matched), ``cq_used`` (the Cq used: a non-detect set at the limit under
        ``censor``) and ``censored``; ``qc`` holds one event per row (``code``, ``severity``,
        ``message``, …); ``curves`` the standard curves.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.config import AnalysisConfig
    >>> wells = pd.DataFrame({
    ...     "well": ["A1", "A2", "A3", "A4"], "sample": ["s1", "s1", "s1", "NTC"],
    ...     "target": "MYC", "sample_type": ["unkn", "unkn", "unkn", "ntc"],
    ...     "cq": [24.0, 24.1, 30.0, None],
    ...     "cq_status": ["ok", "ok", "ok", "undetermined"],
    ... })
    >>> checked = quality(wells, AnalysisConfig())
    >>> checked.wells[["well", "excluded", "exclude_code", "cq_used"]]
      well  excluded     exclude_code  cq_used
    0   A1     False                      24.0
    1   A2     False                      24.1
    2   A3      True  outlier_poisson      NaN
    3   A4      True              ntc      NaN
    >>> list(checked.qc["code"])
    ['replicate_spread']
    """
    wells, qc = apply_qc(wells, settings, targets=targets)
    renamed, rename_events = renamed_samples(wells)
    notes: list[str] = []
    if renamed:
        notes += renamed
        qc = pd.concat([qc, event_table(rename_events)], ignore_index=True)
    curves = _standard_curves(wells)
    if not curves.empty:
        from ..curves import curve_warnings

        qc = pd.concat([qc, _curve_events(curve_warnings(curves))], ignore_index=True)
    if melt is not None and len(melt):
        from ..melt import ntc_melt_events

        ntc = event_table(ntc_melt_events(melt, wells).to_dict("records"))
        qc = pd.concat([qc, ntc], ignore_index=True)
    return Checked(wells, qc, curves, tuple(notes))


def _standard_curves(wells: pd.DataFrame) -> pd.DataFrame:
    """Standard curves per plate × target from standard wells (methods.md §2.5); an empty
    table without standard wells of known quantity (nothing selected or built then)."""
    is_std = wells["exclude_code"].to_numpy() == "standard"
    if not is_std.any() or "quantity" not in wells:
        return pd.DataFrame()
    std = wells[is_std]
    if std["quantity"].notna().sum() == 0:
        return pd.DataFrame()
    from ..curves import standard_curves

    return standard_curves(std.drop(columns=["excluded"]))


def _curve_events(found: list[dict[str, Any]]) -> pd.DataFrame:
    """QC events ``standard_curve_<rule>`` from :mod:`qpcr.curves` warning dicts."""
    severity = {"warning": "warn", "error": "fail"}
    events = [
        {"plate": w.get("plate", ""), "well": "", "sample": "", "target": w.get("target", ""),
         "code": f"standard_curve_{w['rule']}",
         "severity": severity.get(str(w["severity"]), w["severity"]),
         "value": w.get("value", np.nan), "threshold": w.get("threshold", np.nan),
         "message": w["message"]}
        for w in found
    ]  # fmt: skip
    return event_table(events)
