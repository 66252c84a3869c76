"""Where one plate's time goes (not a test): ``qpcr batch``'s work for one plate, profiled over
``--plates`` generated plates, as the share of each step of the pipeline and the functions
that cost the most.

Usage: ``python benchmarks/profile_plate.py [--plates N] [--top N]``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from plates import write_plates  # noqa: E402

from qpcr.batch import Plate, _analyse, _Job  # noqa: E402
from qpcr.config import load_config  # noqa: E402

#: The steps reported: (label, file suffix, function name), cumulative times.
STEPS = [
    ("read exports + join layout (pipeline.read_wells)", "qpcr/pipeline.py", "read_wells"),
    ("  read the export (io.read_run)", "qpcr/io/registry.py", "read_run"),
    ("  load the layout (layout.load_layout)", "qpcr/layout.py", "load_layout"),
    ("  join + check the layout (layout_join)", "qpcr/layout_join.py", "join_layout"),
    ("QC (stages.quality)", "qpcr/stages/quality.py", "quality"),
    ("quantify (stages.quantify)", "qpcr/stages/quantify.py", "quantify"),
    ("compare (stages.comparisons.compare)", "qpcr/stages/comparisons.py", "compare"),
    ("  two-way ANOVA + contrasts (factorial)", "qpcr/factorial.py", "factorial_tables"),
    ("  group comparisons (groups.compare_groups)", "qpcr/groups.py", "compare_groups"),
    ("  group summary (groups.group_summary)", "qpcr/groups.py", "group_summary"),
    ("adjust (stages.comparisons.adjust)", "qpcr/stages/comparisons.py", "adjust"),
]


def _seconds(cumulative: dict[tuple[str, str], float], suffix: str, name: str) -> float:
    """Cumulative seconds of the functions ``name`` in files ending with ``suffix``."""
    return sum(t for (f, n), t in cumulative.items() if f.endswith(suffix) and n == name)


def main() -> None:
    """Profile the plates and print the shares."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plates", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        exports = write_plates(Path(folder), args.plates + 1)
        config = load_config(Path(folder) / "analysis.toml")
        layout = Path(folder) / "layout.csv"
        jobs = [_Job(Plate(p, p.stem), layout, config, (), (), None) for p in exports]
        _analyse(jobs[0])  # warm: first-use imports
        start = time.perf_counter()
        for job in jobs[1:]:
            _analyse(job)
        plain = (time.perf_counter() - start) / args.plates
        profile = cProfile.Profile()
        profile.enable()
        for job in jobs[1:]:
            _analyse(job)
        profile.disable()
    stats = pstats.Stats(profile)
    cumulative = {(f, name): row[3] for (f, _, name), row in stats.stats.items()}  # type: ignore[attr-defined]
    total = _seconds(cumulative, "qpcr/batch.py", "_analyse")
    print(f"one plate, unprofiled: {plain * 1000:.0f} ms; shares of the profiled time:")
    for label, suffix, name in STEPS:
        seconds = _seconds(cumulative, suffix, name)
        print(f"  {label:<52} {100 * seconds / total:5.1f} %")
    outputs = _seconds(cumulative, "qpcr/batch.py", "_tables")
    outputs -= _seconds(cumulative, "qpcr/pipeline.py", "analyze")
    print(f"  {'tables to CSV text (batch._tables without analyze)':<52} "
          f"{100 * outputs / total:5.1f} %")  # fmt: skip
    print()
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
