"""The entry point of ``qpcr check``: one run (export file or wells table) against a spec."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, cast

import numpy as np
import pandas as pd

from ..errors import InputError
from .history import _values, append_history, read_history
from .rules import _curves, _evaluate, _prepare
from .spec import Spec, load_spec
from .westgard import _westgard_results

__all__ = ["check_run", "collect_exports", "history_key"]


def history_key(export_sha256: str, spec: Spec) -> str:
    r"""The key of a run in the history (its ``digest``): the export's SHA-256 and the spec.

    The same export checked twice against one spec is one run, whatever name it is given and
    however many processes record it at once; checked against another spec it is another run.

    Parameters
    ----------
    export_sha256
        The SHA-256 (hex) of the export file's bytes.
    spec
        The spec the run is checked against (its rules and history settings count, not the
        file it came from).

    Returns
    -------
    str
        16 hex digits.

    Examples
    --------
    >>> from qpcr.check import parse_spec
    >>> spec = parse_spec('[[rule]]\nid = "n"\ntype = "valid_wells"\nmin = 60\n')
    >>> other = parse_spec('[[rule]]\nid = "n"\ntype = "valid_wells"\nmin = 50\n')
    >>> history_key("ab" * 32, spec) == history_key("ab" * 32, spec)
    True
    >>> history_key("ab" * 32, spec) == history_key("ab" * 32, other)
    False
    """
    rules = [(r.id, r.type, r.severity, r.message, sorted(r.params.items())) for r in spec.rules]
    text = repr((export_sha256, spec.name, rules, spec.history))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_run(
    export: str | Path | pd.DataFrame,
    spec: Spec | str | Path,
    layout: str | Path | None = None,
    history: str | Path | None = None,
    run: str | None = None,
    format: str | None = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    r"""Evaluate ``spec`` on one run; returns the results table (``RESULT_COLUMNS``).

    Parameters
    ----------
    export : str, Path or DataFrame
        An export file (any supported format) or a wells table.
    spec : Spec, str or Path
        The spec, or its file (:func:`load_spec`).
    layout : str or Path, optional
        A plate layout joined to the wells first.
    history : str or Path, optional
        A history file: the run's key values (:func:`run_values`) are judged by Westgard rules
        against the earlier runs and then appended to the file; a run already in the history
        (same :func:`history_key`: the export's content and the spec, whatever the run's name)
        is judged against the runs before it and not appended twice.
    run : str, optional
        The run's name (default: the file name without suffix; ``run`` for a table).
    format : str, optional
        The reader's name (default: detected).
    decimal : {",", "."}, optional
        The decimal mark of a text export and of the layout (default: detected).

    Returns
    -------
    DataFrame
        One row per rule evaluation (``RESULT_COLUMNS``), the Westgard rows last.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.check import parse_spec
    >>> wells = pd.DataFrame({
    ...     "well": ["A1", "A2", "A3"], "sample": "REF", "sample_type": "unkn",
    ...     "cq_status": "ok", "target": "GAPDH", "cq": [18.5, 18.6, 18.7],
    ... })
    >>> spec = parse_spec(
    ...     '[[rule]]\nid = "cq-GAPDH"\ntype = "cq"\ntarget = "GAPDH"\nexpected = 18.0\n'
    ...     'tolerance = 0.5\n'
    ... )
    >>> check_run(wells, spec, run="run1")[["run", "rule_id", "status", "observed"]]
        run   rule_id status     observed
    0  run1  cq-GAPDH   fail  18.60 (n=3)

    With a history file, see :mod:`qpcr.check`.
    """
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if isinstance(export, pd.DataFrame):
        wells = export
        run = run or "run"
        # a table has no file: its content and its name stand for the export
        content = hashlib.sha256(f"{run}\n{export.to_csv(index=False)}".encode()).hexdigest()
        if layout is not None:
            from ..layout import join_layout, load_layout

            wells, _ = join_layout(wells, load_layout(layout, decimal=decimal), where=str(layout))
    else:  # the analysis's first step: the export read, the layout joined
        from ..config import AnalysisConfig
        from ..pipeline import read_wells

        path = Path(export)
        mark = cast("Literal['.', ','] | None", decimal)  # checked by the readers
        read = read_wells([path], layout, AnalysisConfig(decimal=mark), format)
        wells, content = read.table, read.inputs[0].sha256
        run = run or path.stem
    digest = history_key(content, spec)
    prepared = _prepare(wells)
    curves = _curves(prepared)
    results = _evaluate(prepared, curves, spec, run)
    if history is None:
        return results
    past = read_history(history)
    known = past["digest"].eq(digest)
    if known.any():
        first = int(np.flatnonzero(known.to_numpy())[0])
        past = past.iloc[:first]
    values = _values(prepared, curves, spec)
    trend = _westgard_results(past, values, spec, run)
    if not known.any():
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        append_history(history, values.assign(run=run, digest=digest, recorded_at=stamp))
    return pd.concat([results, trend], ignore_index=True)


def collect_exports(paths: Iterable[str | Path]) -> list[Path]:
    r"""Expand folders into the export files they hold.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders.

    Returns
    -------
    list of Path
        Files given by name as they are; the files of each folder sorted by name, without
        hidden files and files no reader claims.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> _ = (folder / "run1.csv").write_text("well,sample,target,cq\nA1,REF,GAPDH,18.1\n")
    >>> _ = (folder / "notes.txt").write_text("pipetted by A.")
    >>> [path.name for path in collect_exports([folder, folder / "more.csv"])]
    ['run1.csv', 'more.csv']
    >>> tmp.cleanup()
    """
    from ..errors import UnrecognizedFormatError
    from ..io import detect

    out: list[Path] = []
    for item in map(Path, paths):
        if not item.is_dir():
            out.append(item)
            continue
        for child in sorted(item.iterdir()):
            if child.name.startswith(".") or not child.is_file():
                continue
            try:
                detect(child)
            except (UnrecognizedFormatError, InputError):
                continue
            out.append(child)
    return out
