"""The CSV files of a ``qpcr batch`` (:func:`qpcr.batch.run_batch`), appended to plate by
plate: one per table under the columns of its plates, and ``errors.csv``."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

__all__ = ["Spool"]


class Spool:
    """The batch's CSV files, appended to plate by plate.

    A table's rows go to ``<table>.csv`` under the header of the first plate that has rows; a
    plate whose columns differ (another layout's factors, an optional column) goes to a part
    file of its own, and on closing the parts are merged into ``<table>.csv`` row by row under
    the union of the columns (blank where a plate lacks one).
    """

    def __init__(self, folder: Path, tables: Sequence[str]) -> None:
        self.folder = folder
        self.tables = tables
        self.parts: dict[str, dict[tuple[str, ...], tuple[Path, IO[str]]]] = {}
        self.errors = self._open(folder / "errors.csv", ("export", "message"))

    def __enter__(self) -> Spool:
        return self

    def _open(self, path: Path, columns: Iterable[str]) -> IO[str]:
        handle = path.open("w", encoding="utf-8", newline="")
        csv.writer(handle).writerow(columns)
        return handle

    def add(self, table: str, columns: tuple[str, ...], rows: str) -> None:
        """Append a plate's rows (CSV text without header) of ``table``."""
        parts = self.parts.setdefault(table, {})
        if not rows and parts:
            return
        if columns not in parts:
            name = f"{table}.csv" if not parts else f".{table}.part{len(parts)}.csv"
            parts[columns] = (self.folder / name, self._open(self.folder / name, columns))
        parts[columns][1].write(rows)

    def error(self, export: str, message: str) -> None:
        """List a plate that failed."""
        from .report.safe import escape_cell

        csv.writer(self.errors).writerow([escape_cell(export), escape_cell(message)])

    def __exit__(self, *exc: object) -> None:
        self.errors.close()
        for handles in self.parts.values():
            for _, handle in handles.values():
                handle.close()
        if exc[0] is not None:
            return
        for table in self.tables:
            parts = list(self.parts.get(table, {}).items())
            if not parts:  # no plate analysed: the file still exists
                self._open(self.folder / f"{table}.csv", ("export",)).close()
            elif len(parts) > 1:
                _merge(self.folder / f"{table}.csv", parts)


def _merge(path: Path, parts: list[tuple[tuple[str, ...], tuple[Path, IO[str]]]]) -> None:
    """Rewrite ``path`` (the first part) with every part's rows under the union of their
    columns, in the order first seen."""
    union = list(dict.fromkeys(column for columns, _ in parts for column in columns))
    merged = path.with_name(f".{path.name}.merged")
    with merged.open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, union, restval="")
        writer.writeheader()
        for _, (part, _) in parts:
            with part.open(encoding="utf-8", newline="") as source:
                writer.writerows(csv.DictReader(source))
            if part != path:
                part.unlink()
    os.replace(merged, path)
