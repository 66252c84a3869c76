"""Old results are deleted file by file from a few threads (the whole tree goes, what links
inside it point to stays), and a file in a folder being built is written in place."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qpcr.atomic import _remove_tree, atomic_write, replace_folder


def test_remove_tree_deletes_nested_files_and_only_the_links(tmp_path: Path) -> None:
    outside = tmp_path / "keep"
    outside.mkdir()
    (outside / "data.csv").write_text("kept")
    root = tmp_path / "old"
    (root / "figures" / "deep").mkdir(parents=True)
    for i in range(9):
        (root / f"t{i}.csv").write_text(str(i))
    (root / "figures" / "a.png").write_bytes(b"png")
    (root / "figures" / "deep" / "b.svg").write_text("<svg/>")
    os.symlink(outside, root / "folder_link")
    os.symlink(outside / "data.csv", root / "file_link")
    with ThreadPoolExecutor(4) as pool:
        _remove_tree(root, pool)
    assert not os.path.lexists(root)
    assert (outside / "data.csv").read_text() == "kept"


def test_remove_tree_raises_what_it_cannot_delete(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), ThreadPoolExecutor(4) as pool:
        _remove_tree(tmp_path / "missing", pool)


def test_replacing_results_leaves_only_the_new_folder(tmp_path: Path) -> None:
    target = tmp_path / "results"
    for run in ("first", "second", "third"):
        with replace_folder(target, owned={"a.txt", "figures"}) as tmp:
            (tmp / "a.txt").write_text(run)
            (tmp / "figures").mkdir()
            (tmp / "figures" / f"{run}.png").write_bytes(b"png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    assert (target / "a.txt").read_text() == "third"
    assert [p.name for p in (target / "figures").iterdir()] == ["third.png"]


def test_a_file_in_a_folder_being_built_is_written_in_place(tmp_path: Path) -> None:
    given: list[Path] = []

    def write(path: Path) -> None:
        given.append(path)
        path.write_text("cells")

    with replace_folder(tmp_path / "results", owned={"a.csv"}) as tmp:
        atomic_write(tmp / "a.csv", write)
        assert given == [tmp / "a.csv"]
        assert [p.name for p in tmp.iterdir()] == ["a.csv"]
    atomic_write(tmp_path / "alone.csv", write)  # outside one: a temporary, then renamed
    assert given[1].parent == tmp_path
    assert given[1].name != "alone.csv"
    assert (tmp_path / "alone.csv").read_text() == "cells"
