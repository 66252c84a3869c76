"""CSV tables and provenance, written atomically and spreadsheet-safe."""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from collections.abc import Collection, Hashable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..atomic import atomic_write
from ..errors import InputError
from ..schema import TABLES, conform, conform_columns
from .safe import csv_text

if TYPE_CHECKING:
    from ..results import Results

__all__ = [
    "OUTPUT_FILES",
    "OWNED",
    "atomic_write",
    "check_outdir",
    "write_long",
    "write_provenance",
    "write_tables",
]

#: Files an analysis writes into its output folder (figures go to ``figures/``).
OUTPUT_FILES = ("wells.csv", "replicates.csv", "samples.csv", "fold_changes.csv", "ratios.csv",
                "qc.csv", "results.xlsx", "provenance.json", "miqe.md",
                "report.html")  # fmt: skip

_PACKAGES = ("qpcrkit", "numpy", "pandas", "scipy", "matplotlib", "openpyxl", "xlsxwriter",
             "python-calamine", "click")  # fmt: skip


#: Every entry an analysis may write into its output folder; a folder holding anything else is
#: not replaced (:func:`qpcr.atomic.replace_folder`).
OWNED = frozenset({*(f"{name}.csv" for name in TABLES), *OUTPUT_FILES, "figures"})


def check_outdir(outdir: Path, force: bool) -> None:
    """Refuse to replace earlier results unless ``force``.

    Parameters
    ----------
    outdir
        The results folder.
    force
        Allow replacing earlier results.

    Raises
    ------
    InputError
        ``outdir`` holds any of :data:`OUTPUT_FILES` and not ``force``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> outdir = Path(folder.name)
    >>> check_outdir(outdir, force=False)  # nothing there yet
    >>> _ = (outdir / "qc.csv").write_text("")
    >>> try:
    ...     check_outdir(outdir, force=False)
    ... except InputError as exc:
    ...     print(exc.message)
    ...     print(exc.hint)
    already holds results (qc.csv)
    Choose another --out folder, or pass --force to replace them
    >>> check_outdir(outdir, force=True)
    >>> folder.cleanup()
    """
    existing = [name for name in OUTPUT_FILES if (outdir / name).exists()]
    if existing and not force:
        raise InputError(
            f"already holds results ({', '.join(existing[:3])}"
            + (", ..." if len(existing) > 3 else "")
            + ")",
            where=str(outdir),
            hint="Choose another --out folder, or pass --force to replace them",
        )


def _csv(table: pd.DataFrame | Mapping[Hashable, pd.Series], path: Path) -> Path:
    text = csv_text(table)  # as to_csv writes it: UTF-8, the rows' line ends as they are
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))


#: The qc table's columns written to 12 significant digits (:func:`_rounded`).
_DESCRIPTIVE = ("observed", "value", "threshold")
#: Columns of the wells table that are not written (when it is ``results.wells``).
_UNWRITTEN = ("cq_used", "in_layout")


def _rounded(column: pd.Series) -> list[float]:
    """``column`` rounded to 12 significant digits: a replicate range of Cq values read to 3
    decimals prints as 0.517, not 0.517000000000003 (binary float artefacts sit in the 16th
    digit; no instrument reports Cq to 12). Cells that are floats already (the qc table holds
    them as objects) skip ``astype``, which costs more than the rounding."""
    values = column.to_numpy().tolist()
    if not all(type(v) is float for v in values):
        values = column.astype(float).tolist()
    return [float(f"{v:.12g}") for v in values]


def _built(results: Results, names: Collection[str] | None) -> dict[str, pd.DataFrame]:
    """The tables of ``results`` as built, under their output names (only those in ``names``
    when given)."""
    tables = {
        "wells": results.wells,
        "replicates": results.replicates,
        "samples": results.samples,
        "fold_changes": results.fold_changes,
        "ratios": results.ratios,
        "qc": results.qc,
    }
    tables.update(results.tables)
    if names is not None:
        tables = {name: frame for name, frame in tables.items() if name in names}
    return tables


def result_tables(
    results: Results, names: Collection[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The tables of ``results`` under their output names (without ``.csv``), each with its
    declared columns in order (:data:`qpcr.schema.TABLES`); only those in ``names`` when
    given."""
    tables = _built(results, names)
    if tables.get("wells") is results.wells:  # dropped only when it is written
        tables["wells"] = results.wells.drop(columns=list(_UNWRITTEN), errors="ignore")
    qc = tables.get("qc")
    if qc is not None and not qc.empty and any(c in qc for c in _DESCRIPTIVE):
        tables["qc"] = qc.assign(**{c: _rounded(qc[c]) for c in _DESCRIPTIVE if c in qc})
    factors, replicate = results.factors, results.config.replicate
    return {name: conform(name, frame, factors, replicate) for name, frame in tables.items()}


def result_columns(
    results: Results, names: Collection[str] | None = None
) -> dict[str, dict[Hashable, pd.Series]]:
    """The tables of :func:`result_tables` as their columns (label → column), without
    building a table for each (what ``qpcr batch`` writes).

    Examples
    --------
    >>> results = example_results()
    >>> columns = result_columns(results, ["qc", "wells"])
    >>> tables = result_tables(results, ["qc", "wells"])
    >>> all(pd.DataFrame(columns[name]).equals(tables[name]) for name in tables)
    True
    """
    factors, replicate = results.factors, results.config.replicate
    out = {}
    for name, frame in _built(results, names).items():
        if frame.empty:  # conform gives it the required columns
            out[name] = dict(conform(name, frame, factors, replicate).items())
            continue
        columns = dict(frame.items())
        if frame is results.wells:
            for label in _UNWRITTEN:
                columns.pop(label, None)
        if name == "qc":
            for label in _DESCRIPTIVE:
                if label in columns:
                    rounded = _rounded(columns[label])
                    columns[label] = pd.Series(rounded, index=frame.index, dtype=float)
        out[name] = conform_columns(name, columns, factors, replicate)
    return out


def write_tables(results: Results, outdir: Path) -> list[Path]:
    """Write every table as ``<name>.csv``.

    Parameters
    ----------
    results
        A finished analysis.
    outdir
        The folder to write into.

    Returns
    -------
    list of Path
        The CSV files written.

    Examples
    --------
    ``example_results()`` is a small analysis (see the repository's ``conftest.py``):

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> [path.name for path in write_tables(example_results(), Path(folder.name))]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['wells.csv', 'replicates.csv', 'samples.csv', 'fold_changes.csv', 'ratios.csv', 'qc.csv',
     'anova.csv', 'contrasts.csv']
    >>> folder.cleanup()
    """
    return [_csv(table, outdir / f"{name}.csv") for name, table in result_columns(results).items()]


def write_long(results: Results, path: Path) -> Path:
    """Write :meth:`~qpcr.results.Results.to_long` as ``results_long.csv``.

    Parameters
    ----------
    results
        A finished analysis.
    path
        The CSV file to write.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_long(example_results(), Path(folder.name) / "results_long.csv")
    >>> path.read_text(encoding="utf-8").splitlines()[0]
    'contrast,target,oxygen,sample,measure,value,ci_low,ci_high,p_value,p_adj,p_role,comparison'
    >>> folder.cleanup()
    """
    return _csv(results.to_long(), path)


def as_labelled(results: Results) -> Results:
    """``results`` with the ``comparison`` and ``p_role`` columns (:func:`qpcr.labels.labelled`):
    itself when its tables carry them already, as an analysis from
    :func:`qpcr.pipeline.analyze` does (labelling it again for each part of a report cost
    15 ms each time).

    Parameters
    ----------
    results
        A finished analysis.

    Returns
    -------
    Results
        ``results``, or a labelled copy.

    Examples
    --------
    >>> from dataclasses import replace
    >>> results = example_results()
    >>> as_labelled(results) is results
    True
    >>> bare = replace(results, fold_changes=results.fold_changes.drop(columns="p_role"))
    >>> as_labelled(bare).fold_changes["p_role"].tolist()
    ['primary', 'primary']
    """
    from ..labels import labelled

    tables = [results.fold_changes, results.ratios]
    if "contrasts" in results.tables:
        tables.append(results.tables["contrasts"])
    done = all("p_role" in t and ("contrast" not in t or "comparison" in t) for t in tables)
    return results if done else labelled(results)


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers."""
    return dict(_versions())


@cache
def _versions() -> dict[str, str]:
    """:func:`versions`, read once a process (a report quotes them three times)."""
    found = _installed(_PACKAGES)
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        if found.get(name) is None:
            from importlib import metadata  # an unusual install: its email parser costs 10 ms

            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = "not installed"
        out[name] = str(found[name])
    return out


def _installed(names: tuple[str, ...]) -> dict[str, str | None]:
    """The ``Version:`` field of each package's ``METADATA``, from the first folder along
    ``sys.path`` holding a ``NAME-VERSION.dist-info`` for it, as :func:`importlib.metadata.version`
    reads it; None where that folder holds an ``.egg-info`` instead, or no folder holds either
    (:func:`_versions` then asks :mod:`importlib.metadata`, which a table need not import)."""
    key = {re.sub(r"[-_.]+", "_", n).lower(): n for n in names}
    found: dict[str, str | None] = {}
    for entry in sys.path:
        try:
            listed = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in listed:
            if not folder.endswith((".dist-info", ".egg-info")):
                continue
            stem, dot, kind = folder.rpartition(".")
            name = key.get(re.sub(r"[-_.]+", "_", stem.split("-")[0]).lower())
            if not dot or kind not in ("dist-info", "egg-info") or name in found or name is None:
                continue
            egg = kind == "egg-info"
            found[name] = None if egg else _metadata_version(Path(entry or ".", folder))
    return found


def _metadata_version(folder: Path) -> str | None:
    """The ``Version:`` header of ``folder/METADATA`` (None when it has none)."""
    try:
        with open(folder / "METADATA", encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    break
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def provenance(results: Results) -> dict[str, Any]:
    """Inputs with SHA-256, resolved settings, run metadata and versions."""
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": sys.argv,
        "inputs": [vars(i) for i in results.inputs],
        "runs": [vars(r) for r in results.runs],
        "settings": results.resolved_config().to_dict(),
        "factors": list(results.factors),
        "targets": list(results.targets),
        "warnings": list(results.warnings),
        "notes": list(results.notes),
        "versions": versions(),
    }


def write_provenance(results: Results, path: Path) -> Path:
    """Write :func:`provenance` as indented JSON.

    Parameters
    ----------
    results
        A finished analysis.
    path
        The JSON file to write.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import json
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_provenance(example_results(), Path(folder.name) / "provenance.json")
    >>> record = json.loads(path.read_text(encoding="utf-8"))
    >>> list(record)  # doctest: +NORMALIZE_WHITESPACE
    ['created', 'command', 'inputs', 'runs', 'settings', 'factors', 'targets', 'warnings',
     'notes', 'versions']
    >>> record["factors"], record["targets"], record["inputs"][0]["format"]
    (['oxygen'], ['GAPDH', 'MYC', 'HIF1A'], 'tidy')
    >>> record["settings"]["reference_genes"], len(record["inputs"][0]["sha256"])
    (['GAPDH'], 64)
    >>> folder.cleanup()
    """
    text = json.dumps(provenance(results), indent=2, default=str, ensure_ascii=False)
    return atomic_write(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
