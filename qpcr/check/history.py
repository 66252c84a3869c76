"""The history file of a reference plate: each run's key values, read and appended crash-safe.

One row per run × metric × target × sample (:data:`HISTORY_COLUMNS`); the format is documented
in ``docs/reference-plates.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write, locked, output_errors
from ..errors import InputError
from .rules import MEASURED_TYPES, NEGATIVE_TYPES, _curves, _delta_cq, _delta_label, _prepare
from .spec import Spec

__all__ = ["HISTORY_COLUMNS", "append_history", "read_history", "run_values"]


HISTORY_COLUMNS = ("run", "digest", "recorded_at", "metric", "target", "sample", "value")


def run_values(wells: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    r"""Key values of one run for the history.

    Parameters
    ----------
    wells : DataFrame
        The run's wells table.
    spec : Spec
        Its ``delta_cq`` rules give the ΔCq values.

    Returns
    -------
    DataFrame
        ``metric, target, sample, value``: ``mean_cq`` per target × measured sample;
        ``delta_cq`` per ``delta_cq`` rule (labels as in the results); ``efficiency``
        (percent) per target with a standard curve; ``ntc_detected`` (number of NTC wells with
        a Cq) per target that has NTC wells.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.check import parse_spec
    >>> wells = pd.DataFrame({
    ...     "well": ["A1", "A2", "A3", "B1", "B2", "B3"],
    ...     "sample": "REF", "sample_type": "unkn", "cq_status": "ok",
    ...     "target": ["GAPDH"] * 3 + ["MYC"] * 3,
    ...     "cq": [18.0, 18.1, 18.2, 24.4, 24.5, 24.6],
    ... })
    >>> spec = parse_spec(
    ...     '[[rule]]\nid = "dcq"\ntype = "delta_cq"\ntarget = "MYC"\n'
    ...     'reference_target = "GAPDH"\nexpected = 6.4\ntolerance = 0.5\n'
    ... )
    >>> run_values(wells, spec)
         metric        target sample  value
    0   mean_cq         GAPDH    REF   18.1
    1   mean_cq           MYC    REF   24.5
    2  delta_cq  MYC vs GAPDH           6.4
    """
    w = _prepare(wells)
    return _values(w, _curves(w), spec)


def _values(w: pd.DataFrame, curves: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """The history values (:func:`run_values`) of prepared wells and their curves."""
    measured = w[w["usable"] & w["sample_type"].isin(MEASURED_TYPES)]
    mean_cq = measured.groupby(["target", "sample"], sort=True)["cq"].mean().reset_index()
    parts = [mean_cq.assign(metric="mean_cq").rename(columns={"cq": "value"})]
    deltas = [
        (*_delta_label(r.params), _delta_cq(w, r.params))
        for r in spec.rules
        if r.type == "delta_cq"
    ]
    parts.append(
        pd.DataFrame(deltas, columns=["target", "sample", "value"]).assign(metric="delta_cq")
    )
    curves = curves[np.isfinite(curves["efficiency"].astype(float))]
    parts.append(
        pd.DataFrame(
            {
                "metric": "efficiency",
                "target": curves["target"],
                "sample": "",
                "value": 100.0 * (curves["efficiency"] - 1.0),
            }
        )
    )
    ntc = w[w["sample_type"].isin(NEGATIVE_TYPES)]
    detected = ntc["cq_status"].eq("ok").groupby(ntc["target"]).sum().reset_index()
    parts.append(
        pd.DataFrame(
            {
                "metric": "ntc_detected",
                "target": detected["target"],
                "sample": "",
                "value": detected["cq_status"].astype(float),
            }
        )
    )
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=["metric", "target", "sample", "value"])
    out = pd.concat(parts, ignore_index=True)
    return out[["metric", "target", "sample", "value"]]


def read_history(path: str | Path) -> pd.DataFrame:
    r"""The history table, empty if the file does not exist yet.

    Parameters
    ----------
    path : str or Path
        The history file; ``.parquet`` files need pyarrow, any other suffix is CSV.

    Returns
    -------
    DataFrame
        ``HISTORY_COLUMNS``, one row per run × metric × target × sample.

    Raises
    ------
    InputError
        If the file cannot be read or lacks a column.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "history.csv"
    >>> read_history(path).columns.tolist()
    ['run', 'digest', 'recorded_at', 'metric', 'target', 'sample', 'value']
    >>> _ = path.write_text(
    ...     "run,digest,recorded_at,metric,target,sample,value\n"
    ...     "run1,ab12,2025-01-06T09:00:00+00:00,mean_cq,GAPDH,REF,18.1\n"
    ... )
    >>> read_history(path)[["run", "metric", "target", "value"]]
        run   metric target  value
    0  run1  mean_cq  GAPDH   18.1
    >>> folder.cleanup()
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(
            "is a folder; expected a history file (.csv or .parquet)",
            where=str(path),
            hint="Give a file name, e.g. history.csv",
        )
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c == "value" else object) for c in HISTORY_COLUMNS}
        )
    try:
        if path.suffix.lower() == ".parquet":
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(
                path,
                dtype={c: str for c in HISTORY_COLUMNS if c != "value"},
                keep_default_na=False,
                na_values={"value": ["", "nan", "NaN"]},
            )
    except ImportError:
        raise InputError(
            "reading Parquet needs the pyarrow package",
            where=str(path),
            hint="Install pyarrow or use a .csv history file",
        ) from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read the history file ({exc})", where=str(path)) from None
    missing = [c for c in HISTORY_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; expected {', '.join(HISTORY_COLUMNS)}",
            where=str(path),
            hint="Is this a qpcr check history file?",
        )
    return table[list(HISTORY_COLUMNS)]


def append_history(path: str | Path, rows: pd.DataFrame) -> int:
    """Append ``rows`` (``HISTORY_COLUMNS``) to the history file once, crash-safe; return the
    number of rows appended.

    Idempotent: rows of a run already in the file (same ``digest``, the run's key:
    :func:`qpcr.check.run.history_key`) are not appended again, however many processes append
    the same run at once. Under an exclusive lock on ``<path>.lock`` (removed on release;
    :func:`qpcr.atomic.locked`), the file is read, the old content plus the new rows are written
    to a temporary file in the same folder, flushed to disk and moved over ``path`` with
    :func:`os.replace` (atomic): a crash at any point leaves the earlier file intact. CSV keeps
    the earlier bytes verbatim.

    Parameters
    ----------
    path : str or Path
        The history file (created if missing; its folder must exist).
    rows : DataFrame
        New rows with the ``HISTORY_COLUMNS`` (other columns are dropped).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "history.csv"
    >>> runs = [("run1", "ab12", 18.1), ("run2", "cd34", 18.3), ("run1", "ab12", 18.1)]
    >>> for run, key, cq in runs:
    ...     _ = append_history(path, pd.DataFrame({
    ...         "run": [run], "digest": [key], "recorded_at": ["2025-01-06T09:00:00+00:00"],
    ...         "metric": ["mean_cq"], "target": ["GAPDH"], "sample": ["REF"], "value": [cq],
    ...     }))
    >>> print(path.read_text(), end="")
    run,digest,recorded_at,metric,target,sample,value
    run1,ab12,2025-01-06T09:00:00+00:00,mean_cq,GAPDH,REF,18.1
    run2,cd34,2025-01-06T09:00:00+00:00,mean_cq,GAPDH,REF,18.3
    >>> folder.cleanup()
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(
            "the history file's folder does not exist", where=str(path), hint="Create it first"
        )
    rows = rows[list(HISTORY_COLUMNS)]
    with output_errors(path), locked(path.with_name(path.name + ".lock")):
        old = read_history(path)
        rows = rows[~rows["digest"].isin(set(old["digest"]))]
        if rows.empty:
            return 0
        parquet = path.suffix.lower() == ".parquet"

        def write(tmp: Path) -> None:
            if parquet:
                table = pd.concat([old, rows], ignore_index=True) if len(old) else rows
                try:
                    table.to_parquet(tmp, index=False)
                except ImportError:
                    raise InputError(
                        "writing Parquet needs the pyarrow package",
                        where=str(path),
                        hint="Install pyarrow or use a .csv history file",
                    ) from None
            else:
                before = path.read_bytes() if path.exists() else b""
                if before and not before.endswith(b"\n"):
                    before += b"\n"
                csv = rows.to_csv(index=False, header=not before).encode("utf-8")
                tmp.write_bytes(before + csv)

        atomic_write(path, write)
    return len(rows)
