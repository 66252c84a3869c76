"""Monte-Carlo checks of qpcr's statistics: the core tests, and whole default analyses.

**Core** (``--core``): each simulated plate is a 2 × 2 (oxygen × treatment) experiment on
``donors`` donors (every donor in every cell), analysed on the log2 scale after averaging
technical replicates:

    y_dc = μ_c + u_d + e_dc + mean_r(t_dcr),   u_d ~ N(0, σ_donor²), e ~ N(0, σ_bio²),
    t ~ N(0, σ_tech²) for ``tech`` technical wells per sample.

The tested contrast is the simple effect HT − HV (log2 fold change, truth 0 under the null and
``effect`` otherwise). For Welch, paired t, the RCBD contrast (pooled MSE of the blocked 2 × 2
ANOVA) and the REST-style randomisation test (unpaired reallocation, CI by inverting the test)
the script reports the rejection rate at α = 0.05 (type I error under the null, power
otherwise) and the coverage of the 95 % fold-change CI, each with its Monte-Carlo SE
√(p(1 − p)/n_sim).

**Plates** (the default): whole analyses (QC, quantification, comparisons) of simulated
2 × 2 × 3-donor plates whose wells hold Poisson-sampled template copies
(:func:`simulate_wells`): two reference genes and a high-copy target (thousands of copies per
well), a mid-copy target (about 60) and a RANKL-like low-copy target (3-10 copies per well),
with zero-copy non-detects, gross outliers (a well read ``outlier_shift`` cycles late with
probability ``outlier_rate``) and failed reactions. Each plate is analysed under the default
settings with every assay's single-copy Cq declared under ``[assay_single_copy_cq]``, as a lab
does after measuring it (``default``: ``outlier_rule = "poisson"``, ``low_copy_estimate =
"auto"``, so the low-copy target takes the Cq of its copies), the defaults with no assay
declared (``undeclared``: the same rule, the mean Cq), under ``range`` (``outlier_rule =
"range"``, mean Cq) and "keep every detected well" (``outlier_rule = "none"``,
``nondetect_policy = "exclude"``, mean Cq); ``--settings`` picks some. The declared Cq₁ is
``--assumed-single-copy-cq`` (default: the true one). Per target class the script reports the
bias of the log2 fold changes with its plate-clustered Monte-Carlo SE, the same bias measured
against each plate's realised truth (the fold change of the plate's true copies, a control
variate of mean 0 that removes the biological noise from the MC error), the largest bias of
one contrast, RMSE and median |error| (effect scenario), the type I error (null scenario) and
the coverage of the 95 % CI (both), over the four contrasts of every plate (three against the
control group, HT − HV). Plates run in ``--jobs`` processes, each seeded by (seed, scenario,
plate), so that the numbers do not depend on the number of processes.

Run: ``python benchmarks/bench_stats_simulation.py [--core] [--quick] [--sims N]
[--null-sims N] [--jobs J] [--seed S] [--settings NAME,...] [--out rows.csv]``;
``--summary rows.csv`` summarises the rows of an earlier (or interrupted) run.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import time

import numpy as np
import pandas as pd

from qpcr.config import AnalysisConfig
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
    parser.add_argument("--core", action="store_true", help="the core tests (else: plates)")
    parser.add_argument("--quick", action="store_true", help="200 (core) or 40 plates")
    parser.add_argument("--sims", type=int, default=None, help="plates per setting")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--donors", type=int, nargs="+", default=[3, 6])
    parser.add_argument("--effect", type=float, default=1.0, help="true HT − HV, log2")
    parser.add_argument("--sd-donor", type=float, default=0.6)
    parser.add_argument("--sd-bio", type=float, default=0.25)
    parser.add_argument("--sd-tech", type=float, default=0.2)
    parser.add_argument("--tech", type=int, default=3, help="technical wells per sample")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--resamples", type=int, default=2000, help="permutation reallocations")
    parser.add_argument("--outlier-rate", type=float, default=0.01)
    parser.add_argument("--outlier-shift", type=float, default=3.0, help="cycles late")
    parser.add_argument("--failed-rate", type=float, default=0.005, help="wells not amplifying")
    parser.add_argument("--single-copy-cq", type=float, default=35.0, help="of every assay")
    parser.add_argument("--null-sims", type=int, default=None,
                        help="null-scenario plates (default: --sims)")  # fmt: skip
    parser.add_argument("--jobs", type=int, default=2, help="processes (plates)")
    parser.add_argument("--out", default=None, help="CSV of every scored contrast")
    parser.add_argument("--assumed-single-copy-cq", type=float, default=None,
                        help="the declared single-copy Cq (default: the true one)")  # fmt: skip
    parser.add_argument("--settings", default=",".join(CONFIGS),
                        help=f"settings compared, of {', '.join(CONFIGS)}")  # fmt: skip
    parser.add_argument("--summary", default=None, help="summarise this CSV of rows and stop")
    args = parser.parse_args()
    if args.summary:
        rows = pd.read_csv(args.summary, keep_default_na=False, na_values=[""])  # "null" stays
        summary = plates_summary(rows)
        print(summary.to_string(index=False, float_format="{:.3f}".format))
        return
    if not args.core:
        plates_main(args)
        return
    args.sims = args.sims or (200 if args.quick else 2000)
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


#: Target → (class, mean copies per well in the control group, true log2 effect of hypoxia,
#: of tocilizumab, of both on top of the two). Reference genes have no effect.
TARGETS = {
    "TBP": ("reference", 2.0**12, 0.0, 0.0, 0.0),
    "RPL13A": ("reference", 2.0**14, 0.0, 0.0, 0.0),
    "MYC": ("high copy", 2.0**10, 1.0, -0.5, 0.5),
    "VEGFA": ("mid copy", 60.0, 1.5, 0.0, -0.7),
    "TNFSF11": ("low copy", 6.0, 0.6, -0.6, 0.3),
}
REFERENCES = [t for t, spec in TARGETS.items() if spec[0] == "reference"]
#: The settings compared (module docstring); "default" also declares every assay's Cq₁.
CONFIGS = {
    "default": {},
    "undeclared": {},
    "range": {"outlier_rule": "range", "low_copy_estimate": "mean_cq"},
    "keep detected": {"outlier_rule": "none", "nondetect_policy": "exclude",
                      "low_copy_estimate": "mean_cq"},
}  # fmt: skip
HT_HV = {"name": "HT vs HV", "numerator": {"oxygen": "hypoxia", "treatment": "tocilizumab"},
         "denominator": {"oxygen": "hypoxia", "treatment": "vehicle"}}  # fmt: skip
#: The cells (N/H: normoxia/hypoxia, V/T: vehicle/tocilizumab) and the scored contrasts.
CELL_CODES = {("normoxia", "vehicle"): "NV", ("normoxia", "tocilizumab"): "NT",
              ("hypoxia", "vehicle"): "HV", ("hypoxia", "tocilizumab"): "HT"}  # fmt: skip
CONTRASTS = {
    "oxygen=hypoxia, treatment=vehicle vs control": ("HV", "NV"),
    "oxygen=normoxia, treatment=tocilizumab vs control": ("NT", "NV"),
    "oxygen=hypoxia, treatment=tocilizumab vs control": ("HT", "NV"),
    "HT vs HV": ("HT", "HV"),
}


def cell_effect(target: str, cell: str) -> float:
    """The true log2 effect of a cell (``NV``, ``NT``, ``HV``, ``HT``) on a target."""
    _, _, ox, tr, both = TARGETS[target]
    hyp, toc = cell[0] == "H", cell[1] == "T"
    return ox * hyp + tr * toc + both * (hyp and toc)


def truth(effect: bool) -> dict[tuple[str, str], float]:
    """True log2 fold change per (target, contrast) (0 everywhere under the null)."""
    return {
        (target, name): effect * (cell_effect(target, num) - cell_effect(target, den))
        for target, spec in TARGETS.items() if spec[0] != "reference"
        for name, (num, den) in CONTRASTS.items()
    }  # fmt: skip


def simulate_wells(
    rng: np.random.Generator, effect: bool, args: argparse.Namespace
) -> tuple[pd.DataFrame, dict[tuple[int, str, str], float]]:
    """One plate: 3 donors × 2 × 2 samples × 5 targets × 3 wells, Poisson copies per well;
    and the true log2 relative quantity of each (donor, cell, target): its log2 mean copies
    less the reference genes' mean.

    A sample's copies of a target: the control mean × 2^(effect + donor + biological + cDNA
    load), donor SD 0.4, biological SD 0.25 (per target), load SD 0.3 (shared by the targets);
    a well draws N ~ Poisson(that) and reads ``Cq₁ − log2 N + N(0, 0.08²)``, undetermined when
    N = 0 or the reaction failed; a gross outlier reads ``outlier_shift`` cycles late.
    """
    rows, log2_copies, log2_rq = [], {}, {}
    donor = {t: rng.normal(0.0, 0.4, 3) for t in TARGETS}
    for d in range(3):
        for (oxygen, treatment), cell in CELL_CODES.items():
            load = rng.normal(0.0, 0.3)
            for target, (_, copies, *_) in TARGETS.items():
                log2_mean = (np.log2(copies) + effect * cell_effect(target, cell)
                             + donor[target][d] + rng.normal(0, 0.25) + load)  # fmt: skip
                log2_copies[target] = log2_mean
                n = rng.poisson(2.0**log2_mean, 3)
                cq = args.single_copy_cq - np.log2(np.maximum(n, 1)) + rng.normal(0, 0.08, 3)
                cq += args.outlier_shift * (rng.random(3) < args.outlier_rate)
                detected = (n > 0) & (rng.random(3) >= args.failed_rate)
                for r in range(3):
                    rows.append({
                        "plate": "p1", "well": f"W{len(rows) + 1}",
                        "sample": f"D{d}-{oxygen}-{treatment}", "target": target,
                        "sample_type": "unkn", "cq": cq[r] if detected[r] else np.nan,
                        "cq_status": "ok" if detected[r] else "undetermined",
                        "oxygen": oxygen, "treatment": treatment, "donor": f"D{d}",
                    })  # fmt: skip
            reference = np.mean([log2_copies[t] for t in REFERENCES])
            for target in TARGETS:
                log2_rq[(d, cell, target)] = log2_copies[target] - reference
    return pd.DataFrame(rows), log2_rq


def analyse_plate(wells: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    """The fold changes of one plate under ``config`` (QC, quantify, compare)."""
    from qpcr.stages.comparisons import compare
    from qpcr.stages.quality import quality
    from qpcr.stages.quantify import quantify

    found = quantify(quality(wells, config), config)
    return compare(found.samples, config, factors=found.factors,
                   reference_genes=found.reference_genes, qc=found.qc).fold_changes  # fmt: skip


@functools.cache
def plate_configs(declared_cq1: float, names: str) -> dict[str, AnalysisConfig]:
    """The settings compared (:data:`CONFIGS`; ``names``: comma-separated), ``default`` with
    every assay's single-copy Cq declared as ``declared_cq1``."""
    from qpcr.config import from_mapping

    base = {"reference_genes": REFERENCES, "replicate": "donor", "control": CONTROL,
            "contrasts": [HT_HV]}  # fmt: skip
    declared = {"assay_single_copy_cq": dict.fromkeys(TARGETS, declared_cq1)}
    return {name: from_mapping({**base, **CONFIGS[name], **(declared if name == "default" else {})})
            for name in names.split(",")}  # fmt: skip


def plate_rows(task: tuple[str, int, argparse.Namespace]) -> list[dict]:
    """One row per settings × target × contrast of one plate (``task``: scenario, plate,
    arguments); its generator is seeded by (seed, scenario, plate), so that a plate is the
    same whichever process draws it. ``realised``: the fold change of the plate's true
    copies (the same contrast of the true log2 relative quantities), whose error from the
    truth has mean 0 exactly: ``error − realised`` estimates the same bias with less noise."""
    scenario, plate, args = task
    effect = scenario == "effect"
    rng = np.random.default_rng([args.seed, int(effect), plate])
    wells, log2_rq = simulate_wells(rng, effect, args)
    true = truth(effect)
    configs = plate_configs(args.assumed_single_copy_cq or args.single_copy_cq, args.settings)
    rows = []
    for name, config in configs.items():
        for r in analyse_plate(wells, config).to_dict("records"):
            t = true.get((r["target"], r["contrast"]))
            if t is None:
                continue
            num, den = CONTRASTS[r["contrast"]]
            realised = np.mean([log2_rq[(d, num, r["target"])] - log2_rq[(d, den, r["target"])]
                                for d in range(3)])  # fmt: skip
            rows.append({
                "scenario": scenario, "settings": name, "plate": plate,
                "class": TARGETS[r["target"]][0], "contrast": r["contrast"],
                "error": r["log2_fold_change"] - t,
                "error_cv": r["log2_fold_change"] - t - (realised - t),
                "reject": r["p_value"] < args.alpha,
                "covered": np.log2(r["ci_low"]) <= t <= np.log2(r["ci_high"]),
            })  # fmt: skip
    return rows


def plates_run(args: argparse.Namespace) -> pd.DataFrame:
    """One row per scenario × settings × target × contrast × plate, the plates analysed by
    ``args.jobs`` processes."""
    import multiprocessing

    nulls = args.null_sims or args.sims
    counts = {"null": nulls, "effect": args.sims}
    tasks = [(scenario, p, args) for p in range(max(nulls, args.sims))
             for scenario, count in counts.items() if p < count]  # fmt: skip
    rows: list[dict] = []
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        for done, plate in enumerate(pool.imap(plate_rows, tasks, chunksize=4), start=1):
            rows += plate
            if done % 100 == 0:
                print(f"{done} of {len(tasks)} plates", file=sys.stderr, flush=True)
                if args.out:  # partial results survive an interrupted run
                    pd.DataFrame(rows).to_csv(args.out, index=False)
    return pd.DataFrame(rows)


def _plate_se(errors: pd.DataFrame, column: str) -> float:
    """Monte-Carlo SE of the mean of ``column``, the plate the cluster (its contrasts are
    correlated)."""
    per_plate = errors.groupby("plate")[column].agg(["sum", "count"])
    m = len(per_plate)
    mean = per_plate["sum"].sum() / per_plate["count"].sum()
    resid = per_plate["sum"] - mean * per_plate["count"]
    return math.sqrt(m / (m - 1) * (resid**2).sum()) / per_plate["count"].sum()


def plates_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per settings × target class: bias (with its plate-clustered MC SE; ``bias_cv`` the same
    bias against the plate's realised truth), the largest |bias| of one contrast (realised
    truth), RMSE and median |error| (effect scenario), type I error (null) and CI coverage
    (both), with Monte-Carlo SEs of the rates."""
    out = []
    for (name, kind), g in table.groupby(["settings", "class"], sort=False):
        eff, null = g[g["scenario"].eq("effect")], g[g["scenario"].eq("null")]
        err = eff.dropna(subset=["error"])
        type1, cover = null["reject"].mean(), g["covered"].mean()
        out.append({
            "settings": name, "class": kind, "n": len(eff),
            "missing": int(eff["error"].isna().sum()),
            "bias": err["error"].mean(), "bias_se": _plate_se(err, "error"),
            "bias_cv": err["error_cv"].mean(), "bias_cv_se": _plate_se(err, "error_cv"),
            "max_contrast_bias": err.groupby("contrast")["error_cv"].mean().abs().max(),
            "rmse": math.sqrt((err["error"] ** 2).mean()),
            "median_abs": err["error"].abs().median(), "type1": type1,
            "type1_mcse": math.sqrt(type1 * (1 - type1) / len(null)), "coverage": cover,
            "coverage_mcse": math.sqrt(cover * (1 - cover) / len(g)),
        })  # fmt: skip
    return pd.DataFrame(out)


def plates_main(args: argparse.Namespace) -> None:
    """Run the plate simulation and print its summary (and, with ``--out``, save the rows)."""
    import resource

    args.sims = args.sims or (40 if args.quick else 1100)
    start = time.perf_counter()
    table = plates_run(args)
    if args.out:
        table.to_csv(args.out, index=False)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    assumed = args.assumed_single_copy_cq or args.single_copy_cq
    print(
        f"{args.null_sims or args.sims} null and {args.sims} effect plates; seed {args.seed}; "
        f"2 × 2 × 3 donors, triplicates; Cq₁ {args.single_copy_cq:g} (declared {assumed:g}); "
        f"outliers {args.outlier_rate:g} (+{args.outlier_shift:g} cycles), failed wells "
        f"{args.failed_rate:g}; α = {args.alpha}; nominal CI 95 %"
    )
    print(plates_summary(table).to_string(index=False, float_format="{:.3f}".format))
    print(f"elapsed {time.perf_counter() - start:.1f} s; {args.jobs} processes, CPU "
          f"{used.ru_utime + used.ru_stime:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
