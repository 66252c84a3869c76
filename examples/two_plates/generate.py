"""Generate the two-plate example with inter-run calibrators (fixed seed; see README.md).

The hypoxia × tocilizumab experiment (3 donors × 4 groups, BMP2 and VEGFA, reference genes TBP
and RPL13A) split over two 96-well QuantStudio plates: normoxia samples (NV, NT) on plate 1,
hypoxia samples (HV, HT) on plate 2, so the hypoxia effect is confounded with the plate. Two
inter-run calibrators (IRC1, IRC2: the same cDNA pools) and an NTC are on both plates; every
reaction in duplicate (4 genes × 9 samples × 2 = 72 wells per plate).

Cq model per well, E[gene] the true amplification factor (BMP2 1.94, others 2):
    Cq = base[gene] + (−true_log2_fc[gene][group] + input[sample] + bio[sample, gene])
         / log2 E[gene] + plate2 · (PLATE_SHIFT + TARGET_SHIFT[gene]) + tech
    IRC: Cq = base[gene] + (irc[irc, gene] + input[irc, plate]) / log2 E[gene]
         + plate2 · (PLATE_SHIFT + TARGET_SHIFT[gene]) + tech
with the noise SDs, bases, efficiencies and true fold changes of
``examples/hypoxia_tocilizumab/generate.py`` (imported, not copied). PLATE_SHIFT moves every gene
of plate 2 alike (reference genes remove it, up to the efficiency weights); TARGET_SHIFT is the
per-target run effect (threshold, baseline) that only inter-run calibration removes. On plate 2
the efficiency-weighted log2 RQ is off by LOG2_RQ_SHIFT: −0.94 (BMP2) and +0.80 (VEGFA).
Run: ``python examples/two_plates/generate.py`` (rewrites the files beside it).
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SEED = 20070219
GENES = ("BMP2", "VEGFA", "TBP", "RPL13A")
PLATES = {"plate1": ("NV", "NT"), "plate2": ("HV", "HT")}
IRCS = ("IRC1", "IRC2")
#: Plate 2 minus plate 1, cycles: common to all genes, and per target (mean over refs is 0).
PLATE_SHIFT = 0.4
TARGET_SHIFT = {"BMP2": 1.0, "VEGFA": -0.8, "TBP": 0.1, "RPL13A": -0.1}
REFERENCE_GENES = ("TBP", "RPL13A")
IRC_SD = 0.5  # spread of the IRC pools' expression around the gene's base (log2 units)


def _hypoxia_module():
    path = HERE.parent / "hypoxia_tocilizumab" / "generate.py"
    spec = importlib.util.spec_from_file_location("hypoxia_generate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HYPOXIA = _hypoxia_module()
LOG2E = {g: float(np.log2(HYPOXIA.EFFICIENCY.get(g, 2.0))) for g in GENES}
#: Plate 2 minus plate 1 in efficiency-weighted log2 RQ (= −ΔCq) per target: what inter-run
#: calibration must remove, i.e. log2 CF(plate2) − log2 CF(plate1).
LOG2_RQ_SHIFT = {
    g: -(PLATE_SHIFT + TARGET_SHIFT[g]) * LOG2E[g]
    + float(np.mean([(PLATE_SHIFT + TARGET_SHIFT[r]) * LOG2E[r] for r in REFERENCE_GENES]))
    for g in GENES
    if g not in REFERENCE_GENES
}


def plate_wells(plate: str) -> list[tuple[str, str, str]]:
    """(well, sample, target) of one plate: genes in blocks, duplicates side by side."""
    samples = [f"{d} {c}" for c in PLATES[plate] for d in HYPOXIA.DONORS] + [*IRCS, "NTC"]
    slots = [(s, g) for g in GENES for s in samples for _ in range(2)]
    return [(f"{'ABCDEFGH'[k // 12]}{k % 12 + 1}", s, g) for k, (s, g) in enumerate(slots)]


def simulate(seed: int = SEED) -> dict[str, list[dict]]:
    """Cq of every well of both plates under the model in the module docstring."""
    rng = np.random.default_rng(seed)
    h = HYPOXIA
    samples = [f"{d} {c}" for d in h.DONORS for c in h.GROUPS]
    input_shift = dict(zip(samples, rng.normal(0, h.INPUT_SD, len(samples)), strict=True))
    donor = {(d, g): rng.normal(0, h.DONOR_SD) for d in h.DONORS for g in GENES}
    bio = {(s, g): rng.normal(0, h.BIO_SD) + donor[(s.split()[0], g)] for s in samples
           for g in GENES}  # fmt: skip
    irc = {(i, g): rng.normal(0, IRC_SD) for i in IRCS for g in GENES}
    out: dict[str, list[dict]] = {}
    for k, plate in enumerate(PLATES):
        irc_input = {i: rng.normal(0, h.INPUT_SD) for i in IRCS}
        rows = []
        for well, sample, gene in plate_wells(plate):
            shift = k * (PLATE_SHIFT + TARGET_SHIFT[gene])
            if sample == "NTC":
                cq = None
            elif sample in IRCS:
                cq = h.BASE_CQ[gene] + (irc[(sample, gene)] + irc_input[sample]) / LOG2E[gene]
            else:
                code = sample.split()[1]
                cq = h.BASE_CQ[gene] + (-h.TRUE_LOG2_FC[gene][code] + input_shift[sample]
                                        + bio[(sample, gene)]) / LOG2E[gene]  # fmt: skip
            if cq is not None:
                cq += shift + rng.normal(0, h.TECH_SD)
            rows.append({"well": well, "sample": sample, "target": gene, "cq": cq,
                         "quantity": None})  # fmt: skip
        out[plate] = rows
    return out


def layout_rows(wells: list[dict]) -> list[str]:
    """Long layout of one plate; IRC wells have ``irc`` = yes and no design factors."""
    lines = ["well,sample,target,sample_type,oxygen,treatment,donor,irc"]
    for w in wells:
        well, sample, target = w["well"], w["sample"], w["target"]
        if sample == "NTC":
            lines.append(f"{well},NTC,{target},ntc,,,,")
        elif sample in IRCS:
            lines.append(f"{well},{sample},{target},unkn,,,,yes")
        else:
            donor, code = sample.split()
            oxygen, treatment = HYPOXIA.GROUPS[code]
            lines.append(f"{well},{sample},{target},unkn,{oxygen},{treatment},{donor},")
    return lines


def main() -> None:
    """Write both exports and both layouts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for plate, wells in simulate(args.seed).items():
        text = HYPOXIA.export_text(wells, 96).replace(
            "chondrocytes_hypoxia_tocilizumab.eds", f"chondrocytes_two_plates_{plate}.eds"
        )
        (args.out / f"{plate}.txt").write_bytes(text.encode("utf-8"))
        (args.out / f"{plate}_layout.csv").write_text("\n".join(layout_rows(wells)) + "\n")


if __name__ == "__main__":
    main()
