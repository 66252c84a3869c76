"""The yardstick of issue 14: a plain numpy + pandas ΔΔCq over the benchmark's plates.

What a lab would write in an afternoon for this one design, with none of the tool's checks:
read each QuantStudio text export's [Results] table, join the layout by well, keep the samples,
average the technical replicates, normalise to the mean Cq of TBP and RPL13A (the geometric mean
of their quantities at E = 2), pair each donor's ΔCq with its normoxia + vehicle ΔCq, and report
per target and group the mean ΔΔCq, its standard error, the t statistic and the fold change.
One process; every plate's rows go to one CSV.

Usage: ``python benchmarks/yardstick.py PLATES_DIR LAYOUT OUT.csv``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REFERENCES = ["TBP", "RPL13A"]
FACTORS = ["oxygen", "treatment"]
CONTROL = ("normoxia", "vehicle")


def read_results(path: Path) -> pd.DataFrame:
    """The [Results] table of a QuantStudio classic text export."""
    text = path.read_text(encoding="utf-8")
    block = text.split("[Results]", 1)[1].strip("\r\n").split("\r\n\r\n", 1)[0]
    table = pd.read_csv(io.StringIO(block), sep="\t", usecols=["Well Position", "CT"])
    table["cq"] = pd.to_numeric(table["CT"], errors="coerce")  # Undetermined -> NaN
    return table.rename(columns={"Well Position": "well"})[["well", "cq"]]


def fold_changes(wells: pd.DataFrame) -> pd.DataFrame:
    """ΔΔCq per target and group against the control group, paired by donor."""
    samples = wells[wells["sample_type"] == "unkn"]
    mean = samples.groupby(["sample", "donor", *FACTORS, "target"], sort=False)["cq"].mean()
    wide = mean.unstack("target")
    delta = wide.drop(columns=REFERENCES).sub(wide[REFERENCES].mean(axis=1), axis=0)
    delta = delta.reset_index("sample", drop=True)
    control = delta.xs(CONTROL, level=FACTORS).reindex(delta.index.get_level_values("donor"))
    ddcq = delta - control.to_numpy()
    long = ddcq.stack().rename("ddcq").reset_index()
    keep = ~((long["oxygen"] == CONTROL[0]) & (long["treatment"] == CONTROL[1]))
    grouped = long[keep].groupby(["target", *FACTORS], sort=False)["ddcq"]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    out["se"] = out["std"] / np.sqrt(out["count"])
    out["t"] = out["mean"] / out["se"]
    out["fold_change"] = np.exp2(-out["mean"])
    return out


def main() -> None:
    """Analyse every plate of the folder and write one CSV."""
    folder, layout_path, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    layout = pd.read_csv(layout_path)
    frames = []
    for path in sorted(folder.glob("*.txt")):
        wells = read_results(path).merge(layout, on="well", how="inner")
        table = fold_changes(wells)
        table.insert(0, "export", path.stem)
        frames.append(table)
    pd.concat(frames, ignore_index=True).to_csv(out, index=False)


if __name__ == "__main__":
    main()
