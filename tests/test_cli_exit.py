"""The program ends without the interpreter's teardown once the command is done (the atexit
handlers run and the streams are flushed first), and exits the usual way when a profiler is
attached, or when another program runs qpcr or calls ``main``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

#: A program that registers an atexit handler and holds an object whose finaliser runs only
#: in the interpreter's teardown, then runs ``qpcr ARGS``: as ``python -m qpcr`` does (the
#: module run as ``__main__``), or in another program's ``__main__``.
PROGRAM = """
import atexit, os, runpy, sys
class Held:
    def __del__(self, write=os.write):
        write(1, b"torn down\\n")
held = Held()
atexit.register(print, "atexit ran")
{setup}
sys.argv = ["qpcr", *{args!r}]
{run}
"""
AS_MAIN = "runpy.run_module('qpcr', run_name='__main__', alter_sys=True)"


def _run(args: list[str], setup: str = "", run: str = AS_MAIN) -> subprocess.CompletedProcess[str]:
    code = PROGRAM.format(setup=setup, args=args, run=run)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip


def test_the_program_skips_the_teardown_after_atexit_and_flushing() -> None:
    done = _run(["--version"])
    assert done.returncode == 0, done.stderr
    assert done.stdout == "qpcr 0.1.0\natexit ran\n"


def test_a_usage_error_still_exits_1_with_its_message() -> None:
    done = _run(["analyze", "--bogus"])
    assert done.returncode == 1
    assert "No such option '--bogus'" in done.stderr
    assert done.stdout == "atexit ran\n"


@pytest.mark.parametrize(
    ("setup", "run"),
    [
        ("sys.setprofile(lambda *a: None)", AS_MAIN),
        ("", "runpy.run_module('qpcr', run_name='__main__')"),
        ("", "from qpcr.cli import main\nmain()"),
        ("", "from qpcr.cli import main\nmain(sys.argv[1:])"),
    ],
    ids=["profiler attached", "run by another program", "main()", "main(arguments)"],
)
def test_otherwise_the_usual_exit(setup: str, run: str) -> None:
    done = _run(["--version"], setup, run)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("qpcr 0.1.0\n")
    assert "atexit ran\n" in done.stdout
    assert "torn down\n" in done.stdout
