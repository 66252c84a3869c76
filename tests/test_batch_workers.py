"""The worker processes of ``qpcr batch`` (:mod:`qpcr.batch_workers`) when the batch process
itself is killed: they end rather than wait for it forever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import qpcr

#: A batch process: 400 items in two forked workers, each result the pid of its worker.
_BATCH = """
import os, time
from qpcr.batch_workers import in_workers

def work(run):
    time.sleep(0.02 * len(run))
    return [os.getpid()] * len(run)

for pid in in_workers(work, range(400), 2, fork=True):
    print(pid, flush=True)
"""


def _running(pid: int) -> bool:
    """Whether the process ``pid`` exists and has not ended (a zombie has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked")
def test_the_workers_end_when_the_batch_process_is_killed() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(qpcr.__file__).parents[1])}
    batch = subprocess.Popen([sys.executable, "-c", _BATCH], stdout=subprocess.PIPE, env=env,
                             text=True)  # fmt: skip
    assert batch.stdout is not None
    workers: set[int] = set()
    while len(workers) < 2:  # both workers have sent results
        workers.add(int(batch.stdout.readline()))
    batch.kill()  # as the out-of-memory killer or a scheduler's time limit would
    batch.wait()
    batch.stdout.close()
    deadline = time.monotonic() + 20
    running = workers
    while running and time.monotonic() < deadline:
        time.sleep(0.1)
        running = {pid for pid in workers if _running(pid)}
    for pid in running:  # leave no stray process behind a failure
        os.kill(pid, signal.SIGKILL)
    assert running == set()
