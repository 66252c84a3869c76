"""QC events of the control wells (methods.md §2.9, T16): no-template and no-RT controls that
amplified too close to their samples, and internal positive controls; :func:`qpcr.qc.apply_qc`
collects them with the other events."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from .config import AnalysisConfig


def _ipc_events(ipc: pd.DataFrame) -> list[dict]:
    """One info event per plate × target of internal positive control wells: how many
    amplified (Cq range) and which did not."""
    events = []
    keys = [k for k in ("plate", "target") if k in ipc]
    for key, group in ipc.groupby(keys, sort=False, dropna=False):
        info = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        cq = group["cq"].dropna()
        failed = group.loc[group["cq"].isna(), "well"].astype(str).tolist()
        text = f"internal positive control {info['target']}: {len(cq)} of {len(group)} wells "
        text += f"amplified (Cq {cq.min():.2f}-{cq.max():.2f})" if len(cq) else "amplified"
        if failed:
            text += f"; no Cq in {', '.join(failed[:8])}" + (" ..." if len(failed) > 8 else "")
        events.append({
            "plate": info.get("plate", ""), "well": "", "sample": "", "target": info["target"],
            "code": "ipc_control", "severity": "info", "value": float(len(cq)),
            "threshold": np.nan, "message": text + "; not quantified",
        })  # fmt: skip
    return events


def _control_events(
    w: pd.DataFrame,
    cq: np.ndarray,
    found: dict[str, list[dict]],
    samples: npt.NDArray[np.bool_],
    config: AnalysisConfig,
) -> list[dict]:
    """NTC/NRT checks (methods.md §2.9, T16): margin below ``ntc_margin`` cycles is an event
    (``cq``: the wells' Cq; ``found``: the records of the NTC and no-RT wells that amplified;
    ``samples``: the sample wells they are held against)."""
    events = []
    if found["ntc"]:
        target = pd.factorize(w["target"].to_numpy())[0]  # −1: no target
        top_of = np.full(int(target.max(initial=-1)) + 2, np.nan)  # the last: no target's
        keep = samples & (target >= 0)
        np.fmax.at(top_of, target[keep], cq[keep])  # as groupby("target")["cq"].max()
    for r in found["ntc"]:
        top = float(top_of[target[r["at"]]])
        margin = r["cq"] - top
        if np.isnan(top) or margin < config.ntc_margin:
            events.append({
                "plate": r.get("plate", ""), "well": r["well"], "sample": r.get("sample", ""),
                "target": r["target"], "code": "ntc_amplification", "severity": "warn",
                "value": r["cq"], "threshold": config.ntc_margin,
                "message": f"NTC well {r['well']} amplified {r['target']} at Cq {r['cq']:.2f}"
                + (f", only {margin:.2f} cycles above the highest sample Cq {top:.2f}"
                   if not np.isnan(top) else ""),
            })  # fmt: skip
    if found["nrt"]:
        means = (
            w.loc[samples, ["sample", "target", "cq"]].groupby(["sample", "target"])["cq"].mean()
        )
        for r in found["nrt"]:
            ref = means.get((r.get("sample", ""), r["target"]), np.nan)
            if not np.isnan(ref) and r["cq"] - ref < config.ntc_margin:
                gap = r["cq"] - ref
                events.append({
                    "plate": r.get("plate", ""), "well": r["well"], "sample": r["sample"],
                    "target": r["target"], "code": "nrt_amplification", "severity": "warn",
                    "value": gap, "threshold": config.ntc_margin,
                    "message": f"no-RT well {r['well']} is {gap:.2f} cycles from its sample "
                    f"(gDNA ≈ {100 * 2.0 ** -gap:.1f} % of the signal)",
                })  # fmt: skip
    return events
