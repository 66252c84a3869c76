"""The worker pool of ``qpcr serve``: each analysis, check or template runs in a worker
process, so a slow file keeps one worker busy while the page, ``/api/health`` and the other
workers go on answering.

The processes are started with ``spawn`` (a fresh interpreter, the same on Linux, macOS and
Windows; no fork of a server that runs threads) on the first job, and each runs one job at a
time: an analysis is CPU-bound Python, which threads of one process would run on one core.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ..errors import InternalError

__all__ = ["WorkerPool", "default_workers"]

T = TypeVar("T")


def default_workers() -> int:
    """The number of CPUs this process may run on (at least 1).

    Returns
    -------
    int
        The default of ``qpcr serve --workers``.

    Examples
    --------
    >>> default_workers() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


class WorkerPool:
    """A pool of ``workers`` processes that runs jobs for the event loop.

    A worker that dies (killed, out of memory) breaks the executor: the job answers an
    :class:`~qpcr.errors.InternalError` and the next job starts a fresh pool.

    Parameters
    ----------
    workers
        How many jobs run at once.

    Examples
    --------
    >>> import asyncio
    >>> pool = WorkerPool(1)
    >>> asyncio.run(pool.run(pow, 2, 10))
    1024
    >>> pool.close()
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    async def run(self, job: Callable[..., T], *args: Any) -> T:
        """``job(*args)`` in a worker process; its exception, if any, is raised here.

        Parameters
        ----------
        job
            A module-level function (it is pickled by name).
        *args
            Its arguments (pickled).

        Returns
        -------
        object
            What ``job`` returned.

        Raises
        ------
        InternalError
            When the worker process ended during the job.

        Examples
        --------
        >>> import asyncio
        >>> pool = WorkerPool(1)
        >>> asyncio.run(pool.run(divmod, 7, 2))
        (3, 1)
        >>> pool.close()
        """
        if self._executor is None:
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
        executor = self._executor
        try:
            return await asyncio.wrap_future(executor.submit(job, *args))
        except BrokenProcessPool:
            if self._executor is executor:
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            raise InternalError(
                "a worker process ended during the job (out of memory, or killed)",
                where="server",
                hint="Try again; if it happens again with the same file, report it",
            ) from None

    def close(self) -> None:
        """Stop the workers (waiting for the jobs under way) and cancel the waiting jobs.

        Examples
        --------
        >>> WorkerPool(2).close()  # nothing started: nothing to stop
        """
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
