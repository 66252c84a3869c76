"""Crash-safe outputs: single files and whole results folders appear complete or not at all.

- :func:`atomic_write` writes one file to a temporary name beside it and renames it into place.
- :func:`replace_folder` builds a results folder as a hidden sibling and moves it into place as a
  unit, under a lock, so that after a crash (even ``kill -9``) the folder holds either the
  complete earlier results or the complete new ones, and two runs into one folder never mix.
- :func:`output_errors` turns an :class:`OSError` while writing into one :class:`InputError`
  naming the path, the reason and a hint; both writers use it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["atomic_write", "locked", "output_errors", "remove_stale_temporaries", "replace_folder"]

#: errno → (what is wrong, what was expected, hint) for a path that cannot be written.
_REASONS: dict[int, tuple[str, str, str]] = {
    errno.EACCES: ("permission denied", "a path you can write to",
                   "Choose another path or change the folder's permissions"),
    errno.EPERM: ("operation not permitted", "a path you can write to",
                  "Choose another path or change the folder's permissions"),
    errno.EROFS: ("read-only file system", "a writable disk", "Choose a path on a writable disk"),
    errno.EISDIR: ("it is a folder", "a file name", "Give a file name, not a folder"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "a path of folders",
                    "Check the path"),
    errno.EEXIST: ("a part of the path is a file, not a folder", "a path of folders",
                   "Check the path"),
    errno.ENOENT: ("a folder on the path does not exist", "an existing folder",
                   "Create the folder first or check the path"),
    errno.ENOSPC: ("no space left on the device", "free space",
                   "Free some space or choose another disk"),
    errno.EDQUOT: ("disk quota exceeded", "free space", "Free some space or choose another disk"),
    errno.ENAMETOOLONG: ("the name is too long", "a shorter name", "Choose a shorter name"),
    errno.EBUSY: ("the path is in use (a mount point?)", "a folder that can be replaced",
                  "Choose a folder inside it instead"),
}  # fmt: skip

#: Start of the names of :func:`atomic_write`'s temporaries (then the writer's process id).
_TMP_PREFIX = ".qpcr-tmp-"

#: Entries a results folder may hold that nobody minds losing when it is replaced.
_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})

#: The hidden folders :func:`replace_folder` is building. :func:`atomic_write` writes a file
#: inside one in place (no temporary to rename or sync): the folder moves into place as a
#: unit, its whole tree synced at once then, its files concurrently (docs/performance.md,
#: branch `overlap`).
_BUILDING: set[Path] = set()

#: Threads syncing or deleting a folder's files: concurrent ``fsync`` and ``unlink`` calls share
#: the file system's journal commits (13 files on ext4: syncing about 60 ms one after another,
#: 7 ms from four threads; deleting 52 ms and 8 ms).
_SYNC_THREADS = 4


@contextlib.contextmanager
def output_errors(path: str | Path) -> Iterator[None]:
    """Turn an :class:`OSError` raised inside the block into an :class:`InputError` naming
    ``path`` (the path the user gave, not a temporary name), the reason and a hint.

    Parameters
    ----------
    path
        The path to name in the message.

    Returns
    -------
    contextlib.AbstractContextManager
        A context manager; it yields nothing.

    Raises
    ------
    InputError
        For any :class:`OSError` inside the block.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "missing" / "out.csv"
    >>> try:
    ...     with output_errors("out.csv"):
    ...         path.write_text("x")
    ... except InputError as exc:
    ...     print(exc.message)
    ...     print(exc.hint)
    cannot write here (a folder on the path does not exist); expected an existing folder
    Create the folder first or check the path
    >>> folder.cleanup()
    """
    try:
        yield
    except OSError as exc:
        what, expected, hint = _REASONS.get(
            exc.errno or 0,
            (
                exc.strerror or str(exc) or type(exc).__name__,
                "a writable path",
                "Choose another path",
            ),
        )
        raise InputError(
            f"cannot write here ({what}); expected {expected}", where=str(path), hint=hint
        ) from None


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, flush it to disk, then rename it
    to ``path`` (``os.replace`` is atomic). The file gets ordinary permissions (umask); missing
    folders on the way are created. A path that cannot be written raises :class:`InputError`
    (:func:`output_errors`). Inside a folder :func:`replace_folder` is building, which moves
    into place as a whole and is synced then, ``write(path)`` writes the file itself.

    Parameters
    ----------
    path
        The file to write.
    write
        Called once with the temporary path; it writes the whole file there.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = atomic_write(Path(folder.name) / "new" / "a.txt", lambda tmp: tmp.write_text("hi"))
    >>> path.name, path.read_text(), sorted(p.name for p in path.parent.iterdir())
    ('a.txt', 'hi', ['a.txt'])
    >>> folder.cleanup()
    """
    path = Path(path)
    with output_errors(path):
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        if _BUILDING.intersection(path.parents):
            write(path)
            return path
        remove_stale_temporaries(path.parent)
        # the real suffix last: writers that pick the format from it (matplotlib) still can
        fd, name = tempfile.mkstemp(
            prefix=f"{_TMP_PREFIX}{os.getpid()}-",
            suffix=f"-{path.name}.tmp{path.suffix}",
            dir=path.parent,
        )
        os.close(fd)
        tmp = Path(name)
        try:
            write(tmp)
            with tmp.open("rb+") as handle:
                os.fsync(handle.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporaries :func:`atomic_write` left in ``folder`` when its process died.

    A temporary is named ``.qpcr-tmp-<pid>-<random>-<name>.tmp<suffix>``; one whose process no
    longer runs (killed with ``kill -9`` between writing and renaming) is removed, one of a
    running process (another writer at work in the same folder) is left alone.

    Parameters
    ----------
    folder
        The folder about to be written to.

    Returns
    -------
    list of Path
        The files removed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> dead = Path(folder.name) / ".qpcr-tmp-999999999-x-a.csv.tmp.csv"  # no such process
    >>> alive = Path(folder.name) / f".qpcr-tmp-{os.getpid()}-y-b.csv.tmp.csv"
    >>> for file in (dead, alive):
    ...     _ = file.write_text("half")
    >>> [p.name for p in remove_stale_temporaries(Path(folder.name))] == [dead.name]
    True
    >>> alive.exists()
    True
    >>> folder.cleanup()
    """
    removed = []
    for entry in folder.glob(f"{_TMP_PREFIX}*"):
        pid = entry.name[len(_TMP_PREFIX) :].split("-", 1)[0]
        if pid.isdecimal() and not _running(int(pid)):
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _running(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


@contextlib.contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold an exclusive advisory lock (POSIX ``flock``) on the lock file ``path``; wait while
    another process holds it. The lock file is removed on release: a waiter that locked a file
    which has since been removed or replaced tries again. A process that dies releases its lock
    (the kernel drops it); the file it leaves is reused and removed by the next holder. Where
    ``flock`` is unavailable (Windows) this is a no-op and only the atomic renames protect.

    Parameters
    ----------
    path
        The lock file (created if missing).

    Returns
    -------
    contextlib.AbstractContextManager
        A context manager holding the lock for the block; it yields nothing.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> lock = Path(folder.name) / ".results.lock"
    >>> with locked(lock):
    ...     print(lock.exists())
    True
    >>> lock.exists()
    False
    >>> folder.cleanup()
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path = Path(path)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                break
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


@contextlib.contextmanager
def replace_folder(
    target: str | Path,
    owned: Collection[str],
    check: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """Build a folder at a hidden temporary sibling (yielded) and move it to ``target`` as a
    unit when the block ends without an error (on an error it is removed).

    ``owned`` names the entries the program writes into such a folder: an existing ``target``
    holding anything else is refused (replacing it would delete the user's files). Under a lock
    on ``.<name>.lock`` beside ``target``, leftovers of a killed run are cleaned up first, then
    ``check(target)`` may refuse (e.g. earlier results without ``--force``). The new folder
    replaces an existing one in a single atomic exchange (Linux ``renameat2``), so ``target``
    always holds complete results; where that is unsupported, the old folder is renamed to
    ``.<name>.old-<pid>`` first, and a run that finds ``target`` missing beside such a folder
    puts it back. A second run into the same ``target`` waits for the first to finish.

    Parameters
    ----------
    target
        The results folder to create or replace.
    owned
        Names of the entries the program writes into ``target``.
    check
        Called with ``target`` (as given) under the lock; may raise to refuse.

    Returns
    -------
    contextlib.AbstractContextManager
        A context manager yielding the temporary folder to fill.

    Raises
    ------
    InputError
        ``target`` is a file, the current folder, or holds entries not in ``owned``; or it
        cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> target = Path(folder.name) / "results"
    >>> for run in ("first", "second"):
    ...     with replace_folder(target, owned={"a.txt"}) as tmp:
    ...         _ = (tmp / "a.txt").write_text(run)
    >>> (target / "a.txt").read_text(), sorted(p.name for p in Path(folder.name).iterdir())
    ('second', ['results'])
    >>> _ = (target / "mine.txt").write_text("notes")
    >>> try:
    ...     with replace_folder(target, owned={"a.txt"}) as tmp:
    ...         pass
    ... except InputError as exc:
    ...     print(exc.message)  # doctest: +NORMALIZE_WHITESPACE
    holds files this command did not write (mine.txt); expected a new or empty folder
    or earlier results
    >>> folder.cleanup()
    """
    given = Path(target)  # named in messages
    target = Path(os.path.realpath(given))  # "." has no name; a symlink: its folder
    prefix = f".{target.name}."
    with output_errors(given):
        cwd = Path.cwd()
        if target == target.parent or cwd == target or target in cwd.parents:
            raise InputError(
                "is the current folder, one holding it or the root; expected a folder that "
                "can be replaced as a whole",
                where=str(given),
                hint="Choose a new folder inside it, e.g. qpcr_results",
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        with locked(target.parent / f"{prefix}lock"):
            _recover(target, prefix)
            _refuse_foreign(target, owned, given)
            if check is not None:
                check(given)
            tmp = target.parent / f"{prefix}tmp-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            _BUILDING.add(tmp)
            try:
                try:
                    yield tmp
                except InputError as exc:  # an inner write names the temporary folder
                    if not exc.where.startswith(str(tmp)):
                        raise
                    where = str(given) + exc.where[len(str(tmp)) :]
                    raise InputError(exc.message, where=where, hint=exc.hint) from None
                _swap(tmp, target, prefix)
            finally:
                _BUILDING.discard(tmp)
                shutil.rmtree(tmp, ignore_errors=True)


def _recover(target: Path, prefix: str) -> None:
    """Clean up after killed runs (called under the lock, so no live run owns these)."""
    stale = sorted(p for p in target.parent.iterdir() if p.name.startswith(prefix))
    asides = [p for p in stale if p.name.startswith(f"{prefix}old-")]
    if asides and not os.path.lexists(target):
        os.rename(asides[0], target)  # killed between the two renames: the old results
    for path in stale:
        if path.name.startswith((f"{prefix}tmp-", f"{prefix}old-")) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _refuse_foreign(target: Path, owned: Collection[str], given: Path) -> None:
    """Refuse a ``target`` (shown as ``given``) that is a file, or a folder holding entries
    not in ``owned``."""
    if not target.exists():
        return
    if not target.is_dir():
        raise InputError(
            "exists and is not a folder; expected a folder", where=str(given),
            hint="Choose another output folder",
        )  # fmt: skip
    allowed = set(owned) | _JUNK
    foreign = sorted(p.name for p in target.iterdir() if p.name not in allowed)
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise InputError(
            f"holds files this command did not write ({shown}); expected a new or empty folder "
            "or earlier results",
            where=str(given),
            hint="Choose another output folder: results are replaced as a whole folder",
        )


def _swap(new: Path, target: Path, prefix: str) -> None:
    """Move the complete folder ``new`` to ``target``, replacing an existing one atomically."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(_SYNC_THREADS) as pool:  # one pool: its threads sync, then delete
        _sync_tree(new, pool)  # the files and entries reach the disk before the folder moves
        if not os.path.lexists(target):
            os.rename(new, target)
        elif _exchange(new, target):
            _remove_tree(new, pool)  # now the old results
        else:
            aside = target.parent / f"{prefix}old-{os.getpid()}"
            os.rename(target, aside)
            os.rename(new, target)
            _remove_tree(aside, pool)
    _fsync_dir(target.parent)


def _remove_tree(root: Path, pool: Executor) -> None:
    """Delete the folder ``root`` and everything in it: its files a few at a time by ``pool``
    (each ``unlink`` may wait for a journal commit; see :data:`_SYNC_THREADS`), then what is
    left (the emptied folders, links to folders) by :func:`shutil.rmtree`. An error is
    raised."""
    files = [os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names]
    for job in [pool.submit(os.unlink, file) for file in files]:
        job.result()
    shutil.rmtree(root)


def _sync_tree(root: Path, pool: Executor) -> None:
    """Flush every file and folder under ``root`` to disk, a few at a time by ``pool`` (an
    error syncing a file is raised)."""
    files, folders = [], []
    for folder, _, names in os.walk(root):
        folders.append(folder)
        files += [os.path.join(folder, name) for name in names]
    synced = [pool.submit(_fsync_file, file) for file in files]
    synced += [pool.submit(_fsync_dir, folder) for folder in folders]
    for job in synced:
        job.result()


def _fsync_file(path: str) -> None:
    """Flush a file's data to disk (Windows flushes only a file open for writing)."""
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: str | Path) -> None:
    """Flush a folder's entries to disk (best effort: not every system can open a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or file system does not support it."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))
