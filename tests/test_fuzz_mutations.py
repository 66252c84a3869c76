"""Mutation fuzz over every real export in ``tests/data`` (``tests/mutations.py``): bit flips,
truncation, duplicated and shuffled lines, swapped separators, zip members corrupted or
inflated. Each case ends in a read or an ``InputError``; the CLI prints no traceback for them;
the inputs ``scripts/fuzz.py --save`` kept are replayed.

The case count is fixed (about a minute on one core); ``scripts/fuzz.py`` runs the same
mutations for as long as one asks.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from mutations import DATA, Case, corpus, make_case

from qpcr.errors import InputError
from qpcr.io import read_run
from qpcr.layout import load_layout
from qpcr.schema import check_wells

SEED = 20261205
CASES = 2000
#: Seconds one case may take here: generous for a loaded CI machine (a case takes well under
#: one), short of what the quadratic tidy reader took on a wide header (65 s).
CASE_SECONDS = 30.0
FUZZ_FIXTURES = DATA / "fuzz"
FILES = corpus()
#: Fixtures the fuzz cannot expect to finish in bounded memory in-process: legacy .xls is
#: parsed by python-calamine, whose failed allocations abort the process (the input budget
#: runs it in a child process); they are fuzzed by scripts/fuzz.py, in children.
IN_PROCESS = {name: data for name, data in FILES.items() if not name.endswith(".xls")}


def _outcome(folder: Path, name: str, data: bytes) -> str:
    """Read ``data`` as an export and as a layout: 'ok' or 'input-error' (anything else
    raises)."""
    path = folder / Path(name).name
    path.write_bytes(data)
    outcome = "ok"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            export = read_run(path)
            assert check_wells(export.wells) == []
        except InputError:
            outcome = "input-error"
        with contextlib.suppress(InputError):
            load_layout(path)
    return outcome


def _cases(start: int, count: int) -> list[Case]:
    return [make_case(IN_PROCESS, SEED, index) for index in range(start, start + count)]


def test_corpus_covers_every_export_folder() -> None:
    folders = {Path(name).parts[1] for name in FILES if name.startswith("exports/")}
    assert folders == {p.name for p in (DATA / "exports").iterdir() if p.is_dir()}


def test_cases_are_reproducible_from_seed_and_index() -> None:
    a, b = make_case(FILES, SEED, 7), make_case(FILES, SEED, 7)
    assert (a.source, a.steps, a.data) == (b.source, b.steps, b.data)
    assert make_case(FILES, SEED, 8).data != a.data


@pytest.mark.parametrize("block", range(4))
def test_mutated_exports_end_in_a_read_or_an_input_error(tmp_path: Path, block: int) -> None:
    """CASES cases in 4 blocks; each reads or raises InputError, within CASE_SECONDS."""
    count = CASES // 4
    outcomes = []
    for case in _cases(block * count, count):
        began = time.perf_counter()
        try:
            outcomes.append(_outcome(tmp_path, case.source, case.data))
        except BaseException as exc:
            raise AssertionError(f"case {case.label}: {type(exc).__name__}: {exc}") from exc
        seconds = time.perf_counter() - began
        assert seconds < CASE_SECONDS, f"case {case.label} took {seconds:.1f} s"
    # the mutations keep some files readable and break others: both paths are exercised
    assert 0 < outcomes.count("ok") < count


FAILING = [
    case
    for case in _cases(0, 200)
    if case.source.endswith((".txt", ".csv", ".rdml", ".xlsx")) and len(case.data) < 60_000
][:40]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, "-m", "qpcr", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )


def test_cli_prints_no_traceback_for_broken_exports(tmp_path: Path) -> None:
    """``qpcr inspect`` and ``qpcr analyze`` on mutated exports that fail: one message, exit 1."""
    failing = []
    for case in FAILING:
        if _outcome(tmp_path, case.source, case.data) == "input-error":
            failing.append(case)
    assert len(failing) >= 3
    for k, case in enumerate(failing[:3]):
        path = tmp_path / f"case{k}-{Path(case.source).name}"
        path.write_bytes(case.data)
        for args in (("inspect", str(path)), ("analyze", str(path), "-o", str(tmp_path / "o"))):
            result = _cli(*args)
            assert result.returncode == 1, (case.label, args[0], result.stderr)
            assert "Traceback" not in result.stdout + result.stderr, (case.label, result.stderr)
            assert str(path.name) in result.stdout + result.stderr


def _saved() -> list[Path]:
    if not FUZZ_FIXTURES.is_dir():
        return []
    return sorted(p for p in FUZZ_FIXTURES.iterdir() if p.is_file() and p.suffix != ".md")


@pytest.mark.parametrize("path", _saved(), ids=lambda p: p.name)
def test_saved_fuzz_findings_end_in_a_read_or_an_input_error(tmp_path: Path, path: Path) -> None:
    """Every input a long fuzz run kept (tests/data/fuzz) now reads or raises InputError."""
    began = time.perf_counter()
    assert _outcome(tmp_path, path.name, path.read_bytes()) in ("ok", "input-error")
    assert time.perf_counter() - began < CASE_SECONDS
