"""The worker processes of a ``qpcr batch`` (:func:`qpcr.batch.run_batch`): the plates handed
out in runs to a few processes, the outcomes gathered in the plates' order.

Each worker holds a run at work and one waiting; the next run goes to the worker that has just
sent the outcomes of one, so the workers finish together whatever each plate costs. Runs go out
and outcomes come back on pipes of each worker's own, which the batch process reads itself.
(``multiprocessing.Pool`` did the same with three threads in the batch process; one of them,
which looks after the workers, woke whenever a result was waiting to be read: about 4,000 times
and 45 ms CPU for 200 plates, taken from the workers on a machine with as many cores as
workers.)
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from .errors import QpcrError

__all__ = ["in_workers", "runs"]

T = TypeVar("T")
R = TypeVar("R")

#: The most items a worker takes at once (:func:`runs`).
RUN = 8


def runs(todo: Sequence[T], jobs: int) -> Iterator[tuple[T, ...]]:
    """``todo`` in runs of consecutive items for ``jobs`` workers: each exchange costs the
    batch process a read, a write and a wake-up, so a worker takes up to :data:`RUN` plates
    at once, fewer as the plates run out (half of what is left per worker) so that the
    workers finish together.

    Parameters
    ----------
    todo
        The items (plates), in order.
    jobs
        The number of workers.

    Yields
    ------
    tuple
        The next run of items.

    Examples
    --------
    >>> [len(run) for run in runs(list(range(40)), 2)]
    [8, 8, 6, 4, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1]
    >>> [len(run) for run in runs(list(range(100)), 2)][:6]
    [8, 8, 8, 8, 8, 8]
    """
    start = 0
    while start < len(todo):
        size = max(1, min(RUN, (len(todo) - start) // (2 * jobs)))
        yield tuple(todo[start : start + size])
        start += size


def in_workers(
    work: Callable[[tuple[T, ...]], list[R]],
    todo: Sequence[T],
    jobs: int,
    fork: bool,
) -> Iterator[R]:
    """``work`` over ``todo`` in ``jobs`` worker processes (:func:`runs`), the results in the
    order of ``todo``.

    Parameters
    ----------
    work
        The results of a run of items, in order; a module-level function unless ``fork``.
    todo
        The items.
    jobs
        The number of worker processes (at least 2).
    fork
        Fork the workers from this process (they inherit its imports and caches; what exists
        is frozen for them, :func:`gc.freeze`, and thawed at the end unless the caller had
        frozen objects already); otherwise start fresh interpreters.

    Yields
    ------
    object
        Each item's result.

    Raises
    ------
    QpcrError
        A worker ended before its work was done (out of memory, or killed): not a bug of
        qpcr's but the machine's limits (no traceback; the message says how it ended).

    Examples
    --------
    >>> list(in_workers(lambda run: [n * n for n in run], range(10), 2, fork=True))
    [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]
    """
    import multiprocessing
    from multiprocessing.connection import wait

    context: Any = multiprocessing.get_context("fork" if fork else "spawn")
    room = max(min(PIPE_ROOM, PIPE_BUDGET // jobs), 1 << 16)
    # Each worker has a pipe of runs and a pipe of outcomes of its own, each end held by one
    # side only (a forked worker closes its copies of this process's ends, this process its
    # copies of the worker's): the workers end when this process is killed (their reads find
    # no writer, their writes no reader), and a worker that dies, even half-way through
    # sending, ends its pipe of outcomes here, where nothing else waits for it.
    workers: list[Any] = []
    inboxes: list[Any] = []  # this process's ends: runs go out on these …
    outboxes: list[Any] = []  # … and outcomes come back on these
    thaw = fork and not gc.get_freeze_count()  # what the caller froze, it thaws
    if fork:
        # frozen, the objects the workers inherit stay out of their collections (which would
        # walk them, and copy the pages they touch)
        gc.freeze()
    try:
        for _ in range(jobs):
            tasks, inbox = context.Pipe(duplex=False)  # (reader, writer)
            outbox, results = context.Pipe(duplex=False)
            _widen(outbox, room)
            inboxes.append(inbox)
            outboxes.append(outbox)
            theirs = (*inboxes, *outboxes) if fork else ()
            workers.append(context.Process(target=_work, args=(work, tasks, results, theirs),
                                           daemon=True))  # fmt: skip
            workers[-1].start()
            tasks.close()
            results.close()
        pending = enumerate(runs(todo, jobs))
        out: dict[int, list[R]] = {}
        sent = done = 0

        def hand(worker: int) -> None:
            """The next run, if any, to ``worker``."""
            nonlocal sent
            for task in pending:
                inboxes[worker].send(task)
                sent += 1
                return

        try:
            for worker in [*range(jobs), *range(jobs)]:  # a run at work and one waiting, each
                hand(worker)
            while done < sent:
                ready = wait([*outboxes, *(w.sentinel for w in workers)])
                worker = next((i for i, box in enumerate(outboxes) if box in ready), -1)
                if worker < 0:  # a worker's sentinel alone
                    raise EOFError
                index, outcomes = outboxes[worker].recv()
                out[index] = outcomes
                hand(worker)
                while done in out:
                    yield from out.pop(done)
                    done += 1
        except (EOFError, OSError):  # a worker's pipes ended with it (OSError: half-way
            # through an outcome, or a run handed to it)
            raise QpcrError(
                f"a worker process ended before its plates were done ({_ended(workers)}); "
                "expected every plate's outcome",
                where="batch",
                hint="The machine may have run out of memory: run again with fewer --jobs; "
                "if it happens again, report it",
            ) from None
        for inbox in inboxes:
            with contextlib.suppress(OSError):  # a worker that ended after its last outcome
                inbox.send(None)
        for worker_process in workers:
            worker_process.join()
    finally:
        for worker_process in workers:
            if worker_process.exitcode is None:
                worker_process.terminate()
                worker_process.join()
        for end in (*inboxes, *outboxes):
            end.close()
        if thaw:
            gc.unfreeze()


def _ended(workers: Sequence[Any]) -> str:
    """How the first worker of ``workers`` that has ended ended: ``killed by SIGKILL`` (the
    kernel's out-of-memory killer sends it), ``exit code 3``; ``ended`` when none is known.
    (A process's sentinel is ready a moment before its exit code: each is waited for.)"""
    import signal
    from multiprocessing.connection import wait

    for worker in workers:
        if wait([worker.sentinel], timeout=0):
            worker.join(timeout=5)
        code = worker.exitcode
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        if code is not None:
            return f"exit code {code}"
    return "ended"


#: The room asked for in a pipe of outcomes (a run of 8 plates' tables is about 460 KB; Linux
#: gives a pipe 64 KB and lets a process widen it to 1 MB): a worker that finishes a run while
#: the batch process writes the last one's rows need not wait for it to read.
PIPE_ROOM = 1 << 20
#: The room of all the workers' pipes together: a user's pipes share a limit (64 MB on Linux,
#: beyond which new pipes get one page), so many workers get less each (at least 64 KB).
PIPE_BUDGET = 4 << 20


def _widen(pipe: Any, room: int = PIPE_ROOM) -> None:
    """Give ``pipe`` (a connection on a pipe) ``room`` bytes where the system allows."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, room)
    except (ImportError, AttributeError, OSError):  # not Linux, or a lower limit: as it is
        pass


def _work(work: Callable[[Any], Any], tasks: Any, results: Any, theirs: tuple[Any, ...]) -> None:
    """A worker: runs from ``tasks`` until None, each run's results sent on ``results`` with
    the run's number; ``theirs``, the batch process's ends of the pipes (a forked worker's
    copies), closed first. The collector's automatic passes are off (the work collects where
    it leaves garbage, :func:`qpcr.batch._analyse_all`).
    """
    for end in theirs:
        end.close()
    gc.disable()
    try:
        while (task := tasks.recv()) is not None:
            index, run = task
            results.send((index, work(run)))
    except KeyboardInterrupt:  # the batch process stops the others and reports it
        return
    except (EOFError, BrokenPipeError):  # the batch process has ended: no one to work for
        return
