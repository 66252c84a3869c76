"""Amplification and melt curves of any export as one tidy table
(:data:`qpcr.schema.curves.CURVES`).

The curves come from the readers that carry them: RDML ``<adp>``/``<mdp>`` (every run) and
Thermo "Amplification Data" and "Melt Curve Raw Data" sheets and sections, both through
:func:`qpcr.io.read_run`; and the exports :func:`qpcr.io.read_run` refuses as holding no Cq,
each read by its curve reader once its format has claimed the file (``_CURVE_FORMATS``): the
Bio-Rad CFX amplification and melt exports (:mod:`qpcr.io.biorad_curves`), the LightCycler 480
raw-data text and the MxPro raw-fluorescence export (:mod:`qpcr.io.raw_curves`), the Rotor-Gene
``.rex`` run file (:mod:`qpcr.io.rex_curves`) and plain long or wide curve tables
(:mod:`qpcr.io.curve_table`). Every file passes the same detection and safety checks as for an
analysis."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import pandas as pd

from ..schema.curves import tidy_curves
from . import agilent, biorad, curve_table, raw_curves, roche, runfiles
from .curve_table import read_curve_table
from .failures import damaged_file
from .numbers import check_decimal
from .registry import Export, FileSample, open_export

#: A curve reader bound to its file.
_Reader = Callable[[], pd.DataFrame]

__all__ = ["describe_curves", "export_curves", "raw_curves_of", "read_curves"]

#: Curve table of a reader → its kind and the column of its readings' positions.
_X = {"amplification": "cycle", "melt": "temperature"}


def read_curves(
    path: str | Path,
    format: str | None = None,
    decimal: str | None = None,
    run: Sequence[str] = (),
    plate: str | None = None,
) -> pd.DataFrame:
    r"""The amplification and melt curves of an export, one row per reading.

    Parameters
    ----------
    path
        The export file.
    format
        A registered format's name; None or ``auto`` detects it.
    decimal
        The decimal mark of a text export (``","`` or ``"."``); None detects it.
    run
        The runs to read from a file holding several (RDML); empty reads all.
    plate
        The plate name of an export that names no plates; None: its file stem.

    Returns
    -------
    pandas.DataFrame
        ``plate, well, target, sample, reporter, cycle, temperature, fluorescence,
        derivative, kind`` (:data:`qpcr.schema.curves.CURVES`); ``plate`` is the export's run
        id, else ``plate``. No rows when the export holds no curves.

    Raises
    ------
    InputError
        As :func:`qpcr.io.read_run`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "p1.csv"
    >>> _ = path.write_text(",Cycle,A1,A2\n,1,10.5,11.0\n,2,12.5,13.5\n")
    >>> curves = read_curves(path)
    >>> curves[["plate", "well", "cycle", "fluorescence", "kind"]]
      plate well  cycle  fluorescence           kind
    0    p1   A1    1.0          10.5  amplification
    1    p1   A1    2.0          12.5  amplification
    2    p1   A2    1.0          11.0  amplification
    3    p1   A2    2.0          13.5  amplification
    >>> path.write_text("well,sample,target,cq\nA1,s1,MYC,24.1\n") and len(read_curves(path))
    0
    >>> folder.cleanup()
    """
    path = Path(path)
    plate = path.stem if plate is None else plate
    decimal = check_decimal(decimal)
    sample, claim = open_export(path, format, decimal)  # opened once for both readers
    choose = _CURVE_FORMATS.get(claim.format.name)
    reader = choose(path, sample, decimal) if choose is not None else None
    if reader is not None:
        with damaged_file(str(path)):
            table = reader()
        named = table.get("plate", pd.Series("", index=table.index)).replace("", plate)
        return tidy_curves([table.assign(plate=named)])  # a curve table may name plates
    return export_curves(claim.read(path, sample, run), plate)


def raw_curves_of(
    path: str | Path,
    refusal: Exception,
    format: str | None = None,
    decimal: str | None = None,
    run: Sequence[str] = (),
    plate: str | None = None,
) -> pd.DataFrame:
    r"""The curves of an export that :func:`qpcr.io.read_run` refused (``refusal``) as holding
    no Cq: a raw-curve export, which ``qpcr analyze`` calls Cq from (``cq_source``) and
    ``qpcr inspect`` describes by its curves.

    Parameters
    ----------
    path
        The export file.
    refusal
        What :func:`qpcr.io.read_run` raised for it.
    format, decimal, run, plate
        As for :func:`read_curves`.

    Returns
    -------
    pandas.DataFrame
        The tidy curves table (:func:`read_curves`), holding amplification curves.

    Raises
    ------
    Exception
        ``refusal`` again when the file holds no amplification curve (it is then not a
        raw-curve export, and the reader's message says what it is).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from qpcr.errors import InputError
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "curves.csv"
    >>> _ = path.write_text("well,cycle,fluorescence\nA1,1,0.5\nA1,2,0.6\n")
    >>> raw_curves_of(path, InputError("no Cq"))[["well", "cycle", "kind"]].values.tolist()
    [['A1', 1.0, 'amplification'], ['A1', 2.0, 'amplification']]
    >>> _ = path.write_text("well,temperature,fluorescence\nA1,60,1.0\nA1,61,0.9\n")
    >>> raw_curves_of(path, InputError("no Cq"))
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: no Cq
    >>> folder.cleanup()
    """
    curves = read_curves(path, format, decimal, run, plate)
    if not curves["kind"].eq("amplification").any():
        raise refusal
    return curves


def _biorad(path: Path, sample: FileSample, decimal: str | None) -> _Reader | None:
    from . import biorad_curves

    sniffed = biorad.sniff(sample)  # the file's head is cached: no second read
    if sniffed is None or sniffed[0] not in _X:
        return None
    return partial(biorad_curves.read_curves, path, sample, sniffed)


def _lc480(path: Path, sample: FileSample, decimal: str | None) -> _Reader | None:
    if roche.sniff(sample) == "raw":
        return partial(raw_curves.read_lc480, path, sample, decimal)
    return None


def _mxpro(path: Path, sample: FileSample, decimal: str | None) -> _Reader | None:
    if agilent.sniff(sample) == "raw":
        return partial(raw_curves.read_mxpro, path, sample, decimal)
    return None


def _rex(path: Path, sample: FileSample, decimal: str | None) -> _Reader | None:
    from .rex_curves import read_rex

    return partial(read_rex, path, sample) if runfiles.sniff(sample) == "rex" else None


def _table(path: Path, sample: FileSample, decimal: str | None) -> _Reader | None:
    return partial(read_curve_table, path, sample, decimal) if curve_table.sniff(sample) else None


#: Formats whose files may hold curves that :func:`read_run` refuses (they hold no Cq) →
#: (path, sample, decimal) → the reader of those curves, or None when the file holds none
#: (each format's sniffer says what its export holds).
_CURVE_FORMATS: dict[str, Callable[[Path, FileSample, str | None], _Reader | None]] = {
    biorad.NAME: _biorad,
    roche.NAME: _lc480,
    agilent.NAME: _mxpro,
    runfiles.NAME: _rex,
    curve_table.NAME: _table,
}


def export_curves(export: Export, plate: str) -> pd.DataFrame:
    """The curves an export read by :func:`qpcr.io.read_run` carries, as the tidy table.

    Parameters
    ----------
    export
        What :func:`qpcr.io.read_run` returned.
    plate
        The plate name when the export names no plates.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_curves`.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.io import Export, RunInfo
    >>> wells = pd.DataFrame({"well": ["A1"], "sample": ["s1"], "target": ["MYC"]})
    >>> melt = pd.DataFrame({"well": ["A1"], "target": ["MYC"], "temperature": [80.5],
    ...                      "fluorescence": [1.5]})
    >>> export = Export(wells, RunInfo(path="run.txt", format="thermo"), {"melt": melt})
    >>> export_curves(export, "p1")[["plate", "sample", "temperature", "kind"]]
      plate sample  temperature  kind
    0    p1     s1         80.5  melt
    """
    wells = export.wells if "plate" in export.wells else export.wells.assign(plate=plate)
    frames = []
    for kind in _X:
        curve = export.tables.get(kind)
        if curve is None or curve.empty:
            continue
        curve = curve.assign(kind=kind, plate=curve.get("plate", plate))
        frames.append(_labelled(curve, wells))
    return tidy_curves(frames)


def describe_curves(curves: pd.DataFrame) -> str:
    """One line on the curves of a tidy curves table (what ``qpcr inspect`` shows).

    Parameters
    ----------
    curves
        A table as :func:`read_curves` returns.

    Returns
    -------
    str
        Per kind: wells and the cycle or temperature range; ``none`` without curves.

    Examples
    --------
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"plate": "p", "well": ["A1", "A1", "A2"], "target": "MYC",
    ...                        "cycle": [1.0, 40.0, 1.0], "temperature": float("nan"),
    ...                        "kind": "amplification"})
    >>> describe_curves(curves)
    'amplification: 2 wells, cycles 1–40'
    >>> describe_curves(curves.iloc[:0])
    'none'
    """
    parts = []
    for kind, x_name in _X.items():
        part = curves[curves["kind"] == kind]
        if part.empty:
            continue
        wells = len(part.drop_duplicates(["plate", "well"]))
        low, high = part[x_name].min(), part[x_name].max()
        span = f"cycles {low:g}–{high:g}" if kind == "amplification" else f"{low:.1f}–{high:.1f} °C"
        parts.append(f"{kind}: {wells} wells, {span}")
    return "; ".join(parts) or "none"


def _labelled(curves: pd.DataFrame, wells: pd.DataFrame) -> pd.DataFrame:
    """``curves`` with the ``sample`` of their well (when its rows agree) and the ``reporter``
    of their well × target, from the export's wells table."""
    wells = wells.assign(plate=wells["plate"].astype(str))
    curves = curves.assign(plate=curves["plate"].astype(str)).drop(
        columns=["sample", "reporter"], errors="ignore"
    )
    keys = ["plate", "well"]
    named = wells.groupby(keys)["sample"].agg(["first", "nunique"])
    samples = named["first"].where(named["nunique"] == 1, "").rename("sample")
    curves = curves.merge(samples.reset_index(), on=keys, how="left")
    if "reporter" in wells:
        reporters = wells.drop_duplicates([*keys, "target"])[[*keys, "target", "reporter"]]
        curves = curves.merge(reporters, on=[*keys, "target"], how="left")
    return curves
