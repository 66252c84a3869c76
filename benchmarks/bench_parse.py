"""Median parse time of ``qpcr.io.read_run`` per format on a full plate (not a test).

Synthetic 384-well exports (100 positions for the Rotor-Gene rotor) are generated in a temporary
folder for every format with a results reader; RDML is timed with and without 40-cycle
amplification curves. Usage::

    python benchmarks/bench_parse.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROWS, COLS = "ABCDEFGHIJKLMNOP", 24
WELLS = [f"{r}{c}" for r in ROWS for c in range(1, COLS + 1)]
RNG = np.random.default_rng(1)
CQ = RNG.uniform(15, 35, len(WELLS)).round(3)


def _sample(i: int) -> str:
    return f"S{i // 3 + 1}"


def _target(i: int) -> str:
    return ("GAPDH", "MYC")[i % 2]


def tidy(path: Path) -> None:
    lines = ["well,sample,target,Cq"]
    lines += [f"{w},{_sample(i)},{_target(i)},{CQ[i]}" for i, w in enumerate(WELLS)]
    path.write_text("\n".join(lines) + "\n")


def thermo(path: Path) -> None:
    head = ["* Block Type = 384-Well Block", "* Instrument Type = ViiA 7", "", "[Results]"]
    cols = "Well\tWell Position\tOmit\tSample Name\tTarget Name\tTask\tReporter\tQuencher\tCT"
    rows = [
        f"{i + 1}\t{w}\tfalse\t{_sample(i)}\t{_target(i)}\tUNKNOWN\tSYBR\tNone\t{CQ[i]}"
        for i, w in enumerate(WELLS)
    ]
    path.write_text("\n".join([*head, cols, *rows]) + "\n")


def biorad(path: Path) -> None:
    lines = [",Well,Fluor,Target,Content,Sample,Biological Set Name,Cq,Cq Mean,Cq Std. Dev"]
    lines += [
        f",{w[0]}{int(w[1:]):02d},SYBR,{_target(i)},Unkn-{i // 3 + 1:02d},{_sample(i)},,{CQ[i]},,"
        for i, w in enumerate(WELLS)
    ]
    path.write_text("\n".join(lines) + "\n")


def roche(path: Path) -> None:
    lines = [
        "Experiment: bench  Selected Filter: SYBR Green I / HRM Dye (465-510)",
        "Include\tColor\tPos\tName\tCp\tConcentration\tStandard\tStatus",
    ]
    lines += [f"True\t255\t{w}\t{_sample(i)}\t{CQ[i]}\t\t0\t" for i, w in enumerate(WELLS)]
    path.write_text("\n".join(lines) + "\n")


def rotorgene(path: Path) -> None:
    lines = [
        "Excel Analysed Data Export;;;;",
        ";;;;",
        "Quantitative analysis of Cycling A.Green (GAPDH);;;;",
        ";;;;",
        "No.;Color;Name;Type;Ct",
    ]
    lines += [f"{i + 1};255;{_sample(i)};Unknown;{CQ[i]}" for i in range(100)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _rdml(curves: bool) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        cycles = np.arange(1, 41)
        reacts = []
        for i in range(len(WELLS)):
            points = ""
            if curves:
                fluor = 1 / (1 + np.exp(-(cycles - CQ[i]) / 1.5))
                points = "".join(
                    f"<adp><cyc>{c}</cyc><fluor>{f:.5f}</fluor></adp>"
                    for c, f in zip(cycles, fluor, strict=True)
                )
            reacts.append(
                f'<react id="{i + 1}"><sample id="{_sample(i)}"/><data><tar id="{_target(i)}"/>'
                f"<cq>{CQ[i]}</cq>{points}</data></react>"
            )
        samples = "".join(
            f'<sample id="{s}"><type>unkn</type></sample>'
            for s in dict.fromkeys(_sample(i) for i in range(len(WELLS)))
        )
        doc = (
            '<?xml version="1.0" encoding="UTF-8"?><rdml xmlns="http://www.rdml.org" '
            f'version="1.3">{samples}<target id="GAPDH"/><target id="MYC"/>'
            '<experiment id="e"><run id="r"><pcrFormat><rows>16</rows><columns>24</columns>'
            "<rowLabel>ABC</rowLabel><columnLabel>123</columnLabel></pcrFormat>"
            + "".join(reacts)
            + "</run></experiment></rdml>"
        )
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("rdml_data.xml", doc)

    return write


CASES: list[tuple[str, str, Callable[[Path], None]]] = [
    ("tidy", "plate.csv", tidy),
    ("thermo_classic", "plate.txt", thermo),
    ("biorad", "plate-Quantification-Cq-Results.csv", biorad),
    ("roche", "plate_cp.txt", roche),
    ("rotorgene", "rotor.csv", rotorgene),
    ("rdml", "plate.rdml", _rdml(curves=False)),
    ("rdml", "plate_curves.rdml", _rdml(curves=True)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed reads per file")
    args = parser.parse_args()

    from qpcr.errors import QpcrError
    from qpcr.io import detect, read_run

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for expected, name, write in CASES:
            path = Path(tmp) / name
            write(path)
            try:
                found = detect(path).name
                export = read_run(path)  # warm-up (imports, caches)
            except QpcrError as exc:
                rows.append((expected, name, "-", "-", f"not read: {exc}"))
                continue
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                read_run(path)
                times.append(time.perf_counter() - start)
            note = "" if found == expected else f"detected as {found}"
            rows.append(
                (
                    found,
                    f"{name} ({path.stat().st_size / 1024:.0f} kB)",
                    str(len(export.wells)),
                    f"{statistics.median(times) * 1000:.1f}",
                    note,
                )
            )
    header = ("format", "file", "rows", "median ms", "note")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
