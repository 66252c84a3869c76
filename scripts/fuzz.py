"""Mutation fuzz of the readers for as long as one asks.

Usage: ``python scripts/fuzz.py --seconds 600 --seed 1 [--jobs 1] [--save]``

Runs the seeded mutations of ``tests/mutations.py`` over every real export in ``tests/data``,
case after case, each in a forked child with a time limit (``--timeout``, 10 s) and an address
space limit (``--memory``, 1 GB, ``RLIMIT_AS``). The child reads the mutated file with
``qpcr.io.read_run`` and as a plate layout with ``qpcr.layout.load_layout``. Each case ends as

* ``ok``: read;
* ``input-error``: refused with a ``qpcr.errors.InputError`` (the wanted failure);
* ``foreign``: any other exception (a bug: a traceback for the user);
* ``abort``: the child died (a signal: SIGABRT from a failed allocation, SIGSEGV);
* ``hang``: still running at the time limit (killed).

``slow`` counts the cases of the first two kinds that took more than ``--slow`` seconds.
The counts are printed at the end (and every ``--every`` cases); every foreign, abort, hang and
slow case is listed with its label (``seed:index source mutators``: ``make_case`` rebuilds it),
and with ``--save`` written to ``tests/data/fuzz/`` with a licence row in its PROVENANCE.md,
where ``tests/test_fuzz_mutations.py`` replays it.

Run from the checkout; the package is imported from the checkout (``PYTHONPATH``), not installed
again.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import resource
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from mutations import DATA, Case, corpus, make_case  # noqa: E402

from qpcr.errors import InputError  # noqa: E402
from qpcr.io import read_run  # noqa: E402
from qpcr.io.registry import formats  # noqa: E402
from qpcr.layout import load_layout  # noqa: E402

FIXTURES = DATA / "fuzz"
LICENSES = DATA / "LICENSES.md"
PROJECT_LICENCE = "MIT (project)"
KINDS = ("ok", "input-error", "foreign", "abort", "hang")


def run_case(path: Path) -> tuple[str, str]:
    """Read ``path`` as an export, then as a layout: (kind, detail).

    The kind is ``foreign`` when either read raised something other than an ``InputError``,
    else the export read's outcome (a layout read of an export is expected to fail).
    """
    outcomes = []
    for read in (read_run, load_layout):
        try:
            read(path)
            outcomes.append(("ok", ""))
        except InputError as exc:
            outcomes.append(("input-error", str(exc)[:200]))
        except BaseException as exc:
            last = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(last.filename).name}:{last.lineno}"
            return "foreign", f"{read.__name__}: {type(exc).__name__} at {where}: {exc}"[:300]
    return outcomes[0]


def _child(case: Case, folder: Path, memory: int, write: int) -> None:
    """In the forked child: limit memory, read the case, report over the pipe, exit."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    quiet = os.open(os.devnull, os.O_WRONLY)  # Rust panics print their backtrace to stderr
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    warnings.simplefilter("ignore")
    path = folder / f"{case.index}-{Path(case.source).name}"
    path.write_bytes(case.data)
    kind, detail = run_case(path)
    os.write(write, pickle.dumps((kind, detail)))
    os._exit(0)


class Running:
    """One forked child working on one case."""

    def __init__(self, case: Case, folder: Path, memory: int) -> None:
        self.case = case
        self.start = time.monotonic()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                _child(case, folder, memory, write)
            finally:
                os._exit(70)
        os.close(write)
        self.pid, self.read = pid, read
        os.set_blocking(read, False)
        self.chunks: list[bytes] = []

    def poll(self, timeout: float) -> tuple[str, str, float] | None:
        """(kind, detail, seconds) once the child ended or overran ``timeout``; else None."""
        self._drain()
        seconds = time.monotonic() - self.start
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            if seconds <= timeout:
                return None
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            os.close(self.read)
            return "hang", f"killed after {timeout:.0f} s", seconds
        self._drain()
        os.close(self.read)
        if os.WIFSIGNALED(status):
            return "abort", f"signal {signal.Signals(os.WTERMSIG(status)).name}", seconds
        try:
            kind, detail = pickle.loads(b"".join(self.chunks))
        except (pickle.UnpicklingError, EOFError):
            return "abort", f"exit {os.WEXITSTATUS(status)} without a report", seconds
        return kind, detail, seconds

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.read, 65536)
            except BlockingIOError:
                return
            if not chunk:
                return
            self.chunks.append(chunk)


def save(case: Case, kind: str, detail: str) -> Path:
    """Write ``case`` to tests/data/fuzz with its licence row (once per content).

    The file keeps the licence of the fixture it was derived from: the row in
    tests/data/fuzz/PROVENANCE.md, and for a third-party licence a row in tests/data/LICENSES.md
    too (``tests/test_fixture_licences.py`` checks both).
    """
    FIXTURES.mkdir(exist_ok=True)
    digest = hashlib.sha256(case.data).hexdigest()[:12]
    name = f"{kind}_{digest}_{Path(case.source).name}"
    target = FIXTURES / name
    if target.exists():
        return target
    target.write_bytes(case.data)
    provenance = FIXTURES / "PROVENANCE.md"
    if not provenance.exists():
        provenance.write_text(
            "# Fuzz regression fixtures\n\n"
            "Mutated copies of the fixtures in `tests/data`, kept by `scripts/fuzz.py --save` "
            "because they once crashed, aborted, hung or were slow; each keeps the licence of "
            "the file it was derived from. `tests/test_fuzz_mutations.py` replays every file "
            "here.\n\n| File | Licence | Derived from |\n|---|---|---|\n"
        )
    licence = _licence_of(case.source)
    note = detail.replace("|", "/").replace("`", "'")[:120]
    _add_row(
        provenance,
        f"| `{name}` | {licence} | `{case.source}` mutated by {'+'.join(case.steps)} "
        f"(case {case.seed}:{case.index}; {kind}: {note}) |",
    )
    if not licence.startswith(PROJECT_LICENCE):
        _add_row(
            LICENSES,
            f"| `fuzz/{name}` | {licence.split()[0]} | derived from `{case.source}` "
            "| `fuzz/PROVENANCE.md` |",
        )
    return target


def _add_row(path: Path, row: str) -> None:
    """Insert a table row after the last table row of a Markdown file."""
    lines = path.read_text("utf-8").splitlines()
    last = max(i for i, line in enumerate(lines) if line.startswith("|"))
    lines.insert(last + 1, row)
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _licence_of(source: str) -> str:
    """The licence cell of ``source``'s row in its folder's PROVENANCE.md."""
    path = DATA / source
    for line in (path.parent / "PROVENANCE.md").read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and f"`{path.name}`" in cells[0]:
            header = _header_of(path.parent / "PROVENANCE.md", line)
            return cells[header.index("licence")]
    raise SystemExit(f"no licence row for {source} in its PROVENANCE.md")


def _header_of(path: Path, row: str) -> list[str]:
    """The lower-case header cells of the Markdown table holding ``row``."""
    header: list[str] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.startswith("|"):
            header = []
        elif not header:
            header = [c.strip().lower() for c in line.strip().strip("|").split("|")]
        if line == row:
            return header
    return header


def main(argv: list[str] | None = None) -> int:
    """Run the fuzz; exit 1 when any case was foreign, abort or hang."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed")
    parser.add_argument("--jobs", type=int, default=1, help="children at once")
    parser.add_argument("--start", type=int, default=0, help="first case index")
    parser.add_argument("--cases", type=int, default=0, help="stop after this many (0: time)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per case")
    parser.add_argument("--memory", type=float, default=1.0, help="GB of address space per case")
    parser.add_argument("--slow", type=float, default=2.0, help="seconds that count as slow")
    parser.add_argument("--every", type=int, default=1000, help="print counts every N cases")
    parser.add_argument("--save", action="store_true", help="keep failing inputs as fixtures")
    args = parser.parse_args(argv)

    formats()  # import the readers once, before forking
    began = time.monotonic()
    counts, slow = _run(args, corpus(), began)
    _print_counts(counts, slow, time.monotonic() - began, final=True, seed=args.seed)
    return 1 if counts["foreign"] or counts["abort"] or counts["hang"] else 0


def _run(
    args: argparse.Namespace, files: dict[str, bytes], began: float
) -> tuple[Counter[str], int]:
    """Run cases until the time or the case count is used up: (counts by kind, slow count)."""
    counts: Counter[str] = Counter()
    slow = 0
    running: list[Running] = []
    index, deadline = args.start, began + args.seconds
    memory = int(args.memory * 1024**3)

    def more() -> bool:
        return time.monotonic() < deadline and (not args.cases or index < args.start + args.cases)

    with tempfile.TemporaryDirectory(prefix="qpcr-fuzz-") as tmp:
        while running or more():
            while len(running) < args.jobs and more():
                running.append(Running(make_case(files, args.seed, index), Path(tmp), memory))
                index += 1
            time.sleep(0.002)
            for child in list(running):
                outcome = child.poll(args.timeout)
                if outcome is None:
                    continue
                running.remove(child)
                kind, detail, seconds = outcome
                counts[kind] += 1
                is_slow = kind in ("ok", "input-error") and seconds > args.slow
                slow += is_slow
                if kind not in ("ok", "input-error") or is_slow:
                    label = f"slow {seconds:.1f} s" if is_slow else kind
                    print(f"{label}: {child.case.label}: {detail}", flush=True)
                    if args.save:
                        save(child.case, "slow" if is_slow else kind, detail)
                if args.every and sum(counts.values()) % args.every == 0:
                    _print_counts(counts, slow, time.monotonic() - began)
    return counts, slow


def _print_counts(
    counts: Counter[str], slow: int, seconds: float, final: bool = False, seed: int = 0
) -> None:
    total = sum(counts.values())
    parts = ", ".join(f"{kind} {counts[kind]}" for kind in KINDS)
    head = f"seed {seed}: " if final else ""
    print(f"{head}{total} cases in {seconds:.0f} s: {parts}, slow {slow}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
