"""Monte-Carlo check of qpcr.stats: type I error and fold-change CI coverage.

Each simulated plate is a 2 × 2 (oxygen × treatment) experiment on ``donors`` donors (every
donor in every cell), analysed on the log2 scale after averaging technical replicates:

    y_dc = μ_c + u_d + e_dc + mean_r(t_dcr),   u_d ~ N(0, σ_donor²), e ~ N(0, σ_bio²),
    t ~ N(0, σ_tech²) for ``tech`` technical wells per sample.

The tested contrast is the simple effect HT − HV (log2 fold change, truth 0 under the null and
``effect`` otherwise). For Welch, paired t, the RCBD contrast (pooled MSE of the blocked 2 × 2
ANOVA) and the REST-style randomisation test (unpaired reallocation, CI by inverting the test)
the script reports the rejection rate at α = 0.05 (type I error under the null, power
otherwise) and the coverage of the 95 % fold-change CI, each with its Monte-Carlo SE
√(p(1 − p)/n_sim).

Run: ``python benchmarks/bench_stats_simulation.py [--quick] [--sims N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

from qpcr.stats import factorial_contrasts, permutation_test, two_group_test

CELLS = [("normoxia", "vehicle"), ("normoxia", "tocilizumab"), ("hypoxia", "vehicle")]
CELLS.append(("hypoxia", "tocilizumab"))
CONTROL = {"oxygen": "normoxia", "treatment": "vehicle"}
TARGET = "treatment: tocilizumab vs vehicle | oxygen=hypoxia"
METHODS = ("welch", "paired t", "rcbd", "permutation")


def simulate(
    rng: np.random.Generator,
    donors: int,
    effect: float,
    sd_donor: float,
    sd_bio: float,
    sd_tech: float,
    tech: int,
) -> pd.DataFrame:
    """One plate, one row per biological sample (technical replicates already averaged)."""
    mu = np.array([0.0, 0.2, -0.5, -0.5 + effect])  # NV, NT, HV, HT (log2)
    u = rng.normal(0, sd_donor, donors)[:, None]
    wells = rng.normal(0, sd_tech, (donors, 4, tech)).mean(axis=2)
    y = mu[None, :] + u + rng.normal(0, sd_bio, (donors, 4)) + wells
    return pd.DataFrame(
        {
            "donor": np.repeat([f"D{k}" for k in range(donors)], 4),
            "oxygen": [c[0] for c in CELLS] * donors,
            "treatment": [c[1] for c in CELLS] * donors,
            "y": y.ravel(),
        }
    )


def analyse(plate: pd.DataFrame, resamples: int) -> dict[str, tuple[float, float, float]]:
    """(p, ci_low, ci_high) on log2 for HT − HV by each method."""
    hyp = plate[plate["oxygen"] == "hypoxia"].set_index("donor")
    hv = hyp.loc[hyp["treatment"] == "vehicle", "y"]
    ht = hyp.loc[hyp["treatment"] == "tocilizumab", "y"]
    out = {}
    for name, r in (
        ("welch", two_group_test(hv.to_numpy(), ht.to_numpy())),
        ("paired t", two_group_test(hv, ht, paired=True)),
        ("permutation", permutation_test(hv.to_numpy(), ht.to_numpy(), n_resamples=resamples)),
    ):
        out[name] = (r["p_value"], r["ci_low"], r["ci_high"])
    c = factorial_contrasts(plate, "y", ["oxygen", "treatment"], "donor", control=CONTROL)
    row = c.set_index("contrast").loc[TARGET]
    out["rcbd"] = (row["p_value"], row["ci_low"], row["ci_high"])
    return out


def run(args: argparse.Namespace) -> pd.DataFrame:
    rng = np.random.default_rng(args.seed)
    rows = []
    for donors in args.donors:
        for scenario, effect in (("null", 0.0), ("effect", args.effect)):
            hits = {m: np.zeros(2) for m in METHODS}  # rejections, CI covers truth
            for _ in range(args.sims):
                plate = simulate(
                    rng, donors, effect, args.sd_donor, args.sd_bio, args.sd_tech, args.tech
                )
                for m, (p, lo, hi) in analyse(plate, args.resamples).items():
                    hits[m] += [p < args.alpha, lo <= effect <= hi]
            for m in METHODS:
                reject, cover = hits[m] / args.sims
                rows.append(
                    {
                        "donors": donors,
                        "scenario": scenario,
                        "method": m,
                        "reject": reject,
                        "reject_mcse": math.sqrt(reject * (1 - reject) / args.sims),
                        "coverage": cover,
                        "coverage_mcse": math.sqrt(cover * (1 - cover) / args.sims),
                    }
                )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 plates per setting")
    parser.add_argument("--sims", type=int, default=2000, help="plates per setting")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--donors", type=int, nargs="+", default=[3, 6])
    parser.add_argument("--effect", type=float, default=1.0, help="true HT − HV, log2")
    parser.add_argument("--sd-donor", type=float, default=0.6)
    parser.add_argument("--sd-bio", type=float, default=0.25)
    parser.add_argument("--sd-tech", type=float, default=0.2)
    parser.add_argument("--tech", type=int, default=3, help="technical wells per sample")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--resamples", type=int, default=2000, help="permutation reallocations")
    args = parser.parse_args()
    if args.quick:
        args.sims = 200
    start = time.perf_counter()
    table = run(args)
    print(
        f"{args.sims} plates per setting; σ_donor {args.sd_donor}, σ_bio {args.sd_bio}, "
        f"σ_tech {args.sd_tech} × {args.tech} wells; effect {args.effect} log2; "
        f"α = {args.alpha}; nominal CI 95 %"
    )
    fmt = {c: "{:.3f}".format for c in ["reject", "reject_mcse", "coverage", "coverage_mcse"]}
    print(table.to_string(index=False, formatters=fmt))
    print(f"elapsed {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
