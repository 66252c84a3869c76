"""``qpcr batch``: each plate analysed on its own, the tables of all of them in one CSV each,
failures listed, reports per plate, the same output whatever the number of workers; and
``analyze --no-workbook``."""

from __future__ import annotations

import contextlib
import gc
import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qpcr import batch
from qpcr.batch import BATCH_TABLES
from qpcr.batch_workers import RUN, runs
from qpcr.cli import app
from qpcr.errors import InternalError, QpcrError
from qpcr.report import OUTPUT_FILES

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.skipif(
    not (ROOT / "examples" / "hypoxia_tocilizumab").is_dir(),
    reason="the bundled example (the plates' generator) is not in this checkout",
)
runner = CliRunner()


def _read(path: Path) -> pd.DataFrame:
    """A CSV exactly as written: every cell as text."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def plates(
    tmp_path_factory: pytest.TempPathFactory, write_plates: Callable[[Path, int], list[Path]]
) -> Path:
    """Three generated 384-well plates (benchmarks/plates.py) with their layout and settings."""
    folder = tmp_path_factory.mktemp("plates")
    write_plates(folder / "exports", 3)
    for name in ("layout.csv", "analysis.toml"):
        (folder / "exports" / name).rename(folder / name)
    return folder


def _batch(plates: Path, out: Path, *extra: str) -> object:
    args = ["batch", str(plates / "exports"), "--layout", str(plates / "layout.csv"),
            "--config", str(plates / "analysis.toml"), "--out", str(out), *extra]  # fmt: skip
    return runner.invoke(app, args)


def _jobs(count: int) -> list[batch._Job]:
    """``count`` plates p0, p1, … for a batch whose ``_analyse`` a test replaces."""
    return [batch._Job(batch.Plate(Path(f"p{n}.txt"), f"p{n}"), None, None, (), (), None)
            for n in range(count)]  # fmt: skip


@contextlib.contextmanager
def _passes_counted() -> Iterator[list[str]]:
    """The collector's passes during the block, with its automatic passes paused (as the
    batch pauses them)."""
    passes: list[str] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(phase)

    gc.collect()
    gc.disable()
    gc.callbacks.append(count)
    try:
        yield passes
    finally:
        gc.callbacks.remove(count)
        gc.enable()


@pytest.fixture(scope="module")
def batched(plates: Path) -> Path:
    out = plates / "batch1"
    result = _batch(plates, out, "--jobs", "1")
    assert result.exit_code == 0, result.output
    return out


def test_batch_tables_equal_each_plate_analysed_alone(plates: Path, batched: Path) -> None:
    names = sorted(p.stem for p in (plates / "exports").iterdir())
    assert names == ["plate0000", "plate0001", "plate0002"]
    for name in names[:2]:
        alone = plates / f"alone_{name}"
        args = ["analyze", str(plates / "exports" / f"{name}.txt"), "--layout",
                str(plates / "layout.csv"), "--config", str(plates / "analysis.toml"), "--out",
                str(alone), "--no-figures", "--no-workbook", "--quiet"]  # fmt: skip
        assert runner.invoke(app, args).exit_code == 0
        for table in BATCH_TABLES:
            gathered = _read(batched / f"{table}.csv")
            assert gathered.columns[0] == "export"
            rows = gathered[gathered["export"] == name].drop(columns="export")
            expected = _read(alone / f"{table}.csv")
            pd.testing.assert_frame_equal(rows.reset_index(drop=True), expected, check_exact=True)
    fold = _read(batched / "fold_changes.csv")
    assert fold["export"].value_counts().to_dict() == {n: 15 for n in names}  # 5 targets × 3
    assert len(_read(batched / "wells.csv")) == 3 * 273
    assert _read(batched / "errors.csv").empty


def test_two_jobs_write_the_same_files_as_one(plates: Path, batched: Path) -> None:
    out = plates / "batch2"
    result = _batch(plates, out, "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == 0  # the objects frozen for the workers are thawed again
    assert gc.isenabled()  # the command paused the collector and set it going again
    for name in (*(f"{t}.csv" for t in BATCH_TABLES), "errors.csv"):
        assert (out / name).read_bytes() == (batched / name).read_bytes(), name


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_the_plates_of_folders_are_the_files_whose_resolved_path_is_no_input(
    tmp_path: Path,
) -> None:
    """plates_of resolves a folder once and only its links one by one: the same plates and
    names as resolving every file (the formulation it replaces)."""
    real, other = tmp_path / "real", tmp_path / "other"
    real.mkdir()
    other.mkdir()
    for name in ("b.txt", "a.txt", ".hidden", "layout.csv", "run.toml"):
        (real / name).write_text("x")
    (other / "a.txt").write_text("x")
    (other / "settings.toml").write_text("x")
    (real / "sub").mkdir()
    (real / "to_layout.csv").symlink_to(real / "layout.csv")  # an input by another name
    (real / "to_settings.toml").symlink_to(other / "settings.toml")
    (real / "elsewhere.txt").symlink_to(other / "a.txt")
    (real / "broken.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "via").symlink_to(real)  # the folder through a link, and with ".."
    inputs = [real / "layout.csv", tmp_path / "via" / ".." / "other" / "settings.toml"]

    def resolving_each(exports: list[Path]) -> list[tuple[Path, str]]:
        own = {path.resolve() for path in inputs}
        files = [f for path in exports
                 for f in (sorted(p for p in path.iterdir() if p.is_file()
                                  and not p.name.startswith(".")) if path.is_dir() else [path])
                 if f.resolve() not in own]  # fmt: skip
        stems = [f.stem for f in files]
        pairs = zip(files, stems, strict=True)
        return [(f, s if stems.count(s) == 1 else str(f)) for f, s in pairs]

    for exports in ([real], [tmp_path / "via"], [real / "sub" / ".."], [real, other],
                    [real / "layout.csv", other]):  # fmt: skip
        got = [(plate.export, plate.name) for plate in batch.plates_of(exports, inputs=inputs)]
        assert got == resolving_each(exports), exports
    names = [plate.name for plate in batch.plates_of([real], inputs=inputs)]
    assert names == ["a", "b", "elsewhere", "run"]


@pytest.mark.parametrize(("plates", "jobs"), [(1, 2), (5, 3), (40, 2), (199, 2), (1000, 4)])
def test_chunks_hand_out_every_plate_once_in_order(plates: int, jobs: int) -> None:
    todo = list(range(plates))
    sizes = [len(run) for run in runs(todo, jobs)]
    assert [n for run in runs(todo, jobs) for n in run] == todo
    assert max(sizes) <= RUN
    assert sizes == sorted(sizes, reverse=True)  # smaller runs as the plates run out
    assert sizes[-jobs:] == [1] * min(jobs, plates)  # the workers finish together


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked")
def test_workers_taking_runs_of_plates_give_the_outcomes_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def analyse(job: batch._Job) -> batch._Outcome:  # forked workers see the patched module
        time.sleep(0.01)  # a plate takes time: an instant one lets one worker take every run
        return batch._Outcome(f"{job.plate.name}@{os.getpid()}", {})

    monkeypatch.setattr(batch, "_analyse", analyse)
    todo = _jobs(60)
    names = [outcome.name for outcome in batch._outcomes(todo, 2)]
    assert [name.split("@")[0] for name in names] == [f"p{n}" for n in range(60)]
    assert len({name.split("@")[1] for name in names[1:]}) == 2  # both workers took plates


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked")
def test_workers_run_without_the_collectors_automatic_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def analyse(job: batch._Job) -> batch._Outcome:
        return batch._Outcome(f"{job.plate.name} {gc.isenabled()}", {})

    monkeypatch.setattr(batch, "_analyse", analyse)
    todo = _jobs(6)
    assert gc.isenabled()
    names = [outcome.name for outcome in batch._outcomes(todo, 2)]
    # the first plate in this process, as the caller has the collector; the others in workers
    assert names == ["p0 True", *(f"p{n} False" for n in range(1, 6))]
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked")
def test_a_worker_that_dies_stops_the_batch_with_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def analyse(job: batch._Job) -> batch._Outcome:
        if job.plate.name == "p4":
            os._exit(3)  # as the kernel's out-of-memory killer would end it
        return batch._Outcome(job.plate.name, {})

    monkeypatch.setattr(batch, "_analyse", analyse)
    todo = _jobs(40)
    names: list[str] = []
    outcomes = batch._outcomes(todo, 2)
    ended = r"a worker process ended before its plates were done \(exit code 3\)"
    with pytest.raises(QpcrError, match=ended) as stopped:
        names.extend(outcome.name for outcome in outcomes)
    # the machine's limits, not a bug: the command line prints it without a traceback
    assert not isinstance(stopped.value, InternalError)
    assert names == ["p0", "p1", "p2", "p3"][: len(names)]  # nothing out of order before it
    assert gc.get_freeze_count() == 0
    assert not multiprocessing.active_children()  # the other worker was stopped


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux sizes its pipes")
def test_the_pipe_of_outcomes_holds_a_run_of_plates() -> None:
    import fcntl
    from multiprocessing import Pipe

    from qpcr.batch_workers import PIPE_ROOM, _widen

    reader, writer = Pipe(duplex=False)
    before = fcntl.fcntl(reader.fileno(), fcntl.F_GETPIPE_SZ)
    _widen(reader)
    widened = fcntl.fcntl(reader.fileno(), fcntl.F_GETPIPE_SZ)
    reader.close()
    writer.close()
    assert before < PIPE_ROOM  # Linux's 64 KB
    if int(Path("/proc/sys/fs/pipe-max-size").read_text()) >= PIPE_ROOM:
        assert widened == PIPE_ROOM


def test_a_paused_collector_makes_no_pass_over_what_the_batch_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen: list[bool] = []

    def analyse(job: batch._Job) -> batch._Outcome:
        frozen.append(gc.get_freeze_count() > 0)
        return batch._Outcome(job.plate.name, {})

    monkeypatch.setattr(batch, "_analyse", analyse)
    todo = _jobs(4)
    with _passes_counted() as passes:
        found = [[] for _ in range(3 * batch._LEFT)]  # as the imports before the plates
        names = [outcome.name for outcome in batch._outcomes(todo, 1)]
        thawed = gc.get_freeze_count() == 0
    assert names == ["p0", "p1", "p2", "p3"]
    assert len(found) == 3 * batch._LEFT
    assert passes == []  # frozen after the first plate, never walked
    assert frozen == [False, True, True, True]
    assert thawed


def test_plates_leaving_cycles_are_collected_between_plates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import weakref

    class Node:
        """A cycle's member the test can watch."""

        def __init__(self) -> None:
            self.me = self

    watched: list[weakref.ref[Node]] = []

    def analyse(job: batch._Job) -> batch._Outcome:  # as a figure does: cycles left behind
        nodes = [Node() for _ in range(batch._LEFT // 10)]
        watched.append(weakref.ref(nodes[0]))
        return batch._Outcome(job.plate.name, {})

    monkeypatch.setattr(batch, "_analyse", analyse)
    todo = _jobs(30)
    with _passes_counted() as passes:
        outcomes = batch._analyse_all(todo)
        alive = [ref() is not None for ref in watched]
    assert [o.name for o in outcomes] == [f"p{n}" for n in range(30)]
    # a plate leaves 1/10 to 1/5 of _LEFT (the nodes, and their dicts where made): a pass
    # every 5 to 10 plates, which frees what they left
    assert 3 <= len(passes) <= 6
    assert not any(alive[:-10])


@pytest.mark.parametrize(
    ("overrides", "origins"),
    [((), ()), ((("alpha", 0.01), ("test", "welch")), (("alpha", "--alpha"),))],
)
def test_the_batch_settings_worked_out_once_equal_each_plates_own(
    plates: Path, overrides: tuple[tuple[str, object], ...], origins: tuple[tuple[str, str], ...]
) -> None:
    from qpcr.config import load_config

    shared = load_config(plates / "analysis.toml")
    settled = batch._settled(shared, overrides, origins)
    job = batch._Job(batch.Plate(plates / "exports" / "plate0000.txt", "plate0000"), None,
                     shared, overrides, origins, None)  # fmt: skip
    own = batch._own(job)
    assert settled == own
    assert settled is not None
    assert settled.shared
    assert settled.origins == own.origins
    assert batch._settled(None, overrides, origins) is None  # no batch settings: the template's


def test_batch_settings_that_fail_their_check_fail_on_every_plate(plates: Path) -> None:
    from dataclasses import replace

    from qpcr.config import load_config
    from qpcr.errors import ConfigError

    invalid = replace(load_config(plates / "analysis.toml"), alpha=2.0)  # not checked: Python
    assert batch._settled(invalid, (), ()) is None
    job = batch._Job(batch.Plate(plates / "exports" / "plate0000.txt", "plate0000"), None,
                     invalid, (), (), None)  # fmt: skip
    with pytest.raises(ConfigError, match=r"'alpha' is 2\.0"):
        batch._own(job)


def test_a_failing_plate_is_listed_and_the_others_are_kept(plates: Path) -> None:
    exports = plates / "with_bad"
    exports.mkdir()
    for path in (plates / "exports").glob("plate000[01].txt"):
        (exports / path.name).write_bytes(path.read_bytes())
    (exports / "broken.txt").write_text("not an export\n")
    out = plates / "batch_bad"
    args = ["batch", str(exports), "--layout", str(plates / "layout.csv"), "--config",
            str(plates / "analysis.toml"), "--out", str(out), "--jobs", "2"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "1 of 3 plate(s) failed" in result.output
    errors = _read(out / "errors.csv")
    assert list(errors.columns) == ["export", "message"]
    assert errors["export"].tolist() == ["broken"]
    assert "broken.txt" in errors["message"].iloc[0]
    assert sorted(set(_read(out / "fold_changes.csv")["export"])) == ["plate0000", "plate0001"]


def test_manifest_columns_are_carried_and_columns_merged(plates: Path, batched: Path) -> None:
    layout = _read(plates / "layout.csv")
    layout["lot"] = "L7"  # a layout column of the second plate only: wells.csv gains it
    layout.to_csv(plates / "layout_lot.csv", index=False)
    manifest = plates / "runs.csv"
    manifest.write_text(
        "export,layout,operator,run date\n"
        "exports/plate0000.txt,,ann,2026-01-02\n"
        "exports/plate0001.txt,layout_lot.csv,=bo,2026-01-03\n"
    )
    out = plates / "batch_manifest"
    args = ["batch", "--manifest", str(manifest), "--layout", str(plates / "layout.csv"),
            "--config", str(plates / "analysis.toml"), "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    fold = _read(out / "fold_changes.csv")
    assert list(fold.columns[:3]) == ["export", "operator", "run date"]
    first = fold[fold["export"] == "plate0000"]
    assert set(first["operator"]) == {"ann"}
    assert set(first["run date"]) == {"2026-01-02"}
    assert set(fold.loc[fold["export"] == "plate0001", "operator"]) == {"'=bo"}  # escaped
    before = _read(batched / "fold_changes.csv")
    pd.testing.assert_frame_equal(
        fold.drop(columns=["operator", "run date"]), before[before["export"] != "plate0002"]
    )
    wells = _read(out / "wells.csv")
    assert list(wells.columns[-1:]) == ["lot"]
    assert len(wells) == 2 * 273
    assert wells.groupby("export")["lot"].unique().map(list).to_dict() == {
        "plate0000": [""], "plate0001": ["L7"]
    }  # fmt: skip
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_reports_write_a_full_folder_per_plate(plates: Path) -> None:
    out = plates / "batch_reports"
    result = _batch(plates, out, "--reports", "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "plates").iterdir()) == [
        "plate0000", "plate0001", "plate0002"
    ]  # fmt: skip
    for name in OUTPUT_FILES:
        assert (out / "plates" / "plate0001" / name).is_file(), name
    assert (out / "plates" / "plate0001" / "figures" / "fold_changes.png").is_file()
    alone = _read(out / "plates" / "plate0001" / "fold_changes.csv")
    gathered = _read(out / "fold_changes.csv")
    rows = gathered[gathered["export"] == "plate0001"].drop(columns="export")
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), alone)


def test_earlier_results_need_force_and_inputs_one_way(plates: Path, batched: Path) -> None:
    again = _batch(plates, batched)
    assert again.exit_code == 1
    assert "already holds results" in again.output
    both = runner.invoke(app, ["batch", str(plates / "exports"), "--manifest",
                               str(plates / "layout.csv"), "--out", str(plates / "x")])  # fmt: skip
    assert both.exit_code == 1
    assert "not both" in both.output
    assert not (plates / "x").exists()


def test_no_workbook_writes_no_workbook_and_imports_neither_heavy_writer(tmp_path: Path) -> None:
    example = ROOT / "examples" / "hypoxia_tocilizumab"
    argv = ["analyze", str(example / "quantstudio_384_results.txt"), "--layout",
            str(example / "quantstudio_384_layout.csv"), "--config",
            str(example / "analysis.toml"), "--out", str(tmp_path / "out"), "--quiet",
            "--no-figures", "--no-workbook"]  # fmt: skip
    script = (
        "import json, sys\nfrom qpcr.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit as exc:\n    assert not exc.code\n"
        "print(json.dumps(sorted(m for m in sys.modules if m in ('matplotlib', 'openpyxl'))))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=tmp_path)  # fmt: skip
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "results.xlsx" not in written
    assert "figures" not in written
    assert {"fold_changes.csv", "wells.csv", "provenance.json"} <= set(written)


def test_setting_options_apply_to_every_plate_and_errors_name_them(tmp_path: Path) -> None:
    """A German-style table whose '10.000' reads as 10 or 10000: refused on its own plate with
    the CLI's option in the message, read with --decimal ,."""
    rows = [("A1", "STD1", "std", "17", "10.000"), ("A2", "STD2", "std", "20", "1.000"),
            ("A3", "STD3", "std", "24", "100"), ("A4", "STD4", "std", "27", "10"),
            ("A5", "S1", "unkn", "22", "")]  # fmt: skip
    text = "well;sample;target;sample_type;Cq;quantity\n"
    text += "".join(f"{w};{s};GAPDH;{t};{cq};{q}\n" for w, s, t, cq, q in rows)
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(text)
    exports = [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]
    refused = runner.invoke(app, ["batch", *exports, "--out", str(tmp_path / "o1"), "-j", "1"])
    assert refused.exit_code == 1
    assert "2 of 2 plate(s) failed" in refused.output
    errors = _read(tmp_path / "o1" / "errors.csv")
    assert errors["export"].tolist() == ["a", "b"]
    assert errors["message"].str.contains("--decimal , (27,51)", regex=False).all()
    read = runner.invoke(app, ["batch", *exports, "--out", str(tmp_path / "o2"), "--decimal", ","])
    assert read.exit_code == 0, read.output
    wells = _read(tmp_path / "o2" / "wells.csv")
    assert wells.loc[wells["well"] == "A1", "quantity"].tolist() == ["10000.0", "10000.0"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("file,operator\nx.txt,ann\n", "expected a column 'export'"),
        ("export,operator\n", "lists no export"),
        ("export,operator\nmissing.txt,ann\n", "line 2: export missing.txt not found"),
        ("export,operator\nrun.txt\n", "line 2 has 1 cells; expected 2"),
    ],
)
def test_a_wrong_manifest_is_refused_before_any_plate(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "run.txt").write_text("well,sample,target,cq\nA1,s,GAPDH,20\n")
    (tmp_path / "runs.csv").write_text(text)
    args = ["batch", "--manifest", str(tmp_path / "runs.csv"), "--out", str(tmp_path / "o")]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output
    assert not (tmp_path / "o").exists()


def test_help_imports_neither_rich_nor_pandas() -> None:
    script = (
        "import sys\nfrom qpcr.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'pandas', 'numpy'}))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert "batch" in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_tidy_writes_every_plates_long_table(plates: Path) -> None:
    """``--tidy``: results_long.csv holds each plate's Results.to_long() under its export name,
    and each plate's report folder has its own results_long.csv with the same rows."""
    out = plates / "batch_tidy"
    result = _batch(plates, out, "--tidy", "--reports", "--jobs", "1")
    assert result.exit_code == 0, result.output
    gathered = _read(out / "results_long.csv")
    assert gathered.columns[0] == "export"
    assert sorted(gathered["export"].unique()) == ["plate0000", "plate0001", "plate0002"]
    alone = _read(out / "plates" / "plate0002" / "results_long.csv")
    rows = gathered[gathered["export"] == "plate0002"].drop(columns="export")
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), alone)
    folds = _read(out / "fold_changes.csv")
    long_folds = gathered[gathered["measure"] == "fold_change"]
    assert len(long_folds) == len(folds)  # one long row per fold change, every plate
    assert set(long_folds["value"]) == set(folds["fold_change"])


def test_without_tidy_there_is_no_long_table(batched: Path) -> None:
    assert not (batched / "results_long.csv").exists()


def test_the_batchs_layout_and_settings_in_the_exports_folder_are_not_plates(
    plates: Path, tmp_path: Path
) -> None:
    """Kept beside the exports (as the generator writes them), the layout and settings given
    as --layout and --config are set aside, not analysed as failing plates."""
    folder = tmp_path / "runs"
    folder.mkdir()
    for path in (*sorted((plates / "exports").glob("*.txt")), plates / "layout.csv",
                 plates / "analysis.toml"):  # fmt: skip
        (folder / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out"
    layout, settings = str(folder / "layout.csv"), str(folder / "analysis.toml")
    args = ["batch", str(folder), "--layout", layout, "--config", settings, "--out", str(out),
            "--jobs", "1"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(set(_read(out / "fold_changes.csv")["export"])) == [
        "plate0000", "plate0001", "plate0002"]  # fmt: skip
    assert _read(out / "errors.csv").empty
    # only the batch's own files are set aside: another stray file still fails as before
    (folder / "notes.csv").write_text("nothing here\n")
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 1
    assert _read(out / "errors.csv")["export"].tolist() == ["notes"]
    # and nothing else left: the layout alone is no batch
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "layout.csv").write_bytes((plates / "layout.csv").read_bytes())
    result = runner.invoke(app, ["batch", str(alone), "--layout", str(alone / "layout.csv"),
                                 "--out", str(tmp_path / "o2")])  # fmt: skip
    assert result.exit_code == 1
    assert "no export left" in result.output


def test_each_plates_warnings_are_kept_in_warnings_csv(plates: Path, tmp_path: Path) -> None:
    """A plate's warnings (what `qpcr analyze` prints) are rows of warnings.csv, the same
    texts as the plate analysed alone, and the batch says how many there were."""
    from qpcr.config import load_config
    from qpcr.pipeline import analyze

    folder = tmp_path / "runs"
    folder.mkdir()
    for path in sorted((plates / "exports").glob("*.txt"))[:2]:
        (folder / path.name).write_bytes(path.read_bytes())
    lines = (folder / "plate0001.txt").read_text(encoding="utf-8").split("\n")
    well_a1 = next(i for i, line in enumerate(lines) if line.split("\t")[1:2] == ["A1"])
    del lines[well_a1]  # the layout's well A1 now has no data: a warning
    (folder / "plate0001.txt").write_text("\n".join(lines), encoding="utf-8")
    alone = analyze([folder / "plate0001.txt"], plates / "layout.csv",
                    load_config(plates / "analysis.toml"))  # fmt: skip
    assert alone.warnings == ("1 layout well(s) have no data in the export: A1",)
    out = tmp_path / "out"
    args = ["batch", str(folder), "--layout", str(plates / "layout.csv"), "--config",
            str(plates / "analysis.toml"), "--out", str(out), "--jobs", "1"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert _read(out / "warnings.csv").values.tolist() == [
        ["plate0001", "warning", alone.warnings[0]]]  # fmt: skip
    assert list(_read(out / "warnings.csv").columns) == ["export", "kind", "message"]
    said = " ".join(result.stderr.split())
    assert f"1 warning(s) on 1 of 2 plate(s) (plate0001); see {out / 'warnings.csv'}" in said


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked")
def test_the_workers_stop_before_the_folder_goes_when_the_batch_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workers are stopped before the batch's folder is removed (they may be writing
    # --reports into it), also when the loop over their outcomes raises
    def analyse(job: batch._Job) -> batch._Outcome:
        time.sleep(0.02)
        return batch._Outcome(job.plate.name, {})

    def progress(done: int, total: int) -> None:
        if done == 3:
            raise RuntimeError("the terminal went away")

    monkeypatch.setattr(batch, "_analyse", analyse)
    exports = []
    for n in range(30):
        exports.append(tmp_path / f"p{n}.txt")
        exports[-1].write_text("plate\n")
    with pytest.raises(RuntimeError, match="terminal"):
        batch.run_batch(exports, tmp_path / "out", jobs=2, progress=progress)
    assert not multiprocessing.active_children()
    assert not (tmp_path / "out").exists()
