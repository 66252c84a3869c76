"""Outputs are all or nothing: results folders after ``kill -9`` and concurrent runs, history
appended once per run by concurrent processes, and one clean line for an unwritable output."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from qpcr import atomic
from qpcr.check import check_run, load_spec, read_history
from qpcr.cli import app
from qpcr.errors import InputError

ROOT = Path(__file__).parents[1]
HYPOXIA = ROOT / "examples" / "hypoxia_tocilizumab"
PLATE96 = [
    str(HYPOXIA / "quantstudio_96_results.txt"),
    "--layout",
    str(HYPOXIA / "quantstudio_96_layout.csv"),
    "--config",
    str(HYPOXIA / "analysis_96.toml"),
]
PLATE384 = [
    str(HYPOXIA / "quantstudio_384_results.txt"),
    "--layout",
    str(HYPOXIA / "quantstudio_384_layout.csv"),
    "--config",
    str(HYPOXIA / "analysis.toml"),
]
REFPLATE = ROOT / "examples" / "reference_plate"
RUNS = sorted((REFPLATE / "runs").glob("*.csv"))
SPEC = REFPLATE / "spec.toml"
FAST = ["--quiet", "--force", "--no-figures"]

runner = CliRunner()


def manifest(folder: Path) -> dict[str, str]:
    """``{relative path: SHA-256}`` of every file under ``folder`` (stamped files: a digest of
    what identifies the run, after checking they are complete)."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name == "provenance.json":
            inputs = json.loads(path.read_text(encoding="utf-8"))["inputs"]
            data = json.dumps([Path(i["path"]).name for i in inputs]).encode()
        elif name == "results.xlsx":
            with zipfile.ZipFile(path) as book:
                assert book.testzip() is None
                data = json.dumps(sorted(book.namelist())).encode()
        else:
            data = path.read_bytes()
        out[name] = hashlib.sha256(data).hexdigest()
    return out


def _analyze(args: list[str], out: Path) -> None:
    result = runner.invoke(app, ["analyze", *args, "--out", str(out), "--quiet", "--force"])
    assert result.exit_code == 0, result.output


def _forked_analyze(args: list[str], out: Path) -> int:
    """Start ``qpcr analyze`` in a forked child (the modules are already imported, so a run
    takes a fraction of a second instead of seconds); return its pid."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            app(["analyze", *args, "--out", str(out), "--quiet", "--force"], standalone_mode=False)
            code = 0
        finally:
            os._exit(code)
    return pid


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_kill_9_at_random_moments_leaves_complete_old_or_new_results(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "results"
    _analyze(PLATE384, target)  # the complete old results (also imports every module)
    old = manifest(target)
    reference = tmp_path / "reference"
    start = time.perf_counter()
    pid = _forked_analyze(PLATE96, reference)
    assert os.waitpid(pid, 0)[1] == 0
    duration = time.perf_counter() - start
    new = manifest(reference)
    assert set(old) != set(new)  # the 384-well plate has standard curves, the 96-well not
    rng = random.Random(20261205)
    seen = {"old": 0, "new": 0, "interrupted": 0}
    for _ in range(15):
        pid = _forked_analyze(PLATE96, target)
        time.sleep(rng.uniform(0.0, 1.2 * duration))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        state = manifest(target)
        assert state in (old, new), sorted(set(state) ^ set(old))
        seen["old" if state == old else "new"] += 1
        leftovers = [p.name for p in target.parent.iterdir() if p != target]
        assert all(name.startswith(".results.") for name in leftovers), leftovers
        seen["interrupted"] += any(".tmp-" in name for name in leftovers)
        if state == new:  # put the old results back for the next kill
            _analyze(PLATE384, target)
    assert seen["interrupted"] >= 1, seen  # some kills did hit a run while it wrote
    _analyze(PLATE96, target)  # the next run cleans up after the killed ones
    assert manifest(target) == new
    assert [p.name for p in target.parent.iterdir()] == ["results"]


def test_two_concurrent_runs_into_one_folder_never_mix(tmp_path: Path) -> None:
    """Both succeed (the second waits, then replaces the first's results with --force)."""
    target = tmp_path / "results"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "qpcr", "analyze", *args, "--out", str(target), *FAST],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in (PLATE96, PLATE384)
    ]
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read() if run.stderr else ""
    final = manifest(target)
    _analyze([*PLATE96, "--no-figures"], tmp_path / "a")
    _analyze([*PLATE384, "--no-figures"], tmp_path / "b")
    assert final in (manifest(tmp_path / "a"), manifest(tmp_path / "b"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "results"]


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    target, owned = tmp_path / "out", {"a.txt", "b.txt"}
    entered, release, order = threading.Event(), threading.Event(), []

    def first() -> None:
        with atomic.replace_folder(target, owned) as tmp:
            (tmp / "a.txt").write_text("first")
            entered.set()
            release.wait(10)
            (tmp / "b.txt").write_text("first")
            order.append("first done")

    def second() -> None:
        with atomic.replace_folder(target, owned, check=lambda t: order.append("second")) as tmp:
            (tmp / "a.txt").write_text("second")

    one = threading.Thread(target=first)
    one.start()
    assert entered.wait(10)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.3)
    assert order == []  # still waiting for the lock
    assert not target.exists()  # nothing visible before the first is complete
    release.set()
    one.join(10)
    two.join(10)
    assert order == ["first done", "second"]
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]  # all second, no b.txt
    assert (target / "a.txt").read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no lock file, no temporary


def test_an_error_while_writing_keeps_the_old_folder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").write_text("old")

    def fail_midway() -> None:
        with atomic.replace_folder(target, {"a.txt"}) as tmp:
            (tmp / "a.txt").write_text("new")
            raise RuntimeError("midway")

    with pytest.raises(RuntimeError, match="midway"):
        fail_midway()
    assert (target / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_without_exchange_a_run_killed_between_the_renames_is_recovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = tmp_path / "out"
    aside = tmp_path / ".out.old-99999"  # a run killed after renaming the old folder aside
    aside.mkdir()
    (aside / "a.txt").write_text("old")
    stale = tmp_path / ".out.tmp-99999"  # ... and its complete new folder
    stale.mkdir()
    (stale / "a.txt").write_text("killed")
    seen = []
    with atomic.replace_folder(target, {"a.txt"}, check=lambda t: seen.append(t)) as tmp:
        (tmp / "a.txt").write_text("new")
    assert seen == [target]
    assert (target / "a.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    with atomic.replace_folder(target, {"a.txt"}) as tmp:  # the two-rename path itself
        (tmp / "a.txt").write_text("newer")
    assert (target / "a.txt").read_text() == "newer"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_folder_with_other_files_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / ".DS_Store").write_text("")
    refused = r"out: holds files this command did not write \(notes"
    with pytest.raises(InputError, match=refused), atomic.replace_folder(target, {"a.txt"}):
        pass
    assert sorted(p.name for p in target.iterdir()) == [".DS_Store", "notes.txt"]
    (target / "notes.txt").unlink()
    with atomic.replace_folder(target, {"a.txt"}) as tmp:  # junk alone does not count
        (tmp / "a.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["a.txt"]


def test_the_current_folder_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for target in (".", str(tmp_path), ".."):
        refused = pytest.raises(InputError, match="is the current folder")
        with refused, atomic.replace_folder(target, {"a.txt"}):
            pass
    assert list(tmp_path.iterdir()) == []


def _check_after_barrier(barrier: object, export: str, history: str) -> None:
    barrier.wait(30)  # type: ignore[attr-defined]
    check_run(export, load_spec(SPEC), history=history)


def _check_concurrently(exports: list[Path], history: Path) -> None:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(exports))
    workers = [
        context.Process(target=_check_after_barrier, args=(barrier, str(e), str(history)))
        for e in exports
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_eight_processes_checking_one_run_store_it_once(tmp_path: Path) -> None:
    alone = tmp_path / "alone.csv"
    check_run(RUNS[0], load_spec(SPEC), history=alone)
    rows = len(read_history(alone))
    assert rows > 0
    history = tmp_path / "history.csv"
    _check_concurrently([RUNS[0]] * 8, history)
    table = read_history(history)
    assert len(table) == rows
    assert table["run"].unique().tolist() == [RUNS[0].stem]
    assert not history.with_name("history.csv.lock").exists()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_eight_processes_checking_different_runs_store_all(tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    _check_concurrently(RUNS[:8], history)
    table = read_history(history)
    counts = table.groupby("run").size()
    assert sorted(counts.index) == [r.stem for r in RUNS[:8]]
    assert counts.nunique() == 1  # every run stored once, with all its values
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]


@pytest.fixture(scope="module")
def blocked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Paths that cannot be written: a file, a folder, and paths through a file."""
    root = tmp_path_factory.mktemp("blocked")
    (root / "file").write_text("x")
    (root / "folder").mkdir()
    mine = root / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    elsewhere = tmp_path_factory.mktemp("history")
    return {"root": root, "file": root / "file", "folder": root / "folder", "mine": mine,
            "elsewhere": elsewhere}  # fmt: skip


ANALYZE = ["analyze", *PLATE96, "--no-figures"]
STABILITY = ["stability", *PLATE384[:3], "--candidates", "TBP,RPL13A,VEGFA"]
CHECK = ["check", str(RUNS[0]), "--spec", str(SPEC)]
CASES = {
    "analyze --out FILE": (ANALYZE, ["--out", "{file}"], "{file}", "not a folder"),
    "analyze --out FILE/sub": (ANALYZE, ["--out", "{file}/sub"], "{file}/sub", "is a file"),
    "analyze --out with other files": (ANALYZE, ["--out", "{mine}"], "{mine}", "did not write"),
    "stability --out FILE": (STABILITY, ["--out", "{file}"], "{file}", "not a folder"),
    "stability --out FILE/sub": (STABILITY, ["-o", "{file}/sub"], "{file}/sub", "is a file"),
    "check --json FOLDER": (CHECK, ["--json", "{folder}"], "{folder}", "it is a folder"),
    "check --junit FOLDER": (CHECK, ["--junit", "{folder}"], "{folder}", "it is a folder"),
    "check --json FILE/x": (CHECK, ["--json", "{file}/r.json"], "{file}/r.json", "is a file"),
    "check --history FOLDER": (CHECK, ["--history", "{folder}"], "{folder}", "is a folder"),
    "check --chart FOLDER": (
        CHECK,
        ["--history", "{elsewhere}/h.csv", "--chart", "{folder}"],
        "{folder}",
        "it is a folder",
    ),
    "check --init-spec FILE/x": (
        ["check", str(RUNS[0])],
        ["--init-spec", "{file}/s.toml"],
        "{file}/s.toml",
        "is a file",
    ),
    "template FILE/x": (["template"], ["{file}/t.xlsx"], "{file}/t.xlsx", "is a file"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_unwritable_output_is_one_line_and_exit_1(case: str, blocked: dict[str, Path]) -> None:
    command, options, where, reason = CASES[case]
    args = [*command, *(o.format(**blocked) for o in options)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # not an escaped exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {where.format(**blocked)}: "), lines[0]
    assert reason in lines[0]
    assert (blocked["mine"] / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in blocked["root"].iterdir()) == ["file", "folder", "mine"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
@pytest.mark.parametrize("command", ["analyze", "stability", "check", "template"])
def test_read_only_folder_is_one_line_and_exit_1(command: str, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    args = {
        "analyze": [*ANALYZE, "--out", str(folder / "out")],
        "stability": [*STABILITY, "--out", str(folder / "out")],
        "check": [*CHECK, "--json", str(folder / "r.json")],
        "template": ["template", str(folder / "t.xlsx")],
    }[command]
    try:
        result = runner.invoke(app, args)
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "permission denied" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (PermissionError(13, "Permission denied"), "permission denied"),
        (OSError(30, "Read-only file system"), "read-only file system"),
        (OSError(28, "No space left on device"), "no space left"),
        (OSError("something odd"), "something odd"),
    ],
)
def test_output_errors_names_the_path_and_the_reason(error: OSError, reason: str) -> None:
    with pytest.raises(InputError) as caught, atomic.output_errors("out/r.json"):
        raise error
    assert str(caught.value).startswith(f"out/r.json: cannot write here ({reason}")
    assert caught.value.hint


def test_atomic_write_removes_temporaries_of_killed_writers(tmp_path: Path) -> None:
    """A writer killed with SIGKILL between writing and renaming leaves its temporary; the next
    write to that folder removes it, and leaves a running writer's temporary alone."""
    script = (
        "import os, signal, sys\n"
        "from qpcr.atomic import atomic_write\n"
        "def write(tmp):\n"
        "    tmp.write_text('half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "atomic_write(sys.argv[1], write)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(atomic.__file__).parent.parent)}
    killed = subprocess.run([sys.executable, "-c", script, str(tmp_path / "a.csv")], env=env)
    assert killed.returncode == -signal.SIGKILL
    stray = [p.name for p in tmp_path.iterdir()]
    assert len(stray) == 1
    assert stray[0].startswith(".qpcr-tmp-")
    assert "a.csv" in stray[0]
    running = tmp_path / f".qpcr-tmp-{os.getpid()}-x-b.csv.tmp.csv"
    running.write_text("being written")
    atomic.atomic_write(tmp_path / "c.csv", lambda tmp: tmp.write_text("c"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["c.csv", running.name])


def _record_syncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record ``("fsync", path)`` for every fsync and ``("rename", destination)`` for every
    rename and exchange of :mod:`qpcr.atomic`, in the order they happen (from any thread)."""
    events: list[tuple[str, str]] = []
    lock = threading.Lock()
    real_fsync, real_rename, real_exchange = os.fsync, os.rename, atomic._exchange

    def fsync(fd: int) -> None:
        real_fsync(fd)
        with lock:
            events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))

    def rename(a: str | Path, b: str | Path) -> None:
        real_rename(a, b)
        events.append(("rename", str(b)))

    def exchange(a: Path, b: Path) -> bool:
        done = real_exchange(a, b)
        events.append(("rename", str(b)))
        return done

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "rename", rename)
    monkeypatch.setattr(atomic, "_exchange", exchange)
    return events


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/self/fd")
@pytest.mark.parametrize("earlier", [False, True])
def test_a_folder_reaches_the_disk_whole_before_it_moves_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, earlier: bool
) -> None:
    """Files written inside a folder being built are synced when it moves (concurrently), not
    one by one as written; every file and folder of it is synced before the move."""
    target = tmp_path / "out"
    if earlier:
        with atomic.replace_folder(target, {"a.txt", "sub"}) as tmp:
            (tmp / "a.txt").write_text("old")
    events = _record_syncs(monkeypatch)
    names = ["a.txt", "sub/b.txt", "sub/c.txt", "sub/d.txt", "sub/e.txt", "sub/f.txt"]
    with atomic.replace_folder(target, {"a.txt", "sub"}) as tmp:
        for name in names:
            atomic.atomic_write(tmp / name, lambda path, name=name: path.write_text(name))
        assert events == []  # nothing synced while the folder is built
        (tmp / "sub" / "g.txt").write_text("written directly")
    moved = [i for i, (kind, path) in enumerate(events) if kind == "rename" and path == str(target)]
    assert len(moved) == 1
    synced = {Path(path).relative_to(tmp).as_posix() for _, path in events[: moved[0]]}
    assert synced == {*names, "sub/g.txt", ".", "sub"}
    assert events[moved[0] + 1 :] == [("fsync", str(tmp_path))]
    assert {p.relative_to(target).as_posix() for p in target.rglob("*.txt")} == {
        *names, "sub/g.txt"}  # fmt: skip
    assert (target / "sub" / "b.txt").read_text() == "sub/b.txt"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    events.clear()  # a file outside such a folder is synced before its rename, as before
    atomic.atomic_write(tmp_path / "alone.txt", lambda path: path.write_text("x"))
    assert [kind for kind, _ in events] == ["fsync"]
    assert Path(events[0][1]).name.startswith(".qpcr-tmp-")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/self/fd")
def test_a_failed_sync_keeps_the_old_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    with atomic.replace_folder(target, {"a.txt", "b.txt"}) as tmp:
        (tmp / "a.txt").write_text("old")
    real = os.fsync

    def full(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("b.txt"):
            raise OSError(28, "No space left on device")
        real(fd)

    monkeypatch.setattr(atomic.os, "fsync", full)

    def write_both() -> None:
        with atomic.replace_folder(target, {"a.txt", "b.txt"}) as tmp:
            for name in ("a.txt", "b.txt"):
                atomic.atomic_write(tmp / name, lambda path: path.write_text("new"))

    with pytest.raises(InputError, match=r"out: cannot write here \(no space left on the device"):
        write_both()
    assert [p.name for p in target.iterdir()] == ["a.txt"]
    assert (target / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
