"""Generate the simulated weekly reference-plate runs of this example (tidy CSV exports).

Plate: reference cDNA REF_A (control) and REF_B (MYC four-fold up), three targets (GAPDH, ACTB,
MYC) in triplicate, a five-point ten-fold dilution series of REF_A per target (100 to 0.01 ng)
and three NTC wells per target. Each run gets a run-to-run shift per target (SD 0.12 cycles),
replicate noise (SD 0.06) and a slightly varying standard-curve slope.

Usage: ``python make_runs.py [--weeks 26] [--out runs]``; also writes ``bad/`` runs with a
contaminated NTC and a shifted target for the README.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

TARGETS = {"GAPDH": 18.0, "ACTB": 19.5, "MYC": 24.5}  # Cq of REF_A (10 ng) per target
REF_B_SHIFT = {"GAPDH": 0.1, "ACTB": 0.1, "MYC": -1.9}  # REF_B - REF_A: MYC 2^2 = 4-fold up
QUANTITIES = (100.0, 10.0, 1.0, 0.1, 0.01)  # ng cDNA per standard well; REF_A holds 10 ng
SLOPE = -3.32  # cycles per log10 unit (E = 10^(1/3.32) = 2.0)


def make_run(rng: np.random.Generator) -> pd.DataFrame:
    """One plate as a tidy table: sample, target, cq, well, sample_type, quantity."""
    wells = iter(f"{r}{c}" for r in "ABCDEFGH" for c in range(1, 13))
    rows = []
    for target, base in TARGETS.items():
        level = base + rng.normal(0, 0.12)
        slope = SLOPE + rng.normal(0, 0.04)
        for sample, shift in (("REF_A", 0.0), ("REF_B", REF_B_SHIFT[target])):
            for cq in level + shift + rng.normal(0, 0.06, 3):
                rows.append((sample, target, round(cq, 3), next(wells), "unkn", ""))
        for quantity in QUANTITIES:
            mean = level + slope * (np.log10(quantity) - 1.0)
            for cq in mean + rng.normal(0, 0.06, 3):
                rows.append(
                    (f"STD_{quantity:g}", target, round(cq, 3), next(wells), "std", quantity)
                )
        for _ in range(3):
            rows.append(("NTC", target, "Undetermined", next(wells), "ntc", ""))
    columns = ["sample", "target", "cq", "well", "sample_type", "quantity"]
    return pd.DataFrame(rows, columns=columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "runs")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    start = date(2026, 10, 5)
    for week in range(args.weeks):
        day = start + timedelta(weeks=week)
        make_run(rng).to_csv(args.out / f"refplate_{day}.csv", index=False)
    bad = args.out.parent / "bad"
    bad.mkdir(exist_ok=True)
    contaminated = make_run(rng)
    ntc = contaminated.index[
        contaminated["sample_type"].eq("ntc") & contaminated["target"].eq("MYC")
    ]
    contaminated.loc[ntc[0], "cq"] = 31.4
    contaminated.to_csv(bad / "refplate_ntc_contaminated.csv", index=False)
    shifted = make_run(rng)
    myc = shifted["target"].eq("MYC") & shifted["sample"].eq("REF_A")
    shifted.loc[myc, "cq"] = shifted.loc[myc, "cq"].astype(float) + 1.5
    shifted.to_csv(bad / "refplate_myc_shifted.csv", index=False)


if __name__ == "__main__":
    main()
