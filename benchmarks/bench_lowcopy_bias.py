"""Expected bias of low-copy fold changes, per contrast, with a small Monte-Carlo error.

The plate simulation (``bench_stats_simulation.py``) scores whole analyses, but its bias of a
fold change carries the biological noise of the plates (MC SE about 0.01 log2 units with 1,000
plates). Here the replicate groups of the low-copy target of that simulation (6 copies per
well in the control group; effects 0.6, −0.6, +0.3 log2; donor, biological and cDNA-load
SDs 0.4, 0.25, 0.3; gross outliers and failed wells) are drawn by the hundred thousand per
cell and put through the package's own replicate steps: QC (:func:`qpcr.qc.apply_qc`), the
replicate summary and the low-copy estimate (:func:`qpcr.lowcopy.low_copy_replicates`). The
error of a group is its estimated log2 copies less the log2 of its true mean; a fold change
between two cells is a difference of group means, so its expected bias is the difference of
the cells' mean errors (reference genes, thousands of copies, add none). What this leaves out:
the reference normalisation and the tests (the plate simulation covers them).

Run: ``python benchmarks/bench_lowcopy_bias.py [--groups N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

from qpcr.config import from_mapping
from qpcr.lowcopy import low_copy_replicates
from qpcr.qc import apply_qc
from qpcr.quant import summarise_replicates

#: Cell → true log2 effect on the low-copy target (bench_stats_simulation.TARGETS).
CELLS = {"NV": 0.0, "HV": 0.6, "NT": -0.6, "HT": 0.6 - 0.6 + 0.3}
CONTRASTS = {"HV vs NV": ("HV", "NV"), "NT vs NV": ("NT", "NV"), "HT vs NV": ("HT", "NV"),
             "HT vs HV": ("HT", "HV")}  # fmt: skip
#: The true single-copy Cq of the drawn wells (cycles).
CQ1 = 35.0
#: The settings compared: the defaults with the assay's Cq₁ declared (right, or off by ±1.5
#: cycles) and undeclared (the mean Cq), the estimate for every target, and the older rules.
SETTINGS = {
    "default, Cq₁ declared": {"assay_single_copy_cq": {"TNFSF11": CQ1}},
    "default, Cq₁ declared 1.5 late": {"assay_single_copy_cq": {"TNFSF11": CQ1 + 1.5}},
    "default, Cq₁ declared 1.5 early": {"assay_single_copy_cq": {"TNFSF11": CQ1 - 1.5}},
    "default, undeclared (mean Cq)": {},
    "poisson (every target)": {"low_copy_estimate": "poisson"},
    "range": {"outlier_rule": "range", "low_copy_estimate": "mean_cq"},
    "keep detected": {"outlier_rule": "none", "nondetect_policy": "exclude",
                      "low_copy_estimate": "mean_cq"},
}  # fmt: skip


def draw(rng: np.random.Generator, groups: int) -> pd.DataFrame:
    """Triplicate wells of ``groups`` samples per cell, as the plate simulation draws them."""
    frames = []
    for cell, effect in CELLS.items():
        log2_mean = (math.log2(6.0) + effect + rng.normal(0, 0.4, groups)
                     + rng.normal(0, 0.25, groups) + rng.normal(0, 0.3, groups))  # fmt: skip
        n = rng.poisson(2.0 ** log2_mean[:, None], (groups, 3))
        cq = CQ1 - np.log2(np.maximum(n, 1)) + rng.normal(0, 0.08, n.shape)
        cq += 3.0 * (rng.random(n.shape) < 0.01)
        detected = (n > 0) & (rng.random(n.shape) >= 0.005)
        frames.append(pd.DataFrame({
            "sample": np.repeat([f"{cell}{g}" for g in range(groups)], 3),
            "cell": cell, "truth": np.repeat(log2_mean, 3),
            "cq": np.where(detected, cq, np.nan).ravel(),
            "cq_status": np.where(detected, "ok", "undetermined").ravel(),
        }))  # fmt: skip
    wells = pd.concat(frames, ignore_index=True)
    return wells.assign(well=[f"W{i}" for i in range(len(wells))], target="TNFSF11",
                        sample_type="unkn")  # fmt: skip


def cell_errors(wells: pd.DataFrame, extra: dict) -> pd.DataFrame:
    """Per cell: mean and SD of the groups' errors (log2 copies) under the settings ``extra``."""
    config = from_mapping(extra)
    checked = apply_qc(wells, config)[0]
    reps = summarise_replicates(checked[~checked["excluded"]])
    reps = low_copy_replicates(reps, checked, config).set_index("sample")
    truth = wells.groupby("sample")[["truth", "cell"]].first()
    error = (CQ1 - reps["cq_mean"]) - truth["truth"].reindex(reps.index)
    return error.groupby(truth["cell"].reindex(reps.index)).agg(["mean", "std", "count"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=50_000, help="samples per cell")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    start = time.process_time()
    wells = draw(np.random.default_rng(args.seed), args.groups)
    rows = []
    for name, extra in SETTINGS.items():
        cells = cell_errors(wells, extra)
        for contrast, (num, den) in CONTRASTS.items():
            a, b = cells.loc[num], cells.loc[den]
            se = math.sqrt(a["std"] ** 2 / a["count"] + b["std"] ** 2 / b["count"])
            rows.append({"settings": name, "contrast": contrast,
                         "bias": a["mean"] - b["mean"], "mc_se": se})  # fmt: skip
    table = pd.DataFrame(rows)
    wide = table.pivot(index="settings", columns="contrast", values="bias")[list(CONTRASTS)]
    wide["mean of the 4"] = wide.mean(axis=1)
    print(f"{args.groups} samples per cell, seed {args.seed}; bias of the log2 fold change "
          f"(MC SE ≤ {table['mc_se'].max():.4f})")  # fmt: skip
    print(wide.loc[list(SETTINGS)].to_string(float_format="{:+.3f}".format))
    print(f"CPU {time.process_time() - start:.0f} s")


if __name__ == "__main__":
    main()
