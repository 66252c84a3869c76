"""Generate the synthetic hypoxia × tocilizumab example (fixed seed; see README.md).

Design: human chondrocytes from 3 donors, 2 × 2 (oxygen: normoxia/hypoxia × treatment:
vehicle/tocilizumab), technical triplicates, targets BMP2, VEGFA, TNFSF11 (RANKL) and TNFRSF11B
(OPG), reference genes TBP and RPL13A, and GAPDH measured as a (hypoxia-induced) candidate, with
NTC triplicates per gene and a 5-point 10-fold standard curve (quantities 10^4..1, triplicates)
per gene, on one 384-well QuantStudio 7 Flex plate (classic text export, 378 wells).
``--plate 96`` writes the 96-well variant (BMP2, TBP, RPL13A in duplicate, NTC duplicates, no
standards).

Cq model per sample well, with E[gene] the true amplification factor (2 for every gene but
BMP2, E = 1.94): a log2 quantity difference d shifts Cq by d / log2 E, so
    Cq = base[gene] + (−true_log2_fc[gene][group] + input[sample] + bio[sample, gene])
         / log2 E[gene] + tech,   tech ~ N(0, 0.12) cycles,
with input[sample] ~ N(0, 0.5) shared by every gene of a sample (cancels in ΔCq) and bio[sample,
gene] = donor[donor, gene] + N(0, 0.15): donor ~ N(0, 0.3) is a donor's own expression level of
a gene in every condition (cancels in paired comparisons), the rest biological noise.
TRUE_LOG2_FC states the true fold changes on the log2 quantity scale. Standards:
    Cq = STD_TOP_CQ + log2(10^4 / quantity) / log2 E[gene] + tech.
Three QC cases are planted at fixed places (OUTLIER, NONDETECT, NTC_HIT; the last also on the
96-well plate). Run: ``python examples/hypoxia_tocilizumab/generate.py [--plate 96]`` (rewrites
the export and layout beside it and the copies of the layout in ``plate_layouts/``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SEED = 20190101
GROUPS = {"NV": ("normoxia", "vehicle"), "NT": ("normoxia", "tocilizumab"),
          "HV": ("hypoxia", "vehicle"), "HT": ("hypoxia", "tocilizumab")}  # fmt: skip
DONORS = ("D1", "D2", "D3")
BASE_CQ = {"BMP2": 29.5, "VEGFA": 25.0, "TNFSF11": 32.5, "TNFRSF11B": 24.8, "TBP": 27.2,
           "RPL13A": 20.6, "GAPDH": 17.8}  # fmt: skip
#: True log2 fold change of each group against normoxia + vehicle.
TRUE_LOG2_FC = {
    "BMP2": {"NV": 0.0, "NT": 0.0, "HV": -0.7, "HT": 0.7},
    "VEGFA": {"NV": 0.0, "NT": 0.0, "HV": 1.3, "HT": 2.1},
    "TNFSF11": {"NV": 0.0, "NT": 0.0, "HV": 0.75, "HT": -0.1},
    "TNFRSF11B": {"NV": 0.0, "NT": 0.0, "HV": -0.5, "HT": 0.1},
    "TBP": {"NV": 0.0, "NT": 0.0, "HV": 0.0, "HT": 0.0},
    "RPL13A": {"NV": 0.0, "NT": 0.0, "HV": 0.0, "HT": 0.0},
    "GAPDH": {"NV": 0.0, "NT": 0.0, "HV": 0.8, "HT": 0.8},
}
REPORTER = {"TBP": "VIC", "RPL13A": "VIC", "GAPDH": "VIC"}
TECH_SD, BIO_SD, DONOR_SD, INPUT_SD = 0.12, 0.15, 0.3, 0.5
#: True amplification factor per gene (2.0 = 100 %) where it is not 2.
EFFICIENCY = {"BMP2": 1.94}
#: Standard curve: quantities (relative units of a pooled template) and the Cq of 10^4 at E = 2.
STD_QUANTITIES = (1e4, 1e3, 1e2, 1e1, 1e0)
STD_TOP_CQ = 20.0
#: Planted QC cases: (sample, target, replicate index, Cq shift in cycles) of an outlier well,
#: (sample, target, replicate index) of a non-detect, (target, NTC replicate index, Cq) of an
#: amplifying NTC well.
OUTLIER = ("D2 HV", "VEGFA", 1, 1.5)
NONDETECT = ("D2 HT", "TNFSF11", 2)
NTC_HIT = ("BMP2", 0, 34.6)


def std_name(quantity: float) -> str:
    """Sample name of a standard, e.g. ``STD 1000``."""
    return f"STD {quantity:g}"


def wells_384() -> list[tuple[str, str, str]]:
    """(well, sample, target) in plate order: triplicates across columns, genes in blocks, then
    the standards (gene by gene, highest quantity first)."""
    slots = []
    for gene in BASE_CQ:
        for donor in DONORS:
            for code in GROUPS:
                slots.append((f"{donor} {code}", gene))
        slots.append(("NTC", gene))
    slots += [(std_name(q), gene) for gene in BASE_CQ for q in STD_QUANTITIES]
    wells = []
    rows = "ABCDEFGHIJKLMNOP"
    for k, (sample, gene) in enumerate(slots):
        row, start = divmod(k, 8)
        for rep in range(3):
            wells.append((f"{rows[row]}{3 * start + rep + 1}", sample, gene))
    return wells


def wells_96() -> list[tuple[str, str, str]]:
    """BMP2, TBP and RPL13A in duplicate for the 12 samples, NTC duplicates: 78 wells."""
    wells = []
    rows = "ABCDEFGH"
    k = 0
    for gene in ("BMP2", "TBP", "RPL13A"):
        samples = [f"{d} {c}" for d in DONORS for c in GROUPS] + ["NTC"]
        for sample in samples:
            for _ in range(2):
                wells.append((f"{rows[k // 12]}{k % 12 + 1}", sample, gene))
                k += 1
    return wells


def sample_type(sample: str) -> str:
    """``ntc``, ``std`` or ``unkn`` from the sample name."""
    return "ntc" if sample == "NTC" else "std" if sample.startswith("STD ") else "unkn"


def simulate(wells: list[tuple[str, str, str]], seed: int = SEED) -> list[dict]:
    """Cq of every well under the model in the module docstring, with the planted QC cases.

    Returns dicts with ``well, sample, target, cq`` (None: undetermined) and ``quantity`` (None
    but for standards).
    """
    rng = np.random.default_rng(seed)
    samples = sorted({s for _, s, _ in wells if sample_type(s) == "unkn"})
    input_shift = dict(zip(samples, rng.normal(0, INPUT_SD, len(samples)), strict=True))
    donor = {(d, g): rng.normal(0, DONOR_SD) for d in DONORS for g in BASE_CQ}
    bio = {(s, g): rng.normal(0, BIO_SD) + donor[(s.split()[0], g)] for s in samples
           for g in BASE_CQ}  # fmt: skip
    log2e = {g: np.log2(EFFICIENCY.get(g, 2.0)) for g in BASE_CQ}
    seen: dict[tuple[str, str], int] = {}
    out = []
    for well, sample, gene in wells:
        rep = seen[(sample, gene)] = seen.get((sample, gene), -1) + 1
        kind = sample_type(sample)
        quantity = float(sample.split()[1]) if kind == "std" else None
        if kind == "ntc":
            cq = NTC_HIT[2] if (gene, rep) == NTC_HIT[:2] else None
        elif kind == "std":
            cq = (STD_TOP_CQ + np.log2(STD_QUANTITIES[0] / quantity) / log2e[gene]
                  + rng.normal(0, TECH_SD))  # fmt: skip
        else:
            code = sample.split()[1]
            cq = (BASE_CQ[gene] + (-TRUE_LOG2_FC[gene][code] + input_shift[sample]
                                   + bio[(sample, gene)]) / log2e[gene]
                  + rng.normal(0, TECH_SD))  # fmt: skip
            if (sample, gene, rep) == OUTLIER[:3]:
                cq += OUTLIER[3]
            if (sample, gene, rep) == NONDETECT:
                cq = None
        out.append({"well": well, "sample": sample, "target": gene, "cq": cq,
                    "quantity": quantity})  # fmt: skip
    return out


def layout_rows(wells: list[dict]) -> list[str]:
    """Long layout: one row per well; a ``quantity`` column when the plate has standards."""
    std = any(w["quantity"] is not None for w in wells)
    lines = ["well,sample,target,sample_type," + ("quantity," if std else "")
             + "oxygen,treatment,donor"]  # fmt: skip
    for w in wells:
        kind = sample_type(w["sample"])
        design = ",,"
        if kind == "unkn":
            donor, code = w["sample"].split()
            design = f"{','.join(GROUPS[code])},{donor}"
        quantity = (f"{w['quantity']:g}," if w["quantity"] is not None else ",") if std else ""
        lines.append(f"{w['well']},{w['sample']},{w['target']},{kind},{quantity}{design}")
    return lines


def grid_layout(lines: list[str], size: int) -> str:
    """The grid form of a long layout (:func:`qpcr.layout.grid_text`), one block per column."""
    import io

    import pandas as pd

    from qpcr.layout import grid_text
    from qpcr.plate import PLATES

    table = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False)
    return grid_text(table, PLATES[size], [c for c in table.columns if c != "well"])


def export_text(wells: list[dict], size: int) -> str:
    """A QuantStudio 7 Flex classic text export (header block + [Results])."""
    block = "384-Well Block" if size == 384 else "96-Well Block (0.2mL)"
    std = any(w["quantity"] is not None for w in wells)
    kind = "Relative Standard Curve" if std else "Comparative Cт (ΔΔCт)"
    head = [
        f"* Block Type = {block}",
        "* Chemistry = TAQMAN",
        "* Experiment File Name = D:\\runs\\chondrocytes_hypoxia_tocilizumab.eds",
        "* Experiment Name = chondrocytes hypoxia tocilizumab (synthetic example)",
        "* Experiment Run End Time = 2026-03-12 16:41:07 PM CET",
        f"* Experiment Type = {kind}",
        "* Instrument Type = QuantStudio(TM) 7 Flex System",
        "* Passive Reference = ROX",
        "* Quantification Cycle Method = Ct",
        "",
        "[Results]",
        "\t".join(
            [
                "Well",
                "Well Position",
                "Omit",
                "Sample Name",
                "Target Name",
                "Task",
                "Reporter",
                "Quencher",
                "CT",
                "Ct Mean",
                "Ct SD",
                "Quantity",
                "Automatic Ct Threshold",
                "Ct Threshold",
            ]
        ),
    ]
    groups: dict[tuple[str, str], list[float]] = {}
    for w in wells:
        if w["cq"] is not None:
            groups.setdefault((w["sample"], w["target"]), []).append(w["cq"])
    rows = "ABCDEFGHIJKLMNOP"
    ncols = 24 if size == 384 else 12
    body = []
    for w in sorted(wells, key=lambda w: (rows.index(w["well"][0]), int(w["well"][1:]))):
        index = rows.index(w["well"][0]) * ncols + int(w["well"][1:])
        values = groups.get((w["sample"], w["target"]), [])
        mean = f"{np.mean(values):.3f}" if values else ""
        sd = f"{np.std(values, ddof=1):.3f}" if len(values) > 1 else ""
        task = {"ntc": "NTC", "std": "STANDARD", "unkn": "UNKNOWN"}[sample_type(w["sample"])]
        sample = "" if w["sample"] == "NTC" else w["sample"]
        cq = "Undetermined" if w["cq"] is None else f"{w['cq']:.3f}"
        quantity = "" if w["quantity"] is None else f"{w['quantity']:.3f}"
        body.append("\t".join([str(index), w["well"], "false", sample, w["target"], task,
                               REPORTER.get(w["target"], "FAM"), "NFQ-MGB", cq, mean, sd,
                               quantity, "true", "0.200"]))  # fmt: skip
    tail = ["", "Analysis Type = Singleplex", "Endogenous Control = TBP",
            "RQ Min/Max Confidence Level = 95.0", "Reference Sample = D1 NV"]  # fmt: skip
    return "\r\n".join([*head, *body, *tail]) + "\r\n"


def files(size: int, seed: int = SEED) -> dict[str, bytes]:
    """Every file the generator writes for one plate size, by path relative to the repository
    root: the export and layout of the example and the layout copies in ``plate_layouts/``."""
    wells = simulate(wells_384() if size == 384 else wells_96(), seed)
    lines = layout_rows(wells)
    layout = ("\n".join(lines) + "\n").encode("utf-8")
    grid = grid_layout(lines, size).encode("utf-8")
    example = HERE.relative_to(ROOT).as_posix()
    return {
        f"{example}/quantstudio_{size}_results.txt": export_text(wells, size).encode("utf-8"),
        f"{example}/quantstudio_{size}_layout.csv": layout,
        f"plate_layouts/hypoxia_tocilizumab_{size}.csv": layout,
        f"plate_layouts/hypoxia_tocilizumab_{size}_grid.csv": grid,
    }


def main() -> None:
    """Write the export and layout for the chosen plate size, and the shipped layout copies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plate", type=int, choices=(96, 384), default=384)
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root to write under")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    for name, data in files(args.plate, args.seed).items():
        path = args.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


if __name__ == "__main__":
    main()
