"""Benchmark of issue 14 (not a test): whole processes on the same generated plates, one run.

Times, as medians of ``--repeat`` turns in which the commands run one after another (A B A B
…), with each ratio the median of the turn-by-turn ratios (steadier than a ratio of medians
when the machine's speed drifts):

- ``python -c "import numpy, pandas"`` (the unit of the done-when ratios);
- ``qpcr --help``;
- one 384-well plate to tables in a fresh process (``--no-figures --no-workbook``);
- ``qpcr analyze`` of that plate with every output;
- ``qpcr batch`` over ``--plates`` plates, tables only, against the plain numpy + pandas ΔΔCq
  (``benchmarks/yardstick.py``) over the same plates;
- ``qpcr batch`` over 1, 10, 100 and ``--memory-plates`` plates once each: wall time and peak
  memory (sampled every 20 ms: the largest sum of the proportional set sizes of the batch and
  its workers, which counts the pages the forked workers share once, and the largest resident
  set of one process).

Plates: ``benchmarks/plates.py``. Usage: ``python benchmarks/bench_batch.py [--repeat N]
[--plates N] [--memory-plates N] [--jobs N]``; run from anywhere, the checkout is put on
``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from plates import write_plates  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


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


def run(command: list[str], cwd: Path, sample: bool = False) -> tuple[float, int, int]:
    """Wall seconds of a whole process and, with ``sample``, its tree's peak memory."""
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
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err.decode()}")
    return seconds, peak_sum, peak_one


def turns(commands: dict[str, list[str]], cwd: Path, repeat: int) -> dict[str, list[float]]:
    """Every command once per turn, ``repeat`` turns after one warm-up turn."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for turn in range(repeat + 1):
        for name, command in commands.items():
            seconds = run(command, cwd)[0]
            if turn:
                times[name].append(seconds)
    return times


def ratio(times: dict[str, list[float]], name: str, unit: str) -> float:
    """Median of the turn-by-turn ratios of ``name`` to ``unit``."""
    return statistics.median(a / b for a, b in zip(times[name], times[unit], strict=True))


def main() -> None:
    """Generate the plates, run every measurement and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-repeat", type=int, default=3)
    parser.add_argument("--plates", type=int, default=200)
    parser.add_argument("--memory-plates", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    py = sys.executable
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        exports = write_plates(tmp / "all", max(args.plates, args.memory_plates))
        layout, settings = tmp / "all" / "layout.csv", tmp / "all" / "analysis.toml"
        sets = {}
        counts = {1, 10, 100, args.plates, args.memory_plates}
        for count in sorted(c for c in counts if c <= len(exports)):
            sets[count] = tmp / f"p{count}"
            sets[count].mkdir()
            for path in exports[:count]:
                (sets[count] / path.name).symlink_to(path)
        one = [str(exports[0]), "--layout", str(layout), "--config", str(settings), "--force",
               "--quiet"]  # fmt: skip
        single = {
            "import numpy, pandas": [py, "-c", "import numpy, pandas"],
            "qpcr --help": [py, "-m", "qpcr", "--help"],
            "one plate, tables only": [py, "-m", "qpcr", "analyze", *one, "--out",
                                       str(tmp / "o1"), "--no-figures", "--no-workbook"],
            "one plate, every output": [py, "-m", "qpcr", "analyze", *one, "--out",
                                        str(tmp / "o2")],
        }  # fmt: skip
        many = sets[args.plates]
        batch = [py, "-m", "qpcr", "batch", str(many), "--layout", str(layout), "--config",
                 str(settings), "--force", "--quiet", *jobs]  # fmt: skip
        multi = {
            f"yardstick, {args.plates} plates": [py, str(ROOT / "benchmarks" / "yardstick.py"),
                                                 str(many), str(layout), str(tmp / "y.csv")],
            f"qpcr batch, {args.plates} plates": [*batch, "--out", str(tmp / "b")],
        }  # fmt: skip
        first = turns(single, tmp, args.repeat)
        second = turns(multi, tmp, args.batch_repeat)
        ours = pd.read_csv(tmp / "b" / "fold_changes.csv")
        theirs = pd.read_csv(tmp / "y.csv")
        keys = ["export", "target", "oxygen", "treatment"]
        both = ours.merge(theirs, on=keys)
        agree = int(((both["fold_change_x"] / both["fold_change_y"] - 1).abs() < 1e-9).sum())
        growth = []
        for count, folder_of in sets.items():
            command = [*batch[:4], str(folder_of), *batch[5:], "--out", str(tmp / f"g{count}")]
            growth.append((count, *run(command, tmp, sample=True)))
    _print(args, first, second, agree, len(both), growth)


def _print(args, first, second, agree, rows, growth) -> None:
    unit = "import numpy, pandas"
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs "
          f"({len(os.sched_getaffinity(0))} usable), Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"\n{'command':<32} {'median s':>9} {'× import':>9}")
    for name, times in first.items():
        print(f"{name:<32} {statistics.median(times):9.3f} {ratio(first, name, unit):9.2f}")
    names = list(second)
    print()
    for name in names:
        print(f"{name:<32} {statistics.median(second[name]):9.3f}")
    print(f"batch ÷ yardstick: {ratio(second, names[1], names[0]):.1f}×; fold changes equal "
          f"to 1e-9 in {agree} of {rows} rows (the others hold a well the tool's QC excluded "
          "or censored)")  # fmt: skip
    head = f"{'plates':>6} {'wall s':>8} {'s/plate':>8} {'peak MB (PSS, all)':>18}"
    print(f"\n{head} {'(largest RSS)':>14}")
    for count, seconds, peak_sum, peak_one in growth:
        print(f"{count:>6} {seconds:8.2f} {seconds / count:8.3f} {peak_sum / 1e6:18.0f} "
              f"{peak_one / 1e6:14.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
