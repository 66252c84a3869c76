"""Relative quantities against one calibrator sample, as QuantStudio and CFX Maestro report them.

``[control] sample = "NAME"`` (``--control sample=NAME``) names a calibrator *sample* instead
of a control *group*. Each sample's ΔCq (:func:`qpcr.quant.normalise`, efficiency-weighted,
cycles at E = 2) is compared with the calibrator's on the same plate::

    ΔΔCq(s, g)  = ΔCq(s, g) − ΔCq(calibrator, g)
    RQ          = 2^−ΔΔCq
    SE(ΔCq)     = sqrt( (log2 E_g · SE_g)² + (1/f²) Σ_r (log2 E_r · SE_r)² )
    df          = (n_g − 1) + Σ_r (n_r − 1)
    RQmin/RQmax = 2^−(ΔΔCq ± t_{1−alpha/2, df} · SE(ΔCq))

with SE = SD/√n of each mean Cq over its n technical replicates and f reference genes. The
calibrator's ΔCq is subtracted as a constant, so its own error does not enter the other
samples' limits (Livak & Schmittgen 2001; Applied Biosystems User Bulletin #2; methods.md §2.2)
and the calibrator gets RQ = 1 with its own limits. With one reference gene and E = 2 this is
the comparative-Ct calculation of Applied Biosystems software, df = n_target + n_reference − 2;
the QuantStudio 7 Flex example export (tests/data/exports/thermo/thermo_classic_qs7_96_full.txt)
reproduces its RQ, RQ Min and RQ Max at 95 %.

RQmin and RQmax describe the spread of the technical replicates of one sample only: they are
not a confidence interval for the biology, which needs biological replicates and a control
group (``[control] FACTOR = "LEVEL"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import ConfigError, did_you_mean
from .settings import AnalysisConfig

__all__ = ["CALIBRATOR_METHODS_TEXT", "CALIBRATOR_NOTE", "calibrator_sample",
           "relative_to_calibrator"]  # fmt: skip

#: How to read the result (results note, formatted with the calibrator and the level in %).
CALIBRATOR_NOTE = (
    "relative quantities against the calibrator sample '{name}' (samples.csv: rq, rq_min, "
    "rq_max at {level:g} %): RQmin/RQmax describe the spread of the technical replicates only, "
    "not a confidence interval for the biology; no group comparison is made"
)

#: The methods paragraph's sentences for a calibrator sample (formatted like the note).
CALIBRATOR_METHODS_TEXT = (
    "Relative quantities were computed against the calibrator sample {name} on the same plate "
    "as RQ = 2^-ΔΔCq with ΔΔCq = ΔCq(sample) − ΔCq({name}), as in the instrument software "
    "(comparative Ct). RQmin and RQmax are 2^-(ΔΔCq ± t·SE(ΔCq)) at {level:g} %, with SE(ΔCq) "
    "and its degrees of freedom from the technical replicates of the target and reference "
    "genes; they describe technical spread only, not a confidence interval for the biology, "
    "and no statistical comparison was made."
)

_WHERE = "settings [control] sample"


def calibrator_sample(config: AnalysisConfig) -> str | None:
    """The calibrator sample of ``[control] sample = "NAME"``, or None for a control group.

    A calibrator sample stands alone: combined with factor levels, a biological replicate,
    contrasts or ratios it is refused, since those compare groups.

    Parameters
    ----------
    config
        The analysis settings.

    Returns
    -------
    str or None
        The calibrator's name, or None when ``[control]`` names a group.

    Raises
    ------
    ConfigError
        A calibrator sample together with settings that compare groups.

    Examples
    --------
    >>> from qpcr.config import from_mapping
    >>> calibrator_sample(from_mapping({"control": {"sample": "ctrl"}}))
    'ctrl'
    >>> calibrator_sample(from_mapping({"control": {"oxygen": "normoxia"}})) is None
    True
    >>> calibrator_sample(from_mapping({"control": {"sample": "ctrl"}, "replicate": "mouse"}))
    Traceback (most recent call last):
    ...
    qpcr.errors.ConfigError: settings [control] sample: a calibrator sample cannot be combined
    with replicate; expected either one calibrator sample or a control group of biological
    replicates. ...
    """
    if "sample" not in config.control:
        return None
    clash = [f"[control] {f}" for f in config.control if f != "sample"]
    clash += ["replicate"] if config.replicate else []
    clash += ["[[contrasts]]"] if config.contrasts else []
    clash += ["[ratios]"] if config.ratios else []
    if clash:
        raise ConfigError(
            f"a calibrator sample cannot be combined with {', '.join(clash)}; expected either "
            "one calibrator sample or a control group of biological replicates",
            where=_WHERE,
            hint='Compare groups with [control] FACTOR = "LEVEL" (e.g. oxygen = "normoxia"), or '
            "remove the other settings to get vendor-style RQ per sample",
        )
    return config.control["sample"]


def relative_to_calibrator(
    samples: pd.DataFrame,
    replicates: pd.DataFrame,
    calibrator: str,
    reference_genes: Sequence[str],
    efficiency: Mapping[str, float] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """``samples`` with the relative quantity of each sample against ``calibrator``.

    ``samples`` is the output of :func:`qpcr.quant.normalise` and ``replicates`` its input
    (reference genes included; with a ``plate`` column the calibrator is taken from the same
    plate). Adds ``delta_delta_cq``, ``rq``, ``rq_min`` and ``rq_max`` (limits at 1 − alpha,
    NaN with a single replicate) and extends ``note`` where the calibrator lacks a value or
    non-detects make RQ a bound.

    Parameters
    ----------
    samples
        The output of :func:`qpcr.quant.normalise`.
    replicates
        Its input (:func:`qpcr.quant.summarise_replicates`), reference genes included.
    calibrator
        The calibrator's sample name.
    reference_genes
        The reference targets.
    efficiency
        Amplification factor E per target (2.0 where not given); it weighs the Cq errors.
    alpha
        ``1 − alpha`` is the confidence level of ``rq_min``–``rq_max``.

    Returns
    -------
    pandas.DataFrame
        ``samples`` with ``delta_delta_cq``, ``rq``, ``rq_min``, ``rq_max`` and ``note``.

    Raises
    ------
    ConfigError
        ``calibrator`` is not a sample of the data.

    Examples
    --------
    ΔCq of MYC is 6.0 in the calibrator and 4.0 in the treated sample: RQ = 2^2 = 4.

    >>> import pandas as pd
    >>> from qpcr.quant import normalise, summarise_replicates
    >>> wells = pd.DataFrame({"sample": ["ctrl"] * 4 + ["treated"] * 4,
    ...     "target": ["GAPDH", "GAPDH", "MYC", "MYC"] * 2,
    ...     "cq_used": [18.0, 18.2, 24.0, 24.2, 18.1, 18.1, 22.0, 22.2]})
    >>> replicates = summarise_replicates(wells)
    >>> samples = normalise(replicates, ["GAPDH"])
    >>> rq = relative_to_calibrator(samples, replicates, "ctrl", ["GAPDH"])
    >>> rq[["sample", "target", "delta_delta_cq", "rq", "rq_min", "rq_max"]].round(3)
        sample target  delta_delta_cq   rq  rq_min  rq_max
    0     ctrl    MYC             0.0  1.0   0.656   1.525
    1  treated    MYC            -2.0  4.0   2.969   5.390
    """
    from .stats import _t_ci

    names = list(dict.fromkeys(replicates["sample"].astype(str)))
    if calibrator not in names:
        raise ConfigError(
            f"calibrator sample '{calibrator}' is not a sample of the data; expected one of "
            f"{len(names)} sample names",
            where=_WHERE,
            hint=did_you_mean(calibrator, names, f"samples: {', '.join(names[:12])}"),
        )
    efficiency = dict(efficiency or {})
    plate = ["plate"] if "plate" in samples else []
    refs = list(reference_genes)
    log2e = replicates["target"].map(lambda t: np.log2(efficiency.get(t, 2.0))).astype(float)
    parts = replicates.assign(
        _var=(log2e * replicates["cq_se"].astype(float)) ** 2,
        _df=replicates["n_used"].astype(float) - 1,
    )
    ref = parts[parts["target"].isin(refs)].groupby([*plate, "sample"], sort=False)
    ref_var = (ref["_var"].sum(min_count=len(refs)) / len(refs) ** 2).rename("_ref_var")
    ref_df = ref["_df"].sum(min_count=len(refs)).rename("_ref_df")
    by_sample = pd.concat([ref_var, ref_df], axis=1).reset_index()
    out = samples.merge(by_sample, on=[*plate, "sample"], how="left")
    own = np.log2(out["target"].map(lambda t: efficiency.get(t, 2.0)).astype(float))
    se = np.sqrt((own * out["cq_se"].astype(float)) ** 2 + out["_ref_var"])
    df = out["n_used"].astype(float) - 1 + out["_ref_df"]

    is_cal = out["sample"].astype(str).eq(calibrator)
    cal = out.loc[is_cal, [*plate, "target", "delta_cq", "censored"]].rename(
        columns={"delta_cq": "_cal_dcq", "censored": "_cal_censored"}
    )
    out = out.merge(cal, on=[*plate, "target"], how="left")
    out["delta_delta_cq"] = out["delta_cq"] - out["_cal_dcq"]
    out["rq"] = 2.0 ** -out["delta_delta_cq"]
    limits = [_t_ci(-d, s, n, alpha) for d, s, n in zip(out["delta_delta_cq"], se, df, strict=True)]
    out["rq_min"] = [2.0**low for low, _ in limits]
    out["rq_max"] = [2.0**high for _, high in limits]
    both = ~is_cal & out["censored"] & out["_cal_censored"].eq(True)
    out.loc[both, ["delta_delta_cq", "rq", "rq_min", "rq_max"]] = np.nan
    out["note"] = _notes(out, calibrator, is_cal.to_numpy())
    return out.drop(columns=["_ref_var", "_ref_df", "_cal_dcq", "_cal_censored"])


def _notes(out: pd.DataFrame, calibrator: str, is_cal: np.ndarray) -> list[str]:
    """The existing note, plus why RQ is missing or a bound."""
    notes = []
    plates = out["plate"] if "plate" in out else pd.Series("", index=out.index)
    with_cal = set(plates[is_cal])
    rows = zip(out["note"], out["delta_cq"], out["_cal_dcq"], out["censored"],
               out["_cal_censored"].fillna(False).astype(bool), is_cal, plates,
               strict=True)  # fmt: skip
    for note, dcq, cal_dcq, censored, cal_censored, own, plate in rows:
        extra = ""
        if pd.notna(dcq) and plate not in with_cal:
            extra = (f"no RQ: the calibrator '{calibrator}' is not on plate '{plate}' (RQ "
                     "compares the wells of one run)")  # fmt: skip
        elif pd.notna(dcq) and pd.isna(cal_dcq):
            extra = f"no RQ: the calibrator '{calibrator}' has no ΔCq for this target"
        elif not own and censored and cal_censored:
            extra = "no RQ: non-detects in this sample and in the calibrator"
        elif not own and censored:
            extra = "rq is an upper bound (non-detects)"
        elif not own and cal_censored:
            extra = f"rq is a lower bound (non-detects in the calibrator '{calibrator}')"
        notes.append("; ".join(x for x in (note, extra) if x))
    return notes
