"""Old results are deleted file by file from a few threads: the whole tree goes, and what links
inside it point to stays."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qpcr.atomic import _remove_tree, replace_folder


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
    _remove_tree(root)
    assert not os.path.lexists(root)
    assert (outside / "data.csv").read_text() == "kept"


def test_remove_tree_raises_what_it_cannot_delete(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        _remove_tree(tmp_path / "missing")


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
