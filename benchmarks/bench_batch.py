"""Benchmark of issue 14 (not a test): whole processes on the same generated plates, one run.

Times, as medians of ``--repeat`` turns in which the commands run one after another (A B A B
…), with each ratio the median of the turn-by-turn ratios (steadier than a ratio of medians
when the machine's speed drifts):

- ``python -c "import numpy, pandas"`` (the unit of the done-when ratios), and the same with
  one BLAS thread (as the command line runs: OpenBLAS's thread start-up is CPU the unit spends
  and ``qpcr`` does not);
- the floors: a process importing only the libraries a plate to tables needs (numpy, pandas,
  scipy.special, click), and those plus what every output needs (matplotlib, xlsxwriter);
- ``qpcr --help``;
- one 384-well plate to tables in a fresh process (``--no-figures --no-workbook``, and with
  ``--no-html`` too);
- ``qpcr analyze`` of that plate with every output;
- ``qpcr batch`` over ``--plates`` plates, tables only, against the plain numpy + pandas ΔΔCq
  (``benchmarks/yardstick.py``) over the same plates;
- ``qpcr batch`` over ``--growth`` plates (1, 10, 100, 1,000) once each: wall time and peak
  memory (sampled every 20 ms: the largest sum of the proportional set sizes of the batch and
  its workers, which counts the pages the forked workers share once, and the largest resident
  set of one process).

Plates: ``benchmarks/plates.py``. Wall and CPU seconds (user + system of the process and its
workers; steadier on a shared machine) are both shown.

Usage: ``python benchmarks/bench_batch.py [--repeat N] [--batch-repeat N] [--plates N]
[--growth 1,10,100,1000] [--jobs N] [--sections single,batch,growth]``; run from anywhere, the
checkout is put on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(1, str(ROOT))
from plates import write_plates  # noqa: E402

from qpcr.cli import BLAS_THREAD_VARIABLES  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
#: What a plate to tables must import at the least (the issue prescribes scipy.special for the
#: t and F distributions), and what every output adds: with one BLAS thread, as the CLI runs,
#: these "floor" processes show how much of a ratio the libraries alone take.
TABLE_LIBRARIES = "numpy, pandas, scipy.special, click"
OUTPUT_LIBRARIES = "matplotlib.figure, matplotlib.backends.backend_agg, xlsxwriter"


def _kib(path: str, key: str) -> int:
    text = Path(path).read_text()
    return next(int(line.split()[1]) for line in text.splitlines() if line.startswith(key))


def _tree_rss(pid: int) -> tuple[int, int]:
    """Memory (bytes) of ``pid`` and its descendants: the sum of their proportional set sizes
    (pages shared by the forked workers counted once) and the largest resident set."""
    sizes, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            sizes.append((_kib(f"/proc/{current}/smaps_rollup", "Pss:") * 1024,
                          _kib(f"/proc/{current}/status", "VmRSS:") * 1024))  # fmt: skip
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return sum(p for p, _ in sizes), max((r for _, r in sizes), default=0)


def run(command: list[str], cwd: Path, sample: bool = False) -> tuple[float, float, int, int]:
    """Wall and CPU seconds (user + system, the process and its workers) of a whole process
    and, with ``sample``, its tree's peak memory (PSS sum, largest RSS)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)  # fmt: skip
    peak_sum = peak_one = 0
    while sample and process.poll() is None:
        total, largest = _tree_rss(process.pid)
        peak_sum, peak_one = max(peak_sum, total), max(peak_one, largest)
        time.sleep(0.02)
    _, err = process.communicate()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err.decode()}")
    return seconds, cpu, peak_sum, peak_one


def turns(
    commands: dict[str, list[str]], cwd: Path, repeat: int, warmup: int
) -> dict[str, list[tuple[float, float]]]:
    """Every command once per turn: ``warmup`` turns not counted, then ``repeat`` turns; (wall,
    CPU) seconds."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for turn in range(warmup + repeat):
        for name, command in commands.items():
            wall, cpu, _, _ = run(command, cwd)
            if turn >= warmup:
                times[name].append((wall, cpu))
    return times


def show(times: dict[str, list[tuple[float, float]]], unit: str) -> None:
    """Medians and the medians of the turn-by-turn ratios to ``unit``, wall and CPU."""
    print(f"{'command':<34} {'wall s':>7} {'CPU s':>7} {'÷ ' + unit[:22]:>26}")
    for name, pairs in times.items():
        ratios = [
            statistics.median(a[k] / b[k] for a, b in zip(pairs, times[unit], strict=True))
            for k in (0, 1)
        ]
        walls, cpus = zip(*pairs, strict=True)
        print(f"{name:<34} {statistics.median(walls):7.2f} {statistics.median(cpus):7.2f} "
              f"{ratios[0]:12.2f} (wall) {ratios[1]:5.2f} (CPU)", flush=True)  # fmt: skip


def main() -> None:
    """Generate the plates, run every measurement and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-repeat", type=int, default=3)
    parser.add_argument("--plates", type=int, default=200)
    parser.add_argument("--growth", default="1,10,100,1000", help="plate counts, comma-separated")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--sections", default="single,batch,growth")
    args = parser.parse_args()
    sections = args.sections.split(",")
    growth = [int(n) for n in args.growth.split(",")] if "growth" in sections else []
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs "
          f"({len(os.sched_getaffinity(0))} usable), Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    # Bytecode for the checkout, as a pip install writes it for the package (numpy and pandas
    # have theirs): where PYTHONDONTWRITEBYTECODE is set, every run would compile qpcr anew.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "qpcr")], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        exports = write_plates(tmp / "all", max([args.plates, *growth]))
        layout, settings = tmp / "all" / "layout.csv", tmp / "all" / "analysis.toml"
        py = sys.executable
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        batch = [py, "-m", "qpcr", "batch", "--layout", str(layout), "--config", str(settings),
                 "--force", "--quiet", *jobs]  # fmt: skip
        if "single" in sections:
            one = [str(exports[0]), "--layout", str(layout), "--config", str(settings),
                   "--force", "--quiet"]  # fmt: skip
            one_thread = ["env", *(f"{v}=1" for v in BLAS_THREAD_VARIABLES), py, "-c"]
            show(turns({
                "import numpy, pandas": [py, "-c", "import numpy, pandas"],
                "the same, one BLAS thread": [*one_thread, "import numpy, pandas"],
                "floor: the tables' libraries": [*one_thread, f"import {TABLE_LIBRARIES}"],
                "floor: every output's libraries": [
                    *one_thread, f"import {TABLE_LIBRARIES}, {OUTPUT_LIBRARIES}"],
                "qpcr --help": [py, "-m", "qpcr", "--help"],
                "one plate, tables only": [py, "-m", "qpcr", "analyze", *one, "--out",
                                           str(tmp / "o1"), "--no-figures", "--no-workbook"],
                "one plate, tables only, no report.html": [
                    py, "-m", "qpcr", "analyze", *one, "--out", str(tmp / "o3"), "--no-figures",
                    "--no-workbook", "--no-html"],
                "one plate, every output": [py, "-m", "qpcr", "analyze", *one, "--out",
                                            str(tmp / "o2")],
            }, tmp, args.repeat, warmup=1), "import numpy, pandas")  # fmt: skip
        if "batch" in sections:
            many = _subset(tmp, exports, args.plates)
            yardstick = f"yardstick, {args.plates} plates"
            show(turns({
                yardstick: [py, str(ROOT / "benchmarks" / "yardstick.py"), str(many),
                            str(layout), str(tmp / "y.csv")],
                f"qpcr batch, {args.plates} plates": [*batch, str(many), "--out", str(tmp / "b")],
            }, tmp, args.batch_repeat, warmup=0), yardstick)  # fmt: skip
            _agreement(tmp / "b" / "fold_changes.csv", tmp / "y.csv")
        if growth:
            head = f"{'plates':>6} {'wall s':>8} {'CPU s':>8} {'CPU s/plate':>11}"
            print(f"\n{head} {'peak MB (PSS, all)':>18} {'(largest RSS)':>14}", flush=True)
        for count in growth:
            command = [*batch, str(_subset(tmp, exports, count)), "--out", str(tmp / f"g{count}")]
            wall, cpu, peak_sum, peak_one = run(command, tmp, sample=True)
            print(f"{count:>6} {wall:8.2f} {cpu:8.2f} {cpu / count:11.3f} "
                  f"{peak_sum / 1e6:18.0f} {peak_one / 1e6:14.0f}", flush=True)  # fmt: skip


def _subset(tmp: Path, exports: list[Path], count: int) -> Path:
    """A folder holding the first ``count`` plates (links)."""
    folder = tmp / f"p{count}"
    if not folder.is_dir():
        folder.mkdir()
        for path in exports[:count]:
            (folder / path.name).symlink_to(path)
    return folder


def _agreement(ours_csv: Path, theirs_csv: Path) -> None:
    """How many fold changes the yardstick and qpcr share to 1e-9."""
    ours, theirs = pd.read_csv(ours_csv), pd.read_csv(theirs_csv)
    both = ours.merge(theirs, on=["export", "target", "oxygen", "treatment"])
    agree = int(((both["fold_change_x"] / both["fold_change_y"] - 1).abs() < 1e-9).sum())
    print(f"fold changes equal to 1e-9 in {agree} of {len(both)} rows (the others hold a well "
          "the tool's QC excluded or censored)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
