"""The benchmark's plates (issue 14): the example's design without standards, one seed each.

A 2 × 2 design (oxygen × treatment), 3 donors, technical triplicates, 7 assays and their NTC
triplicates: 273 of 384 wells of a QuantStudio 7 Flex classic text export. The Cq model and the
planted QC cases are those of ``examples/hypoxia_tocilizumab/generate.py``; the settings are the
example's without standard curves (every efficiency 2).

Usage: ``python benchmarks/plates.py DIR N`` writes ``DIR/plate0000.txt`` … , ``DIR/layout.csv``
and ``DIR/analysis.toml``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "hypoxia_tocilizumab"
SETTINGS = """reference_genes = ["TBP", "RPL13A"]
replicate = "donor"

[control]
oxygen = "normoxia"
treatment = "vehicle"

[ratios]
"RANKL/OPG" = ["TNFSF11", "TNFRSF11B"]
"""


def _generator():
    spec = importlib.util.spec_from_file_location("generate", EXAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_plates(folder: Path, count: int, first_seed: int = 1) -> list[Path]:
    """Write ``count`` plates (seeds ``first_seed`` …), the layout and the settings into
    ``folder``; return the exports."""
    gen = _generator()
    folder.mkdir(parents=True, exist_ok=True)
    slots = [w for w in gen.wells_384() if gen.sample_type(w[1]) != "std"]
    exports = []
    for k in range(count):
        wells = gen.simulate(slots, first_seed + k)
        path = folder / f"plate{k:04d}.txt"
        path.write_text(gen.export_text(wells, 384), encoding="utf-8")
        exports.append(path)
        if k == 0:
            layout = "\n".join(gen.layout_rows(wells)) + "\n"
            (folder / "layout.csv").write_text(layout, encoding="utf-8")
    (folder / "analysis.toml").write_text(SETTINGS, encoding="utf-8")
    return exports


if __name__ == "__main__":
    write_plates(Path(sys.argv[1]), int(sys.argv[2]))
