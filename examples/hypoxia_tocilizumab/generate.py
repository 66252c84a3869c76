"""Generate the synthetic hypoxia × tocilizumab example (fixed seed; see README.md).

Design: human chondrocytes from 3 donors, 2 × 2 (oxygen: normoxia/hypoxia × treatment:
vehicle/tocilizumab), technical triplicates, targets BMP2, VEGFA, TNFSF11 (RANKL) and TNFRSF11B
(OPG), reference genes TBP and RPL13A, and GAPDH measured as a (hypoxia-induced) candidate, with
NTC triplicates per gene, on one 384-well QuantStudio 7 Flex plate (classic text export).
``--plate 96`` writes the 96-well variant (BMP2, TBP, RPL13A in duplicate, NTC duplicates).

Cq model per well (E = 2 for every gene):
    Cq = base[gene] − true_log2_fc[gene][group] + input[sample] + donor[donor, gene]
         + bio[sample, gene] + tech,   tech ~ N(0, 0.12)
with input[sample] ~ N(0, 0.5) shared by every gene of a sample (cancels in ΔCq), donor ~
N(0, 0.3) a donor's own expression level of a gene in every condition (cancels in paired
comparisons) and bio ~ N(0, 0.15) the remaining biological noise. TRUE_LOG2_FC states the
true fold changes.
Run: ``python examples/hypoxia_tocilizumab/generate.py`` (rewrites the files beside it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SEED = 20190101
GROUPS = {"NV": ("normoxia", "vehicle"), "NT": ("normoxia", "tocilizumab"),
          "HV": ("hypoxia", "vehicle"), "HT": ("hypoxia", "tocilizumab")}  # fmt: skip
DONORS = ("D1", "D2", "D3")
BASE_CQ = {"BMP2": 29.5, "VEGFA": 25.0, "TNFSF11": 31.5, "TNFRSF11B": 24.8, "TBP": 27.2,
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


def wells_384() -> list[tuple[str, str, str]]:
    """(well, sample, target) in plate order: triplicates across columns, genes in blocks."""
    slots = []
    for gene in BASE_CQ:
        for donor in DONORS:
            for code in GROUPS:
                slots.append((f"{donor} {code}", gene))
        slots.append(("NTC", gene))
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


def simulate(wells: list[tuple[str, str, str]], seed: int = SEED) -> list[dict]:
    """Cq of every well under the model in the module docstring."""
    rng = np.random.default_rng(seed)
    samples = sorted({s for _, s, _ in wells if s != "NTC"})
    input_shift = dict(zip(samples, rng.normal(0, INPUT_SD, len(samples)), strict=True))
    donor = {(d, g): rng.normal(0, DONOR_SD) for d in DONORS for g in BASE_CQ}
    bio = {(s, g): rng.normal(0, BIO_SD) + donor[(s.split()[0], g)] for s in samples
           for g in BASE_CQ}  # fmt: skip
    out = []
    for well, sample, gene in wells:
        if sample == "NTC":
            cq = None
        else:
            code = sample.split()[1]
            cq = (BASE_CQ[gene] - TRUE_LOG2_FC[gene][code] + input_shift[sample]
                  + bio[(sample, gene)] + rng.normal(0, TECH_SD))  # fmt: skip
        out.append({"well": well, "sample": sample, "target": gene, "cq": cq})
    return out


def layout_rows(wells: list[dict]) -> list[str]:
    """Long layout: one row per well."""
    lines = ["well,sample,target,sample_type,oxygen,treatment,donor"]
    for w in wells:
        if w["sample"] == "NTC":
            lines.append(f"{w['well']},NTC,{w['target']},ntc,,,")
        else:
            donor, code = w["sample"].split()
            oxygen, treatment = GROUPS[code]
            lines.append(
                f"{w['well']},{w['sample']},{w['target']},unkn,{oxygen},{treatment},{donor}"
            )
    return lines


def export_text(wells: list[dict], size: int) -> str:
    """A QuantStudio 7 Flex classic text export (header block + [Results])."""
    block = "384-Well Block" if size == 384 else "96-Well Block (0.2mL)"
    head = [
        f"* Block Type = {block}",
        "* Chemistry = TAQMAN",
        "* Experiment File Name = D:\\runs\\chondrocytes_hypoxia_tocilizumab.eds",
        "* Experiment Name = chondrocytes hypoxia tocilizumab (synthetic example)",
        "* Experiment Run End Time = 2026-03-12 16:41:07 PM CET",
        "* Experiment Type = Comparative Cт (ΔΔCт)",
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
        task = "NTC" if w["sample"] == "NTC" else "UNKNOWN"
        sample = "" if w["sample"] == "NTC" else w["sample"]
        cq = "Undetermined" if w["cq"] is None else f"{w['cq']:.3f}"
        body.append("\t".join([str(index), w["well"], "false", sample, w["target"], task,
                               REPORTER.get(w["target"], "FAM"), "NFQ-MGB", cq, mean, sd,
                               "true", "0.200"]))  # fmt: skip
    tail = ["", "Analysis Type = Singleplex", "Endogenous Control = TBP",
            "RQ Min/Max Confidence Level = 95.0", "Reference Sample = D1 NV"]  # fmt: skip
    return "\r\n".join([*head, *body, *tail]) + "\r\n"


def main() -> None:
    """Write the export and layout for the chosen plate size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plate", type=int, choices=(96, 384), default=384)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    wells = simulate(wells_384() if args.plate == 384 else wells_96(), args.seed)
    stem = "quantstudio_384" if args.plate == 384 else "quantstudio_96"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}_results.txt").write_bytes(export_text(wells, args.plate).encode("utf-8"))
    (args.out / f"{stem}_layout.csv").write_text("\n".join(layout_rows(wells)) + "\n")


if __name__ == "__main__":
    main()
