"""Benchmark the cost of a table against the cost of ``import numpy, pandas`` (not a test).

Each command runs as a whole process, in turn with the yardstick ``python -c "import numpy,
pandas"``, ``--repeat`` times; printed: the median wall and CPU seconds of each and the median of
the pair-by-pair ratios (pairing keeps a ratio meaningful on a machine whose speed drifts), then
the heavy modules each command leaves imported.

- ``import qpcr.pipeline``;
- ``qpcr.analyze`` of the bundled example, tables only (no files written);
- the README's first command, ``qpcr analyze`` of the example with every output.

Usage: ``python benchmarks/bench_imports.py [--repeat N]``; compare two checkouts by running it
with ``PYTHONPATH`` set to each.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"
HEAVY = ("statsmodels", "scipy.stats", "scipy.special", "matplotlib", "openpyxl", "xlsxwriter")
TABLES = (
    "import qpcr\nfrom qpcr.config import load_config\n"
    f"ex = {str(EXAMPLE)!r}\n"
    "qpcr.analyze([ex + '/quantstudio_384_results.txt'], ex + '/quantstudio_384_layout.csv',"
    " load_config(ex + '/analysis.toml'))\n"
)


def _run(args: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _heavy(code: str) -> list[str]:
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Time every command against the yardstick and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    yardstick = [sys.executable, "-c", "import numpy, pandas"]
    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "qpcr", "analyze",
               str(EXAMPLE / "quantstudio_384_results.txt"),
               "--layout", str(EXAMPLE / "quantstudio_384_layout.csv"),
               "--config", str(EXAMPLE / "analysis.toml"), "--out", tmp, "--force"]  # fmt: skip
        commands = {  # name: (command, its code for the import probe)
            "import qpcr.pipeline": (
                [sys.executable, "-c", "import qpcr.pipeline"],
                "import qpcr.pipeline",
            ),
            "analyze(), tables only": ([sys.executable, "-c", TABLES], TABLES),
            "qpcr analyze, every output": (cli, None),
        }
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, PYTHONPATH="
              f"{os.environ.get('PYTHONPATH', '')}")  # fmt: skip
        print(
            f"{'command':<28} {'wall s':>7} {'cpu s':>6} {'wall ×':>7} {'cpu ×':>6}  heavy imports"
        )
        for name, (command, code) in commands.items():
            _run(command), _run(yardstick)  # warm-up
            pairs = [(_run(command), _run(yardstick)) for _ in range(args.repeat)]
            wall = statistics.median(a[0] for a, _ in pairs)
            cpu = statistics.median(a[1] for a, _ in pairs)
            wall_x = statistics.median(a[0] / b[0] for a, b in pairs)
            cpu_x = statistics.median(a[1] / b[1] for a, b in pairs)
            heavy = _heavy(code) if code else "-"
            print(f"{name:<28} {wall:7.3f} {cpu:6.3f} {wall_x:7.2f} {cpu_x:6.2f}  {heavy}")
        base = [_run(yardstick) for _ in range(args.repeat)]
        print(f"{'import numpy, pandas':<28} {statistics.median(w for w, _ in base):7.3f} "
              f"{statistics.median(c for _, c in base):6.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
