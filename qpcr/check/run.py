"""The entry point of ``qpcr check``: one run (export file or wells table) against a spec."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .history import _values, append_history, read_history
from .rules import _curves, _evaluate, _prepare
from .spec import Spec, load_spec
from .westgard import _westgard_results

__all__ = ["check_run", "collect_exports"]


def check_run(
    export: str | Path | pd.DataFrame,
    spec: Spec | str | Path,
    layout: str | Path | None = None,
    history: str | Path | None = None,
    run: str | None = None,
    format: str | None = None,
) -> pd.DataFrame:
    """Evaluate ``spec`` on one run; returns the results table (``RESULT_COLUMNS``).

    ``export`` is an export file (any supported format) or a wells table. With ``layout`` the
    plate layout is joined to the wells first. With ``history`` the run's key values
    (:func:`run_values`) are judged by Westgard rules against the earlier runs and then
    appended to the file; a run already in the history (same name and content digest) is
    judged against the runs before it and not appended twice. ``run`` names the run (default: the
    file name without suffix); ``format`` names the reader (default: detected).
    """
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if isinstance(export, pd.DataFrame):
        wells = export
        digest = hashlib.sha256(export.to_csv(index=False).encode()).hexdigest()[:16]
        run = run or "run"
    else:
        from ..io import read_run

        path = Path(export)
        wells = read_run(path, format).wells
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        run = run or path.stem
    if layout is not None:
        from ..layout import join_layout, load_layout

        wells, _ = join_layout(wells, load_layout(layout), where=str(layout))
    prepared = _prepare(wells)
    curves = _curves(prepared)
    results = _evaluate(prepared, curves, spec, run)
    if history is None:
        return results
    past = read_history(history)
    known = past["digest"].eq(digest) & past["run"].eq(run)
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
    """Expand folders into the export files they hold (sorted; hidden files and files no
    reader claims are skipped); files given by name are kept as they are."""
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
