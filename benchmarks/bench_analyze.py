"""Benchmark ``qpcr analyze`` (not a test): prints median wall times.

- ``qpcr --help`` start-up (subprocess);
- the full CLI on the example, 96 and 384 wells (subprocess, figures and workbook included);
- ``qpcr.pipeline.analyze`` in one process on the example and on 100 generated 384-well plates
  (each plate a different seed), with and without writing the report.

Usage: ``python benchmarks/bench_analyze.py [--repeat N] [--plates N]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "hypoxia_tocilizumab"


def _median_time(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "qpcr", *args], check=True, capture_output=True)


def _generator():
    spec = importlib.util.spec_from_file_location("generate", EXAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    """Run every measurement and print a table of medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--plates", type=int, default=100)
    args = parser.parse_args()

    from qpcr.config import load_config
    from qpcr.pipeline import analyze
    from qpcr.report import write_report

    config = load_config(EXAMPLE / "analysis.toml")
    rows = [("qpcr --help", _median_time(lambda: _cli("--help"), args.repeat))]
    with tempfile.TemporaryDirectory() as tmp:
        for size, settings in ((96, "analysis_96.toml"), (384, "analysis.toml")):
            cli_args = [str(EXAMPLE / f"quantstudio_{size}_results.txt"),
                        "--layout", str(EXAMPLE / f"quantstudio_{size}_layout.csv"),
                        "--config", str(EXAMPLE / settings),
                        "--out", f"{tmp}/cli{size}", "--force", "--quiet"]  # fmt: skip
            seconds = _median_time(lambda a=cli_args: _cli("analyze", *a), args.repeat)
            rows.append((f"CLI analyze, {size} wells (incl. figures, xlsx)", seconds))
        export = EXAMPLE / "quantstudio_384_results.txt"
        layout = EXAMPLE / "quantstudio_384_layout.csv"
        rows.append(("analyze() in process, 384 wells",
                     _median_time(lambda: analyze([export], layout=layout, config=config),
                                  args.repeat)))  # fmt: skip
        gen = _generator()
        plates = []
        for seed in range(args.plates):
            path = Path(tmp) / f"plate{seed}.txt"
            path.write_text(gen.export_text(gen.simulate(gen.wells_384(), seed), 384))
            plates.append(path)
        per_plate = []
        start = time.perf_counter()
        for path in plates:
            t0 = time.perf_counter()
            analyze([path], layout=layout, config=config)
            per_plate.append(time.perf_counter() - t0)
        total = time.perf_counter() - start
        rows.append((f"analyze() on {args.plates} plates of 384 wells: median per plate",
                     statistics.median(per_plate)))  # fmt: skip
        rows.append((f"analyze() on {args.plates} plates of 384 wells: total", total))
        per_report = []
        for i, path in enumerate(plates[:10]):
            results = analyze([path], layout=layout, config=config)
            t0 = time.perf_counter()
            write_report(results, Path(tmp) / f"report{i}", force=True)
            per_report.append(time.perf_counter() - t0)
        rows.append(("write_report() per plate (CSV, figures, xlsx), median of 10",
                     statistics.median(per_report)))  # fmt: skip
    width = max(len(name) for name, _ in rows)
    print(f"{'measurement':<{width}}  median (s)")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:8.3f}")


if __name__ == "__main__":
    main()
