"""Codes: why a well is excluded (wells.csv ``exclude_code``) and what a QC event is (qc.csv
``code``). Code selects; the sentence only explains (``{detail}`` is filled per well)."""

from __future__ import annotations

from typing import Final

__all__ = ["CONTROL_TYPES", "EXCLUDE_REASONS", "QC_EVENTS", "SEVERITIES", "exclude_sentence"]

#: Exclusion code → the sentence written to ``exclude_reason``; the first rule that matches
#: excludes the well (:func:`qpcr.qc.apply_qc`). Control wells' codes are their sample types.
EXCLUDE_REASONS: Final[dict[str, str]] = {
    "not_in_layout": "not in layout",
    "omitted": "omitted in the instrument software",
    "ntc": "control well (no-template control)",
    "nac": "control well (no-amplification control)",
    "nrt": "control well (no-RT control)",
    "ntp": "control well (no-template positive control)",
    "opt": "control well (optical calibrator)",
    "pos": "control well (positive control)",
    "ipc": "control well (internal positive control)",
    "standard": "standard (standard-curve well)",
    "other_type": "well role '{detail}' (instrument label): not quantified",
    "not_analysed": "target not analysed",
    "invalid_cq": "no valid Cq",
    "nondetect": "non-detect (undetermined), excluded by policy",
    "isolated_nondetect": "isolated non-detect (replicates amplified at Cq ≤ {detail})",
    "zero_copy": "zero-copy well (an empty well: most replicates amplified at ≈{detail} copies "
    "per well)",
    "outlier_range": "replicate outlier ({detail})",
    "outlier_poisson": "replicate outlier ({detail})",
    "outlier_mad": "replicate outlier ({detail})",
    "outlier_grubbs": "replicate outlier ({detail})",
    "vendor_flag": "flagged by the instrument software ({detail})",
}

#: Sample types whose wells are controls: checked, never quantified.
CONTROL_TYPES: Final = ("ntc", "nac", "nrt", "ntp", "opt", "pos", "ipc")

#: QC event severities, least serious first.
SEVERITIES: Final = ("info", "warn", "fail")

#: QC event code → what it means (qc.csv ``code``).
QC_EVENTS: Final[dict[str, str]] = {
    "replicate_spread": "technical replicates span more than outlier_threshold cycles (under "
    "outlier_rule = 'poisson': more than Poisson sampling allows at their Cq)",
    "isolated_nondetect": "a non-detect beside replicates far below the cycle limit: excluded as "
    "a failed reaction",
    "zero_copy": "a non-detect among mostly amplified low-copy replicates: an empty well (Poisson "
    "sampling), left out (outlier_rule = 'poisson')",
    "low_copy": "replicates at most 10 copies per well: Poisson sampling alone scatters them "
    "(outlier_rule = 'poisson')",
    "nondetect": "a sample well without amplification, censored or excluded by nondetect_policy",
    "ntc_amplification": "a no-template control amplified within ntc_margin cycles of the samples",
    "nrt_amplification": "a no-RT control amplified within ntc_margin cycles of its sample",
    "ipc_control": "internal positive control wells of a target: how many amplified, and at what "
    "Cq (an IPC that fails to amplify in a sample well points to inhibition)",
    "missing_reference": "a sample lacks a usable reference-gene Cq: no ΔCq",
    "missing_target": "a sample lacks a usable target Cq: no ΔCq",
    "standard_curve_skipped": "no standard curve could be fitted",
    "standard_curve_slope_not_negative": "the standard curve's Cq does not fall with input",
    "standard_curve_efficiency_range": "curve efficiency outside 1.8-2.2 (80-120 %)",
    "standard_curve_r_squared": "curve R² below 0.98",
    "standard_curve_single_replicate": "one well per dilution: a wide efficiency CI",
    "standard_curve_few_levels": "fewer than 5 dilution levels",
    "standard_curve_narrow_range": "standards span fewer than 3 log10 units",
    "standard_curve_livak_assumption": "efficiency far from 2: 2^-ΔΔCq would be biased",
    "standard_curve_fallback": "a curve was unusable: its target's efficiency came from the next "
    "source (setting, pooled curve or E = 2)",
    "standard_curve_setting_outside_ci": "the efficiency setting lies outside the curve's 95 % CI",
    "standard_curve_amplification_disagrees": "the standard curve's efficiency and the mean "
    "efficiency of the amplicon's amplification curves on the same plate (LinRegPCR) disagree: "
    "their confidence intervals do not overlap",
    "hypoxia_responsive": "a reference gene known to respond to hypoxia under a hypoxia factor",
    "hypoxia_soft": "a reference gene that may respond to hypoxia",
    "reference_depends_on_factor": "a reference gene's Cq differs between factor levels",
    "sample_renamed": "the export's sample name was replaced by the layout's (sample_names = "
    "'layout')",
    "vendor_flag": "the instrument software flagged the well (flags; excluded by exclude_flags)",
    "curve_no_amplification": "an amplification curve without an exponential phase of four "
    "rising cycles and an efficiency above 1.4: no Cq called",
    "curve_no_plateau": "an amplification curve still growing exponentially at its last cycle: "
    "left out of its amplicon's mean efficiency",
    "curve_baseline_drift": "the baseline drifts: the ground phase's trend moves it, over the "
    "window of linearity, by more than 5 % of the window's top reading, or no constant baseline "
    "makes the log-linear phase straight (then the curve's minimum is used); left out of its "
    "amplicon's mean efficiency",
    "curve_efficiency_outlier": "a reaction's efficiency more than 0.05 from its amplicon's "
    "median: left out of the amplicon's mean efficiency",
    "curve_late_shallow": "a late, shallow amplification curve (plateau below a quarter of its "
    "amplicon's, Cq later than its median): primer dimers or unspecific product",
    "melt_no_peak": "the melt curve shows no peak: no product melted",
    "melt_multiple_peaks": "the melt curve shows more than one peak: more than one product",
    "melt_tm_off": "the main melt peak is more than 1 °C from its target's consensus Tm: "
    "another product",
    "melt_primer_dimer": "a melt peak more than 3 °C below the target's consensus Tm (a "
    "primer-dimer)",
    "ntc_melt_product": "a no-template control melts at its target's product Tm: contamination",
    "ntc_primer_dimer": "a no-template control melts only below its target's product Tm: "
    "primer-dimer, not contamination",
}


def exclude_sentence(code: str, detail: str = "") -> str:
    """The ``exclude_reason`` sentence of an exclusion code.

    Parameters
    ----------
    code
        A key of :data:`EXCLUDE_REASONS`, or '' (the well is used).
    detail
        Fills the sentence's ``{detail}``.

    Returns
    -------
    str
        The sentence ('' for '').

    Examples
    --------
    >>> exclude_sentence("outlier_range", "range 1.3 cycles > 0.5"), exclude_sentence("")
    ('replicate outlier (range 1.3 cycles > 0.5)', '')
    """
    return EXCLUDE_REASONS[code].format(detail=detail) if code else ""
