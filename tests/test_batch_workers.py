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


#: A batch whose second run's outcome (items 8–15) is far more than a pipe holds: its worker is
#: killed while it sends it, as the out-of-memory killer may, while the batch process does not
#: read (its caller is busy with the first run's items).
_HALF_SENT = """
import os, signal, threading, time
from qpcr.batch_workers import in_workers
from qpcr.errors import QpcrError

def work(run):
    if 8 in run:
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGKILL)).start()
        return [b"x" * (64 << 20)] * len(run)
    return list(run)

try:
    for item in in_workers(work, range(40), 2, fork=True):
        if item == 0:
            time.sleep(1.0)
except QpcrError as exc:
    print(exc)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked")
def test_a_worker_killed_half_way_through_sending_stops_the_batch() -> None:
    # With one pipe of outcomes shared by the workers, the batch process waited forever for
    # the rest of the message (the other worker still held the pipe open)
    env = {**os.environ, "PYTHONPATH": str(Path(qpcr.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", _HALF_SENT], capture_output=True, text=True,
                          env=env, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "a worker process ended before its plates were done (killed by SIGKILL)" in done.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked")
def test_what_the_caller_froze_stays_frozen() -> None:
    import gc

    from qpcr.batch_workers import in_workers

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert list(in_workers(lambda run: [n + 1 for n in run], range(6), 2, fork=True)) == [
            1, 2, 3, 4, 5, 6,
        ]  # fmt: skip
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
    assert list(in_workers(lambda run: list(run), range(3), 2, fork=True)) == [0, 1, 2]
    assert gc.get_freeze_count() == 0  # what it froze itself, it thawed
